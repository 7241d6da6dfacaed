"""A small S3 and Bedrock for upstream.py (--aws KEYID:SECRET[:TOKEN]),
which checks every request's SigV4 signature the way AWS does, with
botocore's own signer over the request exactly as it arrived and the
real keys: a request botbox did not sign again (or signed wrongly) gets
403 SignatureDoesNotMatch, as from AWS.

  S3 (s3.amazonaws.com, BUCKET.s3.amazonaws.com, s3.REGION..., path and
  virtual-host styles): PutObject, GetObject, ListObjectsV2 (prefix);
  a key named "skewed" answers 403 RequestTimeTooSkewed.
  Bedrock runtime: POST /model/ID/invoke answers JSON.

Each verdict is recorded as {"event": "aws", "ok": ..., "why": ...}.
"""
import datetime
import hashlib
import hmac
import json
import urllib.parse

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

OBJECTS = {}
SKEW = datetime.timedelta(minutes=15)


def scope_of(cred):
    akid, date, region, service, term = cred.split("/")
    return akid, date, region, service


def verify(keys, method, host, path, headers, body):
    """None when the signature is AWS's, else why not."""
    akid, secret, token = keys
    parts = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    presigned = "X-Amz-Signature" in query
    if presigned:
        cred = query["X-Amz-Credential"][0]
        signed = query["X-Amz-SignedHeaders"][0].split(";")
        stamp = query["X-Amz-Date"][0]
        got = query["X-Amz-Signature"][0]
        sent_token = query.get("X-Amz-Security-Token", [None])[0]
    else:
        auth = headers.get("authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "no SigV4 Authorization"
        fields = dict(f.strip().split("=", 1) for f in auth[17:].split(","))
        cred, signed, got = fields["Credential"], fields["SignedHeaders"].split(";"), fields["Signature"]
        stamp = headers.get("x-amz-date", "")
        sent_token = headers.get("x-amz-security-token")
    k, date, region, service = scope_of(cred)
    if k != akid:
        return f"access key id {k!r} is not the real one"
    if (sent_token or None) != (token or None):
        return "session token missing or wrong"
    when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    if abs(datetime.datetime.utcnow() - when) > SKEW:
        return "RequestTimeTooSkewed"
    if "host" not in signed:
        return "host is not signed"
    sha = headers.get("x-amz-content-sha256")
    if sha and sha not in ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER") and \
            sha != hashlib.sha256(body).hexdigest():
        return "x-amz-content-sha256 is not the body's"
    url = "https://" + host + parts.path
    if presigned:
        kept = [(n, v) for n, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
                if n != "X-Amz-Signature"]
        url += "?" + urllib.parse.urlencode(
            kept, quote_via=lambda v, *a: urllib.parse.quote(v, safe="-_.~"))
    elif parts.query:
        url += "?" + parts.query
    req = AWSRequest(method=method, url=url, data=body,
                     headers={n: v for n, v in headers.items() if n in signed})
    req.context["timestamp"] = stamp
    creds = Credentials(akid, secret, token)
    s3 = service == "s3"
    if presigned:
        cls = S3SigV4QueryAuth if s3 else SigV4QueryAuth
        signer = cls(creds, service, region, expires=int(query["X-Amz-Expires"][0]))
    else:
        signer = (S3SigV4Auth if s3 else SigV4Auth)(creds, service, region)
    canonical = signer.canonical_request(req)
    want = signer.signature(signer.string_to_sign(req, canonical), req)
    if not hmac.compare_digest(want, got):
        return "SignatureDoesNotMatch"
    return None


def error(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()


def bucket_key(host, path):
    p = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
    if host.split(".")[0] not in ("s3",) and ".s3" in host:
        return host.split(".s3")[0], p[1:]
    b, _, k = p[1:].partition("/")
    return b, k


def list_xml(bucket, prefix):
    keys = sorted(k for (b, k) in OBJECTS if b == bucket and k.startswith(prefix))
    items = "".join(
        f"<Contents><Key>{k}</Key><LastModified>2025-01-01T00:00:00.000Z</LastModified>"
        f'<ETag>"{hashlib.md5(OBJECTS[(bucket, k)]).hexdigest()}"</ETag>'
        f"<Size>{len(OBJECTS[(bucket, k)])}</Size><StorageClass>STANDARD</StorageClass></Contents>"
        for k in keys)
    return (f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
            f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>{bucket}</Name>'
            f"<Prefix>{prefix}</Prefix><KeyCount>{len(keys)}</KeyCount><MaxKeys>1000</MaxKeys>"
            f"<IsTruncated>false</IsTruncated>{items}</ListBucketResult>").encode()


def handle(h, keys, body, record):
    """Serves one request of upstream.py's handler h."""
    host = h.headers.get("Host", "").split(":")[0]
    headers = {n.lower(): v for n, v in h.headers.items()}
    why = verify(keys, h.command, host, h.path, headers, body)
    record({"event": "aws", "ok": why is None, "why": why, "method": h.command,
            "host": host, "path": h.path})
    if why == "RequestTimeTooSkewed":
        return h.send(403, error(why, "skewed"), "application/xml")
    if why is not None:
        return h.send(403, error("SignatureDoesNotMatch", why), "application/xml")
    if host.startswith("bedrock-runtime."):
        return h.send(200, json.dumps({"completion": "hi", "got": json.loads(body or b"{}")}).encode())
    bucket, key = bucket_key(host, h.path)
    if key == "skewed":
        return h.send(403, error("RequestTimeTooSkewed", "the difference is too large"),
                      "application/xml")
    if h.command == "PUT":
        OBJECTS[(bucket, key)] = body
        return h.send(200, b"", "text/plain",
                      [("ETag", '"' + hashlib.md5(body).hexdigest() + '"')])
    if h.command == "GET" and key:
        if (bucket, key) not in OBJECTS:
            return h.send(404, error("NoSuchKey", key), "application/xml")
        return h.send(200, OBJECTS[(bucket, key)], "application/octet-stream")
    if h.command == "GET":
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(h.path).query)
        return h.send(200, list_xml(bucket, q.get("prefix", [""])[0]), "application/xml")
    return h.send(405, error("MethodNotAllowed", h.command), "application/xml")
