#!/usr/bin/python3
"""A gRPC server and client for the HTTP/2 scenarios (Debian's python3-grpcio,
generic handlers: messages are raw bytes, no protoc).

grpcpeer.py serve --bind ADDR:PORT --cert CRT --key KEY --log FILE
    service bb.Echo: Unary (answers "echo:" + the request), Server (N
    messages "part-i" for a request "N"), Client (the messages joined by
    "+"), Bidi (each message back as "re:" + it, as it comes), Fail (status
    NOT_FOUND "no such thing"). Every call is one JSON line in FILE: the
    method and the metadata it came with.

grpcpeer.py call --target HOST:PORT --ca CA KIND [ARG...]
    KIND unary|server|client|bidi|fail; prints one JSON line: the status
    code's name, its details, the messages received.
"""
import argparse
import json
import sys
import threading
import time

import grpc

LOCK = threading.Lock()


def serve(args):
    log = open(args.log, "a")

    def record(ctx, method):
        with LOCK:
            log.write(json.dumps({"event": "grpc", "method": method,
                                  "metadata": [[k, v] for k, v in ctx.invocation_metadata()]})
                      + "\n")
            log.flush()

    def unary(req, ctx):
        record(ctx, "Unary")
        return b"echo:" + req

    def server(req, ctx):
        record(ctx, "Server")
        for i in range(int(req)):
            yield b"part-%d" % i
            time.sleep(0.05)  # one at a time: they must arrive as they come

    def client(reqs, ctx):
        record(ctx, "Client")
        return b"+".join(reqs)

    def bidi(reqs, ctx):
        record(ctx, "Bidi")
        for r in reqs:
            yield b"re:" + r

    def fail(req, ctx):
        record(ctx, "Fail")
        ctx.abort(grpc.StatusCode.NOT_FOUND, "no such thing")

    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "Server": grpc.unary_stream_rpc_method_handler(server),
        "Client": grpc.stream_unary_rpc_method_handler(client),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
    }
    from concurrent import futures
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    srv.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("bb.Echo", handlers)])
    creds = grpc.ssl_server_credentials([(open(args.key, "rb").read(),
                                          open(args.cert, "rb").read())])
    srv.add_secure_port(args.bind, creds)
    srv.start()
    print("ready", flush=True)
    srv.wait_for_termination()


def call(args):
    creds = grpc.ssl_channel_credentials(root_certificates=open(args.ca, "rb").read())
    ch = grpc.secure_channel(args.target, creds)
    path = "/bb.Echo/" + {"unary": "Unary", "server": "Server", "client": "Client",
                          "bidi": "Bidi", "fail": "Fail", "denied": "Denied"}[args.kind]
    out = {"code": "OK", "details": "", "messages": []}
    try:
        if args.kind in ("unary", "fail", "denied"):
            out["messages"] = [ch.unary_unary(path)(b"hi", timeout=10).decode()]
        elif args.kind == "server":
            for m in ch.unary_stream(path)(b"5", timeout=10):
                out["messages"].append([m.decode(), round(time.monotonic(), 3)])
        elif args.kind == "client":
            out["messages"] = [ch.stream_unary(path)(iter([b"a", b"b", b"c"]), timeout=10).decode()]
        else:  # bidi: the next message goes only once the answer to the last came
            q, got = [], []
            cond = threading.Condition()

            def requests():
                for m in (b"x", b"y", b"z"):
                    yield m
                    with cond:
                        if not cond.wait_for(lambda: len(got) > len(q), timeout=5):
                            out["stalled"] = True  # the answer waited for the stream's end
                        q.append(m)

            for m in ch.stream_stream(path)(requests(), timeout=10):
                with cond:
                    got.append(m.decode())
                    cond.notify_all()
            out["messages"] = got
    except grpc.RpcError as e:
        out["code"], out["details"] = e.code().name, e.details()
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--bind", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--log", required=True)
    c = sub.add_parser("call")
    c.add_argument("--target", required=True)
    c.add_argument("--ca", required=True)
    c.add_argument("kind")
    args = p.parse_args()
    serve(args) if args.cmd == "serve" else call(args)


if __name__ == "__main__":
    sys.exit(main())
