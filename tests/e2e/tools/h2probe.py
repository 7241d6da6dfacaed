#!/usr/bin/python3
"""HTTP/2 frames as an attacker or an odd client sends them (python3-h2,
hyperframe and hpack from Debian), over TLS with ALPN h2.

h2probe.py HOST CAFILE CASE [ARGS]

  malformed      one stream per request of the smuggling corpus
                 (tests/e2e/smuggling/h2/*.json: header lists), then a good
                 GET on the same connection; prints one JSON object:
                 name -> "reset:CODE" or "status:NNN", and "after"
  refused N      N streams opened and left open (a POST whose body never
                 comes): prints how many were refused (REFUSED_STREAM)
  rapid_reset N  N streams opened and reset at once: prints "goaway:CODE"
                 or "open" when the connection survived
  ping_flood N   N PINGs, then reads: "goaway:CODE" or "open"
  settings_flood N  the same with empty SETTINGS
  continuation N HEADERS without END_HEADERS and N CONTINUATION frames
                 carrying nothing: "goaway:CODE", "closed" or "open"
  stall PATH MARKER  GET PATH, reads nothing beyond the first window for
                 3 s (MARKER written "stalled" after 1 s), then all: "LEN SHA256"
"""
import hashlib
import json
import os
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack
import hyperframe.frame as hf


def connect(host, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection((host, 443), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=host)
    assert s.selected_alpn_protocol() == "h2", s.selected_alpn_protocol()
    return s


def h2conn(sock):
    cfg = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False,
                                    normalize_outbound_headers=False,
                                    validate_inbound_headers=False, header_encoding=None)
    c = h2.connection.H2Connection(config=cfg)
    c.initiate_connection()
    sock.sendall(c.data_to_send())
    return c


def recv(sock, end):
    """Bytes read before time end: None for the time up, b"" for a close."""
    sock.settimeout(max(0.05, end - time.time()))
    try:
        return sock.recv(65536)
    except socket.timeout:
        return None
    except (ConnectionError, ssl.SSLError):
        return b""


def pump(sock, c, until, timeout=5):
    """Reads events until until(events) is true or the time is up."""
    seen = []
    end = time.time() + timeout
    while not until(seen) and time.time() < end:
        data = recv(sock, end)
        if data is None:
            break
        if not data:
            seen.append("closed")
            break
        try:
            seen += c.receive_data(data)
        except Exception as e:  # a frame h2 itself refuses: report it
            seen.append("h2-error:" + type(e).__name__)
            break
        out = c.data_to_send()
        if out:
            try:
                sock.sendall(out)
            except (ConnectionError, ssl.SSLError):
                seen.append("closed")
                break
    return seen


def outcome(events, sid):
    for e in events:
        if isinstance(e, h2.events.StreamReset) and e.stream_id == sid:
            return "reset:%d" % e.error_code
        if isinstance(e, h2.events.ResponseReceived) and e.stream_id == sid:
            return "status:" + dict(e.headers)[b":status"].decode()
        if isinstance(e, h2.events.ConnectionTerminated):
            return "goaway:%d" % e.error_code
        if e == "closed":
            return "closed"
    return "none"


def done_with(sid):
    def until(evs):
        return outcome(evs, sid) != "none"
    return until


def request(sock, c, headers, body=None):
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, [(k.encode(), v.encode()) for k, v in headers], end_stream=body is None)
    if body is not None:
        c.send_data(sid, body.encode(), end_stream=True)
    sock.sendall(c.data_to_send())
    return outcome(pump(sock, c, done_with(sid)), sid)


def get(host, path):
    return [(":method", "GET"), (":scheme", "https"), (":authority", host), (":path", path)]


def malformed(host, cafile, corpus):
    sock = connect(host, cafile)
    c = h2conn(sock)
    res = {}
    for name in sorted(os.listdir(corpus)):
        case = json.load(open(os.path.join(corpus, name)))
        hdrs = [(k, v.replace("{host}", host)) for k, v in case["headers"]]
        res[name[:-5]] = request(sock, c, hdrs, case.get("body"))
    res["after"] = request(sock, c, get(host, "/echo?h2-after-malformed"))
    print(json.dumps(res, sort_keys=True))


