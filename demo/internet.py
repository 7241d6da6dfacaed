#!/usr/bin/python3
"""The demo's small internet (stdlib only): HTTPS servers for the demo
hosts, one certificate per name (chosen by SNI), and a UDP listener.

internet.py --bind ADDR --certs DIR --log FILE

Every HTTPS request is answered with a short JSON account of what the server
received (host, method, path, and the Authorization header if any), so the
demo can show what botbox injected. Every request and datagram is logged to
FILE, one JSON line each. Prints "ready" once listening.
"""
import argparse
import json
import socket
import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        seen = {
            "server": self.server.sni_seen.get(self.connection, "?"),
            "method": self.command,
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
        }
        self.server.log(dict(event="request", **seen))
        body = (json.dumps(seen) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, ctx, log):
        self.sni_seen = {}
        self.log = log
        super().__init__(addr, Handler)
        self.ctx = ctx

    def server_bind(self):
        # Not HTTPServer.server_bind: its getfqdn() would send a reverse
        # lookup to whatever resolver this namespace has.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, peer = self.socket.accept()
        tls = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return tls, peer

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
            self.sni_seen[request] = getattr(request, "sni", "?")
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True)
    ap.add_argument("--certs", required=True)
    ap.add_argument("--names", required=True, help="comma-separated host names")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    lock = threading.Lock()
    out = open(a.log, "a", buffering=1)

    def log(obj):
        with lock:
            out.write(json.dumps(obj) + "\n")

    contexts = {}
    for name in a.names.split(","):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        c.load_cert_chain(f"{a.certs}/{name}.crt", f"{a.certs}/{name}.key")
        contexts[name] = c
    ctx = next(iter(contexts.values()))

    def on_sni(sock, name, _ctx):
        if name in contexts:
            sock.context = contexts[name]
        sock.sni = name

    ctx.sni_callback = on_sni
    srv = TLSServer((a.bind, 443), ctx, log)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((a.bind, 9999))
    print("ready", flush=True)
    while True:
        data, peer = udp.recvfrom(2048)
        log({"event": "datagram", "peer": f"{peer[0]}:{peer[1]}", "bytes": len(data)})
        udp.sendto(b"pong", peer)


if __name__ == "__main__":
    main()
