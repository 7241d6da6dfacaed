#!/usr/bin/env bash
# OAuth2 access tokens made at the boundary (docs/security.md, "OAuth2
# access tokens"), in the intercepting sidecar with two workers. The
# workload (uid 1000) holds placeholders from placeholders_file and sends
# them as its Bearer token; botbox fetches the real tokens from a token
# endpoint (tools/tokenup.py, steered between steps through a control
# file) whose host is not in the policy, and the API behind it accepts
# only tokens that endpoint issued. Counted at the endpoint: one fetch for
# a burst of 50, renewal before expiry, after expiry and after a 401, a
# rotated refresh token used next and written back; failures give 502
# credential_unavailable with nothing sent to the API.
. "$(dirname "$0")/../lib.sh"

CTL=$E2E_TMP/oauth.json
ctl() { echo "$1" >"$CTL"; }
ctl '{"mode": "ok", "delay": 1}'
PROXY_NAMES="auth.test oauthapi.test rtapi.test badapi.test"
PROXY_UPSTREAM_ARGS="--oauth $CTL"
intercept_world
serve_stop
S=$E2E_TMP/secrets
printf 'cc-client\n' >"$S/cc_id"
printf 'cc-secret\n' >"$S/cc_secret"
printf 'rt-client\n' >"$S/rt_id"
printf 'rt-refresh-0\n' >"$S/rt_refresh"
mkdir -p "$E2E_TMP/ph" "$E2E_TMP/out"
chmod 777 "$E2E_TMP/out"
chown 1337:1337 "$S"/cc_* "$S"/rt_* "$E2E_TMP/ph"
cfg_merge "$E2E_TMP/botbox.yaml" <<YAML
workers: 2
placeholders_file: $E2E_TMP/ph/placeholders.env
egress_policy:
  rules:
    - { host: oauthapi.test, action: allow, allow_private: true }
    - { host: rtapi.test, action: allow, allow_private: true }
    - { host: badapi.test, action: allow, allow_private: true }
credentials:
  - kind: oauth2
    name: cc
    token_url: https://auth.test/cc/token
    client_id_ref: cc_id
    client_secret_ref: cc_secret
    scopes: [read, write]
    audience: https://oauthapi.test
    refresh_before: 2
    hosts: [oauthapi.test]
  - kind: oauth2
    name: rt
    grant: refresh_token
    token_url: https://auth.test/rt/token
    client_id_ref: rt_id
    refresh_token_ref: rt_refresh
    hosts: [rtapi.test]
  - kind: oauth2
    name: untrusted
    token_url: https://badcert.test/cc/token
    client_id_ref: cc_id
    client_secret_ref: cc_secret
    hosts: [badapi.test]
YAML
check "botbox check accepts both credentials" "$BIN" check --config "$E2E_TMP/botbox.yaml"
sed 's|token_url: https://auth.test/cc|token_url: http://auth.test/cc|' \
    "$E2E_TMP/botbox.yaml" >"$E2E_TMP/bad1.yaml"
check "... refuses an http token_url at FILE:LINE:COL" bash -c "'$BIN' check --config \
    '$E2E_TMP/bad1.yaml' 2>&1 | grep -qE 'bad1.yaml:[0-9]+:[0-9]+: credentials\[0\]\.token_url: must be an https'"
grep -v 'client_secret_ref' "$E2E_TMP/botbox.yaml" >"$E2E_TMP/bad2.yaml"
check "... and a client-credentials grant without its secret" bash -c "'$BIN' check --config \
    '$E2E_TMP/bad2.yaml' 2>&1 | grep -qE 'bad2.yaml:[0-9]+:[0-9]+: credentials\[0\]\.client_secret_ref: is required'"
sed 's|kind: oauth2|kind: oauth3|' "$E2E_TMP/botbox.yaml" >"$E2E_TMP/bad3.yaml"
check "... and an unknown kind" bash -c "'$BIN' check --config '$E2E_TMP/bad3.yaml' 2>&1 |
    grep -qE 'bad3.yaml:[0-9]+:[0-9]+: credentials\[0\]\.kind'"
serve_start app "$E2E_TMP/botbox.yaml"
PHF=$E2E_TMP/ph/placeholders.env
PH=$(sed -n 's/^BOTBOX_PLACEHOLDER_CC=//p' "$PHF")
PH_RT=$(sed -n 's/^BOTBOX_PLACEHOLDER_RT=//p' "$PHF")
check "placeholders_file has both placeholders" test -n "$PH" -a -n "$PH_RT"

up_log() { grep "\"event\": \"$1\"" "$E2E_TMP/upstream.log"; }
token_calls() { up_log token | wc -l; }
api_calls() { up_log api | wc -l; }
# call PLACEHOLDER URL [curl args]: the workload's request with its
# placeholder as the Bearer token; prints the status, keeps the body (in
# out/, the last one also as out/last).
call() {
    local f
    f=$E2E_TMP/out/$(date +%s%N)
    as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 15 \
        -o "$f" -w '%{http_code}' -H "Authorization: Bearer $1" "${@:2}"
    cp "$f" "$E2E_TMP/out/last"
}

