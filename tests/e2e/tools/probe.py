#!/usr/bin/python3
"""Network probes for the namespace scenarios (stdlib only).

listen  --proto tcp|udp --bind ADDR:PORT [--bind ...] [--transparent] [--echo] --log FILE
        Accepts connections / datagrams and appends one JSON line per event
        to FILE: {"event": "accept"|"datagram", "peer": "ip:port",
        "local": "ip:port"}. With --transparent the sockets get
        IP_TRANSPARENT / IPV6_TRANSPARENT, and "local" is what getsockname()
        returns: the original destination of a tproxied connection.
        TCP peers get one line back ("local=... peer=...") and are closed;
        with --echo they stay connected and get every line they send back,
        until they close. Prints "ready" once every socket is bound.
connect HOST PORT [--timeout S]   exit 0 and print the reply when a TCP
        connection is accepted and answered, else exit 1 with the error.
converse HOST PORT [--timeout S]   one TCP connection to an --echo
        listener: reads its first line, then sends each line of stdin as it
        comes and prints the echo; exit 0 when every line came back.
udp     HOST PORT [--timeout S]   send one datagram, exit 0 if answered.
raw     HOST PORT [--timeout S]   send stdin as is over TCP, print what comes
        back until the peer closes or the timeout passes.
ping    HOST [--timeout S]   one ICMP echo request with a 64-byte payload
        through an unprivileged ICMP socket (needs ping_group_range), exit 0
        if answered.
rawudp  HOST PORT [--timeout S]   one UDP datagram built by hand on a raw
        socket (needs CAP_NET_RAW), exit 0 when the kernel sent it.
udplite HOST PORT [--timeout S]   one UDP-Lite datagram (IP protocol 136)
        on an unprivileged socket, exit 0 if answered (listen --proto udplite).
ipproto HOST PROTO [--timeout S]   one IPv4 packet of IP protocol PROTO with
        a short payload on a raw socket (needs CAP_NET_RAW).
rebind  --bind ADDR:PORT --answers IP,IP... --log FILE
        A DNS server that answers every A query with the next address of the
        list in turn (TTL 0): a name that changes its answer between two
        lookups. Logs one JSON line per answer. Prints "ready".
tlsburst HOST PORT --sni NAME --cafile FILE [--timeout S]
        A TLS client that sends its last handshake flight and the requests
        on stdin (split after each blank line, one TLS record each) in one
        TCP write, so that they reach the server together; prints what
        comes back until the server closes (end the last request with
        "Connection: close") or the timeout passes.
relay   --bind ADDR:PORT --to ADDR:PORT [--chunk N] [--gap S]
        A slow link: forwards each TCP connection to --to, and sends what
        comes back in pieces of N bytes (default 1000), S seconds apart
        (default 0.02). A TLS record then reaches the client in parts.
        Prints "ready".
"""
import argparse
import json
import selectors
import socket
import ssl
import struct
import sys
import threading
import time

IP_TRANSPARENT = 19
IPPROTO_UDPLITE = 136  # not in every Python's socket module
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
    s = socket.socket(family, kind, IPPROTO_UDPLITE if proto == "udplite" else 0)
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
                conn.sendall(f"local={fmt(local)} peer={fmt(peer)}\n".encode())
                if args.echo:
                    threading.Thread(target=echo, args=(conn,), daemon=True).start()
                else:
                    conn.close()
            else:
                data, peer = s.recvfrom(65535)
                local = s.getsockname()
                record("datagram", peer, local, {"bytes": len(data)})
                s.sendto(b"ok\n", peer)


def echo(conn):
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            conn.sendall(data)


def converse(args):
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as s:
            s.settimeout(args.timeout)
            f = s.makefile("rwb")
            print(f.readline().decode().strip(), flush=True)
            for line in sys.stdin:
                f.write(line.encode())
                f.flush()
                back = f.readline().decode()
                if back != line:
                    print(f"sent {line!r}, got {back!r}", file=sys.stderr)
                    return 1
                print(back.strip(), flush=True)
            return 0
    except OSError as e:
        print(f"converse failed: {e}", file=sys.stderr)
        return 1


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


def tls_handshake_held(s, obj, inc, out):
    """Runs the client's handshake over s, except that the last flight it
    writes stays in `out`, unsent."""
    while True:
        try:
            obj.do_handshake()
            return
        except ssl.SSLWantReadError:
            if out.pending:
                s.sendall(out.read())
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("the server closed during the handshake")
            inc.write(chunk)


