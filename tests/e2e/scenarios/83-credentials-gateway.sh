#!/usr/bin/env bash
# Minted credentials in the per-node gateway (docs/security.md, "OAuth2
# access tokens" and "AWS SigV4"): "cli" routes through "gw", where
# botbox serve intercepts HTTPS for the clients behind bbc0 and answers
# their DNS. The client (uid 1000) holds only the placeholders of
# placeholders_file; an oauth2 credential's token is fetched by the
# gateway from a token endpoint no rule names, an aws_sigv4 credential
# re-signs curl's --aws-sigv4 requests. The upstream (tools/upstream.py
# with tokenup.py and awsup.py) accepts only the real token and the real
# keys' signatures. Scenarios 78, 79 and 82 cover both kinds in depth in
# botbox run and the sidecar.
. "$(dirname "$0")/../lib.sh"

AKID=AKIAGATEWAYREAL01234
SKEY=gatewaySecret/0123456789+abcdefghijklmn
topo_gateway
UP4=10.201.3.2
DEFAULT_SANS="DNS:auth.test,DNS:oauthapi.test,DNS:bucket1.s3.amazonaws.com"
make_certs "$E2E_TMP/certs" default
dnsmasq_start up $UP4 auth.test=$UP4 oauthapi.test=$UP4 bucket1.s3.amazonaws.com=$UP4
CTL=$E2E_TMP/oauth.json
echo '{"mode": "ok"}' >"$CTL"
bg up upstream $PY "$E2E_DIR/tools/upstream.py" --bind $UP4:443 --certs "$E2E_TMP/certs" \
    --log "$E2E_TMP/upstream.log" --oauth "$CTL" --aws "$AKID:$SKEY"
wait_ready upstream
touch "$E2E_TMP/upstream.log"
S=$E2E_TMP/secrets
mkdir -p "$S" "$E2E_TMP/ph"
printf 'cc-client\n' >"$S/cc_id"
printf 'cc-secret\n' >"$S/cc_secret"
printf '%s\n' "$AKID" >"$S/aws_akid"
printf '%s\n' "$SKEY" >"$S/aws_secret"
touch "$E2E_TMP/audit.jsonl"
chown -R 1337:1337 "$S" "$E2E_TMP/ph" "$E2E_TMP/audit.jsonl"
CA=$E2E_TMP/botbox-ca
"$BIN" ca init --dir "$CA" >/dev/null
chown -R 1337:1337 "$CA"
chmod 755 "$CA"
cat >"$E2E_TMP/gw.yaml" <<YAML
mode: gateway
gateway:
  client_interfaces: [bbc0]
workers: 2
secrets_dir: $S
placeholders_file: $E2E_TMP/ph/placeholders.env
audit:
  output: $E2E_TMP/audit.jsonl
dns:
  upstream: $UP4
upstream:
  ca_file: $E2E_TMP/certs/ca.crt
https_interception:
  enabled: true
  ca_cert_path: $CA/ca.crt
  ca_key_path: $CA/ca.key
egress_policy:
  rules:
    - { host: oauthapi.test, action: allow, allow_private: true }
    - { host: bucket1.s3.amazonaws.com, action: allow, allow_private: true }
credentials:
  - kind: oauth2
    name: cc
    token_url: https://auth.test/cc/token
    client_id_ref: cc_id
    client_secret_ref: cc_secret
    hosts: [oauthapi.test]
  - kind: aws_sigv4
    access_key_id_ref: aws_akid
    secret_access_key_ref: aws_secret
    hosts: [bucket1.s3.amazonaws.com]
YAML
chmod a+r "$E2E_TMP/gw.yaml"
check "botbox check accepts both kinds in gateway mode" "$BIN" check --config "$E2E_TMP/gw.yaml"
check "apply the gateway ruleset (443 steered)" in_ns gw "$BIN" nft apply --config "$E2E_TMP/gw.yaml"
serve_start gw "$E2E_TMP/gw.yaml"
mkdir -p "/etc/netns/${NS[cli]}"
echo "nameserver $UP4" >"/etc/netns/${NS[cli]}/resolv.conf" # answered by botbox's forwarder
PHF=$E2E_TMP/ph/placeholders.env
chmod a+r "$PHF"
PH=$(sed -n 's/^BOTBOX_PLACEHOLDER_CC=//p' "$PHF")
AK=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$PHF")
SK=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$PHF")
cl() { as_uid 1000 cli env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 15 "$@"; }

out=$(cl -w ' %{http_code}' -H "Authorization: Bearer $PH" https://oauthapi.test/api/gw)
check "oauth2 through the gateway (HTTP/2): 200" grep -q ' 200$' <<<"$out"
check "... the API took the token the gateway fetched" bash -c "
    grep '\"event\": \"api\"' '$E2E_TMP/upstream.log' | tail -1 | grep -q '\"ok\": true'"
check "... the echoed Authorization reads as the placeholder" grep -qF "Bearer $PH" <<<"$out"
check "... one fetch, audited" wait_for 3 bash -c "
    test \$(grep -c '\"event\": \"token\"' '$E2E_TMP/upstream.log') = 1 &&
    grep '\"event\":\"token\"' '$E2E_TMP/audit.jsonl' | grep -q '\"reason\":\"token_fetched\"'"
expect "... over HTTP/1.1 too, with the cached token" "200" \
    cl --http1.1 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $PH" \
    https://oauthapi.test/api/gw1
check "... still one fetch" test "$(grep -c '"event": "token"' "$E2E_TMP/upstream.log")" = 1
sig() { cl --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" "$@"; }
expect "aws_sigv4 through the gateway: PutObject 200" "200" \
    sig -o /dev/null -w '%{http_code}' -X PUT --data-binary 'gateway body' \
    https://bucket1.s3.amazonaws.com/gw.txt
expect "... GetObject over HTTP/1.1: the body" "gateway body" \
    sig --http1.1 https://bucket1.s3.amazonaws.com/gw.txt
check "... both verified at the upstream with the real keys" \
    test "$(grep '"event": "aws"' "$E2E_TMP/upstream.log" | grep -c '"ok": true')" = 2
expect "the oauth2 placeholder sent to the AWS host: 403" "403" \
    cl -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $PH" \
    https://bucket1.s3.amazonaws.com/gw.txt
check "... audited credential_misuse" wait_for 3 grep -q '"reason":"credential_misuse"' \
    "$E2E_TMP/audit.jsonl"
issued=$(grep -o '"issued": "[^"]*"' "$E2E_TMP/upstream.log" | cut -d'"' -f4)
refute "no token, client secret or AWS secret in the audit log or the gateway's output" \
    grep -qF -e "$issued" -e cc-secret -e "$SKEY" -e "$AKID" "$E2E_TMP/audit.jsonl" \
    "$E2E_TMP/serve.out" "$PHF"
finish
