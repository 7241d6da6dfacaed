#!/usr/bin/env bash
# Tenants in the per-node gateway (docs/configuration.md, "Tenants"): one
# botbox serve in "gw" for three clients behind two client interfaces.
#   bbc0: "ca" (10.201.2.2, tenant team-a) and "cu" (10.201.2.100, no
#         tenant's address: the unmatched client), on one link through a
#         switch (a bridge in namespace "lan")
#   bbx1: "cb" (10.201.4.2, tenant team-b; matched by the pattern "bbx*")
# team-a may reach a.test and shared.test, and udp/123; team-b b.test and
# shared.test; each has its own secrets_dir with a different key for
# shared.test. Each result is checked where it lands: at the upstream
# (tools/upstream.py), at dnsmasq, in the audit log and in what curl saw.
. "$(dirname "$0")/../lib.sh"

ns_new ca
ns_new cu
ns_new cb
ns_new lan
ns_new gw
ns_new up
in_ns lan ip link add br0 type bridge
in_ns lan ip link set br0 up
link ca bb0 lan pa
link cu bb0 lan pu
link gw bbc0 lan pg
for p in pa pu pg; do in_ns lan ip link set $p master br0; done
link cb bb0 gw bbx1
link gw bbu0 up bb1
addr gw bbc0 10.201.2.1/24 fd00:201:2::1/64
addr gw bbx1 10.201.4.1/24 fd00:201:4::1/64
addr gw bbu0 10.201.3.1/24 fd00:201:3::1/64
addr ca bb0 10.201.2.2/24 fd00:201:2::2/64
addr cu bb0 10.201.2.100/24
addr cb bb0 10.201.4.2/24 fd00:201:4::2/64
addr up bb1 10.201.3.2/24 fd00:201:3::2/64
in_ns gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for n in ca cu; do in_ns $n ip route add default via 10.201.2.1; done
in_ns ca ip -6 route add default via fd00:201:2::1
in_ns cb ip route add default via 10.201.4.1
in_ns cb ip -6 route add default via fd00:201:4::1
in_ns up ip route add default via 10.201.3.1
in_ns up ip -6 route add default via fd00:201:3::1
UP4=10.201.3.2 UP6=fd00:201:3::2
DEFAULT_SANS="DNS:a.test,DNS:b.test,DNS:shared.test,DNS:c.test,DNS:auth.test,DNS:oauthapi.test"
make_certs "$E2E_TMP/certs" default
dnsmasq_start up $UP4 a.test=$UP4 b.test=$UP4 shared.test=$UP4 c.test=$UP4 auth.test=$UP4 \
    oauthapi.test=$UP4
CTL=$E2E_TMP/oauth.json
echo '{"mode": "ok"}' >"$CTL"
bg up upstream $PY "$E2E_DIR/tools/upstream.py" --bind $UP4:443 --bind "[$UP6]:443" --certs "$E2E_TMP/certs" \
    --log "$E2E_TMP/upstream.log" --oauth "$CTL"
wait_ready upstream
touch "$E2E_TMP/upstream.log"
listen up udp --proto udp --bind $UP4:123

SA=$E2E_TMP/secrets-a SB=$E2E_TMP/secrets-b
mkdir -p "$SA" "$SB" "$E2E_TMP/secrets"
KEY_A=key-of-team-a-0123456789 KEY_B=key-of-team-b-9876543210
printf '%s\n' "$KEY_A" >"$SA/key"
printf '%s\n' "$KEY_B" >"$SB/key"
# an oauth2 credential of the same name in both tenants, two clients
printf 'cc-client\n' >"$SA/cc_id"
printf 'cc-secret\n' >"$SA/cc_secret"
printf 'cc-client-b\n' >"$SB/cc_id"
printf 'cc-secret-b\n' >"$SB/cc_secret"
mkdir -p "$E2E_TMP/ph-a" "$E2E_TMP/ph-b"
touch "$E2E_TMP/audit.jsonl"
chown -R 1337:1337 "$SA" "$SB" "$E2E_TMP/secrets" "$E2E_TMP/audit.jsonl" "$E2E_TMP/ph-a" \
    "$E2E_TMP/ph-b"