def tlsburst(args):
    text = sys.stdin.buffer.read()
    requests = [r + b"\r\n\r\n" for r in text.split(b"\r\n\r\n") if r.strip()]
    ctx = ssl.create_default_context(cafile=args.cafile)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=args.sni)
    got = b""
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as s:
            tls_handshake_held(s, obj, inc, out)
            for r in requests:
                obj.write(r)  # one record each
            s.sendall(out.read())
            while True:
                try:
                    data = obj.read(65536)
                    if not data:
                        break  # the server's close_notify
                    got += data
                    continue
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLZeroReturnError:
                    break
                chunk = s.recv(65536)
                if not chunk:
                    break
                inc.write(chunk)
    except socket.timeout:
        pass
    except (OSError, ssl.SSLError) as e:
        print(f"tlsburst failed: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(got.decode("latin-1"))
    return 0


def one_datagram(name, family, kind, proto, data, addr, timeout=None, reply=False):
    """Sends one datagram (and waits for one back when reply): 0, or 1 with why."""
    try:
        with socket.socket(family, kind, proto) as s:
            s.settimeout(timeout)
            s.sendto(data, addr)
            if reply:
                s.recvfrom(4096)
            print("echo reply" if reply else "sent")
            return 0
    except OSError as e:
        print(f"{name} failed: {e}", file=sys.stderr)
        return 1


def ping(args):
    v6 = ":" in args.host
    family, proto = (socket.AF_INET6, socket.IPPROTO_ICMPV6) if v6 else (socket.AF_INET, socket.IPPROTO_ICMP)
    kind = 128 if v6 else 8
    payload = b"botbox-exfil-" + b"x" * 51
    # The kernel fills in the identifier and the checksum.
    echo = struct.pack("!BBHHH", kind, 0, 0, 0, 1) + payload
    return one_datagram("ping", family, socket.SOCK_DGRAM, proto, echo, (args.host, 0),
                        args.timeout, reply=True)


def rawudp(args):
    header = struct.pack("!HHHH", 40000, args.port, 8 + 6, 0)  # checksum 0: none (IPv4)
    return one_datagram("rawudp", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP,
                        header + b"rawudp", (args.host, 0))


def udplite(args):
    return one_datagram("udplite", socket.AF_INET6 if ":" in args.host else socket.AF_INET,
                        socket.SOCK_DGRAM, IPPROTO_UDPLITE, b"udplite-exfil",
                        (args.host, args.port), args.timeout, reply=True)


def ipproto(args):
    return one_datagram("ipproto", socket.AF_INET, socket.SOCK_RAW, args.port,
                        b"ipproto-exfil", (args.host, 0))


def rebind(args):
    answers = args.answers.split(",")
    host, port = split_addr(args.bind)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    log = open(args.log, "a", buffering=1)
    print("ready", flush=True)
    turn = 0
    while True:
        query, peer = s.recvfrom(512)
        if len(query) < 12:
            continue
        end = query.index(b"\0", 12) + 5  # the question: name, type, class
        qtype = struct.unpack("!H", query[end - 4:end - 2])[0]
        head = query[:2] + struct.pack("!HHHHH", 0x8180, 1, 0, 0, 0)
        if qtype == 1:
            addr = answers[turn % len(answers)]
            turn += 1
            head = query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
            rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + socket.inet_aton(addr)
            log.write(json.dumps({"event": "answer", "addr": addr}) + "\n")
        else:
            rr = b""
        s.sendto(head + query[12:end] + rr, peer)


def relay(args):
    def pump(src, dst, chunk, gap):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                for i in range(0, len(data), chunk):
                    dst.sendall(data[i:i + chunk])
                    if gap:
                        time.sleep(gap)
        except OSError:
            pass
        for sock, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass

    host, port = split_addr(args.bind)
    to = split_addr(args.to)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    print("ready", flush=True)
    while True:
        client, _ = s.accept()
        up = socket.create_connection(to)
        threading.Thread(target=pump, args=(client, up, 65536, 0), daemon=True).start()
        threading.Thread(target=pump, args=(up, client, args.chunk, args.gap), daemon=True).start()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("listen")
    lp.add_argument("--proto", choices=["tcp", "udp", "udplite"], default="tcp")
    lp.add_argument("--bind", action="append", required=True)
    lp.add_argument("--transparent", action="store_true")
    lp.add_argument("--echo", action="store_true")
    lp.add_argument("--log", required=True)
    rp = sub.add_parser("rebind")
    rp.add_argument("--bind", required=True)
    rp.add_argument("--answers", required=True)
    rp.add_argument("--log", required=True)
    yp = sub.add_parser("relay")
    yp.add_argument("--bind", required=True)
    yp.add_argument("--to", required=True)
    yp.add_argument("--chunk", type=int, default=1000)
    yp.add_argument("--gap", type=float, default=0.02)
    tp = sub.add_parser("tlsburst")
    tp.add_argument("host")
    tp.add_argument("port", type=int)
    tp.add_argument("--sni", required=True)
    tp.add_argument("--cafile", required=True)
    tp.add_argument("--timeout", type=float, default=5.0)
    pp = sub.add_parser("ping")
    pp.add_argument("host")
    pp.add_argument("--timeout", type=float, default=2.0)
    for name in ("connect", "converse", "udp", "raw", "rawudp", "udplite", "ipproto"):
        cp = sub.add_parser(name)
        cp.add_argument("host")
        cp.add_argument("port", type=int)
        cp.add_argument("--timeout", type=float, default=2.0)
    args = p.parse_args()
    if args.cmd == "listen":
        listen(args)
    elif args.cmd == "connect":
        sys.exit(connect(args))
    elif args.cmd == "converse":
        sys.exit(converse(args))
    elif args.cmd == "raw":
        sys.exit(raw(args))
    elif args.cmd == "rawudp":
        sys.exit(rawudp(args))
    elif args.cmd == "udplite":
        sys.exit(udplite(args))
    elif args.cmd == "ipproto":
        sys.exit(ipproto(args))
    elif args.cmd == "tlsburst":
        sys.exit(tlsburst(args))
    elif args.cmd == "ping":
        sys.exit(ping(args))
    elif args.cmd == "rebind":
        rebind(args)
    elif args.cmd == "relay":
        relay(args)
    else:
        sys.exit(udp(args))


if __name__ == "__main__":
    main()
