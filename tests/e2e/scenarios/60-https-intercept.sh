#!/usr/bin/env bash
# HTTPS interception: with 443 steered to the TLS listener, the
# workload (uid 1000) trusts only botbox's CA; botbox mints a leaf for the
# SNI, applies the same pipeline (policy, injection, verified TLS
# upstream) and re-encrypts. Plus the original BotBox interception cases.
. "$(dirname "$0")/../lib.sh"

intercept_world "  handshake_timeout_ms: 1000"

https() { as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 5 "$@"; }

# ---- real clients, trusting only botbox's CA ----
out=$(https https://api.test/echo -H "Authorization: Bearer client-own")
if $PY - "$out" "$SECRET" <<'PY'; then
import json, sys
h = [v for k, v in json.loads(sys.argv[1])["headers"] if k.lower() == "authorization"]
assert h == ["Bearer [REDACTED]"], h  # the echo of the key, redacted
PY
    pass "curl https://api.test/ through interception: 200, the key injected exactly once"
else
    fail "curl https://api.test/ through interception" "$out"
fi
check "... the upstream got the key itself" upstream_saw "Bearer $SECRET"
expect "python3 urllib with SSL_CERT_FILE" "Bearer [REDACTED]" \
    as_uid 1000 app env SSL_CERT_FILE="$CA/ca.crt" $PY -c '
import urllib.request
print(urllib.request.urlopen("https://api.test/echo", timeout=5).read().decode())'
expect "node fetch with NODE_EXTRA_CA_CERTS" "Bearer [REDACTED]" \
    as_uid 1000 app env NODE_EXTRA_CA_CERTS="$CA/ca.crt" node -e '
fetch("https://api.test/echo").then(r => r.text()).then(t => console.log(t))'
# Idle past BB_IDLE_RELEASE_MS, a keep-alive connection gives its buffers
# back, OpenSSL's record buffers included; the same TLS connection then
# serves its next request.
expect "an intercepted keep-alive connection idle for 1.5 s serves its next request" "200 200 on 1 connection(s)" \
    as_uid 1000 app $PY - "$CA/ca.crt" <<'PY'
import http.client, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[1])
c = http.client.HTTPSConnection("api.test", 443, context=ctx, timeout=5)
codes, ports = [], set()
for pause in (0, 1.5):
    time.sleep(pause)
    c.request("GET", "/echo")
    r = c.getresponse()
    body = r.read()
    codes.append(str(r.status) if b"Bearer " in body else "no-key")
    ports.add(c.sock.getsockname()[1])
print(" ".join(codes), "on %d connection(s)" % len(ports))
PY
# The client's last handshake flight and three requests, one TLS record
# each, in one TCP write: botbox reads ahead on the client side, so the
# second and third requests wait inside TLS where epoll cannot see them.
out=$(printf 'GET /echo HTTP/1.1\r\nHost: api.test\r\n\r\nGET /echo HTTP/1.1\r\nHost: api.test\r\n\r\nGET /echo HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n' |
    as_uid 1000 app timeout 10 $PROBE tlsburst api.test 443 --sni api.test --cafile "$CA/ca.crt" --timeout 5 2>&1)
if [ "$(grep -o 'HTTP/1.1 200 OK' <<<"$out" | wc -l)" = 3 ]; then
    pass "three requests in records that arrive with the handshake's end: three answers"
else
    fail "three requests in records that arrive with the handshake's end: three answers" "$out"
fi
refute "without botbox's CA the client refuses the leaf" \
    as_uid 1000 app curl -sS --max-time 5 -o /dev/null https://api.test/echo
expect "a host no rule allows, over HTTPS: 403" "403" \
    https -o /dev/null -w '%{http_code}' https://evil.test/
refute "direct UDP 443 (QUIC) is dropped" as_uid 1000 app $PROBE udp $UP4 443 --timeout 1
check "tls and http audit lines" wait_for 3 bash -c "grep -q '\"event\":\"tls\".*\"sni\":\"api.test\".*\"mode\":\"intercept\"' $E2E_TMP/audit.jsonl &&
    grep -q '\"event\":\"http\".*\"host\":\"api.test\"' $E2E_TMP/audit.jsonl"

# ---- the original BotBox interception cases ----
sclient() { # sclient SNI [args]: a handshake straight to the TLS listener
    local sni=$1
    shift
    in_ns app timeout 5 openssl s_client -connect 127.0.0.1:8443 -servername "$sni" \
        -CAfile "$CA/ca.crt" -verify_return_error "$@" </dev/null 2>&1
}
for sni in localhost api.openai.com xn--bcher-kva.example; do
    expect "a handshake for SNI $sni succeeds" "Verify return code: 0 (ok)" sclient "$sni"