CA=$E2E_TMP/botbox-ca
"$BIN" ca init --dir "$CA" >/dev/null
chown -R 1337:1337 "$CA"
chmod 755 "$CA"
shared_rule() {
    cat <<YAML
        - host: shared.test
          action: allow
          allow_private: true
          header_rewrites: [{name: Authorization, value: "Bearer {value}", secret_ref: key}]
        - {host: oauthapi.test, action: allow, allow_private: true}
YAML
}
oauth_cred() {
    cat <<YAML
    placeholders_file: $E2E_TMP/ph-$1/placeholders.env
    credentials:
      - kind: oauth2
        name: cc
        token_url: https://auth.test/cc/token
        client_id_ref: cc_id
        client_secret_ref: cc_secret
        hosts: [oauthapi.test]
YAML
}
# write_cfg B_EXTRA: the config, with B_EXTRA rules added to team-b's.
write_cfg() {
    cat >"$E2E_TMP/gw.yaml.new" <<YAML
mode: gateway
gateway:
  client_interfaces: [bbc0, "bbx*"]
workers: 2
secrets_dir: $E2E_TMP/secrets
audit:
  output: $E2E_TMP/audit.jsonl
dns:
  upstream: $UP4
upstream:
  ca_file: $E2E_TMP/certs/ca.crt
timeouts:
  idle: 20000
https_interception:
  enabled: true
  ca_cert_path: $CA/ca.crt
  ca_key_path: $CA/ca.key
tenants:
  - name: team-a
    match: {interfaces: [bbc0], sources: [10.201.2.0/28, "fd00:201:2::/64"]}
    secrets_dir: $SA
$(oauth_cred a)
    egress_policy:
      rules:
        - {host: a.test, action: allow, allow_private: true}
$(shared_rule)
      flows:
        - {proto: udp, cidr: $UP4/32, ports: [123]}
  - name: team-b
    match: {interfaces: ["bbx*"], sources: [10.201.4.0/24, "fd00:201:4::/64"]}
    secrets_dir: $SB
    max_connections: 2
$(oauth_cred b)
    egress_policy:
      rules:
        - {host: b.test, action: allow, allow_private: true}
$(shared_rule)
$1
YAML
    chmod a+r "$E2E_TMP/gw.yaml.new"
    mv "$E2E_TMP/gw.yaml.new" "$E2E_TMP/gw.yaml"
}
write_cfg ""
check "botbox check accepts the tenants" "$BIN" check --config "$E2E_TMP/gw.yaml"
check "apply the gateway ruleset (with the tenants' anti-spoofing)" \
    in_ns gw "$BIN" nft apply --config "$E2E_TMP/gw.yaml"
check "... nft list shows the pairs" bash -c "ip netns exec ${NS[gw]} nft list set inet botbox \
    tenant_sources4 | grep -q '\"bbx\*\" . 10.201.4.0/24'"
serve_start gw "$E2E_TMP/gw.yaml"
out=$(in_ns gw "$BIN" run --config "$E2E_TMP/gw.yaml" -- true 2>&1)
check "botbox run refuses tenants, saying why" \
    grep -q 'tenants: botbox run serves one workload: tenants are for the per-node gateway' <<<"$out"
# A bridge as a client interface, with br_netfilter on (the kernel's
# default, and what kube-proxy sets): refused, with the way out.
printf 'mode: gateway\ngateway: {client_interfaces: [br0]}\negress_policy: {rules: []}\n' \
    >"$E2E_TMP/bridge.yaml"
in_ns lan sysctl -qw net.bridge.bridge-nf-call-iptables=1
out=$(in_ns lan "$BIN" nft apply --config "$E2E_TMP/bridge.yaml" 2>&1)
check "nft apply refuses a bridge seen through br_netfilter" \
    grep -q 'br0 is a bridge and net.bridge.bridge-nf-call-iptables is 1.*TPROXY' <<<"$out"
refute "... and applies nothing" in_ns lan nft list table inet botbox
in_ns lan sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
check "... with bridge-nf-call-iptables=0 it applies" in_ns lan "$BIN" nft apply --config "$E2E_TMP/bridge.yaml"
for n in ca cu cb; do
    mkdir -p "/etc/netns/${NS[$n]}"
    echo "nameserver $UP4" >"/etc/netns/${NS[$n]}/resolv.conf" # answered by botbox's forwarder
    # curl finds the names here, so that a host a tenant may not resolve
    # still gets its request refused by the proxy
    hosts $n "$UP4 a.test b.test shared.test c.test oauthapi.test"
