#!/usr/bin/env bash
# The images, run the way a pod runs them: `make image` from
# this tree, then in one test-made network namespace the nft-init image as
# root with only NET_ADMIN, the botbox image as 1337:1337 with only
# NET_ADMIN and a read-only root, and an app as 1000:1000 with no
# capabilities; then the sidecar Pod manifest through `podman kube play
# --network none`. Every podman call names its network (never the
# default bridge, which would change the root namespace), and the root
# namespace's ruleset and forwarding are checked unchanged at the end.
. "$(dirname "$0")/../lib.sh"

export CONTAINERS_CONF=$REPO/docker/containers.conf
PODMAN=(podman)
CTR="bbe$$"
root_rules_before=$(nft list ruleset | sha256sum)
root_fwd_before=$(sysctl -n net.ipv4.ip_forward)
ctr_cleanup() {
    podman rm -f -t 0 "$CTR-botbox" >/dev/null 2>&1
    podman pod rm -f botbox-sidecar >/dev/null 2>&1
}
trap 'ctr_cleanup; e2e_cleanup' EXIT

# ---- images ----
check "make image builds both images from this tree (no registry)" \
    make -s -C "$REPO" image
check "... the runtime image runs as 1337 with botbox as its entrypoint" bash -c \
    "podman image inspect localhost/botbox:latest --format '{{.Config.User}} {{.Config.Entrypoint}} {{.Config.Cmd}}' |
     grep -qx '1337:1337 \[botbox\] \[serve --config /etc/botbox/config.yaml\]'"
check "... the nft-init image runs as root and applies the steering" bash -c \
    "podman image inspect localhost/botbox-nft-init:latest --format '{{.Config.User}} {{.Config.Cmd}}' |
     grep -qx '0:0 \[nft apply --config /etc/botbox/config.yaml --mode sidecar\]'"
check "... the runtime image has no compiler and no -dev package" bash -c \
    "! podman run --rm --network none --entrypoint sh localhost/botbox:latest -c 'command -v gcc || ls /usr/include/openssl' 2>/dev/null"
check "the test client image builds" podman build -q --network host \
    --build-arg BASE=localhost/debian:bookworm -f "$REPO/tests/e2e/container/Dockerfile.client" \
    -t localhost/botbox-testclient:latest "$REPO/tests/e2e/container"

# ---- the world: the pod's namespace (app) and an upstream ----
upstream_world api.test evil.test
SECRET=sk-ctr-0123456789abcdef
mkdir -p "$E2E_TMP/ctr/config" "$E2E_TMP/ctr/secrets"
cp "$E2E_TMP/certs/ca.crt" "$E2E_TMP/ctr/config/upstream-ca.crt"
printf '%s\n' "$SECRET" >"$E2E_TMP/ctr/secrets/api-key"
cat >"$E2E_TMP/ctr/config/config.yaml" <<YAML
workers: 1
secrets_dir: /var/run/secrets/botbox
upstream:
  ca_file: /etc/botbox/upstream-ca.crt
dns:
  upstream: "$UP4"
placeholders_file: /var/run/botbox-env/placeholders.env
credentials:
  - {secret_ref: api-key, placeholder: {prefix: sk-ctr-, length: 40}, env: API_KEY}
egress_policy:
  rules:
$KEY_RULE
YAML
mkdir -p "$E2E_TMP/ctr/env"
chown -R 1337:1337 "$E2E_TMP/ctr/secrets" "$E2E_TMP/ctr/env"
chmod -R a+rX "$E2E_TMP/ctr/config"
chmod 700 "$E2E_TMP/ctr/secrets"
NETNS=/run/netns/${NS[app]}

# ---- the pod, container by container ----
check "init container (root, only NET_ADMIN) applies the ruleset" \
    podman run --rm --network "ns:$NETNS" --cap-drop ALL --cap-add NET_ADMIN --user 0:0 \
    -v "$E2E_TMP/ctr/config:/etc/botbox:ro" localhost/botbox-nft-init:latest
check "... the table is in the pod's namespace" in_ns app nft list table inet botbox
check "botbox container starts (1337:1337, only NET_ADMIN, read-only root)" \
    podman run -d --name "$CTR-botbox" --network "ns:$NETNS" --cap-drop ALL --cap-add NET_ADMIN \
    --user 1337:1337 --read-only -v "$E2E_TMP/ctr/config:/etc/botbox:ro" \
    -v "$E2E_TMP/ctr/secrets:/var/run/secrets/botbox:ro" \
    -v "$E2E_TMP/ctr/env:/var/run/botbox-env" localhost/botbox:latest