done
long=$(printf 'a%.0s' $(seq 60)).$(printf 'b%.0s' $(seq 60)).$(printf 'c%.0s' $(seq 60)).$(printf 'd%.0s' $(seq 70))
for sni in bad_host '*.example.com' "$long"; do
    refute "a handshake for SNI ${sni:0:20}... fails (no certificate is served)" bash -c \
        "ip netns exec ${NS[app]} timeout 5 openssl s_client -connect 127.0.0.1:8443 \
         -servername '$sni' </dev/null 2>&1 | grep -q 'Server certificate'"
done
# TLS 1.2: forward secrecy and AEAD only (https_interception.tls12_ciphers)
for suite in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305; do
    expect "TLS 1.2 with $suite" "Cipher is $suite" sclient api.test -tls1_2 -cipher "$suite"
done
for suite in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384 ECDHE-ECDSA-AES128-SHA256; do
    refute "TLS 1.2 with the CBC suite $suite is refused" grep -q "Cipher is $suite" <<<"$(sclient api.test -tls1_2 -cipher "$suite")"
done
sclient localhost -showcerts >"$E2E_TMP/leaf.txt"
awk '/BEGIN CERT/{n++} n==1' "$E2E_TMP/leaf.txt" | sed '/END CERT/q' >"$E2E_TMP/leaf.pem"
expect "the leaf has SAN DNS:localhost" "DNS:localhost" \
    openssl x509 -in "$E2E_TMP/leaf.pem" -noout -ext subjectAltName
expect "... the CA as issuer" "CN = botbox local CA" openssl x509 -in "$E2E_TMP/leaf.pem" -noout -issuer
check "... passes -checkend 80000" openssl x509 -in "$E2E_TMP/leaf.pem" -noout -checkend 80000
refute "... fails -checkend 200000 (1-day TTL)" openssl x509 -in "$E2E_TMP/leaf.pem" -noout -checkend 200000
check "... and openssl verify -CAfile accepts it" openssl verify -CAfile "$CA/ca.crt" "$E2E_TMP/leaf.pem"

# stdin held open a moment: a TLS 1.3 ticket arrives after the handshake,
# and s_client saves no session if it quits first
sleep 1 | in_ns app timeout 5 openssl s_client -connect 127.0.0.1:8443 -servername localhost \
    -CAfile "$CA/ca.crt" -sess_out "$E2E_TMP/sess.pem" >/dev/null 2>&1
expect "a client resumes its session (TLS 1.3 ticket)" "Reused, TLSv1.3" \
    sclient localhost -sess_in "$E2E_TMP/sess.pem"

raw_tls() { # raw_tls SNI REQUEST: the status line of REQUEST sent over TLS
    printf "$2" | in_ns app timeout 5 openssl s_client -quiet -connect 127.0.0.1:8443 \
        -servername "$1" -CAfile "$CA/ca.crt" 2>/dev/null | head -1
}
expect "SNI localhost with Host example.com: 400" "400" \
    raw_tls localhost 'GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n'
expect "Host localhost:8443: 403" "403" \
    raw_tls localhost 'GET / HTTP/1.1\r\nHost: localhost:8443\r\nConnection: close\r\n\r\n'
expect "absolute-form: 400" "400" \
    raw_tls localhost 'GET https://localhost/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check "... with the body of docs/reference.md §4" bash -c \
    "printf 'GET https://localhost/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
        ip netns exec ${NS[app]} timeout 5 openssl s_client -quiet -connect 127.0.0.1:8443 \
        -servername localhost -CAfile $CA/ca.crt 2>/dev/null |
        grep -qx 'absolute-form request not allowed on HTTPS interception listener'"
check "the host mismatch is counted" test "$(metric botbox_https_interception_host_mismatch_total)" -ge 1

start=$(date +%s%N)
in_ns app $PROBE connect 127.0.0.1 8443 --timeout 5 >"$E2E_TMP/silent.out" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
check "a client that never sends its ClientHello is cut at handshake_timeout_ms (${ms} ms)" \
    test "$ms" -ge 900 -a "$ms" -lt 3000

ok0=$(metric 'botbox_tls_handshakes_total{result=ok}')
err0=$(metric 'botbox_tls_handshakes_total{result=io_error}')
sclient localhost >/dev/null
in_ns app timeout 5 openssl s_client -connect 127.0.0.1:8443 -servername localhost \
    -verify_return_error </dev/null >/dev/null 2>&1 # no CA: the client refuses the leaf
