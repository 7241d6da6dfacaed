#!/usr/bin/env bash
# SNI passthrough: for a rule with `tls: passthrough`, botbox
# checks the SNI, resolves and classifies it like any upstream name, dials
# the checked address on 443, replays the ClientHello and splices bytes
# both ways, never decrypting. The client trusts only the upstream's own
# CA. Disallowed SNIs and hellos without SNI are reset.
. "$(dirname "$0")/../lib.sh"

proxy_world
serve_stop
cfg_merge "$E2E_TMP/botbox.yaml" <<'YAML'
egress_policy:
  rules: [{host: hang.test, tls: passthrough}]
YAML
check "apply the ruleset (443 steered for the passthrough rule)" \
    in_ns app "$BIN" nft apply --config "$E2E_TMP/botbox.yaml"
serve_start app "$E2E_TMP/botbox.yaml"

up_https() { as_uid 1000 app curl -sS --max-time 5 --cacert "$E2E_TMP/certs/ca.crt" "$@"; }

expect "passthrough: curl https://hang.test/ with only the upstream's CA succeeds" '"path": "/echo"' \
    up_https https://hang.test/echo
expect "... and sees the upstream's own certificate" "issuer: CN=botbox e2e CA" \
    bash -c "ip netns exec ${NS[app]} setpriv --reuid=1000 --regid=1000 --clear-groups \
        curl -sv --max-time 5 --cacert $E2E_TMP/certs/ca.crt -o /dev/null https://hang.test/echo 2>&1"
check "... the upstream got the request as the client sent it (nothing injected)" \
    bash -c "grep '\"path\": \"/echo\"' $E2E_TMP/upstream.log | grep '\"sni\": \"hang.test\"' |
        grep -vq Authorization"
check "... audited as passthrough" \
    wait_for 3 grep -q '"event":"tls","decision":"allow","reason":"passthrough".*"sni":"hang.test".*"mode":"passthrough"' \
    "$E2E_TMP/audit.jsonl"
up_https -o /dev/null https://api.test/echo 2>"$E2E_TMP/denied.err"
rc=$?
check "an SNI that is not a passthrough rule (interception off): reset (curl $rc)" \
    test "$rc" = 35 -o "$rc" = 56
check "... audited" wait_for 3 grep -q '"event":"tls","decision":"deny","reason":"interception_disabled".*"sni":"api.test"' \
    "$E2E_TMP/audit.jsonl"
refute "a ClientHello without SNI is reset" bash -c \
    "ip netns exec ${NS[app]} timeout 5 openssl s_client -connect $UP4:443 -noservername \
        </dev/null 2>&1 | grep -q 'Server certificate'"
check "... audited (no_sni)" wait_for 3 grep -q '"event":"tls","decision":"deny","reason":"no_sni"' \
    "$E2E_TMP/audit.jsonl"
expect "the metrics count it" "1" bash -c \
    "ip netns exec ${NS[app]} curl -s http://127.0.0.1:9090/metrics |
        $PY $E2E_DIR/tools/metrics.py 'botbox_tls_handshakes_total{result=no_sni}'"
serve_stop

# ---- passthrough next to interception ----
enable_interception
serve_start app "$E2E_TMP/botbox.yaml"
expect "with interception on, the passthrough host still shows the upstream's certificate" \
    "issuer: CN=botbox e2e CA" bash -c "ip netns exec ${NS[app]} setpriv --reuid=1000 --regid=1000 \
        --clear-groups curl -sv --max-time 5 --cacert $E2E_TMP/certs/ca.crt -o /dev/null \
        https://hang.test/echo 2>&1"
expect "... while other hosts are intercepted" "issuer: CN=botbox local CA" bash -c \
    "ip netns exec ${NS[app]} setpriv --reuid=1000 --regid=1000 --clear-groups \
        curl -sv --max-time 5 --cacert $CA/ca.crt -o /dev/null https://api.test/echo 2>&1"
serve_stop
finish
