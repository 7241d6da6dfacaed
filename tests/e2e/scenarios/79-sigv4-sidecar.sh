#!/usr/bin/env bash
# AWS SigV4 re-signing in the intercepting sidecar (scenario 78 covers
# botbox run): the workload (uid 1000) reads its placeholder key id and
# stand-in secret from placeholders_file, as a sidecar's app does, and
# signs with curl's --aws-sigv4 (HTTP/2 and HTTP/1.1) and boto3. The
# upstream verifies each signature with botocore's signer and the real
# keys (tools/awsup.py).
. "$(dirname "$0")/../lib.sh"

AKID=AKIASIDECARREAL01234
SKEY=sidecarSecret/0123456789+abcdefghijklmnopq
PROXY_NAMES="s3.amazonaws.com bucket1.s3.amazonaws.com"
PROXY_UPSTREAM_ARGS="--aws $AKID:$SKEY"
intercept_world
serve_stop
printf '%s\n' "$AKID" >"$E2E_TMP/secrets/aws_akid"
printf '%s\n' "$SKEY" >"$E2E_TMP/secrets/aws_secret"
mkdir -p "$E2E_TMP/ph"
chown 1337:1337 "$E2E_TMP/secrets"/aws_* "$E2E_TMP/ph"
cfg_merge "$E2E_TMP/botbox.yaml" <<YAML
placeholders_file: $E2E_TMP/ph/placeholders.env
egress_policy:
  rules:
    - { host: "*.s3.amazonaws.com", action: allow, allow_private: true }
    - { host: s3.amazonaws.com, action: allow, allow_private: true }
credentials:
  - kind: aws_sigv4
    access_key_id_ref: aws_akid
    secret_access_key_ref: aws_secret
    hosts: [s3.amazonaws.com, "*.s3.amazonaws.com"]
YAML
check "botbox check accepts the credential" "$BIN" check --config "$E2E_TMP/botbox.yaml"
serve_start app "$E2E_TMP/botbox.yaml"
PHF=$E2E_TMP/ph/placeholders.env
AK=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$PHF")
SK=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$PHF")
check "placeholders_file has an access key id's shape and a 40-character stand-in" \
    bash -c "[[ '$AK' =~ ^AKIA[A-Za-z0-9]{16}$ && '$SK' =~ ^[A-Za-z0-9]{40}$ ]]"
refute "... and no secret" grep -qF -e "$AKID" -e "$SKEY" "$PHF"
ok() { grep '"event": "aws"' "$E2E_TMP/upstream.log" | grep -c '"ok": true'; }
sig() {
    as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 10 \
        --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" "$@"
}
expect "curl --aws-sigv4 PutObject over HTTP/1.1: 200" "200" \
    sig --http1.1 -o /dev/null -w '%{http_code}' -X PUT --data-binary 'sidecar body' \
    https://bucket1.s3.amazonaws.com/dir/obj.txt
expect "... GetObject over HTTP/2: the body" "sidecar body" \
    sig --http2 https://bucket1.s3.amazonaws.com/dir/obj.txt
expect "... path style: the body" "sidecar body" sig https://s3.amazonaws.com/bucket1/dir/obj.txt
check "... the upstream verified all three with the real keys" test "$(ok)" = 3
out=$(as_uid 1000 app env AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
    AWS_CA_BUNDLE="$CA/ca.crt" python3 -c '
import boto3
c = boto3.client("s3", region_name="us-east-1")
print([o["Key"] for o in c.list_objects_v2(Bucket="bucket1", Prefix="dir/")["Contents"]])' 2>&1)
check "boto3 ListObjectsV2 in the sidecar's app" grep -qF "['dir/obj.txt']" <<<"$out"
check "... verified" test "$(ok)" = 4
expect "a stand-in key id of the caller's own: 403" "403" \
    as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS -o /dev/null -w '%{http_code}' \
    --aws-sigv4 aws:amz:us-east-1:s3 --user "AKIAIOSFODNN7EXAMPLE:$SK" \
    https://bucket1.s3.amazonaws.com/dir/obj.txt
check "... audited credential_misuse; the signed ones audited sigv4" wait_for 3 bash -c "
    grep -q '\"reason\":\"credential_misuse\"' '$E2E_TMP/audit.jsonl' &&
    test \$(grep -c '\"signed\":\"sigv4\"' '$E2E_TMP/audit.jsonl') -ge 4"
# The other refusals, each before anything is dialled (raw requests the
# SDKs do not make, written by hand with the placeholder).
raw() {
    as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 10 -o /dev/null \
        -w '%{http_code}' "$@"
}
AUTH="Authorization: AWS4-HMAC-SHA256 Credential=$AK/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"
n=$(requests)
expect "a chunked body without x-amz-content-sha256 (nothing to hash it with): 413" "413" \
    raw -X PUT -H "$AUTH" -H 'Transfer-Encoding: chunked' --data-binary 'x' \
    https://bucket1.s3.amazonaws.com/chunked
Q="X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=$AK%2F20200101%2Fus-east-1%2Fs3%2Faws4_request"
Q+="&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
expect "a presigned URL past its X-Amz-Expires: 403" "403" \
    raw "https://bucket1.s3.amazonaws.com/dir/obj.txt?$Q&X-Amz-Date=20200101T000000Z&X-Amz-Expires=60"
expect "a presigned URL without X-Amz-Date: 403" "403" \
    raw "https://bucket1.s3.amazonaws.com/dir/obj.txt?$Q&X-Amz-Expires=60"
expect "a SigV2 Authorization header: 403" "403" \
    raw -H "Authorization: AWS $AK:c2lnbmF0dXJl" https://bucket1.s3.amazonaws.com/dir/obj.txt
check "... audited sigv4_unhashed_body, presigned_expired, presigned_invalid, sigv2_refused" \
    wait_for 3 bash -c "for r in sigv4_unhashed_body presigned_expired presigned_invalid sigv2_refused; do
        grep -q \"\\\"reason\\\":\\\"\$r\\\"\" '$E2E_TMP/audit.jsonl' || exit 1; done"
check "... none of them reached the upstream" test "$(requests)" = "$n"
# The secret access key's file goes: the secrets reload, then a signed
# request is 500 secret_not_available, nothing sent.
reloads=$(grep -c '"event":"secrets"' "$E2E_TMP/audit.jsonl")
rm "$E2E_TMP/secrets/aws_secret"
check "the secrets reload sees the file gone" wait_for 5 bash -c \
    "test \$(grep -c '\"event\":\"secrets\"' '$E2E_TMP/audit.jsonl') -gt $reloads"
n=$(requests)
expect "without the secret access key's file: 500" "500" \
    as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 10 -o /dev/null \
    -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" \
    https://bucket1.s3.amazonaws.com/dir/obj.txt
check "... audited secret_not_available, nothing at the upstream" wait_for 3 bash -c "
    grep -q '\"reason\":\"secret_not_available\"' '$E2E_TMP/audit.jsonl' && test \$(grep -c '\"event\": \"request\"' '$E2E_TMP/upstream.log') = $n"
refute "no AWS secret in the audit log" grep -qF -e "$AKID" -e "$SKEY" "$E2E_TMP/audit.jsonl"
finish