# ---- one fetch for a burst across two workers ----
urls=()
for i in $(seq 50); do
    urls+=(-o "$E2E_TMP/out/burst.$i" "https://oauthapi.test/api/$i")
done
codes=$(as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 20 --http1.1 \
    --no-progress-meter -Z --parallel-max 50 --parallel-immediate -w '%{http_code}\n' \
    -H "Authorization: Bearer $PH" "${urls[@]}")
check "50 concurrent requests (HTTP/1.1, 50 connections, 2 workers): all 200" \
    test "$(grep -c '^200$' <<<"$codes")" = 50
check "... from exactly one token fetch" test "$(token_calls)" = 1
check "... with the client's Basic credentials, scopes and audience" bash -c "
    grep '\"event\": \"token\"' '$E2E_TMP/upstream.log' | grep '\"ok\": true, \"n\": 1' |
    grep '\"scope\": \"read write\"' | grep -q '\"audience\": \"https://oauthapi.test\"'"
check "... and the API accepted the token on all 50" test "$(up_log api | grep -c '"ok": true')" = 50
check "the echoed Authorization reads as the placeholder, not the token" \
    grep -qF "Bearer $PH" "$E2E_TMP/out/burst.1"
refute "... no token in any answer" grep -lq 'tok-' "$E2E_TMP"/out/burst.*
check "the fetch is audited as its own event" wait_for 3 audit_has \
    "(a.get('event') == 'token' and a['decision'] == 'allow' and a['credential'] == 'cc'
     and a['trigger'] == 'first' and a['expires_in'] == 3600 and a['status'] == 200)"
check "... and the requests name the credential" audit_has \
    "a.get('event') == 'http' and a.get('credentials') == ['cc'] and a['status'] == 200"

# ---- a 401 renews once, for a request that can be sent again ----
ctl '{"mode": "ok", "expires_in": 4, "revoke": 1}'
expect "a GET after the API revoked the token: 200" "200" call "$PH" https://oauthapi.test/api/get
check "... the API saw the old token refused, then a new one" bash -c "
    grep '\"event\": \"api\"' '$E2E_TMP/upstream.log' | tail -2 | head -1 | grep -q '\"ok\": false' &&
    grep '\"event\": \"api\"' '$E2E_TMP/upstream.log' | tail -1 | grep -q '\"token_n\": 2'"
check "... one fetch for it, audited as rejected" bash -c "test $(token_calls) = 2" 
check "... (the audit says why)" wait_for 3 audit_has \
    "a.get('event') == 'token' and a['trigger'] == 'rejected'"
ctl '{"mode": "ok", "expires_in": 4, "revoke": 2}'
before=$(api_calls)
expect "a POST with a body is not sent twice: the 401 reaches the client" "401" \
    call "$PH" -X POST --data-binary '{"x":1}' -H 'Content-Type: application/json' \
    https://oauthapi.test/api/post
check "... once at the API" test "$(api_calls)" = $((before + 1))
expect "... and the next request gets a new token: 200" "200" call "$PH" https://oauthapi.test/api/g
check "... fetched once more" test "$(token_calls)" = 3

# ---- renewal before expiry, then after it ----
sleep 2.5 # token 3 lives 4 s and is renewed from 2 s on (refresh_before 2)
expect "a request in the renewal window goes at once with the token in hand" "200" \
    call "$PH" https://oauthapi.test/api/window
check "... (token 3)" bash -c "up_log() { grep \"\\\"event\\\": \\\"\$1\\\"\" '$E2E_TMP/upstream.log'; }
    up_log api | tail -1 | grep -q '\"token_n\": 3'"
check "... while a renewal fetch ran behind it" wait_for 3 bash -c "
    test \$(grep -c '\"event\": \"token\"' '$E2E_TMP/upstream.log') = 4"
check "... audited as a renewal" wait_for 3 audit_has \
    "a.get('event') == 'token' and a['trigger'] == 'renewal'"
expect "the next request carries the renewed token" "200" call "$PH" https://oauthapi.test/api/r
check "... (token 4)" bash -c "grep '\"event\": \"api\"' '$E2E_TMP/upstream.log' | tail -1 |
    grep -q '\"token_n\": 4'"
ctl '{"mode": "fail", "expires_in": 4, "revoke": 2}'
sleep 4.2 # token 4 has expired
before=$(api_calls)
expect "the token expired and the endpoint fails: 502" "502" call "$PH" https://oauthapi.test/api/f
check "... with a clear body" grep -q "credential unavailable" "$E2E_TMP/out/last"
check "... and nothing sent to the API" test "$(api_calls)" = "$before"
check "... audited: the fetch (expiry, status 500, server_error) and the request" wait_for 3 \
    audit_has "(a.get('event') == 'token' and a['decision'] == 'error' and
     a['trigger'] == 'expiry' and a['status'] == 500 and a['endpoint_error'] == 'server_error')"
