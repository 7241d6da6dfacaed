#!/usr/bin/python3
"""A recording HTTPS upstream for the proxy scenarios (stdlib only).

upstream.py --bind ADDR:PORT [...] --certs DIR --log FILE [--files DIR] [--git DIR]
            [--h2 both|only]

--h2 offers h2 in ALPN (before http/1.1, or alone): a connection that
chooses it is served by h2serve.py (its endpoints are listed there).

Serves TLS with a certificate chosen by SNI from DIR (NAME.crt/NAME.key,
falling back to default.crt/key). Every accepted connection and every
request is appended to FILE as one JSON line, so a scenario can assert what
reached the upstream and what did not. Endpoints:

  /echo      JSON: method, path, headers (in order), body length and sha256
  /big?n=N   N bytes of a fixed pattern (Content-Length)
  /chunked?n=N  the same, chunked
  /sse       five server-sent events, 200 ms apart, close-delimited
  /slow?s=S  10 parts of 1 KiB spread over S seconds (Content-Length 10240)
  /hang      accepts and never answers (until the client gives up)
  /ws        WebSocket echo (text and binary frames)
  /count     how many TCP connections this server has accepted
  /flaky     answers the first request of a connection; closes the
             connection, unanswered, on any later one (a keep-alive race)
  /kind/K[/...]  a response of kind K, written byte for byte (KINDS below: the
             HTTP semantics matrix); to HEAD, the same head and no body
  /empty     200 with Content-Length: 0
  /redirect?n=N&code=C  C (default 302) with Content-Length: 0 to
             /redirect?n=N-1, and at n=0 to /echo
  /files/P   the file P under --files (a PEP 503 index, an npm registry);
             a directory gives its index.html; JSON for names without a dot
  /git/...   git http-backend (smart HTTP, push enabled) over the bare
             repositories in --git; only with "Authorization: Basic
             Z2l0OnMzY3JldA==" (git:s3cret), else 401
  /reflect?mode=M&at=K  the request's header lines and body sent back as
             text ("Name: value" lines, a blank line, the body), the way an
             echo API or a debug page quotes what it got: M length (one
             write), chunked (chunks of 5 bytes), sse (one event per line,
             each its own chunk), split (Content-Length, the first K bytes
             in one TLS record, the rest in another), gzip (compressed)
  *.amazonaws.com (with --aws)  S3 and Bedrock checking SigV4 (awsup.py)
  auth.test, *api.test (with --oauth CONTROL)  an OAuth2 token endpoint
             and the API it guards (tokenup.py)
  /sink?find=X  reads the body as it streams (never held), records its
             length, sha256 and how often X occurs in it

Every request's record holds the first 64 KiB of its body ("body", as
latin-1 text), so a scenario can check what a substitution made of it.
"""
import argparse
import base64
import gzip
import hashlib
import json
import mimetypes
import os
import socket
import subprocess
import socketserver
import ssl
import threading
import time
import urllib.parse
import h2serve
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
ACCEPTS = 0
LOG = None
FILES = None
GIT = None
AWS = None  # (access key id, secret, token): --aws, served by awsup.py
OAUTH = None  # the control file: --oauth, served by tokenup.py
GIT_AUTH = "Basic " + base64.b64encode(b"git:s3cret").decode()

