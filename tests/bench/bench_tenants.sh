#!/usr/bin/env bash
# The per-node gateway with 1, 1 000 and 10 000 tenants (docs/configuration.md,
# "Tenants"), in a bench-made namespace (never the machine's own): for each,
# how long `botbox check` and `botbox nft apply` take, how long `botbox
# serve` takes to be serving, and its resident memory then. Each tenant has
# an IPv4 /24 and an IPv6 /64 behind one of two client interfaces, two
# rules, a flows rule and a static credential with a secret of its own.
# Prints one line per size, then the memory a tenant costs (the slope
# between the smallest and the largest). Numbers only.
# usage: bench_tenants.sh path/to/botbox [SIZES] (default "1 1000 10000")
set -u
BIN=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "bench_tenants: needs root (network namespaces)" >&2; exit 1; }
NS="bbbench$$-tenants"
TMP=$(mktemp -d /tmp/botbox-bench.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"' EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1
for i in 0 1; do
    ip -n "$NS" link add "bbc$i" type veth peer name "bbp$i" || exit 1
done
mkdir -p "$TMP/secrets"

# config N: a gateway config with N tenants, written to $TMP/tN.yaml
config() {
    python3 - "$1" "$TMP" <<'PY'
import os, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
out = ["mode: gateway", "gateway:", "  client_interfaces: [bbc0, bbc1]", "workers: 1",
       f"secrets_dir: {tmp}/secrets", f"audit: {{output: {tmp}/audit.jsonl}}", "tenants:"]
for i in range(n):
    with open(f"{tmp}/secrets/k{i}", "w") as f:
        f.write(f"key-of-tenant-{i}\n")
    out += [f"  - name: t{i}",
            f"    match: {{interfaces: [bbc{i % 2}], sources: [10.{i >> 8}.{i & 255}.0/24, "
            f"\"fd00:{i >> 8:x}:{i & 255:x}::/64\"]}}",
            "    egress_policy:",
            f"      rules: [{{host: api{i}.example.com, action: allow}}, "
            f"{{host: \"*.cdn{i}.example.com\", action: allow, methods: [GET]}}]",
            "      flows: [{proto: udp, cidr: 10.255.0.53/32, ports: [53]}]",
            f"    credentials: [{{secret_ref: k{i}, hosts: [api{i}.example.com]}}]"]
open(f"{tmp}/t{n}.yaml", "w").write("\n".join(out) + "\n")
PY
}

ms() { date +%s%3N; }
SIZES=(${2:-1 1000 10000})
declare -A RSS
for n in "${SIZES[@]}"; do
    config $n
    t0=$(ms)
    "$BIN" check --config "$TMP/t$n.yaml" >/dev/null || { echo "bench_tenants: check $n failed" >&2; exit 1; }
    t1=$(ms)
    ip netns exec "$NS" "$BIN" nft apply --config "$TMP/t$n.yaml" >/dev/null ||
        { echo "bench_tenants: nft apply $n failed" >&2; exit 1; }
    t2=$(ms)
    : >"$TMP/serve.out"
    ip netns exec "$NS" "$BIN" serve --config "$TMP/t$n.yaml" >"$TMP/serve.out" 2>&1 &
    PID=$!
    for _ in $(seq 1 600); do
        grep -q "serving on port" "$TMP/serve.out" && break
        sleep 0.05
    done
    t3=$(ms)
    grep -q "serving on port" "$TMP/serve.out" || { echo "bench_tenants: serve $n did not start" >&2; cat "$TMP/serve.out" >&2; exit 1; }
    RSS[$n]=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
    kill $PID
    wait $PID 2>/dev/null
    PID=
    ip netns exec "$NS" "$BIN" nft flush >/dev/null 2>&1
    printf '%6d tenants: check %5d ms, nft apply %5d ms, serve ready %5d ms, RSS %7d KiB\n' \
        $n $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) "${RSS[$n]}"
done
first=${SIZES[0]} last=${SIZES[${#SIZES[@]} - 1]}
echo "per tenant: $(((RSS[$last] - RSS[$first]) * 1024 / (last - first))) bytes of RSS"
