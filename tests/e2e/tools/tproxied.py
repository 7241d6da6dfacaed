#!/usr/bin/env python3
"""Reads `nft monitor trace` output on stdin and checks which packets of
the given client ports took the rule whose comment is RULE (a tproxy rule).

usage: tproxied.py RULE PORT...

Passes when every such packet was a bare SYN or came after its
connection's FIN from the client, and each port's connection had at least
one SYN take the rule. Otherwise it prints each packet that should not have
taken the rule (or each port none of whose SYNs did), then the whole trace
of each port at fault, and exits 1.

Packets of other ports, and packets after the client's FIN, are let through:
once the client has sent its FIN the gateway's socket may be gone (the
final ACK of its LAST_ACK answered), and a late or repeated packet of the
connection (an ACK from the client's TIME_WAIT, IP id 0) then finds no
socket and takes the rule legitimately; tproxy hands it to the listener,
which answers RST. Every packet of a live connection must not.

A trace id is a hash of the packet buffer's address, so ids repeat: a rule
line belongs to the last packet line with its id before it. Each base chain
prints the packet again; a packet line equal to the last with its id is
that same packet.
"""
import re
import sys

FIN = 0x01
FLAG_BITS = {"fin": 0x01, "syn": 0x02, "rst": 0x04, "psh": 0x08, "ack": 0x10, "urg": 0x20}


def flag_bits(text):
    """nft prints the flags by name ("syn", "fin | ack") or as a number."""
    if text.startswith("0x"):
        return int(text, 16)
    return sum(FLAG_BITS.get(name, 0) for name in text.split("|"))


def main():
    rule, ports = sys.argv[1], set(sys.argv[2:])
    # trace id -> (sport, flags, after the client's FIN, packet line, packet)
    last = {}
    fin_sent = set()  # ports whose client FIN has been traced
    seen = {}  # port -> every trace line of its packets, for the report
    syns, wrong = set(), []
    for line in sys.stdin:
        m = re.match(r"trace id (\w+) ", line)
        if not m:
            continue
        tid = m.group(1)
        if " packet: " in line:
            sport = re.search(r" tcp sport (\d+)", line)
            flags = re.search(r" tcp flags == (.+?) tcp ", line)
            if sport and flags:
                port, bits = sport.group(1), flag_bits(flags.group(1).replace(" ", ""))
                text = line.split(" packet: ", 1)[1].strip()
                if tid in last and last[tid][4] == text:
                    after_fin = last[tid][2]  # the same packet, in a later chain
                else:
                    after_fin = port in fin_sent
                last[tid] = (port, bits, after_fin, line.strip(), text)
                if bits & FIN:
                    fin_sent.add(port)
                seen.setdefault(port, []).append(line.strip())
            continue
        if tid in last:
            seen[last[tid][0]].append(line.strip())
        if f'comment "{rule}"' in line and tid in last:
            port, bits, after_fin, packet, _ = last.pop(tid)
            if port not in ports or after_fin:
                continue
            if bits == FLAG_BITS["syn"]:
                syns.add(port)
            else:
                wrong.append((port, packet))
    for _, packet in wrong:
        print(f"took the rule, not a SYN: {packet}")
    for port in sorted({port for port, _ in wrong}):
        print(f"the trace of port {port}:\n  " + "\n  ".join(seen[port]))
    for port in sorted(ports - syns):
        print(f"no SYN of port {port} took the rule")
    return 1 if wrong or ports - syns else 0


if __name__ == "__main__":
    sys.exit(main())