done
dns_rcode() { as_uid 1000 "$1" $PROBE dnsq $UP4 "$2" --timeout 2 "${@:3}"; }
cl() { as_uid 1000 "$1" env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 5 "${@:2}"; }
code() { cl "$1" -o /dev/null -w '%{http_code}' "${@:2}"; }
auth_seen() { # auth_seen PATH: the Authorization the upstream saw on PATH
    $PY - "$E2E_TMP/upstream.log" "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "request" and e["path"] == sys.argv[2]:
        print(dict((k.lower(), v) for k, v in e["headers"]).get("authorization", "-"))
PY
}
# tenant_of VALUE FIELD: "tenant decision reason" of each audit line whose
# FIELD holds VALUE
cat >"$E2E_TMP/tenant_of.py" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if sys.argv[3] in e and sys.argv[2] in str(e[sys.argv[3]]):
        print(e.get("tenant", "-"), e.get("decision"), e.get("reason"))
PY
TENANT_OF="$PY $E2E_TMP/tenant_of.py $E2E_TMP/audit.jsonl"

# ---- HTTP and HTTPS, per tenant ----
expect "team-a: https://a.test → 200" "200" code ca https://a.test/a-own
expect "team-a: http://shared.test (plain, TLS originated) → 200" "200" code ca http://shared.test/a-h1
expect "team-a: https://shared.test over HTTP/2 → 200" "200" code ca https://shared.test/a-h2
expect "team-a: b.test (team-b's host) → 403" "403" code ca https://b.test/a-to-b
expect "team-b: https://b.test → 200" "200" code cb https://b.test/b-own
expect "team-b: https://shared.test over HTTP/1.1 → 200" "200" code cb --http1.1 https://shared.test/b-h1
expect "team-b: a.test (team-a's host) → 403" "403" code cb https://a.test/b-to-a
expect "team-b: http://a.test → 403" "403" code cb http://a.test/b-to-a-plain
expect "team-a over IPv6: https://a.test → 200" "200" \
    code ca -6 --resolve "a.test:443:[$UP6]" https://a.test/a-v6
expect "team-b over IPv6: a.test → 403" "403" \
    code cb -6 --resolve "a.test:443:[$UP6]" https://a.test/b-v6
expect "team-a's requests carry team-a's key (HTTP/1.1)" "Bearer $KEY_A" auth_seen /a-h1
expect "... and over HTTP/2" "Bearer $KEY_A" auth_seen /a-h2
expect "team-b's carry team-b's key" "Bearer $KEY_B" auth_seen /b-h1
ports_of() { # ports_of PATH...: the upstream-side ports the gateway's requests came from
    $PY - "$E2E_TMP/upstream.log" "$@" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "request" and e["path"] in sys.argv[2:]:
        print(e["peer_port"])
PY
}
for i in 1 2 3 4; do code ca http://shared.test/pool-a-$i >/dev/null; done
for i in 1 2 3 4; do code cb http://shared.test/pool-b-$i >/dev/null; done
ports_of /pool-a-1 /pool-a-2 /pool-a-3 /pool-a-4 | sort -u >"$E2E_TMP/ports-a"
ports_of /pool-b-1 /pool-b-2 /pool-b-3 /pool-b-4 | sort -u >"$E2E_TMP/ports-b"
check "the upstream connections are reused within a tenant" \
    test "$(wc -l <"$E2E_TMP/ports-a")" -lt 4
refute "... and never shared between tenants" \
    bash -c "comm -12 '$E2E_TMP/ports-a' '$E2E_TMP/ports-b' | grep -q ."
refute "no refused request reached the upstream" grep -qE '/a-to-b|/b-to-a' "$E2E_TMP/upstream.log"
check "audit: each request names its tenant" wait_for 3 bash -c "
    $TENANT_OF /a-h2 path | grep -q 'team-a allow' && $TENANT_OF /b-h1 path | grep -q 'team-b allow' &&
    $TENANT_OF /a-to-b path | grep -q 'team-a deny' && $TENANT_OF /b-to-a path | grep -q 'team-b deny' &&
    $TENANT_OF /a-v6 path | grep -q 'team-a allow' && $TENANT_OF /b-v6 path | grep -q 'team-b deny'"

gwmetric() { in_ns gw curl -sS --max-time 5 http://127.0.0.1:9090/metrics |
    $PY "$E2E_DIR/tools/metrics.py" --check "$@"; }
