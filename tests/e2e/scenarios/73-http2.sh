#!/usr/bin/env bash
# HTTP/2 on the interception listener (docs/proxy.md, "HTTP/2"), driven by
# real clients as uid 1000 trusting only botbox's CA: curl --http2,
# nghttp with 100 streams on one connection, node's http2 module, and
# python3-h2 for the frames an attacker sends. Every stream is one request
# through the HTTP/1.1 pipeline, checked at the upstream (the key injected
# exactly once), in the audit ("proto":"h2" and the stream id), in the
# metrics and in what the client got; a refusal is that stream's answer
# and the other streams carry on; the downgrade smuggling corpus
# (tests/e2e/smuggling/h2) reaches nothing upstream; the limits of
# gateway/proxy/h2.h each have their outcome; flow control is the
# backpressure.
. "$(dirname "$0")/../lib.sh"

intercept_world "  http2: true"

h2curl() { as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --http2 --max-time 20 "$@"; }
H2PROBE="$PY $E2E_DIR/tools/h2probe.py"
h2probe() { as_uid 1000 app timeout 30 $H2PROBE "$@"; }
# audit_n PY-EXPR: how many requests the http audit lines satisfying the
# expression (a) stand for (a held-back flood of denials is one line with
# "repeated": N)
audit_n() {
    $PY - "$E2E_TMP/audit.jsonl" "$1" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    a = json.loads(l)
    if a.get("event") == "http" and eval(sys.argv[2], {}, {"a": a}):
        n += a.get("repeated", 1)
print(n)
PY
}
# upstream_auth PATH-RE: the Authorization values the upstream saw on the
# requests whose path matches, one line each ("-" for none)
upstream_auth() {
    $PY - "$E2E_TMP/upstream.log" "$1" <<'PY'
import json, re, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("event") == "request" and re.search(sys.argv[2], r["path"]):
        v = [v for k, v in r["headers"] if k.lower() == "authorization"]
        print("|".join(v) if v else "-")
PY
}
accepts() { grep -c '"event": "accept"' "$E2E_TMP/upstream.log"; }
# audit_is N PY-EXPR: N lines satisfy the expression, once the audit writer
# has drained (it batches under load: gateway/state/audit.h)
audit_count_is() { test "$(audit_n "$2")" = "$1"; }
audit_is() { wait_for 3 audit_count_is "$@"; } # (a flood's line comes after its 1 s window)
H2OK='a.get("proto") == "h2" and a["path"] == "/echo" and a["status"] == 200'
H2BAD='a.get("proto") == "h2" and (a["status"] in (400, 405, 421, 431) or a.get("end") == "protocol_error")'
# audit_settled: the writer has drained (no new line for 300 ms)
audit_settled() {
    local n=-1
    while [ "$n" != "$(wc -l <"$E2E_TMP/audit.jsonl")" ]; do
        n=$(wc -l <"$E2E_TMP/audit.jsonl")
        sleep 0.3
    done
}