sleep 0.3
check "one good and one refused handshake: ok +1, io_error +1" \
    test "$(($(metric 'botbox_tls_handshakes_total{result=ok}') - ok0)) $(($(metric 'botbox_tls_handshakes_total{result=io_error}') - err0))" = "1 1"
check "leaves were issued and the cache hit" bash -c \
    "[ \$(ip netns exec ${NS[app]} curl -s http://127.0.0.1:9090/metrics | $PY $E2E_DIR/tools/metrics.py \
        'botbox_https_interception_cert_cache_total{result=hit}') -ge 1 ]"
serve_stop

# ---- cache size 1, TTL 1 s; denied SNIs refused; the connection limit ----
cat >>"$E2E_TMP/botbox.yaml" <<YAML
  cert_cache_size: 1
  cert_cache_ttl_seconds: 60
  deny_handshake_on_disallowed_sni: true
max_connections: 3
YAML
cfg_set "$E2E_TMP/botbox.yaml" https_interception.cert_cache_ttl_seconds 1
serve_start app "$E2E_TMP/botbox.yaml"
fp() { sclient "$1" | openssl x509 -noout -fingerprint -sha256 2>/dev/null; }
a1=$(fp api.test)
a2=$(fp api.test)
check "cache size 1: the same name twice gets the same certificate" test -n "$a1" -a "$a1" = "$a2"
fp scoped.test >/dev/null
a3=$(fp api.test)
check "... another name evicts it" test -n "$a3" -a "$a3" != "$a1"
sleep 2
a4=$(fp api.test)
check "... after the TTL a new one" test -n "$a4" -a "$a4" != "$a3"
refute "deny_handshake_on_disallowed_sni: a disallowed SNI's handshake is refused" \
    bash -c "ip netns exec ${NS[app]} setpriv --reuid=1000 --regid=1000 --clear-groups \
        env CURL_CA_BUNDLE=$CA/ca.crt curl -sS --max-time 5 -o /dev/null https://evil.test/"
check "... audited as a tls denial" wait_for 3 grep -q '"event":"tls","decision":"deny".*"sni":"evil.test"' \
    "$E2E_TMP/audit.jsonl"
# Refused at accept, a TLS client gets a TLS alert (it could not read a 503),
# and the refusal is counted as on the HTTP listener.
expect "the connection limit applies to the TLS listener (max_connections 3): an internal_error alert" \
    "TLSV1_ALERT_INTERNAL_ERROR" in_ns app $PROBE tlsheld 127.0.0.1 8443 --sni api.test \
    --cafile "$CA/ca.crt" --hold 3
expect "... counted as refused at max_connections" \
    'botbox_connections_refused_total{reason="max_connections"} 1' admin /metrics
serve_stop

# ---- tls12_ciphers widens (or narrows) TLS 1.2; a list OpenSSL takes nothing from is refused ----
cp "$E2E_TMP/botbox.yaml" "$E2E_TMP/botbox.yaml.aead"
cfg_set "$E2E_TMP/botbox.yaml" https_interception.tls12_ciphers DEFAULT
serve_start app "$E2E_TMP/botbox.yaml"
expect "tls12_ciphers: DEFAULT lets a CBC suite back in (ECDHE-ECDSA-AES128-SHA)" \
    "Cipher is ECDHE-ECDSA-AES128-SHA" sclient api.test -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
serve_stop
cfg_set "$E2E_TMP/botbox.yaml" https_interception.tls12_ciphers NO-SUCH-SUITE
expect_status "botbox check: a tls12_ciphers list with no suite in it is invalid" 1 \
    'https_interception.tls12_ciphers "NO-SUCH-SUITE": no cipher suite' \
    "$BIN" check --config "$E2E_TMP/botbox.yaml"
expect_status "... and serve stops at start saying so" 1 "tls12_ciphers" \
    in_ns app timeout 5 "$BIN" serve --config "$E2E_TMP/botbox.yaml"
mv "$E2E_TMP/botbox.yaml.aead" "$E2E_TMP/botbox.yaml"

# ---- a missing CA stops the start ----
cfg_set "$E2E_TMP/botbox.yaml" https_interception.ca_cert_path "$CA/missing.crt"
start=$(date +%s)
in_ns app "$BIN" serve --config "$E2E_TMP/botbox.yaml" >"$E2E_TMP/noca.out" 2>&1
rc=$?
check "missing CA files: serve exits non-zero ($rc) within 3 s" \
    test "$rc" -ne 0 -a $(($(date +%s) - start)) -le 3
check "... saying which file" grep -q "missing.crt" "$E2E_TMP/noca.out"
finish
