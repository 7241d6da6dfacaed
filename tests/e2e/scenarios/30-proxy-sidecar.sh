#!/usr/bin/env bash
# The proxy core in the sidecar shape, end to end: the real ruleset, botbox
# serve as uid 1337, the workload as uid 1000 with no proxy settings, an
# HTTPS upstream with a test CA and a recording log, dnsmasq as the real
# resolver. REFERENCE §4, row by row.
. "$(dirname "$0")/../lib.sh"

topo_sidecar
UP4=10.201.1.2
UP6=fd00:201:1::2
SECRET=sk-e2e-0123456789abcdef

# ---- the upstream world ----
DEFAULT_SANS="DNS:api.test,DNS:scoped.test,DNS:nosecret.test,DNS:private.test,DNS:hang.test"
DEFAULT_SANS+=",DNS:loop.test,DNS:meta.test,DNS:mapped.test,IP:$UP4,IP:$UP6"
make_certs "$E2E_TMP/certs" default wrongname.test badcert.test
dnsmasq_start up $UP4 api.test=$UP4 api.test=$UP6 scoped.test=$UP4 nosecret.test=$UP4 \
    private.test=$UP4 hang.test=$UP4 wrongname.test=$UP4 badcert.test=$UP4 \
    loop.test=127.0.0.1 meta.test=169.254.169.254 mapped.test=::ffff:127.0.0.1
bg up upstream $PY "$E2E_DIR/tools/upstream.py" --bind $UP4:443 --bind "[$UP6]:443" \
    --bind $UP4:8443 --certs "$E2E_TMP/certs" --log "$E2E_TMP/upstream.log"
wait_ready upstream
touch "$E2E_TMP/upstream.log"

# ---- the workload's namespace ----
mkdir -p "/etc/netns/${NS[app]}"
echo "nameserver $UP4" >"/etc/netns/${NS[app]}/resolv.conf"
names="api.test scoped.test nosecret.test private.test hang.test wrongname.test badcert.test"
hosts app "$UP4 $names loop.test meta.test mapped.test evil.test"
mkdir -p "$E2E_TMP/secrets"
printf '%s\n' "$SECRET" >"$E2E_TMP/secrets/api-key"
touch "$E2E_TMP/audit.jsonl"
chown -R 1337:1337 "$E2E_TMP/secrets" "$E2E_TMP/audit.jsonl"
cat >"$E2E_TMP/botbox.yaml" <<YAML
listen_port: 8080
secrets_dir: $E2E_TMP/secrets
timeouts:
  connect: 2000
  request_header: 2000
  response_header: 1500
  idle: 5000
upstream:
  ca_file: $E2E_TMP/certs/ca.crt
audit:
  output: $E2E_TMP/audit.jsonl
egress_policy:
  rules:
    - host: api.test
      action: allow
      allow_private: true
      header_rewrites:
        - name: Authorization
          value: "Bearer {value}"
          secret_ref: api-key
    - host: scoped.test
      action: allow
      allow_private: true
      methods: [GET]
      paths: ["/echo"]
    - host: nosecret.test
      action: allow
      allow_private: true
      header_rewrites:
        - name: X-Key
          value: "{value}"
          secret_ref: absent-key
    - host: private.test
      action: allow
    - { host: hang.test, action: allow, allow_private: true }
    - { host: wrongname.test, action: allow, allow_private: true }
    - { host: badcert.test, action: allow, allow_private: true }
    - { host: loop.test, action: allow, allow_private: true }
    - { host: meta.test, action: allow, allow_private: true }
    - { host: mapped.test, action: allow, allow_private: true }
YAML
check "apply the sidecar ruleset" in_ns app "$BIN" nft apply --config "$E2E_TMP/botbox.yaml"
serve_start app "$E2E_TMP/botbox.yaml"

curl_as() { as_uid 1000 app curl -sS --max-time 5 "$@"; }
# status URL [curl args]: the status code only
status() { curl_as -o /dev/null -w '%{http_code}' "$@"; }
# upstream_saw PATTERN: the upstream log has a matching request
upstream_saw() { grep '"event": "request"' "$E2E_TMP/upstream.log" | grep -qE -- "$1"; }
requests() { grep -c '"event": "request"' "$E2E_TMP/upstream.log"; }

# ---- an allowed request: key injected once, the client's own dropped ----
out=$(curl_as http://api.test/echo -H "Authorization: Bearer client-own-1" \
    -H "Authorization: Bearer client-own-2")
if $PY - "$out" "$SECRET" <<'PY'; then
import json, sys
r = json.loads(sys.argv[1])
auth = [v for k, v in r["headers"] if k.lower() == "authorization"]
host = [v for k, v in r["headers"] if k.lower() == "host"]
assert auth == ["Bearer " + sys.argv[2]], auth
assert host == ["api.test"], host
assert r["sni"] == "api.test", r["sni"]
PY
    pass "allowed: 200, the upstream saw the injected key exactly once"
else
    fail "allowed: 200, the upstream saw the injected key exactly once" "$out"
fi
expect "the explicit-proxy form works too" '"path": "/echo?via=proxy"' \
    curl_as -x http://127.0.0.1:8080 "http://api.test/echo?via=proxy"
expect "IPv6: the same request through the upstream's IPv6 address" '"sni": "api.test"' \
    curl_as -g "http://[$UP6]/echo" -H "Host: api.test"

# ---- refusals (REFERENCE §4) ----
n=$(requests)
check "denied host: 403" test "$(status http://evil.test/echo)" = 403
expect "... with body 'host not allowed'" "host not allowed" curl_as http://evil.test/echo
expect "CONNECT: 405" "CONNECT method not allowed" \
    as_uid 1000 app $PROBE raw $UP4 80 <<<$'CONNECT api.test:443 HTTP/1.1\r\nHost: api.test:443\r\n\r\n'
check "TRACE: 405" test "$(status -X TRACE http://api.test/echo)" = 405
expect "h2c upgrade: 405 method not allowed" "method not allowed" \
    curl_as http://api.test/echo -H "Connection: Upgrade, HTTP2-Settings" -H "Upgrade: h2c" \
    -H "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"
expect "no Host: 400 missing host" "missing host" \
    as_uid 1000 app $PROBE raw $UP4 80 <<<$'GET /echo HTTP/1.1\r\n\r\n'
# (tcp/8443 itself is not steered: the ruleset queues it. The port a request
# names reaches the proxy through the Host header or the explicit form.)
check "port 8443 without allowed_ports: 403" \
    test "$(status http://api.test/echo -H 'Host: api.test:8443')" = 403
check "... in explicit-proxy form too" \
    test "$(status -x http://127.0.0.1:8080 http://api.test:8443/echo)" = 403
check "method outside the rule: 403" test "$(status -X POST -d x http://scoped.test/echo)" = 403
check "path outside the rule: 403" test "$(status http://scoped.test/other)" = 403
check "inside the rule: 200" test "$(status http://scoped.test/echo)" = 200
expect "absolute-form to one host with Host of another: 400" "host mismatch" \
    as_uid 1000 app $PROBE raw $UP4 80 \
    <<<$'GET http://api.test/echo HTTP/1.1\r\nHost: evil.test\r\n\r\n'
check "missing secret: 500" test "$(status http://nosecret.test/echo)" = 500
expect "... with body 'internal error: secret not available'" \
    "internal error: secret not available" curl_as http://nosecret.test/echo
check "none of the refused requests reached the upstream" test "$(requests)" -eq $((n + 1))

finish