expect "metrics: team-a's allowed requests, by tenant" "8" \
    gwmetric 'botbox_tenant_decisions_total{tenant=team-a,kind=http,decision=allow}'
expect "... team-b's denied ones" "3" \
    gwmetric 'botbox_tenant_decisions_total{tenant=team-b,kind=http,decision=deny}'

# ---- OAuth2 per tenant: the same credential name, two clients, two tokens ----
PHA=$(sed -n 's/^BOTBOX_PLACEHOLDER_CC=//p' "$E2E_TMP/ph-a/placeholders.env")
PHB=$(sed -n 's/^BOTBOX_PLACEHOLDER_CC=//p' "$E2E_TMP/ph-b/placeholders.env")
check "each tenant's placeholders_file holds its placeholder" test -n "$PHA" -a -n "$PHB"
for i in 1 2; do
    expect "team-a: an oauth2 request ($i) → 200" "200" \
        code ca -H "Authorization: Bearer $PHA" https://oauthapi.test/oa-a-$i
    expect "team-b: an oauth2 request ($i) → 200" "200" \
        code cb -H "Authorization: Bearer $PHB" https://oauthapi.test/oa-b-$i
done
cat >"$E2E_TMP/oauth_check.py" <<'PY'
import json, sys
tokens, api = [], {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "token" and e.get("ok"):
        tokens.append(e["client"])
    if e.get("event") == "api":
        api[e["path"]] = e["client"]
print(sorted(tokens), api.get("/oa-a-1"), api.get("/oa-a-2"), api.get("/oa-b-1"), api.get("/oa-b-2"))
PY
expect "one token fetch per tenant, each as its own client; the API saw each tenant's token" \
    "['cc-client', 'cc-client-b'] cc-client cc-client cc-client-b cc-client-b" \
    $PY "$E2E_TMP/oauth_check.py" "$E2E_TMP/upstream.log"
check "... both fetches audited with their tenant" wait_for 3 bash -c "
    grep '\"event\":\"token\"' '$E2E_TMP/audit.jsonl' | grep -q '\"tenant\":\"team-a\"' &&
    grep '\"event\":\"token\"' '$E2E_TMP/audit.jsonl' | grep -q '\"tenant\":\"team-b\"'"
refute "... no client secret in the audit log" grep -qF -e cc-secret "$E2E_TMP/audit.jsonl"

# ---- the unmatched client: nothing ----
expect "unmatched: http://a.test → 403" "403" code cu http://a.test/u-plain
refute "unmatched: https://a.test fails (the handshake is refused)" cl cu https://a.test/u-tls
refute "unmatched: udp/123 is dropped" as_uid 1000 cu $PROBE udp $UP4 123 --timeout 1
expect "unmatched: a DNS query for a.test → REFUSED" "rcode 5" dns_rcode cu a.test
check "... audited: HTTP, TLS, flow and DNS, each unmatched_tenant" wait_for 3 bash -c "
    test \"\$(grep '\"src\":\"10.201.2.100' '$E2E_TMP/audit.jsonl' | grep '\"unmatched_tenant\"' |
    grep -o '\"event\":\"[a-z]*\"' | sort -u | tr -d '\n')\" = \
    '\"event\":\"dns\"\"event\":\"flow\"\"event\":\"http\"\"event\":\"tls\"'"
refute "... nothing of it reached the upstream" grep -q '/u-' "$E2E_TMP/upstream.log"

# ---- flows and DNS, per tenant ----
check "team-a: udp/123 (its flows rule) arrives" as_uid 1000 ca $PROBE udp $UP4 123 --timeout 1
refute "team-b: udp/123 is dropped" as_uid 1000 cb $PROBE udp $UP4 123 --timeout 1
check "... audited with team-b, no_flow_rule" wait_for 3 bash -c "
    grep '\"event\":\"flow\"' '$E2E_TMP/audit.jsonl' | grep '\"src\":\"10.201.4.2' |
    grep '\"reason\":\"no_flow_rule\"' | grep -q '\"tenant\":\"team-b\"'"
dq_before=$(grep -c 'query\[A\] a.test' "$E2E_TMP/dnsmasq.log")
expect "team-b: a.test (team-a's name) is NXDOMAIN" "rcode 3" dns_rcode cb a.test
check "... and never reached the resolver" bash -c "test \$(grep -c 'query\[A\] a.test' '$E2E_TMP/dnsmasq.log') = $dq_before"
expect "team-a resolves a.test" "rcode 0" dns_rcode ca a.test
check "... at the resolver" wait_for 3 bash -c "
    test \$(grep -c 'query\[A\] a.test' '$E2E_TMP/dnsmasq.log') -gt $dq_before"
