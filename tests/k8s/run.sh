#!/usr/bin/env bash
# The Kubernetes manifests (docker/k8s), offline: every kustomization
# renders with `kubectl kustomize`, every object validates against the API
# schemas (validate.mjs, kubernetes-models), and the rendered sidecar keeps
# the properties docs/deployment.md promises. A missing tool is a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=$(realpath "${1:-$repo/build/botbox}")
pass=0
fail=0
ok() { pass=$((pass + 1)); printf '  ok    k8s: %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf '  FAIL  k8s: %s\n' "$1"; [ -n "${2:-}" ] && sed 's/^/        /' <<<"$2" | head -20; }
for tool in kubectl node; do
    command -v "$tool" >/dev/null || { echo "k8s: missing $tool (run 'make deps')" >&2; exit 1; }
done
[ -d "$here/node_modules/kubernetes-models" ] || { echo "k8s: run 'make deps' (npm ci in tests/k8s)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for k in docker/k8s docker/k8s/sidecar docker/k8s/gateway; do
    if out=$(kubectl kustomize "$repo/$k" 2>&1 >"$tmp/$(basename "$k").yaml"); then
        ok "kubectl kustomize $k renders"
    else
        bad "kubectl kustomize $k renders" "$out"
        continue
    fi
    if out=$(node "$here/validate.mjs" "$tmp/$(basename "$k").yaml" 2>&1); then
        ok "$k: $(grep -c '  valid' <<<"$out") objects valid against the Kubernetes schemas"
    else
        bad "$k: schema validation" "$out"
    fi
done
if out=$(node "$here/validate.mjs" "$repo/docker/k8s/pod-sidecar.yaml" 2>&1); then
    ok "docker/k8s/pod-sidecar.yaml (the kube play Pod) is valid"
else
    bad "docker/k8s/pod-sidecar.yaml" "$out"
fi

# What the sidecar must be, read from the rendered Deployment.
sidecar_props() {
    python3 - "$1" <<'PY'

import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
dep = next(d for d in docs if d["kind"] == "Deployment")
spec = dep["spec"]["template"]["spec"]
init = {c["name"]: c for c in spec["initContainers"]}
app = spec["containers"][0]
nft, bb = init["botbox-nft"], init["botbox"]
vols = {v["name"]: v for v in spec["volumes"]}
def caps(c): return c["securityContext"]["capabilities"]
assert nft["securityContext"]["runAsUser"] == 0 and caps(nft) == {"drop": ["ALL"], "add": ["NET_ADMIN"]}
assert "--mode" in nft["args"] and "sidecar" in nft["args"]
assert bb["restartPolicy"] == "Always", "botbox is a native sidecar"
assert bb["securityContext"]["runAsUser"] == 1337 and caps(bb) == {"drop": ["ALL"], "add": ["NET_ADMIN"]}
assert bb["securityContext"]["readOnlyRootFilesystem"] is True
assert "exec" in bb["readinessProbe"], "loopback-only health port: exec probe"
assert app["securityContext"]["runAsUser"] not in (0, 1337), "app must not run as root or proxy_uid"
assert caps(app) == {"drop": ["ALL"]} and "add" not in caps(app)
app_vols = {m["name"] for m in app.get("volumeMounts", [])}
assert "secrets" not in app_vols and "ca" not in app_vols, "no API key or CA key in the app"
assert vols["ca-cert"]["secret"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}], "app gets ca.crt only"
assert dep["metadata"]["namespace"] == "agents"
cm = next(d for d in docs if d["kind"] == "ConfigMap")
assert vols["config"]["configMap"]["name"] == cm["metadata"]["name"], "generated ConfigMap referenced"
assert bb["image"] == "localhost/botbox:latest" and nft["image"] == "localhost/botbox-nft-init:latest"
PY
}
if out=$(sidecar_props "$tmp/sidecar.yaml" 2>&1); then
    ok "the rendered sidecar: init root+NET_ADMIN, botbox native sidecar 1337+NET_ADMIN read-only, app unprivileged without keys"
else
    bad "the rendered sidecar's properties" "$out"
fi
gateway_props() {
    python3 - "$1" <<'PY'

import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = next(d for d in docs if d["kind"] == "DaemonSet")
spec = ds["spec"]["template"]["spec"]
assert spec["hostNetwork"] is True
assert "gateway" in spec["initContainers"][0]["args"]
cm = next(d for d in docs if d["kind"] == "ConfigMap")
cfg = yaml.safe_load(cm["data"]["config.yaml"])
assert cfg["mode"] == "gateway" and cfg["gateway"]["client_interfaces"]
PY
}
if out=$(gateway_props "$tmp/gateway.yaml" 2>&1); then
    ok "the rendered gateway: hostNetwork DaemonSet, gateway mode on the pods' interfaces"
else
    bad "the rendered gateway's properties" "$out"
fi
for cfg in docker/k8s/sidecar/config.yaml docker/k8s/gateway/config.yaml; do
    if out=$("$BIN" check --config "$repo/$cfg" 2>&1); then
        ok "botbox check $cfg"
    else
        bad "botbox check $cfg" "$out"
    fi
done
echo "k8s: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
