#!/usr/bin/env bash
# The proxy core in the sidecar shape, end to end: the real ruleset, botbox
# serve as uid 1337, the workload as uid 1000 with no proxy settings, an
# HTTPS upstream with a test CA and a recording log, dnsmasq as the real
# resolver. docs/reference.md §4, row by row.
. "$(dirname "$0")/../lib.sh"

proxy_world

# ---- an allowed request: key injected once, the client's own dropped ----
out=$(curl_as http://api.test/echo -H "Authorization: Bearer client-own-1" \
    -H "Authorization: Bearer client-own-2")
if $PY - "$out" "$SECRET" <<'PY'; then
import json, sys
r = json.loads(sys.argv[1])
auth = [v for k, v in r["headers"] if k.lower() == "authorization"]
host = [v for k, v in r["headers"] if k.lower() == "host"]
assert auth == ["Bearer [REDACTED]"], auth  # the echo of the key, redacted (docs/security.md)
assert host == ["api.test"], host
assert r["sni"] == "api.test", r["sni"]
PY
    pass "allowed: 200, the upstream saw the injected key exactly once"
else
    fail "allowed: 200, the upstream saw the injected key exactly once" "$out"
fi
check "... the upstream got the key, once (the client read its echo redacted)" $PY -c "
import json, sys
r = [json.loads(l) for l in open('$E2E_TMP/upstream.log') if '\"request\"' in l][-1]
sys.exit(0 if [v for k, v in r['headers'] if k.lower() == 'authorization'] == ['Bearer $SECRET'] else 1)"
refute "the proxy's resolver (c-ares) leaves no conntrack entry of its queries" botbox_dns_entries
expect "the explicit-proxy form works too" '"path": "/echo?via=proxy"' \
    curl_as -x http://127.0.0.1:8080 "http://api.test/echo?via=proxy"
expect "IPv6: the same request through the upstream's IPv6 address" '"sni": "api.test"' \
    curl_as -g "http://[$UP6]/echo" -H "Host: api.test"

# ---- refusals (docs/reference.md §4) ----
n=$(requests)
check "denied host: 403" test "$(status http://evil.test/echo)" = 403
expect "... with body 'host not allowed'" "host not allowed" curl_as http://evil.test/echo
expect "CONNECT: 405" "CONNECT method not allowed" \
    as_uid 1000 app $PROBE raw $UP4 80 <<<$'CONNECT api.test:443 HTTP/1.1\r\nHost: api.test:443\r\n\r\n'
check "TRACE: 405" test "$(status -X TRACE http://api.test/echo)" = 405
expect "an h2c upgrade offer is ignored: answered over HTTP/1.1 by the upstream" '"path": "/echo/h2c"' \
    curl_as http://api.test/echo/h2c -H "Connection: Upgrade, HTTP2-Settings" -H "Upgrade: h2c" \
    -H "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"
refute "... with Upgrade and HTTP2-Settings not forwarded" upstream_saw '/echo/h2c".*(Upgrade|HTTP2-Settings)'
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
check "none of the refused requests reached the upstream" test "$(requests)" -eq $((n + 2))

serve_stop
finish