expect "team-b resolves b.test" "rcode 0" dns_rcode cb b.test
check "... DNS audited per tenant" wait_for 3 bash -c "
    grep '\"event\":\"dns\"' '$E2E_TMP/audit.jsonl' | grep '\"qname\":\"a.test\"' |
    grep '\"tenant\":\"team-b\"' | grep -q '\"decision\":\"deny\"'"

expect "metrics: the unmatched client's flow refusal" "1" \
    gwmetric 'botbox_tenant_decisions_total{tenant=_unmatched,kind=flow,decision=deny}'
expect "... and its DNS refusal" "1" \
    gwmetric 'botbox_tenant_decisions_total{tenant=_unmatched,kind=dns,decision=deny}'

# ---- team-b's own max_connections (2) ----
bg cb hold1 setpriv --reuid=1000 --regid=1000 --clear-groups $PROBE keepalive $UP4 80 \
    --name b.test --path /hold-1
H1=$BG_PID
bg cb hold2 setpriv --reuid=1000 --regid=1000 --clear-groups $PROBE keepalive $UP4 80 \
    --name b.test --path /hold-2
H2=$BG_PID
check "team-b holds two connections" wait_for 5 bash -c "
    grep -q idle '$E2E_TMP/hold1.out' && grep -q idle '$E2E_TMP/hold2.out'"
expect "... its third is refused: 503" "503" code cb http://b.test/third
expect "... team-a is not bound by team-b's limit" "200" code ca http://a.test/a-while-b-full
expect "... counted as tenant_max_connections" "1" \
    gwmetric 'botbox_connections_refused_total{reason=tenant_max_connections}'
