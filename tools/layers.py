#!/usr/bin/env python3
"""The include rule of the product code (docs/development.md, "Layers").

A file may include headers of its own folder and of folders ranked below
it; folders of equal rank never include each other (proxy/ and flows/,
nft/ and tls/); gateway/io/ includes only common/ besides itself:

  gateway/ (CLI) > run/ > serve/ > proxy/ | flows/ > http/ > state/ > cred/
  > io/ > nft/ | tls/ > policy/ > common/

usage: layers.py FILE...      check these files (others are ignored)
       layers.py --self-test  show that planted bad includes are caught
A header included twice in one file is reported too.
Exit status 1, with one line per bad include, when the rule is broken.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import planted  # noqa: E402

RANKS = {
    "gateway": 80,
    "gateway/run": 70,
    "gateway/serve": 60,
    "gateway/proxy": 50,
    "gateway/flows": 50,
    "gateway/http": 40,
    "gateway/state": 30,
    "gateway/cred": 25,
    "gateway/io": 20,
    "nft": 14,
    "tls": 14,
    "policy": 12,
    "common": 10,
}
ONLY = {"gateway/io": {"gateway/io", "common"}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder(path):
    d = os.path.dirname(path)
    return d if d in RANKS else None


def problems(path, text):
    src = folder(path)
    if src is None:
        return []
    out = []
    seen = set()
    for m in INCLUDE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if m.group(1) in seen:  # a slipped edit, not a layering question
            out.append(f"{path}:{line}: includes {m.group(1)} again")
        seen.add(m.group(1))
        dst = folder(m.group(1))
        if dst is None or dst == src:
            continue
        allowed = ONLY.get(src)
        if allowed is not None and dst not in allowed:
            why = f"{src}/ includes only {', '.join(sorted(allowed))}"
        elif RANKS[dst] == RANKS[src]:
            why = f"{src}/ and {dst}/ never include each other"
        elif RANKS[dst] > RANKS[src]:
            why = f"{dst}/ is above {src}/"
        else:
            continue
        out.append(f"{path}:{line}: includes {m.group(1)}: {why}")
    return out


def check(paths, root="."):
    bad = []
    for p in paths:
        full = os.path.join(root, p)
        if folder(p) is not None and os.path.isfile(full):
            with open(full, encoding="utf-8") as f:
                bad += problems(p, f.read())
    return bad


PLANTED = {
    "gateway/io/bad_up.c": ('#include "gateway/proxy/proxy.h"\n', 1),
    "gateway/io/bad_lib.c": ('#include "policy/config.h"\n', 1),
    "gateway/proxy/bad_cross.c": ('#include "gateway/flows/nfq.h"\n', 1),
    "gateway/state/bad_up.h": ('#include "common/buf.h"\n#include "gateway/http/http_head.h"\n', 1),
    "policy/bad_up.c": ('#include "nft/nft.h"\n', 1),
    "gateway/cred/bad_up.c": ('#include "gateway/state/secrets.h"\n', 1),
    "tls/twice.c": ('#include "common/log.h"\nint x;\n#include "common/log.h"\n', 1),
    "gateway/proxy/good.c": ('#include "gateway/proxy/proxy.h"\n#include "gateway/io/loop.h"\n'
                             '#include "gateway/state/audit.h"\n#include "tls/ca.h"\n', 0),
    "gateway/cmd_good.c": ('#include "gateway/run/run.h"\n#include "gateway/serve/serve.h"\n', 0),
}


def main():
    if sys.argv[1:] == ["--self-test"]:
        return planted.self_test("layers", PLANTED, lambda path, text: len(problems(path, text)))
    bad = check(sys.argv[1:])
    for b in bad:
        print(b, file=sys.stderr)
    if bad:
        print(f"layers: {len(bad)} includes break the rule (docs/development.md)", file=sys.stderr)
        return 1
    print(f"layers: {len([p for p in sys.argv[1:] if folder(p)])} files keep the include rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
