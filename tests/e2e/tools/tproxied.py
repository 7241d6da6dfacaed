#!/usr/bin/env python3
"""Reads `nft monitor trace` output on stdin and checks which packets of
the given client ports took the rule whose comment is RULE (a tproxy rule).

usage: tproxied.py RULE PORT...

Passes when every such packet was a bare SYN and each port's connection
had at least one SYN take the rule. Otherwise it prints each packet that
should not have taken the rule (or each port none of whose SYNs did) and
exits 1. Packets of other ports are ignored: a late packet of an earlier
connection whose socket is gone takes the rule legitimately.

A trace id is a hash of the packet buffer's address, so ids repeat: a rule
line belongs to the last packet line with its id before it.
"""
import re
import sys


def main():
    rule, ports = sys.argv[1], set(sys.argv[2:])
    last = {}  # trace id -> (sport, flags, packet line)
    syns, wrong = set(), []
    for line in sys.stdin:
        m = re.match(r"trace id (\w+) ", line)
        if not m:
            continue
        tid = m.group(1)
        if " packet: " in line:
            sport = re.search(r" tcp sport (\d+)", line)
            flags = re.search(r" tcp flags == (\S+)", line)
            if sport and flags:
                last[tid] = (sport.group(1), flags.group(1), line.strip())
        elif f'comment "{rule}"' in line and tid in last:
            sport, flags, packet = last.pop(tid)
            if sport not in ports:
                continue
            if flags == "syn":
                syns.add(sport)
            else:
                wrong.append(packet)
    for packet in wrong:
        print(f"took the rule, not a SYN: {packet}")
    for port in sorted(ports - syns):
        print(f"no SYN of port {port} took the rule")
    return 1 if wrong or ports - syns else 0


if __name__ == "__main__":
    sys.exit(main())
