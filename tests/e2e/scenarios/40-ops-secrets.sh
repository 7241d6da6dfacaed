#!/usr/bin/env bash
# Secrets hot reload and config reload while botbox serves (docs/reference.md §3,
# §7): the original BotBox acceptance walk (secret missing, then created),
# kubelet-style rotation through a ..data symlink swap, escaping links and
# oversized files refused, SIGHUP and file-change reloads, and a broken
# config that leaves the running one in place.
. "$(dirname "$0")/../lib.sh"

proxy_world
serve_stop

KSEC=$E2E_TMP/ksecrets # a Kubernetes secret volume, not there yet
CFG=$E2E_TMP/ops.yaml
write_config() { # write_config [extra rule lines]
    cat >"$CFG.new" <<YAML
listen_port: 8080
workers: 1
secrets_dir: $KSEC
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
        - { name: Authorization, value: "Bearer {value}", secret_ref: api-key }
${1:-}
YAML
    chmod a+r "$CFG.new"
    mv "$CFG.new" "$CFG" # atomically, as editors and ConfigMaps do
}
write_config
serve_start app "$CFG"

# bearer: the Authorization value the upstream received for api.test/echo
# (read in its log: the client reads the echo of the key redacted)
bearer() {
    curl_as -o /dev/null http://api.test/echo
    grep '"event": "request"' "$E2E_TMP/upstream.log" | tail -1 | $PY -c 'import json, sys
h = [v for k, v in json.load(sys.stdin)["headers"] if k.lower() == "authorization"]
print(h[0] if h else "")'
}
bearer_is() { [ "$(bearer)" = "Bearer $1" ]; }

# ---- the acceptance walk: the secret is missing, then created ----
check "healthz is 503 while a referenced secret is missing" admin_is 503 /healthz
expect "... with body 'not ready'" "not ready" admin /healthz
check "readyz says the same" admin_is 503 /readyz
check "a request that needs a missing secret: 500" status_is 500 http://api.test/echo
expect "... with body 'internal error: secret not available'" \
    "internal error: secret not available" curl_as http://api.test/echo

# kubelet layout: ..<timestamp>/ holds the files, ..data points at it, and
# each name is a symlink through ..data.
kube_publish() { # kube_publish STAMP NAME=VALUE...
    local stamp=$1 kv
    shift
    mkdir -p "$KSEC/..$stamp"
    for kv in "$@"; do printf '%s\n' "${kv#*=}" >"$KSEC/..$stamp/${kv%%=*}"; done
    ln -sfn "..$stamp" "$KSEC/..data_tmp"
    mv -T "$KSEC/..data_tmp" "$KSEC/..data"
    for kv in "$@"; do ln -sfn "..data/${kv%%=*}" "$KSEC/${kv%%=*}"; done
}
V1=sk-rotated-v1-aaaaaaaaaaaa
V2=sk-rotated-v2-bbbbbbbbbbbb
mkdir -p "$E2E_TMP/outside"
printf 'sk-outside-cccccccc\n' >"$E2E_TMP/outside/outside-key"
mkdir -m 755 "$KSEC.tmp"
KSEC_FINAL=$KSEC
KSEC=$KSEC.tmp kube_publish 2026_11_29_01 api-key=$V1
ln -s "$E2E_TMP/outside/outside-key" "$KSEC.tmp/outside-key"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'k' >"$KSEC.tmp/big-key"
chmod -R a+rX "$KSEC.tmp" "$E2E_TMP/outside"
mv -T "$KSEC.tmp" "$KSEC_FINAL" # the directory appears after start
check "the secret directory created after start is picked up: request OK within 3 s" \
    wait_for 3 bearer_is "$V1"
check "... the upstream saw the injected value" upstream_saw "Bearer $V1"
check "healthz is now 200" admin_is 200 /healthz
expect "... with body 'ok'" "ok" admin /readyz

# ---- rotation, the way kubelet does it ----
kube_publish 2026_11_29_02 api-key=$V2
check "after a ..data swap the next requests carry the new value within 3 s" \
    wait_for 3 bearer_is "$V2"