# ---- curl --http2: the ordinary cases ----
out=$(h2curl -w '\n%{http_version} %{http_code}' https://api.test/echo?c=1 -H "Authorization: Bearer own")
check "curl --http2: answered over HTTP/2 (curl: version 2, 200)" grep -q '^2 200$' <<<"$out"
check "... the upstream saw botbox's key once, the client's own removed" \
    test "$(upstream_auth '^/echo\?c=1$')" = "Bearer $SECRET"
check "... one audit line with proto h2 and stream 1" \
    audit_is 1 'a["path"] == "/echo" and a.get("proto") == "h2" and a.get("stream") == 1 and a["status"] == 200 and a["injected"] == ["Authorization"]'
head -c 200000 /dev/urandom >"$E2E_TMP/body.bin"
chmod 644 "$E2E_TMP/body.bin"
sum=$(sha256sum <"$E2E_TMP/body.bin" | cut -d' ' -f1)
for m in POST PUT PATCH; do
    out=$(h2curl -X $m --data-binary @"$E2E_TMP/body.bin" https://api.test/echo?c=$m)
    check "... $m with a 200 000-byte body (Content-Length): the upstream got it byte-exact" \
        grep -q "\"body_sha256\": \"$sum\"" <<<"$out"
done
out=$(cat "$E2E_TMP/body.bin" | h2curl -T - -X POST https://api.test/echo?c=stream)
check "... a body of unknown length (no content-length: chunked upstream) arrives byte-exact" \
    grep -q "\"body_sha256\": \"$sum\"" <<<"$out"
out=$(h2curl -I -w '%{http_code}' -o /dev/null https://api.test/big?n=5000)
check "... HEAD: 200 and no body ($out)" test "$out" = 200
for kind in 204 304; do
    got=$(h2curl -o /dev/null -w '%{http_code} %{size_download}' https://api.test/kind/$kind 2>&1)
    check "... a $kind answer: no body, the stream ends ($got)" test "$got" = "$kind 0"
done
got=$(h2curl -o /dev/null -w '%{http_code} %{size_download}' https://api.test/empty)
check "... Content-Length: 0: an empty 200 ($got)" test "$got" = "200 0"
got=$(h2curl https://api.test/chunked?n=100000 | sha256sum | cut -d' ' -f1)
check "... a chunked answer arrives as DATA, byte-exact" test "$got" = "$(pattern_sha 100000)"
got=$(h2curl -o /dev/null -w '%{http_code}' https://scoped.test/echo -X DELETE)
check "... a method the rule does not allow: 403 on the stream" test "$got" = 403
got=$(h2curl -o /dev/null -w '%{http_code}' https://scoped.test/other)
check "... a path the rule does not allow: 403" test "$got" = 403
got=$(h2curl -o /dev/null -w '%{http_code}' https://api.test/echo -H "Host: scoped.test")
check "... :authority other than the SNI: 421 Misdirected Request" test "$got" = 421
check "... audited as sni_host_mismatch, with 421" \
    audit_is 1 'a.get("proto") == "h2" and a.get("reason") == "sni_host_mismatch" and a["status"] == 421'
got=$(h2curl -o /dev/null -w '%{http_code}' https://nosecret.test/echo)
check "... a rule whose secret is missing: 500 on the stream" test "$got" = 500
out=$(h2curl https://api.test/echo -H "Cookie: a=1" -H "Cookie: b=2")
check "... two Cookie fields reach an HTTP/1.1 upstream as one Cookie line" \
    grep -q '\["Cookie", "a=1; b=2"\]\|\["cookie", "a=1; b=2"\]' <<<"$out"

# ---- nghttp: 100 concurrent streams on one connection ----
before=$(accepts)
audit_settled
ok0=$(audit_n "$H2OK")
allow0=$(metric 'botbox_requests_total{host=api.test,decision=allow}')
out=$(as_uid 1000 app timeout 60 nghttp -ns -m 100 "https://api.test/echo?nghttp=1" 2>&1)
check "nghttp -m 100: 100 answers, status 200 each (its timing table)" \
    test "$(grep -cE '^ *[0-9]+ +\+\S+ +\+\S+ +\S+ +200 +[0-9]+ /echo\?nghttp=1$' <<<"$out")" = 100
n_up=$(upstream_auth '^/echo\?nghttp=1$' | grep -c "^Bearer $SECRET$")
check "... the upstream got all 100 requests, each with the key once ($n_up)" test "$n_up" = 100
audit_is $((ok0 + 100)) "$H2OK"
n_src=$($PY - "$E2E_TMP/audit.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
a = [x for x in a if x.get("event") == "http" and x.get("proto") == "h2" and x["path"] == "/echo" and x["status"] == 200]
print(len(a[-100:]), len({x["src"] for x in a[-100:]}), len({x["stream"] for x in a[-100:]}))
PY
)
check "... 100 audit lines from one client connection, 100 stream ids ($n_src)" test "$n_src" = "100 1 100"
echo "  info  nghttp: $(( $(accepts) - before )) upstream connections for 100 streams (HTTP/1.1 upstream: one per concurrent request, pooled)"
check "... counted in botbox_requests_total like HTTP/1.1 requests" \
    test $(($(metric 'botbox_requests_total{host=api.test,decision=allow}') - allow0)) = 100

# ---- node's http2: refusals are per stream, the session carries on ----
out=$(as_uid 1000 app env NODE_EXTRA_CA_CERTS="$CA/ca.crt" timeout 30 node -e '
const http2 = require("http2");
const s = http2.connect("https://scoped.test");
const req = (method, path) => new Promise((ok, bad) => {
  const r = s.request({":method": method, ":path": path});
  let st = 0;
  r.on("response", h => { st = h[":status"]; });
  r.on("data", () => {});
  r.on("end", () => ok(st));
  r.on("error", bad);
  r.end();
});
(async () => {
  const first = await Promise.all([req("GET", "/echo"), req("DELETE", "/echo"), req("GET", "/nope"),
                                   req("GET", "/echo"), req("GET", "/echo")]);
  const after = await req("GET", "/echo");
  console.log(first.join(" ") + " then " + after);
  s.close();
})().catch(e => { console.log("error " + e); process.exit(1); });' 2>&1)
check "node http2: GET, DELETE, GET /nope, GET, GET on one session: 200 403 403 200 200, then 200 ($out)" \
    test "$out" = "200 403 403 200 200 then 200"

# ---- the downgrade smuggling corpus: nothing reaches the upstream ----
audit_settled
bad0=$(audit_n "$H2BAD")
out=$(h2probe api.test "$CA/ca.crt" malformed "$E2E_DIR/smuggling/h2")
if $PY - "$out" "$E2E_DIR/smuggling/h2" <<'PY'; then
import json, os, sys
got = json.loads(sys.argv[1])
bad = []
for f in sorted(os.listdir(sys.argv[2])):
    want = json.load(open(os.path.join(sys.argv[2], f)))["expect"]
    if got.get(f[:-5]) not in want:
        bad.append("%s: %s, want %s" % (f[:-5], got.get(f[:-5]), " or ".join(want)))
if got.get("after") != "status:200":
    bad.append("after: %s" % got.get("after"))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
    pass "h2 smuggling corpus: each of $(ls "$E2E_DIR/smuggling/h2" | wc -l) refused as its file says, the connection still serves"
else
    fail "h2 smuggling corpus" "$out"
fi
check "... none of them reached the upstream" refute grep -q 'h2-smuggle' "$E2E_TMP/upstream.log"
n_bad=$(ls "$E2E_DIR/smuggling/h2" | wc -l)
check "... each refused stream has its audit line ($n_bad)" \
    audit_is $((bad0 + n_bad)) "$H2BAD"

# ---- limits (gateway/proxy/h2.h) ----
got=$(h2probe api.test "$CA/ca.crt" refused 110)
check "BB_H2_MAX_STREAMS: 110 streams left open, 10 refused with REFUSED_STREAM ($got)" test "$got" = 10
got=$(h2probe api.test "$CA/ca.crt" rapid_reset 400)
check "rapid reset (CVE-2023-44487): 400 streams opened and reset: GOAWAY ENHANCE_YOUR_CALM ($got)" test "$got" = "goaway:11"
got=$(h2probe api.test "$CA/ca.crt" ping_flood 1000)
check "PING flood: GOAWAY ENHANCE_YOUR_CALM ($got)" test "$got" = "goaway:11"
got=$(h2probe api.test "$CA/ca.crt" settings_flood 1000)
check "SETTINGS flood: GOAWAY ENHANCE_YOUR_CALM ($got)" test "$got" = "goaway:11"
got=$(h2probe api.test "$CA/ca.crt" continuation 200)
check "CONTINUATION flood (CVE-2024-27316): 200 empty frames: the connection ends ($got)" \
    grep -qE '^(goaway:11|closed)$' <<<"$got"
for why in h2_rapid_reset h2_control_flood h2_continuation_flood; do
    check "... audited: a connection line with reason $why" \
        wait_for 3 audit_has "a.get('end') == 'goaway' and a.get('reason') == '$why'"
done
check "... and nothing of those reached the upstream" refute grep -qE 'h2-(reset|continuation)' "$E2E_TMP/upstream.log"

# ---- flow control is backpressure ----
size=$((100 * 1024 * 1024))
got=$(h2curl https://api.test/big?n=$size | sha256sum | cut -d' ' -f1)
check "100 MiB download over h2, byte-exact" test "$got" = "$(pattern_sha $size)"
head -c $size /dev/urandom >"$E2E_TMP/big.bin"
chmod 644 "$E2E_TMP/big.bin"
out=$(h2curl --max-time 120 -w '\n%{http_code} %{time_total} s' --data-binary @"$E2E_TMP/big.bin" \
    https://api.test/echo?c=big 2>&1)
check "100 MiB upload over h2, byte-exact at the upstream ($(tail -1 <<<"$out"))" \
    grep -q "\"body_sha256\": \"$(sha256sum <"$E2E_TMP/big.bin" | cut -d' ' -f1)\"" <<<"$out"
rm -f "$E2E_TMP/big.bin"
# An upload longer than timeouts.response_header (1.5 s here): the timer
# counts from the request's end (it ran from the head before: 504)
head -c 3000000 /dev/urandom >"$E2E_TMP/slow.bin"
chmod 644 "$E2E_TMP/slow.bin"
for v in --http2 --http1.1; do
    out=$(h2curl $v --limit-rate 1M -w '\n%{http_code}' --data-binary @"$E2E_TMP/slow.bin" \
        https://api.test/echo?c=slowup 2>&1)
    check "curl $v: a 3-second upload gets its answer ($(tail -1 <<<"$out")), byte-exact" \
        grep -q "\"body_sha256\": \"$(sha256sum <"$E2E_TMP/slow.bin" | cut -d' ' -f1)\"" <<<"$out"
done
size=$((64 * 1024 * 1024))
h2_stall $size "a client that opens no window on a 64 MiB answer"

# A client that never opens its window again: timeouts.idle (5 s here)
# ends its request, on that stream only, audited as a timeout
got=$(h2probe api.test "$CA/ca.crt" never "/big?n=$size&never=1" 20)
check "a client that never opens its window: the stream is reset after timeouts.idle ($got)" \
    grep -Eq '^reset:[0-9]+ [5-9]$' <<<"$got"
# (the audit's path has no query: the request is the last /big line)
sleep 0.5
never_end=$(grep '"event":"http"' "$E2E_TMP/audit.jsonl" | grep '"path":"/big"' | tail -1 | grep -o '"end":"[a-z_]*"')
check "... audited with \"end\":\"timeout\" ($never_end)" test "$never_end" = '"end":"timeout"'

# A refusal answered before the request's body came (RFC 9113 §8.1): the
# body that follows is read and dropped, so a client whose last DATA was
# in flight sees its stream end, not a reset (libcurl 7.88 reports a
# reset after a whole answer as an error: make demo's step 3 did, one run
# in three); a body that goes on past BB_H2_DISCARD_MAX is told to stop
got=$(h2probe scoped.test "$CA/ca.crt" early /echo 1000)
check "a refused POST whose body comes after the answer: the stream ends, no reset ($got)" \
    grep -Eq '^status:40[35] ended 1000$' <<<"$got"
got=$(h2probe scoped.test "$CA/ca.crt" early /echo 1000000)
past_discard() { # "status:403 reset:0 SENT" with 64 KiB < SENT < 1 MB
    grep -Eq '^status:40[35] reset:0 [0-9]+$' <<<"$got" && [ "${got##* }" -gt 65536 ] &&
        [ "${got##* }" -lt 1000000 ]
}
check "... one that goes on past 64 KiB is reset with NO_ERROR ($got)" past_discard

# ---- https_interception.http2: false ----
serve_stop
cfg_set "$E2E_TMP/botbox.yaml" https_interception.http2 false
serve_start app "$E2E_TMP/botbox.yaml"
got=$(h2curl -o /dev/null -w '%{http_version} %{http_code}' https://api.test/echo)
check "https_interception.http2: false: curl --http2 gets HTTP/1.1 ($got)" test "$got" = "1.1 200"

finish
