#!/usr/bin/env bash
# Installs every build and test dependency of botbox  on Debian 12.
# Idempotent and silent when everything is already present; when something is
# missing it runs apt-get (root required) and fails loudly if that fails, so a
# missing prerequisite can never turn into a skipped test.
set -euo pipefail

PACKAGES=(
    # build
    gcc make pkg-config git
    libnftnl-dev libmnl-dev libnetfilter-queue-dev libssl-dev libyaml-dev
    libcmocka-dev node-llhttp libc-ares-dev libnghttp2-dev libjansson-dev
    # style, fuzzing and sanitizer runtimes
    clang clang-format libclang-rt-14-dev
    # tests and benches
    nftables iproute2 curl openssl nginx-light dnsmasq-base python3 nodejs
    wrk haproxy valgrind python3-prometheus-client bind9-dnsutils
    systemd # systemd-analyze verify, for the installed units (tests/install)
    # the real-client suite (tests/e2e/scenarios/72-real-clients.sh)
    wget python3-requests python3-pip testssl.sh
    # HTTP/2 and gRPC clients and servers (scenario 73, the h2 bench)
    nghttp2-client python3-h2 python3-grpcio
    # AWS SigV4 re-signing: the SDK and the upstream's verifier (scenario 78)
    python3-botocore python3-boto3
    # images and manifests (catatonit: the pause process of `podman kube
    # play`, only a Recommends of podman, which --no-install-recommends skips)
    podman runc catatonit debootstrap python3-yaml ruby
)
REPO=$(cd "$(dirname "$0")/.." && pwd)

# The manifest renderer and validators (tests/k8s) and the official SDKs
# the credential scenario runs (tests/e2e/npm): npm packages pinned by
# their lock files. npm comes with nodejs from other repositories
# (NodeSource's does); Debian's nodejs needs Debian's npm, so it is added
# only when the command is missing.
npm_deps() {
    if [[ ! -d "$REPO/tests/k8s/node_modules/kubernetes-models" ]]; then
        echo "deps: npm ci in tests/k8s" >&2
        npm ci --prefix "$REPO/tests/k8s" --no-audit --no-fund --loglevel=error >/dev/null
    fi
    if [[ ! -d "$REPO/tests/e2e/npm/node_modules/@anthropic-ai/sdk" ]]; then
        echo "deps: npm ci in tests/e2e/npm" >&2
        npm ci --prefix "$REPO/tests/e2e/npm" --no-audit --no-fund --loglevel=error >/dev/null
    fi
}

# One dpkg-query for the whole list: this runs at the start of every make.
missing=()
declare -A installed=()
while read -r name status; do
    [[ "$status" == "install ok installed" ]] && installed[$name]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
for p in "${PACKAGES[@]}"; do
    [[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done
command -v npm >/dev/null || missing+=(npm)
if [[ ${#missing[@]} -eq 0 ]]; then
    npm_deps
    exit 0
fi

echo "deps: installing ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then
    echo "deps: missing packages and not root; run 'sudo make deps'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps services and extras out; a Debian
# policy-rc.d (if present) keeps daemons such as nginx from starting.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_deps
echo "deps: done" >&2
