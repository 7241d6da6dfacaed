#!/usr/bin/python3
"""Network probes for the namespace scenarios (stdlib only).

listen  --proto tcp|udp|udplite --bind ADDR:PORT [--bind ...] [--transparent]
        [--echo | --hold] --log FILE
        Accepts connections / datagrams and appends one JSON line per event
        to FILE: {"event": "accept"|"datagram", "peer": "ip:port",
        "local": "ip:port"}. With --transparent the sockets get
        IP_TRANSPARENT / IPV6_TRANSPARENT, and "local" is what getsockname()
        returns: the original destination of a tproxied connection.
        TCP peers get one line back ("local=... peer=...") and are closed;
        with --echo they stay connected and get every line they send back,
        until they close; with --hold they get nothing and are never read
        or closed. Prints "ready" once every socket is bound.
connect HOST PORT [--timeout S] [--from PORT]   exit 0 and print the reply
        when a TCP connection (from source port PORT) is accepted and
        answered, else exit 1 with the error.
converse HOST PORT [--timeout S]   one TCP connection to an --echo
        listener: reads its first line, then sends each line of stdin as it
        comes and prints the echo; exit 0 when every line came back.
udp     HOST PORT [--timeout S] [--bind ADDR:PORT]   send one datagram
        (from ADDR:PORT), exit 0 if answered.
udpreply --bind ADDR:PORT --name NAME [--timeout S]   waits for one
        datagram and answers its sender with a DNS query for NAME; prints
        "bound", then "replied".
burst   HOST --count N --every K --port P   N datagrams from fresh sockets,
        every Kth (the middle of each K) to port P, the others to
        20000+i.
raw     HOST PORT [--timeout S] [--then TEXT [--gap S]]   send stdin as is
        over TCP (then, after S seconds, TEXT), print what comes back until
        the peer closes or the timeout passes.
keepalive HOST PORT --name NAME --path PATH [--timeout S]   one GET on a
        keep-alive connection; prints "idle" once its whole answer (by its
        Content-Length) is in, then "closed T" (epoch seconds) when the
        peer closes the connection.
overlimit HOST PORT --hold N --stop PID --name NAME   N connections
        held, PID stopped (SIGSTOP) while one more connects and sends a
        request, then continued; prints the answer's body, " / ", and
        "eof" or "reset" for how the connection ended.
stall   HOST PORT --name NAME --size N --marker FILE   GET /big?n=N with a
        64 KiB receive buffer, nothing read for 2.5 s ("stalled" written to
        FILE), then all of it; prints the body's length and sha256.
sse     HOST PORT --name NAME --events N   GET /sse; prints the events'
        [sent, received] times as JSON; exit 1 unless N came and the first
        arrived before the last was sent.
ws      HOST PORT --name NAME   a WebSocket handshake on /ws and one masked
        text frame; prints "echoed: TEXT".
tlsheld HOST PORT --sni NAME --cafile FILE --hold N [--timeout S]   N plain
        connections held open, then a TLS handshake; prints "handshake
        completed" or the TLS error.
ping    HOST [--timeout S]   one ICMP echo request with a 64-byte payload
        through an unprivileged ICMP socket (needs ping_group_range), exit 0
        if answered.
flood   HOST PORT --count N [--seconds S]   N UDP datagrams of 32 bytes as
        fast as they go (at most S seconds); prints how many were sent.
rawudp  HOST PORT [--timeout S]   one UDP datagram built by hand on a raw
        socket (needs CAP_NET_RAW), exit 0 when the kernel sent it.
udplite HOST PORT [--timeout S]   one UDP-Lite datagram (IP protocol 136)
        on an unprivileged socket, exit 0 if answered (listen --proto udplite).
ipproto HOST PROTO [--timeout S]   one IPv4 packet of IP protocol PROTO with
        a short payload on a raw socket (needs CAP_NET_RAW).
slowloris HOST PORT --count N --name NAME [--seconds S] [--interval S]
        N connections that each send a head one byte per interval (1 s); prints how many were cut,
        with which statuses, and how late the last one was.
silent  HOST PORT --ready FILE --go FILE [--max N] [--seconds S]   waves of
        50 connections that send nothing, until one is answered (refused:
        only a 503 is readable) or N are held; writes "held H refused R" to
        the ready file, then holds them until the go file appears.
dnsq    SERVER NAME[,NAME...] [--id N] [--from PORT] [--extra HEX]
        [--arcount N] [--questions N] [--raw HEX] [--tcp] [--timeout S]
        A query for NAME (type A) over UDP from PORT, with HEX appended and
        ARCOUNT set (--raw: HEX is the whole message); prints "rcode R" when
        an answer with the query's id comes, "bad id" for another id, "no
        answer" when none does. --tcp: every NAME pipelined in one write
        on one connection (ids N, N+1, ...); prints "answers: [ids]".
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
import base64
import hashlib
import json
import os
import select
import selectors
import signal
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
    held = []
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
                if args.hold:  # never read, never closed: the far end of a half-closed flow
                    held.append(conn)
                    continue
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
        src = ("0.0.0.0", args.src_port) if args.src_port else None
        with socket.create_connection((args.host, args.port), timeout=args.timeout,
                                      source_address=src) as s:
            s.settimeout(args.timeout)
            print(s.recv(4096).decode().strip())
            return 0
    except OSError as e:
        print(f"connect failed: {e}", file=sys.stderr)
        return 1


def udp(args):
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        if args.bind:
            s.bind(split_addr(args.bind))
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
            if args.then is not None:  # the rest, after a pause
                time.sleep(args.gap)
                s.sendall(args.then.encode("latin-1"))
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


def udpreply(args):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(split_addr(args.bind))
        s.settimeout(args.timeout)
        print("bound", flush=True)
        _, peer = s.recvfrom(512)
        s.sendto(dns_query(0x4323, args.name), peer)
        print("replied", flush=True)
    return 0


def burst(args):
    for i in range(args.count):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            port = args.port if i % args.every == args.every // 2 else 20000 + i
            s.sendto(b"burst", (args.host, port))
    return 0


def overlimit(args):
    held = [socket.create_connection((args.host, args.port), timeout=5) for _ in range(args.hold)]
    time.sleep(0.3)
    os.kill(args.stop, signal.SIGSTOP)
    try:
        third = socket.create_connection((args.host, args.port), timeout=5)
        third.sendall(f"GET /echo HTTP/1.1\r\nHost: {args.name}\r\n\r\n".encode())
        time.sleep(0.2)
    finally:
        os.kill(args.stop, signal.SIGCONT)
    time.sleep(0.3)
    data = b""
    try:
        while chunk := third.recv(4096):
            data += chunk
        end = "eof"
    except ConnectionResetError:
        end = "reset"
    print(data.decode().split("\r\n\r\n")[-1], "/", end)
    for h in held:
        h.close()
    return 0


def stall(args):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.connect((args.host, args.port))
    s.sendall(f"GET /big?n={args.size} HTTP/1.1\r\nHost: {args.name}\r\nConnection: close\r\n\r\n".encode())
    time.sleep(2.5)  # read nothing: botbox must stop reading the upstream
    with open(args.marker, "w") as f:
        f.write("stalled\n")
    time.sleep(1.0)
    data = b""
    while chunk := s.recv(1 << 20):
        data += chunk
    body = data.split(b"\r\n\r\n", 1)[1]
    print(len(body), hashlib.sha256(body).hexdigest())
    return 0


def sse(args):
    s = socket.create_connection((args.host, args.port), timeout=5)
    s.sendall(f"GET /sse HTTP/1.1\r\nHost: {args.name}\r\nAccept: text/event-stream\r\n\r\n".encode())
    buf, events = b"", []
    while len(events) < args.events:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
        while b"data: event " in buf:
            i = buf.index(b"data: event ")
            j = buf.find(b"\n", i)
            if j < 0:
                break
            events.append((float(buf[i:j].split(b" at ")[1]), time.time()))
            buf = buf[j + 1:]
    print(json.dumps(events))
    # Streaming, not buffering: the first event arrived before the last was sent.
    return 0 if len(events) == args.events and events[0][1] < events[-1][0] else 1


def ws(args):
    s = socket.create_connection((args.host, args.port), timeout=5)
    key = base64.b64encode(os.urandom(16))
    s.sendall(f"GET /ws HTTP/1.1\r\nHost: {args.name}\r\nConnection: Upgrade\r\n".encode() +
              b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    if not head.startswith(b"HTTP/1.1 101 "):
        print("no 101:", head[:40], file=sys.stderr)
        return 1
    msg = b"hello through botbox"
    mask = os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(msg)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
    frame = s.recv(2)
    data = s.recv(frame[1] & 127)
    if frame[0] != 0x81 or data != msg:
        print("bad echo:", frame, data, file=sys.stderr)
        return 1
    print("echoed:", data.decode())
    return 0


def keepalive(args):
    s = socket.create_connection((args.host, args.port), timeout=args.timeout)
    s.sendall(f"GET {args.path} HTTP/1.1\r\nHost: {args.name}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200"):
        print("not 200:", head[:40], file=sys.stderr)
        return 1
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += s.recv(65536)
    print("idle", flush=True)
    while s.recv(65536):
        pass
    print("closed", time.time(), flush=True)
    return 0


def tlsheld(args):
    held = [socket.create_connection((args.host, args.port)) for _ in range(args.hold)]
    time.sleep(0.3)
    ctx = ssl.create_default_context(cafile=args.cafile)
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as s:
            ctx.wrap_socket(s, server_hostname=args.sni).close()
        print("handshake completed")
    except ssl.SSLError as e:
        print(e)
    for h in held:
        h.close()
    return 0


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


def flood(args):
    """COUNT datagrams of 32 bytes, at most for --seconds; prints how many
    were sent."""
    end, sent = time.time() + args.seconds, 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while sent < args.count and time.time() <= end:
            s.sendto(b"x" * 32, (args.host, args.port))
            sent += 1
    print(sent)
    return 0


def udplite(args):
    return one_datagram("udplite", socket.AF_INET6 if ":" in args.host else socket.AF_INET,
                        socket.SOCK_DGRAM, IPPROTO_UDPLITE, b"udplite-exfil",
                        (args.host, args.port), args.timeout, reply=True)


def ipproto(args):
    return one_datagram("ipproto", socket.AF_INET, socket.SOCK_RAW, args.port,
                        b"ipproto-exfil", (args.host, 0))


def slowloris(args):
    conns = [socket.create_connection((args.host, args.port), timeout=5) for _ in range(args.count)]
    for s in conns:
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: " + args.name.encode() + b"\r\n")
    start, cut = time.time(), {}
    while len(cut) < len(conns) and time.time() - start < args.seconds:
        for i, s in enumerate(conns):
            if i in cut:
                continue
            try:
                s.sendall(b"X")
                s.setblocking(False)
                data = s.recv(4096)
                cut[i] = (data.split(b" ")[1].decode() if data else "closed", time.time() - start)
            except BlockingIOError:
                pass
            except OSError:
                cut[i] = ("reset", time.time() - start)
            finally:
                s.setblocking(True)
        time.sleep(args.interval)
    codes = sorted({c for c, _ in cut.values()})
    latest = max((t for _, t in cut.values()), default=0.0)
    print(len(cut), "cut", codes, "latest after %.1f s" % latest)
    return 0


def silent(args):
    held, refused, end = [], 0, time.time() + args.seconds
    while not refused and len(held) < args.max and time.time() < end:
        wave = [socket.create_connection((args.host, args.port), timeout=5) for _ in range(50)]
        time.sleep(0.1)
        refused = len(select.select(wave, [], [], 0)[0])  # silent: only a 503 is readable
        held += wave
    with open(args.ready, "w") as f:
        f.write(f"held {len(held)} refused {refused}\n")
    while not os.path.exists(args.go) and time.time() < end + 20:
        time.sleep(0.05)
    return 0


def dns_query(qid, name, arcount=0, questions=1):
    q = struct.pack(">HHHHHH", qid, 0x0100, questions, 0, 0, arcount)
    one = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return q + (one + struct.pack(">HH", 1, 1)) * questions


def dnsq_tcp(args, names):
    frames = b""
    for i, name in enumerate(names):
        body = dns_query(args.id + i, name)
        frames += struct.pack(">H", len(body)) + body
    s = socket.create_connection((args.server, 53), timeout=args.timeout)
    s.sendall(frames)
    buf, ids = b"", []
    try:
        while len(ids) < len(names):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                n = struct.unpack(">H", buf[:2])[0]
                ids.append(struct.unpack(">H", buf[2:4])[0])
                buf = buf[2 + n:]
    except socket.timeout:
        pass
    print("answers:", ids)
    return 0


def dnsq(args):
    names = args.name.split(",")
    if args.tcp:
        return dnsq_tcp(args, names)
    if args.raw:
        q = bytes.fromhex(args.raw)
    else:
        q = dns_query(args.id, names[0], args.arcount, args.questions) + bytes.fromhex(args.extra)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        if args.src_port or args.src:
            s.bind((args.src or "0.0.0.0", args.src_port))
        s.settimeout(args.timeout)
        s.sendto(q, (args.server, 53))
        try:
            r = s.recv(4096)
        except socket.timeout:
            print("no answer")
            return 0
    print(f"rcode {r[3] & 15}" if r[:2] == q[:2] else "bad id")
    return 0


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


def opt(flag, **kw):
    return (flag, kw)


REQ = {"required": True}
INT = {"type": int, "required": True}
NAME = opt("--name", **REQ)


def timeout(seconds):
    return opt("--timeout", type=float, default=seconds)


# Each command: its positional arguments, its options (flag, argparse
# keywords); the function of the same name runs it.
HOST_PORT = ("host", ("port", int))
COMMANDS = {
    "listen": ((), [opt("--proto", choices=["tcp", "udp", "udplite"], default="tcp"),
                    opt("--bind", action="append", required=True),
                    opt("--transparent", action="store_true"), opt("--echo", action="store_true"),
                    opt("--hold", action="store_true"), opt("--log", **REQ)]),
    "rebind": ((), [opt("--bind", **REQ), opt("--answers", **REQ), opt("--log", **REQ)]),
    "relay": ((), [opt("--bind", **REQ), opt("--to", **REQ), opt("--chunk", type=int, default=1000),
                   opt("--gap", type=float, default=0.02)]),
    "tlsburst": (HOST_PORT, [opt("--sni", **REQ), opt("--cafile", **REQ), timeout(5.0)]),
    "tlsheld": (HOST_PORT, [opt("--sni", **REQ), opt("--cafile", **REQ), opt("--hold", **INT),
                            timeout(3.0)]),
    "udpreply": ((), [opt("--bind", **REQ), NAME, timeout(5.0)]),
    "burst": (("host",), [opt("--count", **INT), opt("--every", **INT), opt("--port", **INT)]),
    "overlimit": (HOST_PORT, [opt("--hold", **INT), opt("--stop", **INT), NAME]),
    "stall": (HOST_PORT, [NAME, opt("--size", **INT), opt("--marker", **REQ)]),
    "sse": (HOST_PORT, [NAME, opt("--events", type=int, default=5)]),
    "ws": (HOST_PORT, [NAME]),
    "keepalive": (HOST_PORT, [NAME, opt("--path", **REQ), timeout(30.0)]),
    "slowloris": (HOST_PORT, [opt("--count", **INT), NAME, opt("--seconds", type=float, default=8.0),
                              opt("--interval", type=float, default=1.0)]),
    "silent": (HOST_PORT, [opt("--ready", **REQ), opt("--go", **REQ), opt("--max", type=int, default=3000),
                           opt("--seconds", type=float, default=8.0)]),
    "dnsq": (("server", "name"), [opt("--id", type=lambda v: int(v, 0), default=7),
                                  opt("--from", dest="src_port", type=int, default=0),
                                  opt("--src", default=""), opt("--extra", default=""), opt("--arcount", type=int, default=0),
                                  opt("--questions", type=int, default=1), opt("--raw", default=""),
                                  opt("--tcp", action="store_true"), timeout(3.0)]),
    "ping": (("host",), [timeout(2.0)]),
    "connect": (HOST_PORT, [timeout(2.0), opt("--from", dest="src_port", type=int, default=0)]),
    "converse": (HOST_PORT, [timeout(2.0)]),
    "udp": (HOST_PORT, [timeout(2.0), opt("--bind", default="")]),
    "raw": (HOST_PORT, [timeout(2.0), opt("--then", default=None), opt("--gap", type=float, default=0.5)]),
    "rawudp": (HOST_PORT, [timeout(2.0)]),
    "udplite": (HOST_PORT, [timeout(2.0)]),
    "ipproto": (HOST_PORT, [timeout(2.0)]),
    "flood": (HOST_PORT, [timeout(2.0), opt("--count", **INT), opt("--seconds", type=float, default=20.0)]),
}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, (positional, options) in COMMANDS.items():
        cp = sub.add_parser(name)
        for arg in positional:
            if isinstance(arg, tuple):
                cp.add_argument(arg[0], type=arg[1])
            else:
                cp.add_argument(arg)
        for flag, kw in options:
            cp.add_argument(flag, **kw)
    args = p.parse_args()
    sys.exit(globals()[args.cmd](args) or 0)


if __name__ == "__main__":
    main()
