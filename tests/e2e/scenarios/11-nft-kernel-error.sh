#!/usr/bin/env bash
# A transaction the kernel refuses: botbox's real gateway ruleset with the
# second client interface element corrupted (a 17-byte key in a set of
# 16-byte keys, see tools/nft_fault.c). The error must name the config line
# of that interface, and the ruleset installed before must stay untouched.
. "$(dirname "$0")/../lib.sh"

ns_new fw
cat >"$E2E_TMP/gw.yaml" <<'YAML'
mode: gateway
gateway:
  client_interfaces: [veth-a, veth-b]
egress_policy:
  rules: []
YAML

check "a good ruleset is installed first" in_ns fw "$BIN" nft apply --config "$E2E_TMP/gw.yaml"
before=$(in_ns fw nft list ruleset 2>/dev/null)

out=$(in_ns fw "$TOOLS/nft_fault" "$E2E_TMP/gw.yaml" 1 2>&1)
rc=$?
want="$E2E_TMP/gw.yaml:3:31: gateway.client_interfaces[1]: kernel refused element \"veth-b\" of set client_ifaces: Invalid argument"
if [ $rc -eq 1 ] && grep -qF -- "$want" <<<"$out"; then
    pass "the refusal names the interface's config line"
else
    fail "the refusal names the interface's config line (rc $rc)" "$out"
fi
if [ "$(grep -c 'kernel refused' <<<"$out")" -eq 1 ]; then
    pass "exactly one object is blamed"
else
    fail "exactly one object is blamed" "$out"
fi
check "the previous ruleset is still in place" diff <(echo "$before") <(in_ns fw nft list ruleset 2>/dev/null)

expect_status "the first interface is attributed to its own column" 1 \
    "gw.yaml:3:23: gateway.client_interfaces[0]" in_ns fw "$TOOLS/nft_fault" "$E2E_TMP/gw.yaml" 0
check "flush" in_ns fw "$BIN" nft flush
finish
