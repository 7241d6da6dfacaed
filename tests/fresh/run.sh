#!/usr/bin/env bash
# The fresh-machine check (make fresh-check, part of make test): the tree
# under test, copied into a clean Debian 12 root that has none of botbox's
# build or test dependencies, gets the README's command once, as a
# newcomer types it: `make GOALS` (default: unit cli-test k8s-test
# install-test), which must install what it needs (make deps) and pass in
# that same first invocation. Then `make deps` again must print nothing
# (installed once, silent after).
#
# The root: debootstrap --variant=minbase bookworm from the machine's own
# apt mirror, kept as a tarball under FRESH_CACHE (made once per machine,
# about 30 s) and unpacked anew for every run, plus `make` (what the
# README assumes). It shares the machine's network namespace for apt and
# npm only: nothing here adds a rule, route or sysctl; the unit tests make
# their own namespaces as on the machine. It gets the machine's network
# set-up, not botbox's: resolver, hosts, apt sources and apt settings, and
# the machine's local trust anchors (a registry proxy's CA), which npm is
# told of. Mounts live in a mount namespace of the check's own and vanish
# with it.
#
# usage: run.sh [GOALS...]     (root; FRESH_CACHE, FRESH_KEEP=1 keeps the root)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FRESH_CACHE:-/var/cache/botbox-fresh}
goals=("$@")
[ ${#goals[@]} -gt 0 ] || goals=(unit cli-test k8s-test install-test)
[ "$(id -u)" -eq 0 ] || { echo "fresh: needs root (debootstrap, chroot)" >&2; exit 1; }
for tool in debootstrap unshare chroot tar git; do
    command -v "$tool" >/dev/null || { echo "fresh: missing $tool (run 'make deps')" >&2; exit 1; }
done
t0=$(date +%s)

# ---- the cached minbase root ----
base=$cache/bookworm-minbase.tar
if [ ! -s "$base" ]; then
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || { echo "fresh: no apt mirror found in /etc/apt" >&2; exit 1; }
    mkdir -p "$cache"
    mk=$(mktemp -d "$cache/mk.XXXXXX")
    echo "fresh: debootstrap bookworm from $mirror (once per machine)" >&2
    if ! debootstrap --variant=minbase bookworm "$mk/root" "$mirror" >"$mk/log" 2>&1; then
        tail -20 "$mk/log" >&2
        rm -rf "$mk"
        exit 1
    fi
    rm -f "$mk"/root/var/cache/apt/archives/*.deb
    rm -rf "$mk"/root/var/lib/apt/lists/*
    tar -C "$mk/root" -cf "$base.tmp" .
    mv "$base.tmp" "$base"
    rm -rf "$mk"
fi

# ---- a new root for this run ----
work=$(mktemp -d /var/tmp/botbox-fresh.XXXXXX)
cleanup() { [ "${FRESH_KEEP:-0}" = 1 ] && echo "fresh: root kept in $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$base"
# The machine's network set-up (see the head comment).
cp /etc/resolv.conf /etc/hosts "$root/etc/"
rm -f "$root/etc/apt/sources.list"
cp -r /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/"
for f in /etc/apt/apt.conf.d/*; do # settings the root lacks (the mirror's snapshot dates)
    [ -e "$root/etc/apt/apt.conf.d/$(basename "$f")" ] || cp "$f" "$root/etc/apt/apt.conf.d/"
done
mkdir -p "$root/usr/local/share/ca-certificates"
for pem in /etc/ssl/certs/*.pem; do # local anchors are files; Debian's are links
    [ -f "$pem" ] && [ ! -L "$pem" ] &&
        cp "$pem" "$root/usr/local/share/ca-certificates/machine-$(basename "$pem" .pem).crt"
done
cat "$root"/usr/local/share/ca-certificates/machine-*.crt >"$root/usr/local/share/machine-anchors.pem" \
    2>/dev/null || true
# The tree as a clone has it: tracked files, and untracked ones git does not
# ignore (a developer's uncommitted work); no build output, no node_modules.
mkdir -p "$root/src/botbox"
git -C "$repo" ls-files -z -co --exclude-standard |
    (cd "$repo" && tar --null -T - -cf -) | tar -C "$root/src/botbox" -xf -

# ---- the newcomer's session ----
cat >"$root/newcomer.sh" <<'EOF'
set -u
export DEBIAN_FRONTEND=noninteractive PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -s /usr/local/share/machine-anchors.pem ]; then
    export npm_config_cafile=/usr/local/share/machine-anchors.pem
    export NODE_EXTRA_CA_CERTS=/usr/local/share/machine-anchors.pem
fi
apt-get update -qq >/tmp/apt.log 2>&1 && apt-get install -y -qq --no-install-recommends make \
    >>/tmp/apt.log 2>&1 || { cat /tmp/apt.log; echo "fresh: could not install make"; exit 3; }
cd /src/botbox
echo "fresh: \$ make $*"
make "$@" || { echo "fresh: the first 'make $*' failed (exit $?)"; exit 1; }
out=$(make deps 2>&1) || { echo "$out"; echo "fresh: the second 'make deps' failed"; exit 1; }
if [ -n "$out" ]; then
    printf '%s\n' "$out"
    echo "fresh: the second 'make deps' printed something (it must be silent once installed)"
    exit 1
fi
echo "fresh: the second 'make deps' installed nothing and printed nothing"
EOF
log=$work/log
rc=0
unshare --mount --propagation private bash -c '
    set -e
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/tmp"
    mount -t tmpfs tmpfs "$root/run"
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb bash /newcomer.sh "$@"
' fresh "$root" "${goals[@]}" >"$log" 2>&1 || rc=$?
secs=$(($(date +%s) - t0))
if [ $rc -ne 0 ]; then
    echo "  FAIL  fresh: make ${goals[*]} in a clean Debian 12 root (exit $rc, ${secs} s); its output's end:"
    tail -40 "$log" | sed 's/^/        /'
    echo "fresh: 0 passed, 1 failed"
    exit 1
fi
grep -E '^(deps: |fresh: |[a-z0-9-]+: .*(passed|failed))' "$log" | sed 's/^/        /'
echo "  ok    fresh: make ${goals[*]} passed on its first run in a clean Debian 12 root (${secs} s)"
echo "fresh: 1 passed, 0 failed"
