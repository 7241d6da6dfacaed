#!/usr/bin/env bash
# Provisions a Debian 12 machine as a botbox sandbox, from a checkout of
# this repository (vagrant/Vagrantfile runs it; so does scenario 81, in a
# container):
#   - make deps install (BOTBOX_NODEPS=1: the build packages are there);
#   - users botbox (uid 1337, the gateway: proxy_uid) and sandbox (the agent);
#   - a CA for interception, a secrets directory, /etc/botbox/config.yaml in
#     gateway mode on sbx0 (kept if it exists);
#   - botbox-sandbox-net.service: the network namespace "sandbox", joined to
#     the machine by the veth sbx0, whose only way out is the gateway;
#   - sandbox-shell: root runs it to get a login shell as sandbox in there;
#   - the units enabled (and started when systemd runs).
# Idempotent: run it again after pulling changes.
# usage: provision.sh [REPO]   (default: the checkout this script is in)
set -euo pipefail
REPO=$(cd "${1:-$(dirname "$0")/..}" && pwd)
PREFIX=/usr/local
LIBEXEC=$PREFIX/libexec/botbox
SANDBOX_UID=2000

echo "provision: building and installing botbox from $REPO"
make -C "$REPO" -s ${BOTBOX_NODEPS:+NODEPS=1} deps
make -C "$REPO" -s ${BOTBOX_NODEPS:+NODEPS=1} install PREFIX=$PREFIX

# botbox.service runs as botbox (uid and gid 1337 = proxy_uid: its own
# traffic is never steered) from the start, so what it reads is group botbox.
getent group botbox >/dev/null || groupadd --system --gid 1337 botbox
id botbox >/dev/null 2>&1 ||
    useradd --system --uid 1337 --gid 1337 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin botbox
id sandbox >/dev/null 2>&1 ||
    useradd --uid $SANDBOX_UID --user-group --create-home --shell /bin/bash sandbox

install -d -m 0755 /etc/botbox
[ -e /etc/botbox/ca/ca.key ] || $PREFIX/bin/botbox ca init --dir /etc/botbox/ca >/dev/null
chmod 0755 /etc/botbox/ca
chgrp botbox /etc/botbox/ca/ca.key
chmod 0640 /etc/botbox/ca/ca.key
install -d -m 0750 -g botbox /etc/botbox/secrets
install -d -m 0750 -o botbox -g botbox /var/log/botbox
if [ ! -e /etc/botbox/config.yaml ] || cmp -s "$REPO/examples/botbox.yaml" /etc/botbox/config.yaml; then
    install -m 0644 "$REPO/vagrant/config.yaml" /etc/botbox/config.yaml
fi

install -D -m 0755 "$REPO/vagrant/sandbox-net" $LIBEXEC/sandbox-net
install -D -m 0644 "$REPO/vagrant/botbox-sandbox-net.service" \
    $PREFIX/lib/systemd/system/botbox-sandbox-net.service
sed -i "s|@LIBEXEC@|$LIBEXEC|g" $PREFIX/lib/systemd/system/botbox-sandbox-net.service
install -D -m 0755 "$REPO/vagrant/sandbox-shell" $PREFIX/bin/sandbox-shell

$PREFIX/bin/botbox check --config /etc/botbox/config.yaml >/dev/null
systemctl enable botbox-sandbox-net.service botbox-nft.service botbox.service
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl restart botbox-sandbox-net.service botbox-nft.service botbox.service
fi
echo "provision: done; 'sudo sandbox-shell' opens a shell as sandbox behind botbox"
