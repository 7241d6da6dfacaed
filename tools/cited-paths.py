#!/usr/bin/env python3
"""Every path the tree cites resolves inside the tree.

Reads the comments of C, shell and Python files and the whole of every
Markdown file, and fails on:
  - a path that starts at a top-level folder (gateway/proxy/proxy.c,
    docs/proxy.md, tests/e2e/lib.sh) and names nothing in the repository;
  - a path that leaves it (../shared/...);
  - a Markdown link to a file that does not exist (relative to the page);
  - a section of docs/reference.md (docs/reference.md §N) that has no
    heading "## N.", or a section of a design document that is not in the
    tree ("REFERENCE §4").
Paths holding a pattern (*, <name>, NN, $VAR) are not checked.

usage: cited-paths.py FILE...   (make format-check passes every tracked file)
       cited-paths.py --self-test  plants each kind of bad citation first
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import planted  # noqa: E402

TOP = ("common", "policy", "nft", "tls", "gateway", "tests", "docs", "tools",
       "docker", "systemd", "vagrant", "examples", "demo")
PATH = re.compile(r"(?<![\w./$-])((?:\.\./)+[\w./-]*\w|(?:%s)/[\w./*<>{}$-]*[\w>}*])" % "|".join(TOP))
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
OUTSIDE = re.compile(r"\b(REFERENCE|DESIGN|STYLE)(\.md)? §\w+")
SECTION = re.compile(r"docs/reference\.md §(\d+)((?:, §\d+)*)")
PATTERN = re.compile(r"[*<>{}$]|\bNN\b|(^|/)[A-Z][A-Z_]{2,}(\.|/|$)")


def comments(path, text):
    """The parts of a file that are prose: all of Markdown, comments elsewhere."""
    if path.endswith(".md"):
        return text
    if path.endswith((".c", ".h")):
        parts = re.findall(r"/\*.*?\*/|//[^\n]*", text, re.S)
        return "\n".join(parts)
    if path.endswith((".sh", ".py")) or os.path.basename(path) == "Makefile":
        return "\n".join(l[l.index("#"):] for l in text.split("\n") if "#" in l and not l.lstrip().startswith(("#!", "#include")))
    return ""


def exists(p, here):
    """p names a file or folder from the root, or from the citing file's
    folder or one above it (a scenario's tools/x.py); a module may be named without its
    extension (common/slab, a test binary tests/bench/bench_policy)."""
    bases = [""]
    while here:
        bases.append(here)
        here = os.path.dirname(here)
    for base in bases:
        q = os.path.join(base, p)
        if any(os.path.exists(q + ext) for ext in ("", ".c", ".h", ".md")):
            return True
    return False


def reference_sections():
    try:
        with open("docs/reference.md", encoding="utf-8") as f:
            return set(re.findall(r"^## (\d+)\.", f.read(), re.M))
    except OSError:
        return set()


def problems(path, text, sections):
    prose = comments(path, text)
    out = []
    here = os.path.dirname(path)
    for m in PATH.finditer(prose):
        p = m.group(1).rstrip(".")
        if p.startswith("../"):
            full = os.path.normpath(os.path.join(here, p))
            if full.startswith("..") or not os.path.exists(full):
                out.append(f"{path}: {p}: outside the repository or missing")
        elif not PATTERN.search(p) and not exists(p, here):
            out.append(f"{path}: {p}: no such file or folder")
    if path.endswith(".md"):
        for m in LINK.finditer(prose):
            target = m.group(1)
            if re.match(r"[a-z]+:", target):
                continue
            full = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if not os.path.exists(full):
                out.append(f"{path}: link {target}: no such file")
    for m in OUTSIDE.finditer(prose):
        out.append(f"{path}: {m.group(0)}: a document outside the repository")
    for m in SECTION.finditer(prose):
        for n in [m.group(1)] + re.findall(r"\d+", m.group(2)):
            if n not in sections:
                out.append(f"{path}: docs/reference.md §{n}: no such section")
    return out


PLANTED = {
    "docs/reference.md": ("# ref\n## 1. One\n", 0),
    "docs/good.md": ("See [one](reference.md), gateway/a.c and docs/reference.md §1.\n", 0),
    "gateway/a.c": ("/* docs/good.md; the scenario tools/x.py */\nint a;\n", 0),
    "gateway/tools/x.py": ("# nothing\n", 0),
    "gateway/b.c": ('/* gateway/missing.c */\nconst char *s = "gateway/not-a-comment.c";\n', 1),
    "docs/bad_link.md": ("[gone](nope.md)\n", 1),
    "docs/bad_out.md": ("../shared/DESIGN.md\n", 1),
    "docs/bad_sec.md": ("docs/reference.md §9\n", 1),
    "tests/bad.sh": ("# as REFERENCE \u00a74 says\n", 1),
}


def main():
    if sys.argv[1:] == ["--self-test"]:
        return planted.self_test("cited paths", PLANTED,
                                 lambda path, text: len(problems(path, text, reference_sections())))
    sections = reference_sections()
    bad, seen = [], 0
    for path in sys.argv[1:]:
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            continue
        seen += 1
        bad += problems(path, text, sections)
    for b in bad:
        print(b, file=sys.stderr)
    if bad:
        print(f"cited paths: {len(bad)} citations resolve to nothing in the tree", file=sys.stderr)
        return 1
    print(f"cited paths: every citation in {seen} files resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
