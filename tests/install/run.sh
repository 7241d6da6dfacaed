#!/usr/bin/env bash
# make install / uninstall into a DESTDIR: the binary, the two systemd
# units (with the chosen paths filled in, and accepted by systemd-analyze),
# the example config (the live one created once, never overwritten) and the
# docs; uninstall removes them and keeps the live config.
# usage: run.sh [make arguments, e.g. SAN=1]
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
pass=0
fail=0
check() {
    local what=$1
    shift
    if out=$("$@" 2>&1); then
        pass=$((pass + 1))
        printf '  ok    install: %s\n' "$what"
    else
        fail=$((fail + 1))
        printf '  FAIL  install: %s\n' "$what"
        sed 's/^/        /' <<<"$out" | head -20
    fi
}
mk() { make -s -C "$repo" "$@" DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/usr/lib/systemd/system; }

check "make install DESTDIR=... PREFIX=/usr" mk "$@" install
check "the binary in /usr/bin, executable, runs" "$dest/usr/bin/botbox" --version
check "the units in /usr/lib/systemd/system" test -f "$dest/usr/lib/systemd/system/botbox.service" \
    -a -f "$dest/usr/lib/systemd/system/botbox-nft.service"
check "... with the chosen paths and no placeholder left" bash -c "
    grep -qx 'ExecStart=/usr/bin/botbox serve --config /etc/botbox/config.yaml' $dest/usr/lib/systemd/system/botbox.service &&
    grep -qx 'ExecStart=/usr/bin/botbox nft apply --config /etc/botbox/config.yaml' $dest/usr/lib/systemd/system/botbox-nft.service &&
    ! grep -q @ $dest/usr/lib/systemd/system/botbox*.service"
check "... botbox.service hardened: dedicated user, CAP_NET_ADMIN only, NoNewPrivileges, ProtectSystem=strict" bash -c "
    u=$dest/usr/lib/systemd/system/botbox.service
    grep -qx 'User=botbox' \$u && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN' \$u &&
    grep -qx 'AmbientCapabilities=CAP_NET_ADMIN' \$u && grep -qx 'NoNewPrivileges=yes' \$u &&
    grep -qx 'ProtectSystem=strict' \$u"
check "... botbox-nft.service: oneshot, before the network is up" bash -c "
    u=$dest/usr/lib/systemd/system/botbox-nft.service
    grep -qx 'Type=oneshot' \$u && grep -q '^Before=.*network-pre.target' \$u && grep -q '^Before=.*network-online.target' \$u"
check "systemd-analyze verify accepts both units" bash -c "
    cd $dest/usr/lib/systemd/system && SYSTEMD_LOG_LEVEL=err systemd-analyze verify --root=$dest ./botbox.service ./botbox-nft.service 2>&1 |
    grep -v 'Failed to resolve\\|is not executable\\|Unit .*not found\\|Cannot add dependency' | { ! grep -q .; }"
check "the example config, and the live config created from it" bash -c "
    cmp -s $repo/examples/botbox.yaml $dest/etc/botbox/config.yaml.example &&
    cmp -s $repo/examples/botbox.yaml $dest/etc/botbox/config.yaml"
check "the docs" test -f "$dest/usr/share/doc/botbox/deployment.md"
check "... with the reference they cite" test -f "$dest/usr/share/doc/botbox/reference.md"
echo "# edited" >>"$dest/etc/botbox/config.yaml"
check "a second install keeps the edited live config" bash -c \
    "make -s -C $repo $* install DESTDIR=$dest PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/usr/lib/systemd/system >/dev/null &&
     tail -1 $dest/etc/botbox/config.yaml | grep -qx '# edited'"
check "make uninstall" mk "$@" uninstall
check "... removes the binary, units, example and docs" bash -c "
    test ! -e $dest/usr/bin/botbox -a ! -e $dest/usr/lib/systemd/system/botbox.service -a \
         ! -e $dest/usr/lib/systemd/system/botbox-nft.service -a ! -e $dest/etc/botbox/config.yaml.example -a \
         ! -e $dest/usr/share/doc/botbox"
check "... and keeps the live config" test -f "$dest/etc/botbox/config.yaml"
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
