#!/usr/bin/env bash
# Bodies and connections: uploads and downloads arrive byte-exact in either
# framing, server-sent events stream one by one, a WebSocket round-trips,
# keep-alive reuses one upstream connection, python3 and node clients work,
# and the audit lines are valid JSON with the fields of docs/reference.md §6 and never the
# secret.
. "$(dirname "$0")/../lib.sh"

proxy_world

# ---- bodies ----
head -c $((1024 * 1024)) /dev/urandom >"$E2E_TMP/upload.bin"
chmod a+r "$E2E_TMP/upload.bin"
want=$(sha256sum "$E2E_TMP/upload.bin" | cut -d' ' -f1)
expect "a 1 MiB upload arrives byte-exact" "\"body_sha256\": \"$want\"" \
    curl_as --data-binary @"$E2E_TMP/upload.bin" http://api.test/echo
expect "... also sent chunked" "\"body_sha256\": \"$want\"" \
    curl_as -H "Transfer-Encoding: chunked" --data-binary @"$E2E_TMP/upload.bin" http://api.test/echo
big=$((10 * 1024 * 1024))
check "a 10 MiB download arrives byte-exact" \
    test "$(curl_as http://api.test/big?n=$big | sha256sum | cut -d' ' -f1)" = "$(pattern_sha $big)"
check "... also when the upstream sends it chunked" \
    test "$(curl_as http://api.test/chunked?n=$big | sha256sum | cut -d' ' -f1)" = "$(pattern_sha $big)"
# 2000 records of 100 bytes: with TLS read-ahead botbox takes several off
# the socket per read(), and those left inside OpenSSL must still be read
# (epoll says nothing about them). Whether the last ones are left there
# with the socket empty depends on timing: this checks the data, not that
# the proxy_kick_upstream path ran.
check "a body of 2000 tiny TLS records arrives whole" \
    test "$(curl_as http://api.test/records?n=2000 | sha256sum | cut -d' ' -f1)" = "$(pattern_sha 200000)"

# ---- a slow upstream link ----
# The relay passes the upstream's bytes on in 1000-byte pieces, 20 ms
# apart, so OpenSSL's read-ahead often holds part of a record while the
# socket is empty. That part is nothing to read yet: botbox once came back
# for it at once, again and again, spinning its worker at full CPU until
# the rest arrived (206 ticks here, for 2 s of pieces). Others sharing the
# worker must still be answered meanwhile.
bg up relay $PY "$E2E_DIR/tools/probe.py" relay --bind $UP4:9443 --to $UP4:8443
wait_ready relay
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVE_PID/stat"; }
t0=$(cpu_ticks)
curl_as --max-time 15 -H "Host: resume.test:9443" "http://resume.test/big?n=100000" >"$E2E_TMP/slow.body" 2>&1 &
slow=$!
sleep 0.5
expect "while a response crawls in over a slow link, the worker answers another request" \
    '"path": "/echo"' curl_as --max-time 1 http://api.test/echo
wait $slow
t1=$(cpu_ticks)
check "... and the slow response (2 s of pieces) arrives whole" \
    test "$(sha256sum <"$E2E_TMP/slow.body" | cut -d' ' -f1)" = "$(pattern_sha 100000)"
hz=$(getconf CLK_TCK)
check "... with botbox waiting, not spinning: $((t1 - t0)) ticks of CPU, under $((hz / 2)) (half a second)" \
    test $((t1 - t0)) -lt $((hz / 2))

# ---- backpressure: a client that does not read does not grow botbox ----
before=$(rss_kib)
marker=$E2E_TMP/stall-marker
touch "$marker" && chmod 666 "$marker" && : >"$marker"
as_uid 1000 app $PROBE stall $UP4 80 --name api.test --size $((64 * 1024 * 1024)) --marker "$marker" \
    >"$E2E_TMP/stall.out" 2>&1 &
stall_pid=$!
wait_for 10 grep -q stalled "$marker"
during=$(rss_kib)
wait "$stall_pid"
growth=$((during - before))
if [ "$growth" -lt 16384 ]; then
    pass "a client that reads nothing of a 64 MiB response grows botbox by ${growth} KiB only"
else
    fail "a client that reads nothing of a 64 MiB response grows botbox by ${growth} KiB only"
fi
check "... and then receives all of it, byte-exact" \
    test "$(cat "$E2E_TMP/stall.out")" = "$((64 * 1024 * 1024)) $(pattern_sha $((64 * 1024 * 1024)))"

# ---- server-sent events: each event reaches the client before the next is sent ----
check "five SSE events sent 200 ms apart arrive one by one" as_uid 1000 app $PROBE sse $UP4 80 --name api.test

# ---- WebSocket ----
expect "a WebSocket echo round-trips" "echoed: hello through botbox" \
    as_uid 1000 app $PROBE ws $UP4 80 --name api.test

# ---- keep-alive: one upstream connection serves many requests ----
accepts() { curl_as http://api.test/count | $PY -c 'import json,sys; print(json.load(sys.stdin)["accepts"])'; }
before=$(accepts)
for i in $(seq 10); do curl_as -o /dev/null http://api.test/echo; done
after=$(accepts)
check "ten requests from ten client connections reuse the pooled upstream connection" \
    test "$after" -eq "$before"
before=$(accepts)
sleep 1.5 # past BB_POOL_RELEASE_MS: the pooled connection gives its buffers back
expect "a pooled connection that gave its buffers back serves the next request" "Bearer [REDACTED]" \
    curl_as http://api.test/echo
check "... itself: the upstream accepted no new connection" test "$(accepts)" -eq "$before"
out=$(curl_as http://api.test/echo http://api.test/echo http://api.test/echo -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}\n')
check "three requests share one client connection (keep-alive towards the client)" \
    test "$(echo $out)" = "1 0 0"

# ---- other clients ----
expect "python3 urllib works" "Bearer [REDACTED]" as_uid 1000 app $PY -c '
import urllib.request
print(urllib.request.urlopen("http://api.test/echo", timeout=5).read().decode())'
expect "node fetch works" "Bearer [REDACTED]" as_uid 1000 app node -e '
fetch("http://api.test/echo").then(r => r.text()).then(t => console.log(t))'

# ---- audit ----
check "every audit line is valid JSON with the fields of docs/reference.md §6" $PY - "$E2E_TMP/audit.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
http = [a for a in lines if a["event"] == "http"]
assert len(http) >= 20, len(http)
fields = {"ts", "event", "decision", "reason", "src", "dst", "request_id", "host", "method",
          "path", "status", "bytes_in", "bytes_out", "duration_ms", "injected"}
for a in http:
    assert fields <= set(a), fields - set(a)
    assert a["ts"].endswith("Z") and "T" in a["ts"]
    assert a["decision"] in ("allow", "deny", "would_deny", "error")
allowed = [a for a in http if a["decision"] == "allow" and a["host"] == "api.test"]
assert allowed and all(a["injected"] == ["Authorization"] for a in allowed)
assert any(a["rule"] == "api.test" and a["status"] == 200 for a in allowed)
assert any(a["bytes_out"] >= 10 * 1024 * 1024 for a in allowed)
PY
check "the secret appears in no audit line" bash -c "! grep -q '$SECRET' $E2E_TMP/audit.jsonl"
check "nor in botbox's output" bash -c "! grep -q '$SECRET' $E2E_TMP/serve.out"

serve_stop
finish
