#!/usr/bin/env bash
# The local Debian 12 base image for `make image` when no registry is
# reachable: debootstrap (minbase) from the machine's own apt mirror, then
# `podman import`. Idempotent: does nothing when the image exists. Tagged
# under both the local name and the upstream one, so an unchanged
# `FROM debian:bookworm-slim` resolves to it too.
set -euo pipefail
IMAGE=${1:-localhost/debian:bookworm}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(dirname "$0")/../docker/containers.conf}
if podman image exists "$IMAGE"; then
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "base-image: needs root (debootstrap)" >&2; exit 1; }
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "base-image: no apt mirror found in /etc/apt" >&2; exit 1; }
tmp=$(mktemp -d /tmp/botbox-base.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "base-image: debootstrap bookworm from $mirror (once per machine, about 30 s)" >&2
debootstrap --variant=minbase bookworm "$tmp/rootfs" "$mirror" >"$tmp/log" 2>&1 ||
    { tail -20 "$tmp/log" >&2; exit 1; }
rm -f "$tmp"/rootfs/var/cache/apt/archives/*.deb
rm -rf "$tmp"/rootfs/var/lib/apt/lists/* "$tmp"/rootfs/etc/apt/sources.list
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    cp /etc/apt/sources.list.d/*.sources "$tmp/rootfs/etc/apt/sources.list.d/"
else
    cp /etc/apt/sources.list "$tmp/rootfs/etc/apt/sources.list"
fi
tar -C "$tmp/rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
podman tag "$IMAGE" docker.io/library/debian:bookworm-slim
echo "base-image: $IMAGE ready" >&2
