#!/usr/bin/python3
"""Network probes for the namespace scenarios (stdlib only).

listen  --proto tcp|udp --bind ADDR:PORT [--bind ...] [--transparent] --log FILE
        Accepts connections / datagrams and appends one JSON line per event
        to FILE: {"event": "accept"|"datagram", "peer": "ip:port",
        "local": "ip:port"}. With --transparent the sockets get
        IP_TRANSPARENT / IPV6_TRANSPARENT, and "local" is what getsockname()
        returns: the original destination of a tproxied connection.
        TCP peers get one line back ("local=... peer=...") and are closed.
        Prints "ready" once every socket is bound.
connect HOST PORT [--timeout S]   exit 0 and print the reply when a TCP
        connection is accepted and answered, else exit 1 with the error.
udp     HOST PORT [--timeout S]   send one datagram, exit 0 if answered.
raw     HOST PORT [--timeout S]   send stdin as is over TCP, print what comes
        back until the peer closes or the timeout passes.
"""
import argparse
import json
import selectors
import socket
import sys
import threading

IP_TRANSPARENT = 19
IPV6_TRANSPARENT = 75


def split_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def fmt(sockaddr):
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def make_socket(proto, bind, transparent):
    host, port = split_addr(bind)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if transparent:
        if family == socket.AF_INET:
            s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_TRANSPARENT, 1)
    s.bind((host, port))
    if proto == "tcp":
        s.listen(64)
    return s


def listen(args):
    lock = threading.Lock()
    log = open(args.log, "a", buffering=1)

    def record(event, peer, local, extra=None):
        line = {"event": event, "peer": fmt(peer), "local": fmt(local)}
        line.update(extra or {})
        with lock:
            log.write(json.dumps(line) + "\n")

    sel = selectors.DefaultSelector()
    for b in args.bind:
        sel.register(make_socket(args.proto, b, args.transparent), selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if args.proto == "tcp":
                conn, peer = s.accept()
                local = conn.getsockname()
                record("accept", peer, local)
                try:
                    conn.sendall(f"local={fmt(local)} peer={fmt(peer)}\n".encode())
                finally:
                    conn.close()
            else:
                data, peer = s.recvfrom(65535)
                local = s.getsockname()
                record("datagram", peer, local, {"bytes": len(data)})
                s.sendto(b"ok\n", peer)


def connect(args):
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as s:
            s.settimeout(args.timeout)
            print(s.recv(4096).decode().strip())
            return 0
    except OSError as e:
        print(f"connect failed: {e}", file=sys.stderr)
        return 1


def udp(args):
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(args.timeout)
        try:
            s.sendto(b"probe\n", (args.host, args.port))
            data, _ = s.recvfrom(4096)
            print(data.decode().strip())
            return 0
        except OSError as e:
            print(f"udp failed: {e}", file=sys.stderr)
            return 1


def raw(args):
    data = sys.stdin.buffer.read()
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as s:
            s.sendall(data)
            s.settimeout(args.timeout)
            out = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except socket.timeout:
                pass
            sys.stdout.write(out.decode("latin-1"))
            return 0
    except OSError as e:
        print(f"raw failed: {e}", file=sys.stderr)
        return 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("listen")
    lp.add_argument("--proto", choices=["tcp", "udp"], default="tcp")
    lp.add_argument("--bind", action="append", required=True)
    lp.add_argument("--transparent", action="store_true")
    lp.add_argument("--log", required=True)
    for name in ("connect", "udp", "raw"):
        cp = sub.add_parser(name)
        cp.add_argument("host")
        cp.add_argument("port", type=int)
        cp.add_argument("--timeout", type=float, default=2.0)
    args = p.parse_args()
    if args.cmd == "listen":
        listen(args)
    elif args.cmd == "connect":
        sys.exit(connect(args))
    elif args.cmd == "raw":
        sys.exit(raw(args))
    else:
        sys.exit(udp(args))


if __name__ == "__main__":
    main()
