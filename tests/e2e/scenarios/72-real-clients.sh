#!/usr/bin/env bash
# Real clients nobody here wrote, each inside `botbox run` with
# interception as a user types them, over https and, where it applies,
# plain http; each checked where it lands (the upstream, the audit log,
# what the client got): git clone and git push over smart HTTP with the
# Basic credentials injected by botbox (git http-backend behind the test
# upstream), curl -L through redirects with empty bodies, curl --next
# sequences, node's fetch and python requests reusing their connection
# after empty answers, pip download from a PEP 503 index, npm install
# from a registry, wget, and testssl.sh against the interception listener.
. "$(dirname "$0")/../lib.sh"

GIT_BASIC=$(printf 'git:s3cret' | base64)
RUN_NAMES="git.test pkg.test"
RUN_UPSTREAM_ARGS="--files $E2E_TMP/files --git $E2E_TMP/git"
RUN_RULES="    - host: git.test
      action: allow
      allow_private: true
      header_rewrites:
        - name: Authorization
          value: \"Basic {value}\"
          secret_ref: git-basic
    - { host: pkg.test, action: allow, allow_private: true }"
mkdir -p "$E2E_TMP/files" "$E2E_TMP/git"
run_world
printf '%s\n' "$GIT_BASIC" >"$E2E_TMP/secrets/git-basic"
WORK=$E2E_TMP/work # the workload's home and working directory
mkdir -p "$WORK"
chown 1000:1000 "$WORK"
run() { timeout 120 "${RUN[@]}" env HOME="$WORK" sh -c "cd $WORK && $1"; }
# audit_rows JQ-LIKE PY-EXPR: the audit lines of the run for which the
# Python expression (a: the line) holds, one JSON line each.
audit_rows() {
    $PY - "$RUN_AUDIT" "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    if a.get("event") == "http" and eval(sys.argv[2], {}, {"a": a}):
        print(json.dumps(a))
PY
}
# ports PY-EXPR: how many client connections (source ports) those lines came on
ports() { audit_rows "$1" | $PY -c 'import json, sys; print(len({json.loads(l)["src"] for l in sys.stdin}))'; }
lines() { audit_rows "$1" | wc -l; }

# ---- git over smart HTTP, Basic auth injected ----
git init -q --bare "$E2E_TMP/git/repo.git"
git -C "$E2E_TMP/git/repo.git" config http.receivepack true
seed=$E2E_TMP/seed
git init -q -b main "$seed"
echo hello >"$seed/README"
git -C "$seed" add README
git -C "$seed" -c user.name=t -c user.email=t@t commit -q -m first
git -C "$seed" push -q "$E2E_TMP/git/repo.git" main
git -C "$E2E_TMP/git/repo.git" symbolic-ref HEAD refs/heads/main
GITC="git -c user.name=agent -c user.email=agent@sandbox -c init.defaultBranch=main"
expect "git clone https://git.test/git/repo.git (no credentials in the sandbox)" "hello" \
    run "$GITC clone -q https://git.test/git/repo.git r1 && cat r1/README"
expect "git clone http://git.test/git/repo.git (plain http, steered the same)" "hello" \
    run "$GITC clone -q http://git.test/git/repo.git r2 && cat r2/README"
