#!/usr/bin/env bash
# Limits and connection management: request_header (408), connect (502),
# idle keep-alive connections closed, max_connections (503), the single
# retry on a pooled connection the upstream closed, and TLS sessions
# resumed on new upstream connections.
. "$(dirname "$0")/../lib.sh"

proxy_world


# raw_as TEXT [probe raw args]: TEXT (printf escapes) sent as the workload
raw_as() { printf "$1" | as_uid 1000 app $PROBE raw $UP4 80 --timeout 6 "${@:2}"; }

# ---- request_header: a head that never completes ----
expect "a head not complete within timeouts.request_header: 408 request timeout" \
    "HTTP/1.1 408 Request Timeout" raw_as 'GET /echo HTTP/1.1\r\nHost: api.test\r\n'
expect "... with body 'request timeout'" "request timeout" \
    raw_as 'GET /echo HTTP/1.1\r\n' --then $'Host: api.test\r\n' --gap 0.5

# 6 s of trickling at most, three times request_header
trickle=$(as_uid 1000 app $PROBE slowloris $UP4 80 --count 1 --name api.test --interval 0.1 --seconds 6)
expect "a head trickled a byte at a time still ends at request_header: 408" "1 cut ['408']" echo "$trickle"
check "... in time (under 3.5 s: $trickle)" awk '{ exit !($(NF-1) < 3.5) }' <<<"$trickle"

# after_connect_timeout WHAT URL [curl args]: URL gets 502 once
# timeouts.connect (2 s) has passed, not before and not much later.
after_connect_timeout() {
    local start code elapsed
    start=$(date +%s%N)
    code=$(status "${@:2}")
    elapsed=$((($(date +%s%N) - start) / 1000000))
    if [ "$code" = 502 ] && [ "$elapsed" -ge 1800 ] && [ "$elapsed" -lt 4500 ]; then
        pass "$1: 502 after timeouts.connect (${elapsed} ms)"
    else
        fail "$1: 502 after timeouts.connect" "status $code after $elapsed ms"
    fi
}

# ---- connect: a destination that never answers the SYN ----
after_connect_timeout "an upstream that never accepts" http://slow.test/echo

# ---- resolve: a name the resolver never answers ----
# (timeouts.connect bounds the resolution too: c-ares alone would wait
# 2 + 4 s.)
after_connect_timeout "a name the resolver never answers" http://mute.test/echo
check "... audited as resolve_timeout" \
    wait_for 3 audit_has 'a.get("reason") == "resolve_timeout" and a["host"] == "mute.test" and a["status"] == 502'
check "... and the SYN that got no answer (slow.test) as upstream_connect_timeout" \
    audit_has 'a.get("reason") == "upstream_connect_timeout" and a["host"] == "slow.test"'

# ---- idle keep-alive client connections are closed after timeouts.idle ----
expect "an idle keep-alive connection is closed by botbox" "closed" \
    as_uid 1000 app $PROBE keepalive $UP4 80 --name api.test --path /echo --timeout 10

# ---- a pooled connection the upstream closed: one retry, idempotent only ----
check "the first /flaky request opens a pooled connection" test "$(status http://api.test/flaky)" = 200
check "the next one meets the closed connection and is retried: 200" \
    test "$(status http://api.test/flaky)" = 200
check "... the upstream dropped one request and served it again" \
    bash -c "grep -c flaky_drop $E2E_TMP/upstream.log | grep -qx 1"
status http://api.test/flaky >/dev/null # a fresh pooled connection again
check "a POST is never retried: 502" test "$(status -X POST -d x http://api.test/flaky)" = 502

# ---- TLS: an upstream that accepts the connection and never answers the
# ClientHello (a listener on resume.test's port 9443 that reads nothing) ----
listen up silent --bind $UP4:9443 --hold
SILENT_PID=$BG_PID
after_connect_timeout "an upstream that never answers the TLS handshake" \
    http://resume.test/ -H "Host: resume.test:9443"
check "... audited as upstream_tls_timeout" \
    wait_for 3 audit_has 'a.get("reason") == "upstream_tls_timeout" and a["host"] == "resume.test"'
stop "$SILENT_PID"

# ---- TLS sessions: a new upstream connection resumes the last session ----
# openssl s_server -www closes after every answer (so each request needs a
# new connection) and says in its page whether the session was reused.
bg up s_server openssl s_server -accept $UP4:9443 -cert "$E2E_TMP/certs/default.crt" \
    -key "$E2E_TMP/certs/default.key" -www
wait_for 5 bash -c "ip netns exec ${NS[up]} ss -tln | grep -q '$UP4:9443 '"
expect "the first connection makes a new TLS session" "New, TLSv1.3" \
    curl_as http://resume.test/ -H "Host: resume.test:9443"
expect "the next connection resumes it" "Reused, TLSv1.3" \
    curl_as http://resume.test/ -H "Host: resume.test:9443"

# ---- max_connections ----
serve_stop
cp "$E2E_TMP/botbox.yaml" "$E2E_TMP/small.yaml"
chmod a+r "$E2E_TMP/small.yaml"
cfg_set "$E2E_TMP/small.yaml" max_connections 2
serve_start app "$E2E_TMP/small.yaml"
# The third's request is in its socket before botbox accepts it (botbox is
# stopped meanwhile): botbox reads it before closing, so the 503 ends with a
# FIN, not with a reset that could make a client drop the answer unread.
expect "over max_connections: 503 too many connections, then a clean close" \
    "too many connections / eof" in_ns app $PROBE overlimit 127.0.0.1 8080 --hold 2 --stop "$SERVE_PID" \
    --name api.test
expect "... counted as refused at max_connections" \
    'botbox_connections_refused_total{reason="max_connections"} 1' admin /metrics
expect "... and with them closed, connections are served again" '"method": "GET"' \
    curl_as http://api.test/echo

serve_stop
finish
