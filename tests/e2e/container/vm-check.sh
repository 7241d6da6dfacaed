#!/bin/bash
# Runs inside the scenario-81 container: provisions it with
# vagrant/provision.sh, starts what the enabled units start (their
# ExecStart lines, in their order), then acts as the sandbox user.
# Prints "check: ..." lines; the scenario asserts on them.
set -u
cp -a /src /botbox && rm -rf /botbox/build /botbox/build-san /botbox/build-fuzz
BOTBOX_NODEPS=1 MAKEFLAGS=-j2 /botbox/vagrant/provision.sh /botbox >/tmp/provision.log 2>&1 ||
    { echo "check: provision FAILED"; tail -20 /tmp/provision.log; exit 1; }
echo "check: provisioned"
for u in botbox-sandbox-net botbox-nft botbox; do
    echo "check: $u $(systemctl is-enabled $u.service 2>&1)"
done
# The test's upstream and key: what an administrator adds to the policy.
cat >>/etc/botbox/config.yaml <<YAML
    - host: api.test
      action: allow
      allow_private: true
      header_rewrites:
        - name: Authorization
          value: "Bearer {value}"
          secret_ref: api-key
upstream:
  ca_file: /etc/botbox/upstream-ca.crt
dns:
  upstream: "$UP4"
YAML
cp /upstream-ca.crt /etc/botbox/upstream-ca.crt
printf '%s\n' "$SECRET" >/etc/botbox/secrets/api-key
printf 'ghp-not-a-real-token\n' >/etc/botbox/secrets/github-token # the shipped rule's key
chgrp botbox /etc/botbox/secrets/* && chmod 0640 /etc/botbox/secrets/*
unit() { sed -n 's/^ExecStart=//p' "/usr/local/lib/systemd/system/$1.service"; }
$(unit botbox-sandbox-net) && echo "check: sandbox-net up"
$(unit botbox-nft) >/dev/null && echo "check: nft applied"
# botbox.service: User=botbox, AmbientCapabilities=CAP_NET_ADMIN.
setpriv --reuid=botbox --regid=botbox --init-groups --inh-caps=-all,+net_admin \
    --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin $(unit botbox) \
    >/tmp/serve.log 2>&1 &
for _ in $(seq 100); do
    curl -s -o /dev/null http://127.0.0.1:9090/healthz && break
    sleep 0.1
done
curl -s -o /dev/null -w 'check: readyz %{http_code}\n' http://127.0.0.1:9090/readyz
echo "check: whoami $(sandbox-shell id -un)"
echo "check: allowed $(sandbox-shell curl -sS --max-time 5 https://api.test/echo 2>&1 | grep -o 'Bearer [][A-Za-z0-9-]*')"
echo "check: denied $(sandbox-shell curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --resolve "other.test:443:$UP4" https://other.test/ 2>&1)"
sandbox-shell curl -sS --max-time 3 --noproxy '*' -k -o /dev/null "https://$UP4/" 2>/dev/null &&
    echo "check: direct REACHED" || echo "check: direct blocked"
echo "check: secrets $(sandbox-shell cat /etc/botbox/secrets/api-key 2>&1 | head -1)"
grep -q '"event":"http".*"host":"api.test"' /var/log/botbox/audit.jsonl && echo "check: audited"
