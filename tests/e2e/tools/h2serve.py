"""HTTP/2 for the recording upstream (upstream.py --h2 both|only), on
python3-h2: a connection whose ALPN chose h2 is served here, its streams
answered one after the other as they end. Every request is logged as
upstream.py logs its own ("event": "request", with "proto": "h2" and
"conn", the connection's number, so a scenario can count the connections
its streams came on). Endpoints: /echo (JSON: method, path, headers, body
length and sha256), /big?n=N (N pattern bytes, sent as the window
allows), /trailers (a body, then trailers grpc-status: 0 and x-t: 1),
anything else as /echo.
"""
import hashlib
import itertools
import json

import h2.config
import h2.connection
import h2.events

CONNS = itertools.count(1)


def serve(sock, record, pattern):
    conn_id = next(CONNS)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False,
                                                                header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    streams = {}  # id -> [headers, body]
    pending = []

    def pump():
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                streams[ev.stream_id] = [ev.headers, bytearray()]
            elif isinstance(ev, h2.events.DataReceived):
                streams[ev.stream_id][1] += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                pending.append(ev.stream_id)
            elif isinstance(ev, h2.events.ConnectionTerminated):
                raise ConnectionError("goaway")
        sock.sendall(conn.data_to_send())

    def send_body(sid, body, end):
        while body:
            window = conn.local_flow_control_window(sid)
            if window == 0:
                pump()
                continue
            n = min(window, conn.max_outbound_frame_size, len(body))
            conn.send_data(sid, body[:n])
            body = body[n:]
            sock.sendall(conn.data_to_send())
        if end:
            conn.end_stream(sid)
            sock.sendall(conn.data_to_send())

    def answer(sid):
        headers, body = streams.pop(sid)
        h = dict(headers)
        path = h.get(":path", "")
        record({"event": "request", "proto": "h2", "conn": conn_id, "method": h.get(":method"),
                "path": path, "headers": [[k, v] for k, v in headers],
                "body_len": len(body)})
        route = path.split("?")[0]
        query = dict(p.split("=", 1) for p in path.partition("?")[2].split("&") if "=" in p)
        if route == "/big":
            data = pattern(int(query.get("n", "0")))
            conn.send_headers(sid, [(":status", "200"), ("content-length", str(len(data)))])
            send_body(sid, data, True)
        elif route == "/trailers":
            conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
            send_body(sid, b"part-one.part-two", False)
            conn.send_headers(sid, [("grpc-status", "0"), ("x-t", "1")], end_stream=True)
            sock.sendall(conn.data_to_send())
        else:
            out = json.dumps({"method": h.get(":method"), "path": path, "proto": "h2",
                              "conn": conn_id, "headers": [[k, v] for k, v in headers],
                              "body_len": len(body),
                              "body_sha256": hashlib.sha256(bytes(body)).hexdigest()}).encode()
            conn.send_headers(sid, [(":status", "200"), ("content-type", "application/json"),
                                    ("content-length", str(len(out)))])
            send_body(sid, out, True)

    try:
        while True:
            while pending:
                answer(pending.pop(0))
            pump()
    except (ConnectionError, OSError):
        pass
    finally:
        sock.close()