check "... and serves" wait_for 15 bash -c "podman logs $CTR-botbox 2>&1 | grep -q 'serving on port'"
check "... with CapEff = NET_ADMIN only, as uid 1337" bash -c \
    "podman exec $CTR-botbox cat /proc/1/status | grep -q 'CapEff:	0000000000001000' &&
     podman exec $CTR-botbox cat /proc/1/status | grep -qE '^Uid:	1337	1337'"
app() {
    podman run --rm --network "ns:$NETNS" --user 1000:1000 --cap-drop ALL \
        localhost/botbox-testclient:latest curl -sS --max-time 5 "$@"
}
out=$(app http://api.test/echo 2>&1)
check "app (1000:1000, no capabilities): allowed request gets the key injected, its echo redacted" \
    bash -c "grep -q '\"Bearer sk-ctr-' <<<\"\$1\" && ! grep -qF '$SECRET' <<<\"\$1\"" _ "$out"
check "... seen by the upstream" grep -q "Bearer $SECRET" "$E2E_TMP/upstream.log"
# the sidecar's placeholders file, in a volume the app mounts read-only
out=$(podman run --rm --network "ns:$NETNS" --user 1000:1000 --cap-drop ALL \
    -v "$E2E_TMP/ctr/env:/var/run/botbox-env:ro" localhost/botbox-testclient:latest sh -c \
    'set -a && . /var/run/botbox-env/placeholders.env && set +a &&
     echo "key=$API_KEY" && curl -sS --max-time 5 -H "X-Key: $API_KEY" http://api.test/echo' 2>&1)
check "app: its placeholder from botbox's file (sk-ctr-...), never the key" \
    bash -c "grep -q '^key=sk-ctr-[A-Za-z0-9]\{33\}$' <<<\"\$1\" && ! grep -qF '$SECRET' <<<\"\$1\"" _ "$out"
check "... replaced by the key at the upstream" bash -c \
    "grep '\"event\": \"request\"' '$E2E_TMP/upstream.log' | tail -1 | grep -qF '[\"X-Key\", \"$SECRET\"]'"
expect "app: a denied host gets 403 (its name does not even resolve; by address)" "403" \
    app -o /dev/null -w '%{http_code}' --resolve "evil.test:80:$UP4" http://evil.test/
before=$(grep -c '"event": "accept"' "$E2E_TMP/upstream.log")
refute "app: direct HTTPS to the upstream's address fails" app -k -o /dev/null "https://$UP4/echo"
check "... and never reached it" \
    test "$(grep -c '"event": "accept"' "$E2E_TMP/upstream.log")" -eq "$before"
check "botbox's audit lines are its container's stdout" wait_for 3 bash -c \
    "podman logs $CTR-botbox 2>/dev/null | grep -q '\"decision\":\"deny\".*\"host\":\"evil.test\"'"
check "the container stops cleanly" podman stop -t 10 "$CTR-botbox"
check "... exit status 0" test "$(podman inspect "$CTR-botbox" --format '{{.State.ExitCode}}')" = 0
podman rm -f "$CTR-botbox" >/dev/null

# ---- the sidecar Pod manifest, through kube play ----
sed "s|@DIR@|$E2E_TMP/ctr|g" "$REPO/docker/k8s/pod-sidecar.yaml" >"$E2E_TMP/pod.yaml"
check "podman kube play --network none of the sidecar Pod starts it" \
    podman kube play --network none "$E2E_TMP/pod.yaml"
check "... its app is steered to its botbox: 403 for a denied host" wait_for 20 bash -c \
    "podman logs botbox-sidecar-app 2>&1 | grep -q 'app: denied.test -> 403'"
check "... with its placeholder read from botbox's file" bash -c \
    "podman logs botbox-sidecar-app 2>&1 | grep -q 'app: API_KEY=sk-ctr-'"
check "... which audited it" wait_for 3 bash -c \
    "podman logs botbox-sidecar-botbox 2>&1 | grep -q '\"host\":\"denied.test\"'"
check "... and the pod goes away" podman kube down "$E2E_TMP/pod.yaml"

# ---- nothing left ----
ctr_cleanup
check "no container or pod of this test is left" bash -c \
    "! podman ps -a --format '{{.Names}}' | grep -q '^$CTR-\|^botbox-sidecar' &&
     ! podman pod ps --format '{{.Name}}' | grep -q botbox-sidecar"
check "the root namespace's ruleset is unchanged" \
    test "$(nft list ruleset | sha256sum)" = "$root_rules_before"
check "... and its forwarding too" test "$(sysctl -n net.ipv4.ip_forward)" = "$root_fwd_before"
finish
