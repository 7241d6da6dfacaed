#!/usr/bin/env python3
"""Reads a Prometheus text exposition on stdin, parses it with the
prometheus_client parser (which rejects malformed text), and prints one
value per QUERY argument.

A QUERY is a sample name with optional label matchers, e.g.
    botbox_requests_total{host=api.test,decision=allow}
and its value is the sum of every sample with that name whose labels match
(0 when none does). With --check, the exposition is also checked for what
the text format requires beyond syntax: a TYPE line for every family,
histogram buckets that never decrease and end at +Inf == _count.
"""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families


def parse_query(q):
    m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?", q)
    if not m:
        sys.exit(f"metrics.py: bad query {q!r}")
    labels = {}
    for part in filter(None, (m.group(2) or "").split(",")):
        k, _, v = part.partition("=")
        labels[k] = v
    return m.group(1), labels


def check(text, families):
    typed = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    for f in families:
        if f.name not in typed and f.name + "_total" not in typed:
            sys.exit(f"metrics.py: family {f.name} has no TYPE line")
        if f.type != "histogram":
            continue
        series = {}
        for s in f.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, {})[s.name.rsplit("_", 1)[-1] + s.labels.get("le", "")] = s.value
        for key, v in series.items():
            buckets = sorted(((float(k[6:]), val) for k, val in v.items() if k.startswith("bucket")))
            values = [val for _, val in buckets]
            if values != sorted(values) or buckets[-1][0] != float("inf"):
                sys.exit(f"metrics.py: {f.name}{dict(key)}: buckets decrease or lack +Inf")
            if buckets[-1][1] != v.get("count"):
                sys.exit(f"metrics.py: {f.name}{dict(key)}: +Inf bucket != _count")


def main():
    args = sys.argv[1:]
    strict = args[:1] == ["--check"]
    if strict:
        args = args[1:]
    text = sys.stdin.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser's error types vary by version
        sys.exit(f"metrics.py: not Prometheus text: {e}")
    if strict:
        check(text, families)
    samples = [s for f in families for s in f.samples]
    for q in args:
        name, want = parse_query(q)
        total = sum(s.value for s in samples
                    if s.name == name and all(s.labels.get(k) == v for k, v in want.items()))
        print(int(total) if total == int(total) else total)


if __name__ == "__main__":
    main()
