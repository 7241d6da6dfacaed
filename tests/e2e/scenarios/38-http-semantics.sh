#!/usr/bin/env bash
# The HTTP semantics matrix: every method x request framing
# {none, CL: 0, CL: n, chunked, chunked empty} x response kind {1xx then
# final, 204, 304 with a Content-Length, CL: 0, CL: n, chunked, chunked
# empty, close-delimited, trailers, 404 with CL: 0} (HEAD's answers are the
# HEAD row), over plain http and through interception. Each case on its own
# keep-alive connection (tools/semantics.py): the client gets the right
# answer, framed without a close, and the next request on the connection
# is served; the upstream got the request with its body; one audit line
# per request; the upstream connections are reused (no connection left
# waiting on a body that never comes); every client connection is gone
# afterwards. Then the upgrade offers botbox ignores, and HTTP/2 prior
# knowledge on the plain listener. SEMANTICS_ARGS (e.g. "--kinds cl0,204")
# runs a part of the matrix, for debugging (its case count check then fails).
. "$(dirname "$0")/../lib.sh"

intercept_world

# matrix PREFIX PORT [--tls CA]: runs the matrix, its results in
# $E2E_TMP/PREFIX.jsonl; checks them against the client, upstream and audit.
matrix() {
    local prefix=$1 port=$2 before_acc
    shift 2
    before_acc=$(grep -c '"event": "accept"' "$E2E_TMP/upstream.log")
    as_uid 1000 app $PY "$E2E_DIR/tools/semantics.py" --host api.test --addr $UP4 --port "$port" \
        --case-prefix "$prefix-" "$@" ${SEMANTICS_ARGS:-} >"$E2E_TMP/$prefix.jsonl" 2>"$E2E_TMP/$prefix.err"
    wait_for 5 bash -c "test \$(grep -c '/after/$prefix-' $E2E_TMP/audit.jsonl) -ge \$(wc -l <$E2E_TMP/$prefix.jsonl)"
    if out=$($PY - "$E2E_TMP/$prefix.jsonl" "$E2E_TMP/upstream.log" "$E2E_TMP/audit.jsonl" \
        "$before_acc" <<'PY'
import json, sys
from collections import Counter
res = [json.loads(l) for l in open(sys.argv[1])]
ups = [json.loads(l) for l in open(sys.argv[2])]
audit = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
bad = [f"{r['case']}: {'; '.join(r['problems'])}" for r in res if not r["ok"]]
if len(res) != 7 * 5 * 10:
    bad.append(f"{len(res)} cases ran, want 350")
seen = {}
for u in ups:
    if u.get("event") == "request" and u["path"].startswith("/kind/"):
        seen.setdefault(u["path"].split("/")[3], []).append(u)
lines = Counter()
for a in audit:
    parts = (a.get("path") or "").split("/")
    if len(parts) == 4 and parts[1] == "kind":
        lines["case=" + parts[3]] += 1
    elif len(parts) == 4 and parts[2] == "after":
        lines["after=" + parts[3]] += 1
for r in res:
    c = r["case"]
    got = seen.get(c, [])
    if len(got) != 1:
        bad.append(f"{c}: the upstream got it {len(got)} times")
    elif got[0]["method"] != r["method"] or got[0]["body_len"] != r["sent"]:
        bad.append(f"{c}: the upstream got {got[0]['method']} with {got[0]['body_len']} body bytes")
    for key in ("case=", "after="):
        if lines[key + c] != 1:
            bad.append(f"{c}: {lines[key + c]} audit lines for {key}")
# Close-delimited answers end their upstream connection; every other one
# must leave it in the pool (a new connection per case would mean an
# answer whose end botbox missed).
accepts = sum(1 for u in ups if u.get("event") == "accept") - int(sys.argv[4])
closes = sum(1 for r in res if r["kind"] == "close")
if accepts > closes + 8:
    bad.append(f"{accepts} upstream connections for {closes} close-delimited answers")
print(f"{len(res)} cases, {accepts} upstream connections ({closes} close-delimited answers), "
      f"slowest {max(r['ms'] for r in res)} ms")
if bad:
    print("\n".join(bad[:30]))
    sys.exit(1)
PY
    ); then
        pass "$prefix matrix: $out"
    else
        fail "$prefix matrix (7 methods x 5 request framings x 10 response kinds)" \
            "$out
$(tail -3 "$E2E_TMP/$prefix.err")"
    fi
}

matrix http 80
matrix https 443 --tls "$CA/ca.crt"
check "afterwards no client connection is left open (botbox_connections_active 0)" \
    wait_for 3 bash -c "test \"\$(in_ns app curl -s http://127.0.0.1:9090/metrics |
        $PY $E2E_DIR/tools/metrics.py botbox_connections_active)\" = 0"

# ---- pipelined requests: each its own answer, in order ----
pipeline() { # "HOST PATH"...: sent in one write (probe.py raw); prints each answer's status and path
    local r reqs=""
    for r in "$@"; do reqs+="GET ${r#* } HTTP/1.1\r\nHost: ${r%% *}\r\n\r\n"; done
    # shellcheck disable=SC2059
    printf "$reqs" | as_uid 1000 app $PROBE raw $UP4 80 --timeout 3 | $PY -c '
import json, sys
buf, out = sys.stdin.buffer.read(), []
while buf.startswith(b"HTTP/1.1 "):
    head, _, rest = buf.partition(b"\r\n\r\n")
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    body, buf = rest[:n], rest[n:]
    path = json.loads(body)["path"] if body.startswith(b"{") else body.decode().strip()
    out.append(f"{head.split()[1].decode()} {path}")
print(" | ".join(out))'
}
expect "three pipelined allowed requests: three answers, in order" \
    "200 /echo/pipe-a | 200 /echo/pipe-b | 200 /echo/pipe-c" \
    pipeline "api.test /echo/pipe-a" "api.test /echo/pipe-b" "api.test /echo/pipe-c"