def raw_frames(sock, timeout):
    """(type, flags, stream, payload) of every frame read within timeout."""
    buf, out, end = b"", [], time.time() + timeout
    while time.time() < end:
        data = recv(sock, end)
        if not data:
            break
        buf += data
        while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            n = int.from_bytes(buf[:3], "big")
            sid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            out.append((buf[3], buf[4], sid, buf[9:9 + n]))
            buf = buf[9 + n:]
    return out


def refused(host, cafile, n):
    """Raw frames: h2 itself would not open more than the server allows."""
    sock = connect(host, cafile)
    enc = hpack.Encoder()
    hdrs = get(host, "/echo?h2-open")
    hdrs[0] = (":method", "POST")
    frames = [hf.SettingsFrame(0)] + [hf.HeadersFrame(2 * i + 1, data=enc.encode(hdrs),
                                                      flags=["END_HEADERS"]) for i in range(n)]
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"".join(f.serialize() for f in frames))
    got = raw_frames(sock, 2)
    print(sum(1 for t, _, _, p in got if t == 3 and int.from_bytes(p[:4], "big") == 7))


def goaway(evs):
    for e in evs:
        if isinstance(e, h2.events.ConnectionTerminated):
            return "goaway:%d" % e.error_code
    return "closed" if "closed" in evs else "open"


def ended(evs):
    return goaway(evs) != "open"


def send_raw(sock, frames):
    try:
        sock.sendall(b"".join(f.serialize() for f in frames))
    except (ConnectionError, ssl.SSLError):
        pass


def rapid_reset(host, cafile, n):
    sock = connect(host, cafile)
    c = h2conn(sock)
    hdrs = [(k.encode(), v.encode()) for k, v in get(host, "/echo?h2-reset")]
    evs = []
    for _ in range(n):
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, hdrs, end_stream=True)
        c.reset_stream(sid, error_code=8)  # CANCEL
        try:
            sock.sendall(c.data_to_send())
        except (ConnectionError, ssl.SSLError):
            evs.append("closed")
            break
    evs += pump(sock, c, ended, timeout=3)
    print(goaway(evs))


def flood(host, cafile, n, frame):
    sock = connect(host, cafile)
    c = h2conn(sock)
    send_raw(sock, [frame() for _ in range(n)])
    print(goaway(pump(sock, c, ended, timeout=3)))


def continuation(host, cafile, n):
    sock = connect(host, cafile)
    c = h2conn(sock)
    block = hpack.Encoder().encode(get(host, "/echo?h2-continuation"))
    first = hf.HeadersFrame(1, data=block, flags=["END_STREAM"])  # no END_HEADERS
    rest = [hf.ContinuationFrame(1, data=b"") for _ in range(n)]
    send_raw(sock, [first] + rest)
    print(goaway(pump(sock, c, ended, timeout=3)))


def stall(host, cafile, path, marker):
    sock = connect(host, cafile)
    c = h2conn(sock)
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, [(k.encode(), v.encode()) for k, v in get(host, path)], end_stream=True)
    sock.sendall(c.data_to_send())
    h, size, held = hashlib.sha256(), 0, []

    def take(evs, ack):
        nonlocal size
        fin = False
        for e in evs:
            if isinstance(e, h2.events.DataReceived):
                h.update(e.data)
                size += len(e.data)
                if ack:
                    c.acknowledge_received_data(e.flow_controlled_length, sid)
                else:
                    held.append(e.flow_controlled_length)
            fin = fin or isinstance(e, h2.events.StreamEnded)
        return fin

    # the first window only; then a stall shorter than timeouts.idle (5 s
    # in the proxy world), which would end the request
    take(pump(sock, c, lambda evs: False, timeout=1), False)
    open(marker, "w").write("stalled\n")
    time.sleep(2)
    for n in held:
        c.acknowledge_received_data(n, sid)
    sock.sendall(c.data_to_send())
    fin = False
    while not fin:
        evs = pump(sock, c, lambda evs: any(isinstance(e, h2.events.DataReceived) for e in evs))
        if not evs or "closed" in evs:
            break
        fin = take(evs, True)
        sock.sendall(c.data_to_send())
    print(size, h.hexdigest())