stop "$H1"
stop "$H2"
check "... once they close, team-b connects again" wait_for 5 bash -c "
    test \$(ip netns exec ${NS[cb]} curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
    http://b.test/after-hold) = 200"
refute "... and the refused request reached nothing" grep -q '/third' "$E2E_TMP/upstream.log"

# ---- spoofing: team-b's client claims team-a's address ----
in_ns cb ip addr add 10.201.2.2/32 dev bb0
refute "team-b forging 10.201.2.2: https://a.test gets nothing" \
    as_uid 1000 cb env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 3 --interface 10.201.2.2 \
    https://a.test/spoofed
udp_before=$(wc -l <"$E2E_TMP/udp.log")
refute "... udp/123 from the forged address (team-a's flows rule allows it): no answer" \
    as_uid 1000 cb $PROBE udp $UP4 123 --timeout 1 --bind 10.201.2.2:0
check "... and it never reached the server" bash -c "sleep 0.5; test \$(wc -l <'$E2E_TMP/udp.log') = $udp_before"
dq_before=$(grep -c 'query\[A\] a.test' "$E2E_TMP/dnsmasq.log")
expect "... a DNS query for a.test from it: no answer" "no answer" \
    dns_rcode cb a.test --src 10.201.2.2
check "... audited spoofed_source with the interface it came in on" wait_for 3 bash -c "
    grep '\"reason\":\"spoofed_source\"' '$E2E_TMP/audit.jsonl' | grep -q '\"iif\":\"bbx1\"'"
refute "... nothing reached the upstream" grep -q '/spoofed' "$E2E_TMP/upstream.log"
check "... nor the resolver" bash -c "test \$(grep -c 'query\[A\] a.test' '$E2E_TMP/dnsmasq.log') = $dq_before"
refute "... and no line of it is team-a's" bash -c "
    grep '\"src\":\"10.201.2.2' '$E2E_TMP/audit.jsonl' | grep spoofed | grep -q team-a"
in_ns cb ip addr del 10.201.2.2/32 dev bb0
in_ns cb ip -6 addr add fd00:201:2::2/128 dev bb0 nodad
refute "team-b forging fd00:201:2::2: https://a.test gets nothing" \
    as_uid 1000 cb env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 3 \
    --interface fd00:201:2::2 --resolve "a.test:443:[$UP6]" https://a.test/spoofed-v6
check "... audited spoofed_source" wait_for 3 bash -c "
    grep '\"reason\":\"spoofed_source\"' '$E2E_TMP/audit.jsonl' | grep -q '\"src\":\"\[fd00:201:2::2\]'"
refute "... nothing reached the upstream" grep -q '/spoofed-v6' "$E2E_TMP/upstream.log"
in_ns cb ip -6 addr del fd00:201:2::2/128 dev bb0


# ---- reload: only team-b changes; team-a's keep-alive goes on ----
cat >"$E2E_TMP/ka.py" <<'PY'
import http.client, os, sys, time
c = http.client.HTTPConnection("shared.test", 80, timeout=10)
for i, path in enumerate(("/ka-1", "/ka-2")):
    if i:
        while not os.path.exists(sys.argv[1]):
            time.sleep(0.05)
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    print(path, r.status, c.sock.getsockname()[1], flush=True)
PY
chmod a+r "$E2E_TMP/ka.py"
mkdir -p "$E2E_TMP/flag" && chmod 777 "$E2E_TMP/flag"
bg ca ka setpriv --reuid=1000 --regid=1000 --clear-groups $PY "$E2E_TMP/ka.py" "$E2E_TMP/flag/go"
KA=$BG_PID
check "team-a: a keep-alive connection's first request" wait_for 5 grep -q '^/ka-1 200' "$E2E_TMP/ka.out"
expect "team-b: c.test before the reload → 403" "403" code cb https://c.test/c-before
write_cfg "        - {host: c.test, action: allow, allow_private: true}"
check "the reload (team-b gains c.test) is audited" wait_for 5 bash -c "
    grep '\"event\":\"config\"' '$E2E_TMP/audit.jsonl' | grep -q reloaded"
expect "team-b: c.test after the reload → 200" "200" code cb https://c.test/c-after
touch "$E2E_TMP/flag/go"
check "team-a's keep-alive: the second request on the same connection → 200" \
    wait_for 5 bash -c "test \$(awk '{print \$3}' '$E2E_TMP/ka.out' | sort -u | wc -l) = 1 &&
    grep -q '^/ka-2 200' '$E2E_TMP/ka.out'"
expect "... with team-a's key" "Bearer $KEY_A" auth_seen /ka-2
stop "$KA"
expect "team-a: c.test is still not team-a's → 403" "403" code ca https://c.test/c-a

# ---- a broken reload keeps every tenant's policy ----
printf 'tenants: [\n' >"$E2E_TMP/gw.yaml.new" && mv "$E2E_TMP/gw.yaml.new" "$E2E_TMP/gw.yaml"
check "the broken reload is audited as an error" wait_for 5 bash -c "
    grep '\"event\":\"config\"' '$E2E_TMP/audit.jsonl' | grep -q '\"decision\":\"error\"'"
expect "... team-a still reaches a.test" "200" code ca https://a.test/after-broken
expect "... team-b still reaches c.test" "200" code cb https://c.test/after-broken
expect "... and team-b still not a.test" "403" code cb https://a.test/after-broken-b

# ---- one tenant's missing secret ----
write_cfg "        - {host: c.test, action: allow, allow_private: true}"
wait_for 5 bash -c "test \$(grep '\"event\":\"config\"' '$E2E_TMP/audit.jsonl' | grep -c reloaded) -ge 2"
rm "$SB/key"
check "team-b's secret removed: its shared.test request → 500" \
    wait_for 5 bash -c "test \$(ip netns exec ${NS[cb]} setpriv --reuid=1000 --regid=1000 \
    --clear-groups env CURL_CA_BUNDLE=$CA/ca.crt curl -s -o /dev/null -w '%{http_code}' \
    --max-time 5 https://shared.test/b-missing) = 500"
expect "... team-a's still → 200, with its key" "200" code ca https://shared.test/a-still
expect "... and team-a's key" "Bearer $KEY_A" auth_seen /a-still
expect "/readyz stays 200 (one tenant's secret does not make the gateway unready)" "200" \
    in_ns gw curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9090/readyz
check "... its detail names team-b" bash -c "
    ip netns exec ${NS[gw]} curl -s http://127.0.0.1:9090/readyz | grep -q 'team-b'"
refute "no key of either tenant in the audit log or the gateway's output" \
    grep -qF -e "$KEY_A" -e "$KEY_B" "$E2E_TMP/audit.jsonl" "$E2E_TMP/serve.out"
finish
