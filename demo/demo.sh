#!/usr/bin/env bash
# make demo: botbox run in a few seconds, with no internet needed.
#
# Builds, in network namespaces of its own (never touching the machine's
# own), a small "internet" (dnsmasq for the names, HTTPS servers for
# api.llm.test, docs.llm.test and evil.test, a UDP listener) and a "laptop" from which
# `botbox run` starts demo/agent.sh with demo/policy.yaml. Then prints the
# run's audit lines as a table. Everything is removed at the end.
set -u
BIN=$(realpath "${BOTBOX:-$(dirname "$0")/../build/botbox}")
DEMO_SRC=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "make demo needs root (it creates network namespaces): sudo make demo" >&2
    exit 1
fi
for tool in ip dnsmasq openssl curl dig python3; do
    command -v "$tool" >/dev/null || { echo "demo: missing $tool (run 'make deps')" >&2; exit 1; }
done

NS_LAPTOP="bbdemo$$-laptop"
NS_NET="bbdemo$$-internet"
NET4=10.201.250.2
DEMO=$(mktemp -d /tmp/botbox-demo.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    for ns in "$NS_LAPTOP" "$NS_NET"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    rm -rf "$DEMO"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "demo: $*" >&2; exit 1; }
title() { printf '\n\033[1;34m%s\033[0m\n' "$*"; }

# ---- the internet: two HTTPS hosts and a resolver ----
title "Setting up a small internet (api.llm.test, docs.llm.test, evil.test) and a laptop, in namespaces"
ip netns add "$NS_NET" && ip netns add "$NS_LAPTOP" || fail "cannot create namespaces"
ip -n "$NS_LAPTOP" link add bbd0 type veth peer name bbd1 netns "$NS_NET"
ip -n "$NS_LAPTOP" addr add 10.201.250.1/24 dev bbd0
ip -n "$NS_NET" addr add $NET4/24 dev bbd1
for ns in "$NS_LAPTOP" "$NS_NET"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$([ "$ns" = "$NS_NET" ] && echo bbd1 || echo bbd0)" up
done
ip -n "$NS_LAPTOP" route add default via $NET4
mkdir -p "/etc/netns/$NS_LAPTOP" "$DEMO/internet" "$DEMO/secrets"
echo "nameserver $NET4" >"/etc/netns/$NS_LAPTOP/resolv.conf"

cd "$DEMO/internet"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=demo internet CA" -keyout ca.key -out ca.crt 2>/dev/null || fail "openssl"
for name in api.llm.test docs.llm.test evil.test; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$name" \
        -keyout "$name.key" -out "$name.csr" 2>/dev/null
    openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -out "$name.crt" -extfile <(printf 'subjectAltName=DNS:%s\n' "$name") 2>/dev/null
done
chmod -R a+rX "$DEMO"
ip netns exec "$NS_NET" dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
    --listen-address=$NET4 --port=53 --user=root --group=root --pid-file= \
    --address=/api.llm.test/$NET4 --address=/docs.llm.test/$NET4 --address=/evil.test/$NET4 \
    --log-queries --log-facility="$DEMO/dnsmasq.log" >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$NS_NET" python3 "$DEMO_SRC/internet.py" --bind $NET4 --certs "$DEMO/internet" \
    --names api.llm.test,docs.llm.test,evil.test --log "$DEMO/internet.log" >"$DEMO/internet.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    grep -q ready "$DEMO/internet.out" 2>/dev/null &&
        ip netns exec "$NS_NET" ss -uln | grep -q "$NET4:53 " && break
    sleep 0.05
done
grep -q ready "$DEMO/internet.out" || fail "the demo internet did not start: $(cat "$DEMO/internet.out")"

# ---- botbox's side: its CA, the key, the policy ----
"$BIN" ca init --dir "$DEMO/botbox-ca" >/dev/null || fail "botbox ca init failed"
printf 'sk-demo-%s\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$DEMO/secrets/llm-key"
chmod 700 "$DEMO/secrets"
sed "s|@DEMO@|$DEMO|g" "$DEMO_SRC/policy.yaml" >"$DEMO/policy.yaml"
cp "$DEMO_SRC/agent.sh" "$DEMO/agent.sh"
chmod 755 "$DEMO/agent.sh"
echo "    the policy (demo/policy.yaml): allow POST https://api.llm.test/v1/..., add its key;"
echo "    the agent gets a placeholder of the key, which only api.llm.test turns into it"
echo "    the key, in $DEMO/secrets/llm-key, readable by root only"

# ---- the agent, in a sandbox ----
title "sudo botbox run --config policy.yaml -- ./agent.sh"
cd "$DEMO"
ip netns exec "$NS_LAPTOP" "$BIN" run --config "$DEMO/policy.yaml" --audit "$DEMO/audit.jsonl" \
    --net4 10.201.64.0/18 --net6 fd00:201:0:4000::/50 -- "$DEMO/agent.sh" "$NET4" |
    tee "$DEMO/agent.out"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || fail "botbox run exited with $status"

# ---- what botbox saw ----
title "The audit log of the run, one JSON line per decision ($DEMO/audit.jsonl):"
python3 - "$DEMO/audit.jsonl" <<'PY'
import json, sys
rows = [("time", "event", "decision", "reason", "what")]
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "lifecycle":
        continue
    what = {
        "http": lambda: f'{e.get("method")} {e.get("host")}{e.get("path")} -> {e.get("status")}'
                        + (f' (+{",".join(e["injected"])})' if e.get("injected") else "")
                        + (f' (redacted {e["redacted"]})' if e.get("redacted") else "")
                        + (f' [{",".join(e["credentials"])}]' if e.get("credentials") else ""),
        "tls": lambda: f'TLS SNI {e.get("sni") or "(none)"} to {e.get("dst")}',
        "flow": lambda: f'{e.get("proto")} {e.get("src")} -> {e.get("dst")}',
        "dns": lambda: f'DNS {e.get("qtype")} {e.get("qname")}',
    }.get(e["event"], lambda: "")()
    rows.append((e["ts"][11:23], e["event"], e["decision"], e.get("reason", ""), what))
widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
for r in rows:
    print("    " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
PY
key=$(cat "$DEMO/secrets/llm-key")
if grep -q "$key" "$DEMO/audit.jsonl"; then fail "the key is in the audit log"; fi
if grep -q "$key" "$DEMO/agent.out"; then fail "the key reached the agent"; fi
grep '"server": "api.llm.test"' "$DEMO/internet.log" | grep -qF "\"Bearer $key\"" ||
    fail "api.llm.test did not receive the key"
echo
echo "    The key appears in no audit line (header names only, +Authorization) and"
echo "    nowhere in what the agent saw; api.llm.test received it (${key:0:11}...)."
title "Done: namespaces, links and files are being removed."
