#!/usr/bin/env bash
# AWS SigV4 re-signing (docs/security.md, "AWS SigV4"), with Debian's
# boto3/botocore inside `botbox run`, holding only the placeholder access
# key id and the stand-in secret in AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY. The upstream (awsup.py) plays S3 and Bedrock and
# checks each signature with botocore's own signer and the real keys, so
# a request botbox forgot to sign again is refused there (403
# SignatureDoesNotMatch), which this scenario shows by turning the
# credential off. At its end, an oauth2 credential in the same run
# (scenario 82 covers OAuth2 in depth, in the sidecar).
. "$(dirname "$0")/../lib.sh"

AKID=AKIAREALKEY0123456789
SKEY=realSecretKey/0123456789+abcdefghijklmnopqrs
TOKEN=IQoJb3JpZ2luX2VjEreal-session-token-0123456789
RUN_NAMES="s3.amazonaws.com bucket1.s3.amazonaws.com s3.us-east-1.amazonaws.com
    bucket1.s3.us-east-1.amazonaws.com bedrock-runtime.us-east-1.amazonaws.com
    auth.test oauthapi.test"
RUN_UPSTREAM_ARGS="--aws $AKID:$SKEY:$TOKEN --oauth $E2E_TMP/oauth.json"
RUN_RULES="    - { host: \"*.amazonaws.com\", action: allow, allow_private: true }
    - { host: \"*.s3.amazonaws.com\", action: allow, allow_private: true }
    - { host: \"*.s3.us-east-1.amazonaws.com\", action: allow, allow_private: true }
    - { host: oauthapi.test, action: allow, allow_private: true }"
run_world
printf '%s\n' "$AKID" >"$E2E_TMP/secrets/aws_akid"
printf '%s\n' "$SKEY" >"$E2E_TMP/secrets/aws_secret"
printf '%s\n' "$TOKEN" >"$E2E_TMP/secrets/aws_token"
printf 'cc-client\n' >"$E2E_TMP/secrets/cc_id"
printf 'cc-secret\n' >"$E2E_TMP/secrets/cc_secret"
chmod 644 "$E2E_TMP/secrets"/aws_* "$E2E_TMP/secrets"/cc_*
cp "$E2E_TMP/run.yaml" "$E2E_TMP/plain.yaml"
cfg_merge "$E2E_TMP/run.yaml" <<'YAML'
credentials:
  - kind: aws_sigv4
    access_key_id_ref: aws_akid
    secret_access_key_ref: aws_secret
    session_token_ref: aws_token
    hosts: ["*.amazonaws.com", "*.s3.amazonaws.com", "*.s3.us-east-1.amazonaws.com"]
  - kind: oauth2
    name: cc
    token_url: https://auth.test/cc/token
    client_id_ref: cc_id
    client_secret_ref: cc_secret
    hosts: [oauthapi.test]
YAML
check "botbox check takes the credential" "$BIN" check --config "$E2E_TMP/run.yaml"
aws_log() { grep '"event": "aws"' "$E2E_TMP/upstream.log"; }

# The workload: boto3 as a user writes it. Prints one JSON line.
cat >"$E2E_TMP/agent.py" <<'PY'
import json, os, ssl, sys, urllib.error, urllib.request
import boto3, botocore
from botocore.config import Config
out = {"akid": os.environ.get("AWS_ACCESS_KEY_ID"), "skey": os.environ.get("AWS_SECRET_ACCESS_KEY")}
def s3(**kw):
    return boto3.client("s3", region_name="us-east-1", config=Config(retries={"max_attempts": 1}, **kw))
ctx = ssl.create_default_context(cafile=os.environ["AWS_CA_BUNDLE"])
try:
    c = s3()
    c.put_object(Bucket="bucket1", Key="dir/sub dir/a+b.txt", Body=b"hello sigv4")
    out["put_unsigned"] = True
    s3(s3={"payload_signing_enabled": True}).put_object(Bucket="bucket1", Key="dir/hashed.txt",
                                                      Body=b"hashed body")
    out["put_hashed"] = True
    out["get"] = c.get_object(Bucket="bucket1", Key="dir/sub dir/a+b.txt")["Body"].read().decode()
    r = c.list_objects_v2(Bucket="bucket1", Prefix="dir/sub dir/")
    out["list"] = [o["Key"] for o in r.get("Contents", [])]
    p = s3(s3={"addressing_style": "path"})
    out["path_get"] = p.get_object(Bucket="bucket1", Key="dir/hashed.txt")["Body"].read().decode()
    v2 = c.generate_presigned_url("get_object", Params={"Bucket": "bucket1", "Key": "dir/hashed.txt"})
    try:
        urllib.request.urlopen(v2, context=ctx)
        out["v2"] = "got through"
    except urllib.error.HTTPError as e:
        out["v2"] = e.code
    url = s3(signature_version="s3v4").generate_presigned_url("get_object", Params={"Bucket": "bucket1", "Key": "dir/hashed.txt"},
                                   ExpiresIn=300)
    out["presigned_url_akid"] = os.environ["AWS_ACCESS_KEY_ID"] in url
    out["presigned"] = urllib.request.urlopen(url, context=ctx).read().decode()
    # Bedrock's InvokeModel (Debian's botocore predates the client): signed
    # by botocore's SigV4Auth with the session's placeholder keys, as a
    # user of a newer service does, and sent with requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    import requests
    url = ("https://bedrock-runtime.us-east-1.amazonaws.com/model/"
           "anthropic.claude-3-haiku-20240307-v1%3A0/invoke")
    req = AWSRequest(method="POST", url=url, data=json.dumps({"prompt": "hi", "max_tokens": 5}),
                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    SigV4Auth(boto3.Session().get_credentials(), "bedrock", "us-east-1").add_auth(req)
    r = requests.post(url, data=req.body, headers=dict(req.headers), verify=os.environ["AWS_CA_BUNDLE"])
    out["bedrock"] = r.json() if r.status_code == 200 else r.status_code
except botocore.exceptions.ClientError as e:
    out["error"] = e.response["Error"]["Code"] + ": " + e.response["Error"].get("Message", "")
except Exception as e:
    out["error"] = repr(e)
print(json.dumps(out))
PY
chmod 644 "$E2E_TMP/agent.py"
out=$(timeout 120 "${RUN[@]}" python3 "$E2E_TMP/agent.py" 2>&1)
if $PY - "$out" "$AKID" "$SKEY" "$TOKEN" <<'PY'; then
import json, sys
out, akid, skey, token = sys.argv[1:5]
o = json.loads(out.strip().splitlines()[-1])
assert "error" not in o, o["error"]
assert o["akid"].startswith("AKIA") and len(o["akid"]) == 20 and o["akid"] != akid, o["akid"]
assert len(o["skey"]) == 40 and o["skey"] != skey
assert o["put_unsigned"] and o["put_hashed"]
assert o["get"] == "hello sigv4", o
assert o["list"] == ["dir/sub dir/a+b.txt"], o
assert o["path_get"] == "hashed body", o
assert o["v2"] == 403, o  # a SigV2 presigned URL (boto3's default for S3) is refused
assert o["presigned_url_akid"] and o["presigned"] == "hashed body", o
assert o["bedrock"]["got"] == {"prompt": "hi", "max_tokens": 5}, o
for s in (akid, skey, token):
    assert s not in out
PY
    pass "boto3 with placeholders: PutObject (UNSIGNED-PAYLOAD and hashed), GetObject, ListObjectsV2 with an encoded prefix, path style, a presigned GET, Bedrock InvokeModel; a SigV2 presigned URL refused"
else
    fail "boto3 with placeholders through botbox run" "$out
$(grep -v '"decision":"allow".*"status":200' "$RUN_AUDIT" | tail -5)"
fi
check "... the upstream verified every signature with the real keys (7 requests, none refused)" \
    bash -c "test \$(grep -c '\"event\": \"aws\"' '$E2E_TMP/upstream.log') -ge 7 && ! grep '\"event\": \"aws\"' '$E2E_TMP/upstream.log' | grep -q '\"ok\": false'"
check "... the verified requests cover every kind" bash -c "
    l=\$(grep '\"event\": \"aws\"' '$E2E_TMP/upstream.log')
    grep -q '\"method\": \"PUT\"' <<<\"\$l\" && grep -q 'list-type=2' <<<\"\$l\" &&
    grep -q 'X-Amz-Signature' <<<\"\$l\" && grep -q '/model/' <<<\"\$l\""
check "... audited as signed, naming the credential" wait_for 3 bash -c \
    "test \$(grep '\"signed\":\"sigv4\"' '$RUN_AUDIT' | grep -c '\"credentials\":\[\"aws_akid\"\]') -ge 7"
refute "no AWS secret in the run's audit log" grep -qF -e "$AKID" -e "$SKEY" -e "$TOKEN" "$RUN_AUDIT"

# curl's own SigV4 (--aws-sigv4) over HTTP/2, with the placeholders.
n=$(aws_log | grep -c '"ok": true')
expect "curl --aws-sigv4 over HTTP/2 with the placeholders: the object" "hashed body" \
    timeout 60 "${RUN[@]}" sh -c 'curl -sS --http2 --aws-sigv4 aws:amz:us-east-1:s3 \
      --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" https://bucket1.s3.amazonaws.com/dir/hashed.txt'
check "... verified at the upstream" test "$(aws_log | grep -c '"ok": true')" = $((n + 1))
check "... audited as an h2 stream, signed" wait_for 3 bash -c \
    "grep '\"proto\":\"h2\"' '$RUN_AUDIT' | grep -q '\"signed\":\"sigv4\"'"

# Wrong key ids: a real-looking one, none at all (an unsigned request).
cat >"$E2E_TMP/wrong.py" <<'PY'
import sys, boto3, botocore
from botocore import UNSIGNED
from botocore.config import Config
cfg = Config(retries={"max_attempts": 1})
if sys.argv[1] == "none":
    c = boto3.client("s3", region_name="us-east-1", config=Config(signature_version=UNSIGNED))
else:
    c = boto3.client("s3", region_name="us-east-1", config=cfg,
                     aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                     aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
try:
    c.get_object(Bucket="bucket1", Key="dir/hashed.txt")
    print("got through")
except botocore.exceptions.ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"])
PY
chmod 644 "$E2E_TMP/wrong.py"
n=$(aws_log | wc -l)
expect "a real-looking but wrong access key id: 403" "403" \
    timeout 60 "${RUN[@]}" python3 "$E2E_TMP/wrong.py" wrong
expect "no signature at all: 403" "403" timeout 60 "${RUN[@]}" python3 "$E2E_TMP/wrong.py" none
check "... neither reached the upstream" test "$(aws_log | wc -l)" = "$n"
check "... both audited credential_misuse" wait_for 3 bash -c \
    "test \$(grep -c '\"reason\":\"credential_misuse\"' '$RUN_AUDIT') -ge 2"

# An aws-chunked upload signed chunk by chunk is refused, clearly.
expect "STREAMING-AWS4-HMAC-SHA256-PAYLOAD: 400 sigv4_streaming" "400" \
    timeout 60 "${RUN[@]}" sh -c 'curl -sS -o /dev/null -w "%{http_code}" -X PUT --data-binary x \
      -H "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD" \
      -H "Authorization: AWS4-HMAC-SHA256 Credential=$AWS_ACCESS_KEY_ID/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00" \
      https://bucket1.s3.amazonaws.com/streamed'
check "... audited sigv4_streaming" wait_for 3 grep -q '"reason":"sigv4_streaming"' "$RUN_AUDIT"

# The upstream says botbox's clock is off: audited.
out=$(timeout 60 "${RUN[@]}" python3 -c '
import boto3, botocore
c = boto3.client("s3", region_name="us-east-1")
try: c.get_object(Bucket="bucket1", Key="skewed")
except botocore.exceptions.ClientError as e: print(e.response["Error"]["Code"])' 2>&1)
check "an upstream's RequestTimeTooSkewed reaches the client" grep -q RequestTimeTooSkewed <<<"$out"
check "... and is audited as upstream_error" wait_for 3 \
    grep -q '"upstream_error":"RequestTimeTooSkewed"' "$RUN_AUDIT"

# OAuth2 in botbox run: the placeholder in CMD's environment, the token
# fetched by the gateway (auth.test is in no rule), over HTTP/2.
out=$(timeout 60 "${RUN[@]}" sh -c 'curl -sS --http2 -w " %{http_code}" \
    -H "Authorization: Bearer $BOTBOX_PLACEHOLDER_CC" https://oauthapi.test/api; echo " $BOTBOX_PLACEHOLDER_CC"')
ph=${out##* }
check "an oauth2 credential in botbox run: 200, the API took the token botbox fetched" bash -c "
    grep -q ' 200 ' <<<'$out' && grep '\"event\": \"api\"' '$E2E_TMP/upstream.log' | tail -1 |
    grep -q '\"ok\": true'"
check "... the echoed Authorization reads as CMD's placeholder" grep -qF "Bearer $ph" <<<"$out"
check "... one fetch, audited in the run's log" bash -c "
    test \$(grep -c '\"event\": \"token\"' '$E2E_TMP/upstream.log') = 1 &&
    grep '\"event\":\"token\"' '$RUN_AUDIT' | grep -q '\"reason\":\"token_fetched\"'"
refute "... no token or client secret in what CMD saw or the audit" bash -c "
    grep -qF -e tok- -e cc-secret <<<'$out' || grep -qF -e tok- -e cc-secret '$RUN_AUDIT'"

# Without the credential, the same SDK call (placeholder-free, with the
# caller's own fake keys) is refused by the upstream: its check can fail.
RUN[7]=$E2E_TMP/plain.yaml
out=$(timeout 60 "${RUN[@]}" env AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
    AWS_SECRET_ACCESS_KEY=x python3 "$E2E_TMP/agent.py" 2>&1)
check "without re-signing, the upstream refuses the SDK (SignatureDoesNotMatch)" \
    grep -q "SignatureDoesNotMatch" <<<"$out"
finish