def early(host, cafile, path, size):
    """A POST whose body is sent only after its answer came whole (a
    refusal): prints the status, then what became of the stream once the
    body of size bytes went: "ended" (botbox read and dropped it) or
    "reset:CODE" (told to stop)."""
    sock = connect(host, cafile)
    c = h2conn(sock)
    sid = c.get_next_available_stream_id()
    head = [(":method", "POST"), (":scheme", "https"), (":authority", host), (":path", path)]
    c.send_headers(sid, [(k.encode(), v.encode()) for k, v in head], end_stream=False)
    sock.sendall(c.data_to_send())
    evs = pump(sock, c, lambda evs: any(isinstance(e, h2.events.StreamEnded) for e in evs))
    status = outcome(evs, sid)
    body, sent = b"x" * size, 0
    reset = None
    while sent < size and reset is None:
        n = min(16384, size - sent, c.local_flow_control_window(sid))
        if n == 0:
            evs = pump(sock, c, lambda evs: any(isinstance(e, (h2.events.WindowUpdated,
                                                               h2.events.StreamReset)) for e in evs))
        else:
            c.send_data(sid, body[sent:sent + n], end_stream=sent + n == size)
            sock.sendall(c.data_to_send())
            sent += n
            evs = pump(sock, c, lambda evs: False, timeout=0.01)
        reset = next((e for e in evs if isinstance(e, h2.events.StreamReset)), None)
        if not evs and n == 0:
            break
    if reset is None:
        evs = pump(sock, c, lambda evs: any(isinstance(e, h2.events.StreamReset) for e in evs), 1)
        reset = next((e for e in evs if isinstance(e, h2.events.StreamReset)), None)
    print(status, "reset:%d" % reset.error_code if reset else "ended", sent)


def never(host, cafile, path, wait):
    """A client that takes the answer's head and first window and never
    opens it again: prints how the stream ended (botbox's timeouts.idle
    ends it) and after how many seconds."""
    sock = connect(host, cafile)
    c = h2conn(sock)
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, [(k.encode(), v.encode()) for k, v in get(host, path)], end_stream=True)
    sock.sendall(c.data_to_send())
    t0 = time.time()

    def ended_or_reset(evs):
        return any(isinstance(e, (h2.events.StreamReset, h2.events.StreamEnded,
                                  h2.events.ConnectionTerminated)) or e == "closed" for e in evs)
    evs = pump(sock, c, ended_or_reset, timeout=wait)
    end = "none"
    for e in evs:
        if isinstance(e, h2.events.StreamReset) and e.stream_id == sid:
            end = "reset:%d" % e.error_code
        elif isinstance(e, h2.events.StreamEnded):
            end = "ended"
        elif isinstance(e, h2.events.ConnectionTerminated):
            end = "goaway:%d" % e.error_code
        elif e == "closed" and end == "none":
            end = "closed"
    print(end, round(time.time() - t0))


def main():
    host, cafile, case, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    if case == "malformed":
        malformed(host, cafile, args[0])
    elif case == "refused":
        refused(host, cafile, int(args[0]))
    elif case == "rapid_reset":
        rapid_reset(host, cafile, int(args[0]))
    elif case == "ping_flood":
        flood(host, cafile, int(args[0]), lambda: hf.PingFrame(0, opaque_data=b"12345678"))
    elif case == "settings_flood":
        flood(host, cafile, int(args[0]), lambda: hf.SettingsFrame(0))
    elif case == "continuation":
        continuation(host, cafile, int(args[0]))
    elif case == "stall":
        stall(host, cafile, args[0], args[1])
    elif case == "early":
        early(host, cafile, args[0], int(args[1]))
    elif case == "never":
        never(host, cafile, args[0], float(args[1]))
    else:
        sys.exit("unknown case " + case)


if __name__ == "__main__":
    main()