check "... the upstream got Basic git:s3cret on every git request, added by botbox" $PY -c '
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if "\"/git/" in l]
reqs = [r for r in reqs if r.get("event") == "request"]
assert reqs, "no git request arrived"
bad = [r["path"] for r in reqs if dict((k.lower(), v) for k, v in r["headers"]).get("authorization") != "Basic " + sys.argv[2]]
assert not bad, bad' "$E2E_TMP/upstream.log" "$GIT_BASIC"
head -c 3145728 /dev/urandom >"$E2E_TMP/blob"
chmod 644 "$E2E_TMP/blob"
t0=$(date +%s%N)
out=$(run "cp $E2E_TMP/blob r1/blob && cd r1 && git add blob && $GITC commit -q -m 3MiB &&
           git push -q origin main 2>&1 && git rev-parse HEAD" 2>&1)
t_run=$((($(date +%s%N) - t0) / 1000000))
pushed=$(tail -1 <<<"$out")
if [ "$(git -C "$E2E_TMP/git/repo.git" rev-parse main 2>/dev/null)" = "$pushed" ]; then
    pass "git push of a 3 MiB commit over https: the upstream has it ($t_run ms in botbox run)"
else
    fail "git push of a 3 MiB commit over https" "$out"
fi
# The same push straight to the server, for comparison (not a check: a time).
direct=$E2E_TMP/direct
git clone -q "$E2E_TMP/git/repo.git" "$direct"
head -c 3145728 /dev/urandom >"$direct/blob2"
git -C "$direct" add blob2
git -C "$direct" -c user.name=t -c user.email=t@t commit -q -m direct
t0=$(date +%s%N)
in_ns host env GIT_SSL_CAINFO="$E2E_TMP/certs/ca.crt" git -C "$direct" \
    -c http.extraHeader="Authorization: Basic $GIT_BASIC" push -q "https://git.test/git/repo.git" main
t_direct=$((($(date +%s%N) - t0) / 1000000))
pass "... (the same push straight to the server: $t_direct ms)"
expect "git pull of the direct push through botbox (a fetch after a push, same connection kind)" \
    "blob2" run "cd r1 && $GITC pull -q --no-rebase origin main && ls"
check "... every git request audited as allowed, with Authorization injected" test \
    "$(lines '"/git/" in (a.get("path") or "") and not (a["decision"] == "allow" and a["injected"] == ["Authorization"])')" = 0
check "... all in HTTP/1.1: botbox run keeps git off HTTP/2 (libcurl 7.88's uploads, docs/run.md)" test \
    "$(lines '"/git/" in (a.get("path") or "") and a.get("proto") == "h2"')" = 0

# ---- curl -L through redirects with empty bodies, curl --next ----
for scheme in https http; do
    expect "curl -L $scheme://api.test/redirect?n=3 (three 302s with Content-Length: 0)" '"path": "/echo"' \
        run "curl -sS -L --max-time 10 '$scheme://api.test/redirect?n=3'"
    expect "curl -L -d through a 307 (empty body): the POST and its body go on" '"body_len": 3' \
        run "curl -sS -L --max-time 10 -d x=1 '$scheme://api.test/redirect?n=0&code=307'"
    for first in "GET /kind/cl0" "GET /kind/204" "POST /kind/cl0" "GET /kind/chunked0"; do
        tag=next-$scheme-${first// /-}
        tag=${tag//\//-}
        expect "curl --next over $scheme: $first (empty answer), then GET" "\"/echo/$tag\"" \
            run "curl -sS --max-time 10 -X ${first%% *} $scheme://api.test${first#* }/$tag --next $scheme://api.test/echo/$tag"
        check "... both requests on one client connection, each audited once" bash -c "
            test $(ports "'$tag' in (a.get('path') or '')") -eq 1 -a $(lines "'$tag' in (a.get('path') or '')") -eq 2"
    done
done
check "curl over https spoke HTTP/2 to the interception listener (its default)" test \
    "$(lines '(a.get("path") or "").startswith("/redirect") and a.get("proto") == "h2"')" -eq 5
check "each redirect hop audited once (4 + 1 per scheme)" \
    test "$(lines '(a.get("path") or "").startswith("/redirect")')" -eq 10

# ---- node fetch and python requests reuse their connection ----
expect "node fetch: 20 POSTs without a body, 10 GETs of empty answers, then /echo" '"method": "GET"' \
    run "node -e '
(async () => {
  for (let i = 0; i < 20; i++) await (await fetch(\"https://api.test/echo/node-post\", {method: \"POST\"})).text();
  for (let i = 0; i < 10; i++) await (await fetch(\"https://api.test/kind/cl0/node\")).text();
  for (let i = 0; i < 5; i++) await (await fetch(\"https://api.test/kind/204/node\")).text();
  console.log(await (await fetch(\"https://api.test/echo/node-last\")).text());
})()'"
# undici takes turns between two connections for sequential requests, as
# it does against any keep-alive server (a plain Python one alike).
check "... all 36 on at most two client connections (undici keeps them alive through empty answers)" \
    test "$(ports '"node" in (a.get("path") or "")')" -le 2
check "... and each audited once" test "$(lines '"node" in (a.get("path") or "")')" -eq 36
for scheme in https http; do
    expect "python requests Session over $scheme: GET empty, POST b'', 204, 304, then GET" '"method": "GET"' \
        run "/usr/bin/python3 -c '
import requests
s = requests.Session()
for kind in (\"cl0\", \"204\", \"304\", \"chunked0\"):
    assert s.get(\"$scheme://api.test/kind/\" + kind + \"/py-$scheme\", timeout=5).content == b\"\"
assert s.post(\"$scheme://api.test/echo/py-post-$scheme\", data=b\"\", timeout=5).json()[\"body_len\"] == 0
print(s.get(\"$scheme://api.test/echo/py-$scheme\", timeout=5).text)'"
    check "... all six on one client connection" \
        test "$(ports "'py-' in (a.get('path') or '') and a['path'].endswith('-$scheme')")" -eq 1
done

# ---- pip download from a PEP 503 index, npm install from a registry ----
$PY - "$E2E_TMP/files" <<'PY'
import base64, hashlib, io, json, os, sys, tarfile, zipfile
root = sys.argv[1]
# a wheel: the module, METADATA, WHEEL and RECORD
os.makedirs(f"{root}/pkgs", exist_ok=True)
whl = f"{root}/pkgs/tinypkg-1.0-py3-none-any.whl"
files = {"tinypkg/__init__.py": b"VALUE = 42\n",
         "tinypkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
         "tinypkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
record = "".join(f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n"
                 for n, d in files.items()) + "tinypkg-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile(whl, "w") as z:
    for n, d in files.items():
        z.writestr(n, d)
    z.writestr("tinypkg-1.0.dist-info/RECORD", record)
sha = hashlib.sha256(open(whl, "rb").read()).hexdigest()
os.makedirs(f"{root}/simple/tinypkg", exist_ok=True)
open(f"{root}/simple/index.html", "w").write('<a href="tinypkg/">tinypkg</a>\n')
open(f"{root}/simple/tinypkg/index.html", "w").write(
    f'<a href="../../pkgs/tinypkg-1.0-py3-none-any.whl#sha256={sha}">tinypkg-1.0-py3-none-any.whl</a>\n')
# an npm package and its packument
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    for n, d in {"package/package.json": json.dumps({"name": "tinypkg", "version": "1.0.0", "main": "index.js"}).encode(),
                 "package/index.js": b"module.exports = 42;\n"}.items():
        info = tarfile.TarInfo(n)
        info.size = len(d)
        t.addfile(info, io.BytesIO(d))
tgz = buf.getvalue()
os.makedirs(f"{root}/tarballs", exist_ok=True)
open(f"{root}/tarballs/tinypkg-1.0.0.tgz", "wb").write(tgz)
os.makedirs(f"{root}/npm", exist_ok=True)
json.dump({"name": "tinypkg", "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {
    "name": "tinypkg", "version": "1.0.0", "main": "index.js",
    "dist": {"tarball": "https://pkg.test/files/tarballs/tinypkg-1.0.0.tgz",
             "shasum": hashlib.sha1(tgz).hexdigest(),
             "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()}}}},
          open(f"{root}/npm/tinypkg", "w"))
PY
chmod -R a+rX "$E2E_TMP/files"
expect "pip download --index-url https://pkg.test/files/simple/ tinypkg" "tinypkg-1.0-py3-none-any.whl" \
    run "/usr/bin/python3 -m pip download --no-cache-dir --no-deps --index-url https://pkg.test/files/simple/ -d dl tinypkg 2>&1 && ls dl"
check "... the wheel is the upstream's, byte for byte" cmp "$WORK/dl/tinypkg-1.0-py3-none-any.whl" \
    "$E2E_TMP/files/pkgs/tinypkg-1.0-py3-none-any.whl"
expect "npm install --registry https://pkg.test/files/npm/ tinypkg" "42" \
    run "mkdir -p proj && cd proj && npm install --no-audit --no-fund --registry https://pkg.test/files/npm/ tinypkg >/dev/null 2>npm.err || cat npm.err; node -e 'console.log(require(\"tinypkg\"))'"

# ---- wget as a user types it ----
expect "wget -qO- https://api.test/echo (GnuTLS: trusts the CA through WGETRC)" "Bearer [REDACTED]" \
    run "wget -qO- https://api.test/echo/wget"
expect "wget -qO- http://api.test/echo" "Bearer [REDACTED]" run "wget -qO- http://api.test/echo/wget-http"
expect "wget through a redirect with an empty body" '"path": "/echo"' \
    run "wget -qO- 'https://api.test/redirect?n=2'"

# ---- testssl.sh against the interception listener ----
# Its JSON findings carry a severity; nothing LOW or worse may remain but
# what concerns the certificate of the local CA's leaf (its chain is not
# public, its lifetime is the policy's), which is not the listener's doing.
run "testssl --quiet --color 0 --warnings off --jsonfile testssl.json -p -s -f -S -U --ip one api.test:443" \
    >"$E2E_TMP/testssl.out" 2>&1
if out=$($PY - "$WORK/testssl.json" 2>&1 <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
sev = {f["id"]: f["severity"] for f in findings}
assert sev.get("TLS1_2") == "OK" and sev.get("TLS1_3") == "OK", "TLS 1.2 and 1.3 not both offered"
assert sev.get("cipherlist_AVERAGE") == "INFO", "obsolete CBC ciphers offered"  # INFO: "not offered"
cert = ("cert", "chain_of_trust", "intermediate", "OCSP", "DNS_CAArecord", "certificate")
bad = [f"{f['id']} {f['severity']}: {f['finding']}" for f in findings
       if f["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL") and not f["id"].startswith(cert)]
print(f"{len(findings)} findings, {sum(1 for f in findings if f['id'].startswith(cert))} about the leaf")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
); then
    pass "testssl.sh (protocols, ciphers, forward secrecy, server defaults, vulnerabilities): nothing LOW or worse: $out"
else
    fail "testssl.sh flags nothing LOW or worse" "$out
$(tail -20 "$E2E_TMP/testssl.out")"
fi
check "no secret in the run's audit file" bash -c "! grep -q -e '$SECRET' -e '$GIT_BASIC' $RUN_AUDIT"
check "after all of these, nothing is left behind" test -z "$(run_leftovers)"
finish