# ---- a request in flight across a rotation ----
# It keeps the snapshot it began with; when it ends, it holds that
# snapshot's last reference, and its credential plan goes first (under
# SAN=1, a plan given back after its snapshot was freed aborts botbox).
V3=sk-rotated-v3-dddddddddddd
curl_as --max-time 8 -o /dev/null -w '%{http_code} %{size_download}' "http://api.test/slow?s=2" \
    >"$E2E_TMP/slow.code" &
slow=$!
sleep 0.7
kube_publish 2026_11_29_03 api-key=$V3
wait "$slow"
expect "a request in flight across a rotation ends whole" "200 10240" cat "$E2E_TMP/slow.code"
check "... and the next requests carry the new value (botbox serves on)" wait_for 3 bearer_is "$V3"

# ---- a secret that disappears ----
rm "$KSEC/api-key"
check "a referenced secret deleted: healthz flips back to 503 within 3 s" \
    wait_for 3 admin_is 503 /healthz
check "... and requests that need it get 500" status_is 500 http://api.test/echo
ln -s ..data/api-key "$KSEC/api-key"
check "... restored: 200 again" wait_for 3 admin_is 200 /healthz

# ---- secrets that must not load (rules added by a reload) ----
OUTSIDE_RULES='    - host: nosecret.test
      action: allow
      allow_private: true
      header_rewrites:
        - { name: X-Key, value: "{value}", secret_ref: outside-key }
    - host: private.test
      action: allow
      allow_private: true
      header_rewrites:
        - { name: X-Key, value: "{value}", secret_ref: big-key }'
write_config "$OUTSIDE_RULES"
kill -HUP "$SERVE_PID"
check "a reload adding rules whose secrets cannot load: healthz 503" \
    wait_for 3 admin_is 503 /healthz
check "a secret symlinked outside the directory is not loaded: 500" status_is 500 \
    http://nosecret.test/echo
check "... and botbox says why" grep -q "outside-key.*outside" "$E2E_TMP/serve.out"
check "a 2 MiB secret is skipped: 500" status_is 500 http://private.test/echo
check "... with a warning" grep -q "warning.*big-key" "$E2E_TMP/serve.out"
refute "the outside value reached no upstream" upstream_saw "sk-outside"

# ---- config reload ----
check "scoped.test is not in the policy yet: 403" status_is 403 http://scoped.test/echo
write_config "    - { host: scoped.test, action: allow, allow_private: true }"  # the bad rules go
kill -HUP "$SERVE_PID"
check "SIGHUP with a new rule: the new host is allowed" \
    wait_for 3 status_is 200 http://scoped.test/echo
check "... and the reload is audited" \
    wait_for 3 grep -q '"event":"config","decision":"allow"' "$E2E_TMP/audit.jsonl"
printf 'listen_port: 8080\negress_policy:\n  rules:\n    - host: [oops\n' >"$CFG.bad"
chmod a+r "$CFG.bad"
cp "$CFG" "$CFG.good"
cp "$CFG.bad" "$CFG" # in place: a file change triggers a reload by itself
sleep 1
kill -HUP "$SERVE_PID"
check "a broken config is logged with file:line" \
    wait_for 3 grep -qE "$CFG:[0-9]+:[0-9]+:" "$E2E_TMP/serve.out"
check "... and an audit line with decision error" \
    wait_for 3 grep -q '"event":"config","decision":"error"' "$E2E_TMP/audit.jsonl"
check "... while the old policy still serves" status_is 200 http://scoped.test/echo
check "... secrets included" status_is 200 http://api.test/echo
cp "$CFG.good" "$CFG"
cfg_merge "$CFG" <<'YAML'
egress_policy:
  rules: [{host: scoped.test, remove: true}]
YAML
check "an edited config file is reloaded without a signal" \
    wait_for 3 status_is 403 http://scoped.test/echo

cfg_set "$CFG" metrics_port 9091
check "a reload changing metrics_port says that needs a restart" wait_for 3 \
    grep -q "warning: $CFG: metrics_port changed; it takes effect after a restart" \
    "$E2E_TMP/serve.out"
check "... and /metrics stays where it was" admin_is 200 /metrics

# ---- secrets stay secret ----
for v in "$V1" "$V2" sk-outside; do
    refute "$v appears in no audit line" grep -q -- "$v" "$E2E_TMP/audit.jsonl"
    refute "... nor in botbox's output" grep -q -- "$v" "$E2E_TMP/serve.out"
done

serve_stop
finish
