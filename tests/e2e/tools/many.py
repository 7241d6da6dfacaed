#!/usr/bin/python3
"""Many client connections at once, for the exhaustion scenario (stdlib only).

many.py --to IP:PORT --count N --host NAME [--path P] [--wave W] [--phase S]
        [--ready FILE --go FILE]

Opens N TCP connections and sends one keep-alive GET (Host: NAME) on each,
W connections at a time (all at once by default): a wave is opened, asks,
and is answered before the next one opens. Everything must be done within
S seconds. A connection closed (or reset) before its answer is counted
under the status "closed". With --ready/--go it then writes
its counts to FILE, holds every connection open until the file GO exists,
and sends a second GET on each connection ("kept") whose first answer was a
200, again reading for at most S seconds ("second": answered, of any
status; "second_closed": closed without an answer). Prints one JSON line:
{"connected": n, "first": n, "kept": n, "second": n, "second_closed": n,
"statuses": {...}} and closes everything.
"""
import argparse
import json
import os
import selectors
import socket
import time


def split_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.status = None


def answer_of(buf):
    """The status of a complete response in buf, else None."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return int(head.split(b" ")[1]) if len(body) >= length else None


def connect_all(addr, count, deadline):
    family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
    conns = []
    for _ in range(count):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(addr)
        conns.append(Conn(s))
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_WRITE, c)
    done = []
    while len(done) < count and time.time() < deadline:
        for key, _ in sel.select(timeout=0.2):
            sel.unregister(key.fileobj)
            if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                done.append(key.data)
    sel.close()
    return done


def exchange(conns, request, deadline, statuses, wave):
    """Sends request on every connection, wave connections at a time;
    returns those that answered."""
    answered = []
    for i in range(0, len(conns), wave):
        answered += exchange_wave(conns[i:i + wave], request, deadline, statuses)
    return answered


def exchange_wave(conns, request, deadline, statuses):
    sel = selectors.DefaultSelector()
    for c in conns:
        c.buf, c.status = b"", None
        try:
            c.sock.sendall(request)
            sel.register(c.sock, selectors.EVENT_READ, c)
        except OSError:
            pass
    answered = []
    pending = len(sel.get_map())
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=0.2):
            c = key.data
            try:
                data = c.sock.recv(65536)
            except OSError:
                data = b""
            c.buf += data
            c.status = answer_of(c.buf)
            if c.status is not None or not data:
                sel.unregister(c.sock)
                pending -= 1
                if c.status is not None:
                    answered.append(c)
                    statuses[str(c.status)] = statuses.get(str(c.status), 0) + 1
                else:  # closed (or reset) without an answer
                    statuses["closed"] = statuses.get("closed", 0) + 1
    sel.close()
    return answered


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--to", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--host", required=True)
    p.add_argument("--path", default="/many")
    p.add_argument("--wave", type=int, default=0)
    p.add_argument("--phase", type=float, default=30.0)
    p.add_argument("--ready")
    p.add_argument("--go")
    args = p.parse_args()
    addr = split_addr(args.to)
    request = b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (args.path.encode(), args.host.encode())
    wave = args.wave or args.count
    statuses = {}
    deadline = time.time() + args.phase
    conns, first = [], []
    while len(conns) < args.count and time.time() < deadline:
        opened = connect_all(addr, min(wave, args.count - len(conns)), deadline)
        if not opened:
            break
        conns += opened
        first += exchange_wave(opened, request, deadline, statuses)
    result = {"connected": len(conns), "first": len(first)}
    if args.ready:
        with open(args.ready, "w") as f:
            f.write(json.dumps(result) + "\n")
        limit = time.time() + 300
        while not os.path.exists(args.go) and time.time() < limit:
            time.sleep(0.1)
        kept = [c for c in first if c.status == 200]  # a refusal's 503 closes
        result["kept"] = len(kept)
        closed = statuses.get("closed", 0)
        result["second"] = len(exchange(kept, request, time.time() + args.phase, statuses, wave))
        result["second_closed"] = statuses.get("closed", 0) - closed
    result["statuses"] = statuses
    print(json.dumps(result), flush=True)
    for c in conns:
        c.sock.close()


if __name__ == "__main__":
    main()
