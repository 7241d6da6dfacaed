#!/usr/bin/python3
"""The HTTP semantics matrix, the client's side (scenario 38).

semantics.py --host NAME --addr IP --port N [--tls CA] [--case-prefix P]
             [--methods M,M] [--framings F,F] [--kinds K,K]   (a part of it)

Every method x request framing x response kind (upstream.py's KINDS), each
on one keep-alive connection through botbox: the request, then a GET /echo
on the same connection, which must be answered too. The reader follows
RFC 9112 §6.3 on its own (no client library, which would paper over a
wrong frame): 1xx skipped, no body for HEAD, 204 and 304, Content-Length,
chunked with trailers, or until close. Each case is one line of JSON on
stdout, its verdict in "ok"; the paths carry the case's name
(/kind/K/CASE, then /echo/after/CASE), so the scenario can find both at
the upstream and in the audit log (which logs paths without queries).
"""
import argparse
import json
import socket
import ssl
import sys
import time

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
BODY = b"0123456789abcdef" * 4  # 64 bytes
FRAMINGS = {
    "none": ([], b""),
    "cl0": ([("Content-Length", "0")], b""),
    "cln": ([("Content-Length", str(len(BODY)))], BODY),
    "chunked": ([("Transfer-Encoding", "chunked")], b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY)),
    "chunked0": ([("Transfer-Encoding", "chunked")], b"0\r\n\r\n"),
}
SENT = {"none": 0, "cl0": 0, "cln": len(BODY), "chunked": len(BODY), "chunked0": 0}
# What the client must get: status and body (HEAD's: no body, whatever kind).
KINDS = {
    "1xx": (200, b"hello"), "204": (204, b""), "304": (304, b""), "cl0": (200, b""),
    "cln": (200, b"hello world"), "chunked": (200, b"hello world"), "chunked0": (200, b""),
    "close": (200, b"hello world"), "trailers": (200, b"hello world"), "404cl0": (404, b""),
}
TIMEOUT = 3.0


class Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def until_close(self):
        try:
            while True:
                self.fill()
        except EOFError:
            data, self.buf = self.buf, b""
            return data

    def head(self):
        status = int(self.line().split()[1])
        headers = []
        while True:
            line = self.line()
            if not line:
                return status, headers
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k.strip().lower(), v.strip()))

    def response(self, method):
        """(status, headers, body, closed): the final response, 1xx skipped."""
        while True:
            status, headers = self.head()
            if status >= 200 or status == 101:
                break
        h = dict(headers)
        if method == "HEAD" or status in (204, 304) or status < 200:
            return status, h, b"", False
        if h.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line():
                        pass  # trailers
                    return status, h, body, False
                body += self.take(size)
                self.take(2)
        if "content-length" in h:
            return status, h, self.take(int(h["content-length"])), False
        return status, h, self.until_close(), True


def request(sock, method, path, host, framing):
    extra, body = FRAMINGS[framing]
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "User-Agent: semantics.py"]
    lines += [f"{k}: {v}" for k, v in extra]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def connect(args):
    s = socket.create_connection((args.addr, args.port), timeout=TIMEOUT)
    if args.tls:
        ctx = ssl.create_default_context(cafile=args.tls)
        s = ctx.wrap_socket(s, server_hostname=args.host)
    return s


def one(args, method, framing, kind):
    case = f"{args.case_prefix}{method}-{framing}-{kind}"
    out = {"case": case, "method": method, "framing": framing, "kind": kind, "sent": SENT[framing]}
    t0 = time.monotonic()
    try:
        s = connect(args)
        r = Reader(s)
        request(s, method, f"/kind/{kind}/{case}", args.host, framing)
        status, h, body, closed = r.response(method)
        want_status, want_body = KINDS[kind]
        want_body = b"" if method == "HEAD" else want_body
        out.update(status=status, body=body.decode("latin-1"), closed=closed)
        problems = []
        if status != want_status or body != want_body:
            problems.append(f"got {status} {body!r}, want {want_status} {want_body!r}")
        if closed:
            problems.append("the answer was delimited by closing the connection")
        if h.get("connection", "").lower() == "close":
            problems.append("the answer said Connection: close")
        # the same connection serves the next request
        request(s, "GET", f"/echo/after/{case}", args.host, "none")
        status2, _, body2, _ = r.response("GET")
        if status2 != 200 or b'"method": "GET"' not in body2:
            problems.append(f"the next request on the connection got {status2} {body2[:80]!r}")
        s.close()
    except (OSError, EOFError, ValueError, IndexError) as e:
        problems = [f"{type(e).__name__}: {e}"]
    out["ms"] = round((time.monotonic() - t0) * 1000, 1)
    out["ok"] = not problems
    out["problems"] = problems
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls")
    p.add_argument("--case-prefix", default="")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--framings", default=",".join(FRAMINGS))
    p.add_argument("--kinds", default=",".join(KINDS))
    args = p.parse_args()
    bad = 0
    for method in args.methods.split(","):
        for framing in args.framings.split(","):
            for kind in args.kinds.split(","):
                res = one(args, method, framing, kind)
                bad += not res["ok"]
                print(json.dumps(res), flush=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
