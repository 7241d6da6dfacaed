#!/usr/bin/env bash
# The Kubernetes manifests (docker/k8s), offline: every kustomization
# renders (render.mjs: kustomize's subset that docker/k8s uses, in node, as
# `kubectl kustomize` renders it), every object validates against the API
# schemas (validate.mjs, kubernetes-models), and the rendered sidecar keeps
# the properties docs/deployment.md promises. The checkers are checked too:
# a wrongly typed field, a missing required one and an unknown
# kustomization field must each fail. Nothing here needs kubectl; a
# missing tool is a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=$(realpath "${1:-$repo/build/botbox}")
pass=0
fail=0
ok() { pass=$((pass + 1)); printf '  ok    k8s: %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf '  FAIL  k8s: %s\n' "$1"; [ -n "${2:-}" ] && sed 's/^/        /' <<<"$2" | head -20; }
for tool in node python3; do
    command -v "$tool" >/dev/null || { echo "k8s: missing $tool (run 'make deps')" >&2; exit 1; }
done
[ -d "$here/node_modules/kubernetes-models" ] || { echo "k8s: run 'make deps' (npm ci in tests/k8s)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for k in docker/k8s docker/k8s/sidecar docker/k8s/gateway; do
    if out=$(node "$here/render.mjs" "$repo/$k" 2>&1 >"$tmp/$(basename "$k").yaml"); then
        ok "$k renders"
    else
        bad "$k renders" "$out"
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

# The checkers refuse what they must: each mutation of the rendered sidecar
# fails validation, and a kustomization field the renderer does not know
# fails the rendering (instead of being dropped).
refused() { # NAME FILE: validate.mjs must reject FILE
    if node "$here/validate.mjs" "$2" >"$tmp/out" 2>&1; then
        bad "validation rejects $1" "$(cat "$tmp/out")"
    else
        ok "validation rejects $1: $(grep -m1 -o 'INVALID.*' "$tmp/out" | cut -c1-110)"
    fi
}
sed 's/^  replicas: 1$/  replicas: "one"/' "$tmp/sidecar.yaml" >"$tmp/m-type.yaml"
refused "a wrongly typed field (replicas: \"one\")" "$tmp/m-type.yaml"
sed 's/- name: app$/- stdin: false/' "$tmp/sidecar.yaml" >"$tmp/m-required.yaml"
refused "a container without its required name" "$tmp/m-required.yaml"
mkdir -p "$tmp/kz"
cp -r "$repo/docker/k8s/sidecar/." "$tmp/kz/"
printf 'commonAnnotations:\n  a: b\n' >>"$tmp/kz/kustomization.yaml"
if out=$(node "$here/render.mjs" "$tmp/kz" 2>&1 >/dev/null); then
    bad "rendering refuses a kustomization field it does not know" "rendered"
else
    ok "rendering refuses a kustomization field it does not know: $out"
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
cfg = yaml.safe_load(cm["data"]["config.yaml"])
env_dir = cfg["placeholders_file"].rsplit("/", 1)[0]
def mount(c, name): return next(m for m in c["volumeMounts"] if m["name"] == name)
assert "emptyDir" in vols["placeholders"], "placeholders on an emptyDir"
assert mount(bb, "placeholders")["mountPath"] == env_dir and not mount(bb, "placeholders").get("readOnly")
assert mount(app, "placeholders")["mountPath"] == env_dir and mount(app, "placeholders")["readOnly"] is True
assert cfg["placeholders_file"] in " ".join(app["command"]), "the app reads its placeholders"
assert cfg["credentials"], "a credential with a placeholder"
PY
}
if out=$(sidecar_props "$tmp/sidecar.yaml" 2>&1); then
    ok "the rendered sidecar: init root+NET_ADMIN, botbox native sidecar 1337+NET_ADMIN read-only, app unprivileged without keys, placeholders shared read-only"
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
assert cfg.get("tenants"), "the gateway's ConfigMap carries the tenant list"
assert all(t["match"]["sources"] and t["match"]["interfaces"] for t in cfg["tenants"])
bb = next(c for c in spec["containers"] if c["name"] == "botbox")
vols = {v["name"]: v for v in spec["volumes"]}
# with tenants, each tenant has its own placeholders_file
phf = cfg.get("placeholders_file") or next(t["placeholders_file"] for t in cfg.get("tenants", [])
                                           if t.get("placeholders_file"))
env_dir = phf.rsplit("/", 1)[0]
assert vols["placeholders"]["hostPath"]["path"] == env_dir
assert next(m for m in bb["volumeMounts"] if m["name"] == "placeholders")["mountPath"] == env_dir
PY
}
if out=$(gateway_props "$tmp/gateway.yaml" 2>&1); then
    ok "the rendered gateway: hostNetwork DaemonSet, gateway mode on the pods' interfaces, the tenant list in its ConfigMap, placeholders on the node"
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
