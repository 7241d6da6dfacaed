#!/usr/bin/env bash
# Where the proxy refuses to go, and upstreams that fail: address classes
# (loopback, the metadata address, IPv4-mapped loopback, the metadata
# address as SIIT and local-use NAT64 forms, the AWS IPv6 and Alibaba
# metadata addresses inside private space, private ranges),
# TLS verification (untrusted chain, wrong name), a resolver that knows no
# such name, and an upstream that never answers (504 within the bound).
. "$(dirname "$0")/../lib.sh"

proxy_world

n=$(requests)
for name in loop.test meta.test mapped.test siit.test nat64l.test imds6.test alimeta.test; do
    expect "$name (a forbidden address) is refused even with allow_private" \
        "destination not allowed" curl_as http://$name/echo
done
check "... with 403" test "$(status http://loop.test/echo)" = 403
expect "private.test (10.x) without allow_private: 403 destination not allowed" \
    "destination not allowed" curl_as http://private.test/echo
check "api.test (10.x too) with allow_private: 200" test "$(status http://api.test/echo)" = 200
check "the refused destinations were never dialled" test "$(requests)" -eq $((n + 1))
check "audit: destination refusals are recorded" \
    wait_for 3 audit_has 'a.get("reason") == "destination_not_allowed" and a["host"] == "meta.test" and a["status"] == 403'

n=$(requests)
check "an untrusted certificate: 502" test "$(status http://badcert.test/echo)" = 502
expect "... with body 'upstream connection failed'" "upstream connection failed" \
    curl_as http://badcert.test/echo
check "a certificate for another name: 502" test "$(status http://wrongname.test/echo)" = 502
check "no request reached an unverified upstream" test "$(requests)" -eq "$n"
check "audit: TLS failures are errors" \
    wait_for 3 audit_has 'a.get("reason") == "upstream_tls" and a["decision"] == "error" and a["status"] == 502'

# The names asked of the resolver are the ones the policy matched, absolute:
# resolv.conf's search list and ndots (Kubernetes' ndots:5) are not
# applied, so a search domain's zone never gets the request and its key.
serve_stop
printf 'nameserver %s\nsearch rt-search.test\noptions ndots:5\n' $UP4 >"/etc/netns/${NS[app]}/resolv.conf"
serve_start app "$E2E_TMP/botbox.yaml"
n=$(requests)
for name in intra k8s.rt.test; do
    check "a rule for $name, search rt-search.test + ndots:5: 502, $name.rt-search.test not asked" \
        test "$(status http://$name/echo)" = 502
done
check "... nothing reached the search domain's address (where the key would have gone)" \
    test "$(requests)" -eq "$n"
check "... the resolver was asked for the names themselves only" bash -c "
    grep -q 'query\[A\] intra from' $E2E_TMP/dnsmasq.log && grep -q 'query\[A\] k8s.rt.test from' $E2E_TMP/dnsmasq.log &&
    ! grep -q 'rt-search.test from' $E2E_TMP/dnsmasq.log"
check "... audited as resolve_failed" \
    wait_for 3 audit_has 'a.get("reason") == "resolve_failed" and a["host"] == "intra"'
printf 'nameserver %s\n' $UP4 >"/etc/netns/${NS[app]}/resolv.conf"

hosts app "$UP4 api.test unknown.test"
check "an allowed name the resolver does not know: 502" \
    test "$(status http://unknown.test/echo)" = 502
check "audit: the resolution failure is recorded" \
    wait_for 3 audit_has 'a.get("reason") == "resolve_failed" and a["host"] == "unknown.test"'
hosts app "$UP4 api.test scoped.test nosecret.test private.test hang.test wrongname.test" \
    "$UP4 badcert.test loop.test meta.test mapped.test evil.test"

start=$(date +%s%N)
code=$(status http://hang.test/hang)
elapsed=$((($(date +%s%N) - start) / 1000000))
if [ "$code" = 504 ] && [ "$elapsed" -ge 1400 ] && [ "$elapsed" -lt 4500 ]; then
    pass "an upstream that never answers: 504 after timeouts.response_header (${elapsed} ms)"
else
    fail "an upstream that never answers: 504 after timeouts.response_header" \
        "status $code after $elapsed ms"
fi
expect "... with body 'gateway timeout'" "gateway timeout" curl_as http://hang.test/hang
check "audit: the timeout is recorded" \
    wait_for 3 audit_has 'a.get("reason") == "upstream_timeout" and a["status"] == 504'

serve_stop
finish