expect "an allowed request, then a denied one, pipelined: 200 for the first, then 403 (not 403 twice)" \
    "200 /echo/pipe-1 | 403 host not allowed" pipeline "api.test /echo/pipe-1" "evil.test /pipe-2"
check "... audited: the first 200, the second 403" wait_for 3 bash -c "
    grep -q '\"path\":\"/echo/pipe-1\",\"status\":200' $E2E_TMP/audit.jsonl &&
    grep -q '\"path\":\"/pipe-2\",\"status\":403' $E2E_TMP/audit.jsonl"

# ---- every decided request is audited, however it ends ----
# api.test injects a key, so its answers are redacted: one with a short
# Content-Length is held until it is whole (docs/security.md), and one
# cut before that has sent nothing, so the client can be told
expect "an answer the upstream cuts short (10 of 100 bytes), held to be redacted: 502" \
    "502" curl_as -o /dev/null -w '%{http_code}' http://api.test/kind/cut/x
check "... audited once: status 502, upstream_closed" wait_for 3 audit_has \
    'a.get("path") == "/kind/cut/x" and a["status"] == 502 and a["reason"] == "upstream_closed"'
expect_status "... where nothing is redacted (hang.test, no key): the client sees it cut (curl 18)" \
    18 "" curl_as -o /dev/null http://hang.test/kind/cut/x
check "... audited once: status 200, end upstream_closed, the bytes relayed" wait_for 3 audit_has \
    'a.get("path") == "/kind/cut/x" and a.get("host") == "hang.test" and a["status"] == 200 and a["end"] == "upstream_closed" and a["bytes_out"] >= 10'
expect_status "a client that hangs up in the middle of a download (curl --max-time 1, 4 s of body)" \
    28 "" curl_as -o /dev/null --max-time 1 "http://api.test/slow?s=4"
check "... audited once: status 200, end client_closed" wait_for 3 audit_has \
    'a.get("path") == "/slow" and a["status"] == 200 and a["end"] == "client_closed" and a["bytes_out"] > 0'
check "... and a whole answer says end complete" audit_has \
    'a.get("path") == "/echo/pipe-1" and a["end"] == "complete"'

# ---- an upstream connection with bytes after its answer is not pooled ----
expect "an answer with bytes after it (a second response): the client gets the first" "ok" \
    curl_as http://api.test/kind/extra/pool
expect "... the next request, on another client connection, gets its own answer" '"path": "/echo/pool-next"' \
    curl_as http://api.test/echo/pool-next
check "... on a new upstream connection (the one with unread bytes was closed, not pooled)" $PY -c '
import json, sys
reqs = {r["path"]: r for r in map(json.loads, open(sys.argv[1])) if r.get("event") == "request"}
assert reqs["/kind/extra/pool"]["peer_port"] != reqs["/echo/pool-next"]["peer_port"], "same connection"
' "$E2E_TMP/upstream.log"

# ---- upgrade offers botbox does not take are ignored (RFC 9110 §7.8) ----
upgrade_ignored() { # NAME UPGRADE [curl args]: answered as HTTP/1.1; the offer never goes upstream
    local name=$1 up=$2
    shift 2
    local before
    before=$(requests)
    out=$(curl_as -i "$@" "http://api.test/echo/$name" -H "Connection: Upgrade, HTTP2-Settings" \
        -H "Upgrade: $up" -H "HTTP2-Settings: AAMAAABkAAQAAP__" 2>&1)
    if grep -q '^HTTP/1.1 200' <<<"$out" && [ "$(requests)" -eq $((before + 1)) ] &&
        upstream_saw "\"/echo/$name\"" && ! upstream_saw "/echo/$name\".*(Upgrade|HTTP2-Settings|\"Connection\")"; then
        pass "Upgrade: $up $*: answered 200 over HTTP/1.1; Upgrade, Connection, HTTP2-Settings not forwarded"
    else
        fail "Upgrade: $up $* ignored" "$out"
    fi
}
upgrade_ignored h2c h2c
upgrade_ignored h2cpost h2c -d 'a=b'
upgrade_ignored irc "IRC/6.9"
expect "curl --http2 http://api.test/ (curl's own h2c offer): 200 over HTTP/1.1" "HTTP/1.1 200" \
    curl_as -si --http2 http://api.test/echo/curl-h2c
check "... audited as allowed, not refused" audit_has \
    'a.get("path") == "/echo/curl-h2c" and a["decision"] == "allow" and a.get("status") == 200'
expect_status "a WebSocket handshake is still relayed (101, then the tunnel until curl gives up)" \
    28 "101" curl_as -s -o /dev/null -w '%{http_code}' -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    --max-time 2 http://api.test/ws
expect "TRACE is still refused (405)" "405" status -X TRACE http://api.test/echo

# ---- HTTP/2 prior knowledge on the plain listener ----
out=$(curl_as -sS -v --http2-prior-knowledge -o /dev/null -w '%{http_code}' http://api.test/echo 2>&1)
if grep -q "GOAWAY, error=13, last_stream=0" <<<"$out"; then
    pass "curl --http2-prior-knowledge: told HTTP/1.1 is required (GOAWAY HTTP_1_1_REQUIRED), no answer"
else
    fail "curl --http2-prior-knowledge: told HTTP/1.1 is required" "$(tail -12 <<<"$out")"
fi
check "... audited: status 505, reason http2_prior_knowledge" wait_for 3 audit_has \
    'a.get("status") == 505 and a.get("reason") == "http2_prior_knowledge"'
serve_stop
finish
