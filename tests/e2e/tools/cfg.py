#!/usr/bin/env python3
"""Edits a scenario's botbox config by key, not by text.

  cfg.py merge FILE      merges the YAML overlay on stdin into FILE
  cfg.py set FILE PATH VALUE
                         one key: PATH like timeouts.idle, VALUE as YAML

Merging: mappings merge key by key; a list of rules (mappings with a
`host`) merges rule by rule, matched by host: a rule of the overlay
changes the keys it names of the rule with its host, is appended when no
rule has it, and removes that rule when it says `remove: true`; any other
list, and any scalar, is replaced. FILE is replaced at once (a new file
renamed over it, as `sed -i` and editors do), so a watching botbox sees
one complete edit.
"""
import os
import sys

import yaml


def merge_rules(base, over):
    out = [dict(r) for r in base]
    for rule in over:
        at = next((i for i, r in enumerate(out) if r.get("host") == rule.get("host")), None)
        if rule.get("remove"):
            if at is None:
                sys.exit(f"cfg.py: no rule for {rule.get('host')} to remove")
            del out[at]
        elif at is None:
            out.append(rule)
        else:
            out[at] = merge(out[at], rule)
    return out


def is_rules(v):
    return isinstance(v, list) and v and all(isinstance(r, dict) and "host" in r for r in v)


def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v) if k in base else v
        return out
    if is_rules(base) and is_rules(over):
        return merge_rules(base, over)
    return over


def write(path, doc):
    tmp = f"{path}.cfg-new"
    with open(tmp, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False, default_flow_style=False)
    os.chmod(tmp, os.stat(path).st_mode & 0o7777)
    os.replace(tmp, path)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("merge", "set"):
        sys.exit(__doc__)
    path = sys.argv[2]
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f) or {}
    if sys.argv[1] == "merge":
        over = yaml.safe_load(sys.stdin) or {}
    else:
        if len(sys.argv) != 5:
            sys.exit(__doc__)
        over = yaml.safe_load(sys.argv[4])
        for key in reversed(sys.argv[3].split(".")):
            over = {key: over}
    write(path, merge(doc, over))


if __name__ == "__main__":
    main()
