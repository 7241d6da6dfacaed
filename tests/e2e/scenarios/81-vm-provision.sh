#!/usr/bin/env bash
# The VM sandbox: vagrant/provision.sh, the script the
# Vagrantfile runs, is run in a Debian 12 container standing in for the VM
# (in a test-made namespace routed to a test upstream). Then what its
# enabled units start is started, and the user sandbox tries its way out.
# The Vagrantfile itself is checked for syntax. No VM is booted here.
. "$(dirname "$0")/../lib.sh"

export CONTAINERS_CONF=$REPO/docker/containers.conf
root_rules_before=$(nft list ruleset | sha256sum)

check "vagrant/Vagrantfile is valid Ruby" ruby -c "$REPO/vagrant/Vagrantfile"
check "... and runs provision.sh with the synced checkout" \
    grep -q 'provision "shell", path: "provision.sh", args: \["/botbox"\]' "$REPO/vagrant/Vagrantfile"
check "the VM stand-in image builds" bash -c "bash '$REPO/tools/base-image.sh' &&
    podman build -q --network host --build-arg BASE=localhost/debian:bookworm \
    -f '$REPO/tests/e2e/container/Dockerfile.vm' -t localhost/botbox-vmtest:latest '$REPO/tests/e2e/container'"

upstream_world api.test other.test # "app" plays the VM's network, "up" the internet
SECRET=sk-vm-0123456789abcdef

# /proc/sys is read-only in a container: the "VM" forwards already, as the
# namespace's owner set it (sandbox-net writes only what is not set).
in_ns app sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
VM_OUT=$(timeout 600 podman run --rm --network "ns:/run/netns/${NS[app]}" \
    --cap-add NET_ADMIN --cap-add SYS_ADMIN \
    -e UP4=$UP4 -e SECRET=$SECRET \
    -v "$REPO:/src:ro" -v "$E2E_TMP/certs/ca.crt:/upstream-ca.crt:ro" \
    -v "$REPO/tests/e2e/container/vm-check.sh:/vm-check.sh:ro" \
    localhost/botbox-vmtest:latest /vm-check.sh 2>&1)
has() { grep -qxF -- "$1" <<<"$VM_OUT"; }
check "provision.sh (make install, users, CA, config, units) succeeds" has "check: provisioned"
for u in botbox-sandbox-net botbox-nft botbox; do
    check "... $u.service is enabled" has "check: $u enabled"
done
check "the units' commands bring the sandbox network and the steering up" \
    bash -c "grep -qx 'check: sandbox-net up' <<<\"\$1\" && grep -qx 'check: nft applied' <<<\"\$1\"" _ "$VM_OUT"
check "botbox.service's command serves, as botbox with NET_ADMIN only: ready" has "check: readyz 200"
check "sandbox-shell is a shell of the user sandbox" has "check: whoami sandbox"
check "the sandbox reaches an allowed host, its key injected by botbox" has "check: allowed Bearer [REDACTED]"
check "... a host no rule allows: 403" has "check: denied 403"
check "... a direct connection: blocked" has "check: direct blocked"
check "... and cannot read the secrets" bash -c "grep -q '^check: secrets.*Permission denied' <<<\"\$1\"" _ "$VM_OUT"
check "the request is in /var/log/botbox/audit.jsonl" has "check: audited"
[ "$E2E_FAIL" -eq 0 ] || printf "%s\n" "$VM_OUT" | tail -30 | sed 's/^/        /'
check "no container of this test is left" bash -c "! podman ps -a --format '{{.Image}}' | grep -q botbox-vmtest"
check "the root namespace's ruleset is unchanged" \
    test "$(nft list ruleset | sha256sum)" = "$root_rules_before"
finish
