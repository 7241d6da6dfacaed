#!/usr/bin/env bash
# `botbox run -- true`: set-up plus teardown, wall clock, measured from a
# bench-made "host" namespace (never the machine's own). Two policies: a
# plain one, and one with HTTPS interception (CA and leaf cache loaded).
# botbox run starts with an empty environment but PATH, as under sudo's
# env_reset (an SSL_CERT_FILE inherited from the caller would make the
# gateway parse that whole bundle at start).
# usage: bench_run.sh path/to/botbox [runs]
set -u
BIN=$(realpath "$1")
RUNS=${2:-30}
[ "$(id -u)" -eq 0 ] || { echo "bench_run: needs root (network namespaces)" >&2; exit 1; }
NS="bbbench$$-host"
TMP=$(mktemp -d /tmp/botbox-bench.XXXXXX)
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"' EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1
mkdir -p "$TMP/secrets"
"$BIN" ca init --dir "$TMP/ca" >/dev/null || exit 1
cat >"$TMP/plain.yaml" <<YAML
workers: 1
secrets_dir: $TMP/secrets
egress_policy:
  rules:
    - {host: api.example.com, action: allow}
YAML
cp "$TMP/plain.yaml" "$TMP/intercept.yaml"
cat >>"$TMP/intercept.yaml" <<YAML
https_interception:
  enabled: true
  ca_cert_path: $TMP/ca/ca.crt
  ca_key_path: $TMP/ca/ca.key
YAML

measure() { # measure CONFIG: prints min, median, p90, max in ms over RUNS runs
    local i t0 t1 times=()
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s%N)
        env -i PATH="$PATH" ip netns exec "$NS" "$BIN" run --config "$1" --user 65534 --audit /dev/null \
            --net4 10.201.192.0/18 --net6 fd00:201:0:c000::/50 -- true || return 1
        t1=$(date +%s%N)
        times+=($(((t1 - t0) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{v[NR] = $1}
        END {printf "min %6.1f ms  median %6.1f ms  p90 %6.1f ms  max %6.1f ms\n",
             v[1] / 1000, v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.9)] / 1000, v[NR] / 1000}'
}

# `ip netns exec` alone, for reference: the harness's own share.
t0=$(date +%s%N)
for ((i = 0; i < RUNS; i++)); do ip netns exec "$NS" true; done
t1=$(date +%s%N)
printf 'botbox run -- true (%d runs each; ip netns exec alone costs %.1f ms)\n' "$RUNS" \
    "$(awk -v d=$((t1 - t0)) -v n="$RUNS" 'BEGIN {print d / n / 1e6}')"
printf '  plain policy:        %s\n' "$(measure "$TMP/plain.yaml")" || exit 1
printf '  with interception:   %s\n' "$(measure "$TMP/intercept.yaml")" || exit 1