# The response kinds of the HTTP semantics matrix (tests/e2e/tools/semantics.py
# has the client's side: what each must look like once relayed). Each is
# (head, body); a close-delimited one ends with the connection.
KINDS = {
    "1xx": (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", b"hello"),
    "204": (b"HTTP/1.1 204 No Content\r\nX-Kind: 204\r\n\r\n", b""),
    "304": (b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 123\r\n\r\n", b""),
    "cl0": (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", b""),
    "cln": (b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", b"hello world"),
    "chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
    "chunked0": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"0\r\n\r\n"),
    "close": (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b"hello world"),
    "trailers": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n",
                 b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n"),
    "404cl0": (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", b""),
    # not in the matrix: an answer cut short (the connection closes 10 bytes
    # into 100), and a complete answer with bytes after it, in one write
    "cut": (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"0123456789"),
    "extra": (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
              b"okHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\npoison"),
}


def record(obj):
    with LOCK:
        LOG.write(json.dumps(obj) + "\n")
        LOG.flush()


def pattern(n):
    block = bytes(range(256)) * 64
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])


class Tee:
    """The request stream, keeping a copy of every byte the handler reads:
    the request exactly as it arrived (head and body), for the log."""

    def __init__(self, stream):
        self.stream = stream
        self.seen = bytearray()

    def readline(self, *args):
        line = self.stream.readline(*args)
        self.seen += line
        return line

    def read(self, *args):
        data = self.stream.read(*args)
        self.seen += data
        return data

    def take(self):
        data, self.seen = bytes(self.seen), bytearray()
        return data

    def __getattr__(self, name):
        return getattr(self.stream, name)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.rfile = Tee(self.rfile)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, code, body, ctype="application/json", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        self.count = getattr(self, "count", 0) + 1
        if self.path.startswith("/flaky") and self.count > 1:
            record({"event": "flaky_drop", "path": self.path})
            self.close_connection = True
            self.connection.close()
            return
        route = self.path.split("?")[0]
        query = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&") if "=" in p)
        if route == "/sink":
            self.sink(urllib.parse.unquote(query.get("find", "")).encode())
            return
        body = self.read_body()
        sni = getattr(self.connection, "bb_sni", None)
        raw = self.rfile.take()
        record({"event": "request", "method": self.command, "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()], "sni": sni,
                "body_len": len(body), "body": body[:65536].decode("latin-1"),
                "peer": self.client_address[0],
                "peer_port": self.client_address[1],
                "local": self.connection.getsockname()[0],
                "raw": raw[:4096].decode("latin-1")})
        host = self.headers.get("Host", "").split(":")[0]
        if AWS and host.endswith(".amazonaws.com"):
            import awsup
            awsup.handle(self, AWS, body, record)
        elif OAUTH and (host == "auth.test" or host.endswith("api.test") and host != "api.test"):
            import tokenup
            tokenup.handle(self, OAUTH, body, record)
        elif route == "/reflect":
            self.reflect(body, query.get("mode", "length"), int(query.get("at", "0")))
        elif route.startswith("/kind/"):
            self.kind(route[6:].split("/")[0])
        elif route == "/empty":
            self.send(200, b"", "text/plain")
        elif route == "/redirect":
            n = int(query.get("n", "0"))
            to = f"/redirect?n={n - 1}" if n > 0 else "/echo"
            self.send(int(query.get("code", "302")), b"", "text/plain", [("Location", to)])
        elif route.startswith("/files/") and FILES:
            self.file(route[7:])
        elif route.startswith("/git/") and GIT:
            self.git(body)
        elif route == "/big":
            self.send(200, pattern(int(query.get("n", "0"))), "application/octet-stream")
        elif route == "/chunked":
            self.chunked(pattern(int(query.get("n", "0"))))
        elif route == "/records":
            self.records(int(query.get("n", "0")))
        elif route == "/sse":
            self.sse()
        elif route == "/slow":
            self.slow(float(query.get("s", "5")))
        elif route == "/hang":
            time.sleep(10)
        elif route == "/ws":
            self.websocket()
        elif route == "/count":
            self.send(200, json.dumps({"accepts": ACCEPTS}).encode())
        else:
            self.send(200, json.dumps({
                "method": self.command, "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_len": len(body), "body_sha256": hashlib.sha256(body).hexdigest(),
                "sni": sni}).encode())

    def kind(self, name):
        head, body = KINDS[name]
        self.wfile.write(head + (b"" if self.command == "HEAD" else body))
        self.wfile.flush()
        if name in ("close", "cut"):
            self.close_connection = True

    def file(self, rel):
        path = os.path.realpath(os.path.join(FILES, rel))
        if not path.startswith(os.path.realpath(FILES) + os.sep):
            return self.send(404, b"")
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            return self.send(404, b"not found\n", "text/plain")
        ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if "." not in os.path.basename(path):
            ctype = "application/json"
        with open(path, "rb") as f:
            self.send(200, f.read(), ctype)

    def git(self, body):
        """git http-backend as a CGI: its head (Status, Content-Type...) and
        body become the response, sent with a Content-Length."""
        if self.headers.get("Authorization") != GIT_AUTH:
            return self.send(401, b"", "text/plain", [("WWW-Authenticate", 'Basic realm="git"')])
        path, _, qs = self.path[4:].partition("?")
        env = {"GIT_PROJECT_ROOT": GIT, "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path,
               "QUERY_STRING": qs, "REQUEST_METHOD": self.command, "REMOTE_USER": "git",
               "REMOTE_ADDR": self.client_address[0],
               "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                             timeout=60).stdout
        head, _, data = out.partition(b"\r\n\r\n")
        status, extra = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k:
                extra.append((k, v.strip()))
        ctype = next((v for k, v in extra if k.lower() == "content-type"), "text/plain")
        self.send(status, data, ctype, [(k, v) for k, v in extra if k.lower() != "content-type"])

    def records(self, n):
        """n pieces of 100 bytes, each in its own TLS record: a reader with
        read-ahead takes many of them off the socket at once."""
        data = pattern(100 * n)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for i in range(n):
            self.wfile.write(data[i * 100:(i + 1) * 100])

    def chunked(self, data):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(data), 65536):
            part = data[i:i + 65536]
            self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def reflect(self, body, mode, at):
        """Also says the Authorization it got in a header of its own, as
        debug headers do."""
        text = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode() + b"\n" + body
        seen = self.headers.get("Authorization")
        if mode in ("length", "split", "gzip"):
            if mode == "gzip":
                text = gzip.compress(text)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            if mode == "gzip":
                self.send_header("Content-Encoding", "gzip")
            if seen:
                self.send_header("X-Seen-Authorization", seen)
            self.end_headers()
            self.wfile.flush()
            cut = at if mode == "split" else len(text)
            self.wfile.write(text[:cut])
            self.wfile.flush()  # one TLS record, then the rest in another
            self.wfile.write(text[cut:])
            return
        sse = mode == "sse"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if sse else "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        if seen:
            self.send_header("X-Seen-Authorization", seen)
        self.end_headers()
        parts = ([b"data: " + line + b"\n\n" for line in text.split(b"\n")] if sse
                 else [text[i:i + 5] for i in range(0, len(text), 5)])
        for part in parts:
            self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def sink(self, find):
        """The body as it streams (not through the Tee, which keeps what
        it reads): length, sha256, occurrences of find across reads."""
        self.rfile.take()  # the head: not kept for the next request's record
        raw = self.rfile.stream
        digest, total, found, tail = hashlib.sha256(), 0, 0, b""

        def take(data):
            nonlocal total, found, tail
            digest.update(data)
            total += len(data)
            if find:
                window = tail + data
                found += window.count(find)
                tail = window[-(len(find) - 1):] if len(find) > 1 else b""

        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(raw.readline().split(b";")[0], 16)
                if size == 0:
                    while raw.readline() not in (b"\r\n", b""):
                        pass
                    break
                while size > 0:
                    data = raw.read(min(size, 1 << 20))
                    take(data)
                    size -= len(data)
                raw.readline()
        else:
            left = int(self.headers.get("Content-Length", "0") or 0)
            while left > 0:
                data = raw.read(min(left, 1 << 20))
                take(data)
                left -= len(data)
        record({"event": "sink", "path": self.path, "body_len": total,
                "sha256": digest.hexdigest(), "found": found,
                "headers": [[k, v] for k, v in self.headers.items()]})
        self.send(200, json.dumps({"body_len": total, "found": found}).encode())

    def slow(self, seconds):
        data = pattern(10240)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for i in range(10):
            self.wfile.write(data[i * 1024:(i + 1) * 1024])
            self.wfile.flush()
            time.sleep(seconds / 10)

    def sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for i in range(5):
            self.wfile.write(f"data: event {i} at {time.time():.3f}\n\n".encode())
            self.wfile.flush()
            time.sleep(0.2)
        self.close_connection = True

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        while True:
            hdr = self.rfile.read(2)
            if len(hdr) < 2:
                return
            op, n = hdr[0] & 15, hdr[1] & 127
            if n == 126:
                n = int.from_bytes(self.rfile.read(2), "big")
            elif n == 127:
                n = int.from_bytes(self.rfile.read(8), "big")
            mask = self.rfile.read(4) if hdr[1] & 128 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(n)))
            if op == 8:
                return
            head = bytes([0x80 | op])
            head += bytes([len(data)]) if len(data) < 126 else bytes([126]) + len(data).to_bytes(2, "big")
            self.wfile.write(head + data)
            self.wfile.flush()
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # the listen backlog (socketserver's default is 5)

    def __init__(self, addr, family, ctx):
        self.address_family = family
        self.ctx = ctx
        super().__init__(addr, Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # Not HTTPServer.server_bind: its getfqdn() would send a reverse
        # lookup to the machine's resolver, outside the test's namespaces.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        global ACCEPTS
        sock, addr = self.socket.accept()
        with LOCK:
            ACCEPTS += 1
        record({"event": "accept", "peer": addr[0], "local": sock.getsockname()[0],
                "port": sock.getsockname()[1]})
        return sock, addr

    def finish_request(self, sock, addr):
        # The handshake runs here, on the connection's own thread: in
        # get_request it would hold up every other connection's accept.
        tls = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        tls.bb_sni = None
        try:
            tls.settimeout(5)
            tls.do_handshake()
            tls.settimeout(None)
        except (ssl.SSLError, OSError) as e:
            record({"event": "handshake_failed", "error": str(e)})
            tls.close()
            return
        if tls.selected_alpn_protocol() == "h2":
            h2serve.serve(tls, record, pattern)
            return
        super().finish_request(tls, addr)


def on_sni(ssl_sock, name, ctx):
    """The certificate for the name the client asked for (set once on every
    context: connections are handshaking on several threads at a time)."""
    ssl_sock.bb_sni = name
    ssl_sock.context = contexts.get(name, contexts["default"])


contexts = {}


ALPN = None  # --h2: the protocols offered


def server_context(crt, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    if ALPN:
        ctx.set_alpn_protocols(ALPN)
    return ctx


def load_contexts(certs):
    for f in os.listdir(certs):
        if f.endswith(".crt"):
            name = f[:-4]
            contexts[name] = server_context(os.path.join(certs, f),
                                            os.path.join(certs, name + ".key"))


def main():
    global LOG
    p = argparse.ArgumentParser()
    p.add_argument("--bind", action="append", required=True)
    p.add_argument("--certs", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--files")
    p.add_argument("--git")
    p.add_argument("--h2", choices=["both", "only"])
    p.add_argument("--aws", help="KEYID:SECRET[:TOKEN]: *.amazonaws.com checks SigV4 (awsup.py)")
    p.add_argument("--oauth", help="CONTROL: auth.test and *api.test (tokenup.py)")
    args = p.parse_args()
    global AWS, OAUTH
    OAUTH = args.oauth
    if args.aws:
        k = args.aws.split(":")
        AWS = (k[0], k[1], k[2] if len(k) > 2 else None)
    global FILES, GIT, ALPN
    ALPN = {"both": ["h2", "http/1.1"], "only": ["h2"]}.get(args.h2)
    FILES, GIT = args.files, args.git
    LOG = open(args.log, "a")
    load_contexts(args.certs)
    for b in args.bind:
        host, _, port = b.rpartition(":")
        host = host.strip("[]")
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        base = server_context(os.path.join(args.certs, "default.crt"),
                              os.path.join(args.certs, "default.key"))
        base.sni_callback = on_sni
        srv = Server((host, int(port)), fam, base)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