check "... the request's line says credential_unavailable" audit_has \
    "(a.get('event') == 'http' and a['status'] == 502 and a['reason'] == 'credential_unavailable'
     and a.get('credentials') == ['cc'])"
ctl '{"mode": "hang", "expires_in": 3600, "revoke": 2}'
expect "an endpoint that does not answer: 502" "502" call "$PH" https://oauthapi.test/api/h
check "... audited as a timeout" wait_for 3 audit_has \
    "a.get('event') == 'token' and a['reason'] == 'token_endpoint_timeout'"
check "... nothing sent to the API" test "$(api_calls)" = "$before"
ctl '{"mode": "ok", "expires_in": 3600, "revoke": 2}'
expect "once the endpoint answers again: 200" "200" call "$PH" https://oauthapi.test/api/ok

before=$(token_calls)
expect "a token endpoint whose certificate does not verify: 502" "502" \
    call "$(sed -n 's/^BOTBOX_PLACEHOLDER_UNTRUSTED=//p' "$PHF")" https://badapi.test/api
check "... audited token_endpoint_tls_verify; the endpoint got nothing" wait_for 3 bash -c "
    grep -q '\"reason\":\"token_endpoint_tls_verify\"' '$E2E_TMP/audit.jsonl' &&
    test \$(grep -c '\"event\": \"token\"' '$E2E_TMP/upstream.log') = $before"

# ---- the refresh-token grant: the rotated token is used next ----
expect "a request to the refresh-token credential's host: 200" "200" \
    call "$PH_RT" https://rtapi.test/api/1
rot=$(up_log token | grep '"path": "/rt/token"' | tail -1 | json_field "$(cat)" rotated)
check "... fetched with the refresh token from secrets_dir, which rotated" bash -c "
    grep '\"path\": \"/rt/token\"' '$E2E_TMP/upstream.log' | tail -1 |
    grep -q '\"refresh_used\": \"rt-refresh-0\"' && test -n '$rot'"
check "... written back to its file" wait_for 3 grep -qx "$rot" "$S/rt_refresh"
check "... audited as written" wait_for 3 audit_has \
    "a.get('event') == 'token' and a['credential'] == 'rt' and a.get('refresh_token') == 'written'"
n_rt=$(grep -o '"token_n": [0-9]*' "$E2E_TMP/upstream.log" | tail -1 | grep -o '[0-9]*$')
ctl "{\"mode\": \"ok\", \"expires_in\": 3600, \"revoke\": $n_rt}"
expect "after the API revoked that token, a GET: 200" "200" call "$PH_RT" https://rtapi.test/api/2
check "... the next fetch used the rotated refresh token (the old one is refused)" bash -c "
    grep '\"path\": \"/rt/token\"' '$E2E_TMP/upstream.log' | tail -1 |
    grep '\"refresh_used\": \"$rot\"' | grep -q '\"ok\": true'"
calls=$(token_calls)
sleep 1.5
check "... and writing it back starts no fetch of its own (the reload it causes)" \
    test "$(token_calls)" = "$calls"
check "the rt token went to rtapi.test only, the cc token to oauthapi.test only" bash -c "
    ! grep '\"event\": \"api\"' '$E2E_TMP/upstream.log' | grep -q 'Bearer $PH'"

# ---- the client secret's file goes: 500, nothing fetched or sent ----
reloads=$(grep -c '"event":"secrets"' "$E2E_TMP/audit.jsonl")
rm "$S/cc_secret"
check "the secrets reload sees the file gone" wait_for 5 bash -c \
    "test \$(grep -c '\"event\":\"secrets\"' '$E2E_TMP/audit.jsonl') -gt $reloads"
before=$(api_calls)
tokens=$(token_calls)
expect "without the client secret's file, though a token is cached: 500" "500" \
    call "$PH" https://oauthapi.test/api/nosecret
check "... nothing at the API or the token endpoint, audited" wait_for 3 bash -c "
    test $(api_calls) = $before && test $(token_calls) = $tokens &&
    grep -q '\"reason\":\"secret_not_available\"' '$E2E_TMP/audit.jsonl'"

# ---- nothing secret anywhere the workload or a log sees ----
issued=$(up_log token | grep -o '"issued": "[^"]*"' | cut -d'"' -f4)
check "tokens were issued" test -n "$issued"
leak=()
for v in $issued cc-secret rt-refresh-; do
    grep -rqF -- "$v" "$E2E_TMP/out" "$E2E_TMP/audit.jsonl" "$E2E_TMP/serve.out" "$PHF" &&
        leak+=("$v")
done
check "no token, client secret or refresh token in stdout, stderr, the audit log or any answer" \
    test "${#leak[@]}" = 0
finish
