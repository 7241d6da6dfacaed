#!/usr/bin/env bash
# The DNS forwarder in the sidecar topology, with dnsmasq as the
# real resolver in "up" (its query log shows what reached it): allowed
# names resolve through botbox, others get NXDOMAIN at once and never reach
# the resolver, a query aimed at any resolver is redirected, TCP works,
# malformed and multi-question queries are answered FORMERR / REFUSED, and
# enforce_names: false resolves everything while auditing it.
. "$(dirname "$0")/../lib.sh"

topo_sidecar
UP4=10.201.1.2
UP6=fd00:201:1::2
OTHER=10.201.200.53 # an address of "up" where no resolver listens
dnsmasq_start up $UP4 api.test=$UP4 api.test=$UP6 x.wild.test=$UP4 wild.test=$UP4 \
    other.test=$UP4 c2VjcmV0.exfil.test=$UP4 --listen-address=$UP6
mkdir -p "/etc/netns/${NS[app]}"
echo "nameserver $UP4" >"/etc/netns/${NS[app]}/resolv.conf"
hosts app # localhost only: every name goes to DNS
mkdir -p "$E2E_TMP/secrets"
touch "$E2E_TMP/audit.jsonl"
chown 1337:1337 "$E2E_TMP/audit.jsonl"
write_cfg() {
    cat >"$E2E_TMP/dns.yaml" <<YAML
workers: 1
secrets_dir: $E2E_TMP/secrets
audit:
  output: $E2E_TMP/audit.jsonl
dns:
  enforce_names: $1${2:+
  wildcard_label_max: $2}
egress_policy:
  rules:
    - {host: api.test, action: allow}
    - {host: "*.wild.test", action: allow}
YAML
    chmod a+r "$E2E_TMP/dns.yaml"
}
write_cfg true
check "apply the sidecar ruleset" in_ns app "$BIN" nft apply --config "$E2E_TMP/dns.yaml"
serve_start app "$E2E_TMP/dns.yaml"

dns_line() { grep '"event":"dns"' "$E2E_TMP/audit.jsonl" | grep -F -- "$1"; }
resolver_saw() { grep -q "query\[[A-Z]*\] $1 from" "$E2E_TMP/dnsmasq.log"; }

expect "getent hosts api.test resolves through the forwarder" "$UP4 " \
    as_uid 1000 app getent ahostsv4 api.test
check "... the resolver got the query from botbox (uid 1337 in app)" resolver_saw api.test
check "... and it is audited: dns, allow, qname, qtype" \
    wait_for 3 bash -c "grep '\"event\":\"dns\"' $E2E_TMP/audit.jsonl | grep -F '\"decision\":\"allow\"' |
             grep -F '\"qname\":\"api.test\"' | grep -qF '\"qtype\":\"A\"'"
start=$(date +%s%N)
refute "getent hosts c2VjcmV0.exfil.test: not found" as_uid 1000 app getent hosts c2VjcmV0.exfil.test
ms=$((($(date +%s%N) - start) / 1000000))
check "... in under 1 s (${ms} ms)" test "$ms" -lt 1000
refute "... the resolver never saw that name" grep -qi "exfil" "$E2E_TMP/dnsmasq.log"
check "... audited as a denial with the name" \
    wait_for 3 bash -c "grep '\"event\":\"dns\"' $E2E_TMP/audit.jsonl | grep -F '\"decision\":\"deny\"' |
             grep -qF '\"qname\":\"c2vjcmv0.exfil.test\"'"

# ---- a workload that takes over the port of one of botbox's queries ----
# Each query leaves from a fresh socket, exempt from the redirect. Were its
# conntrack entry to outlive the socket, a workload that binds the freed
# port (it can read it in /proc/net/udp) and writes to the resolver would
# continue that flow past the redirect. botbox deletes the entry first;
# one it could not delete (it was killed) is queued and judged as a flow.
refute "the forwarder's queries leave no conntrack entry behind" botbox_dns_entries
P=40053
as_uid 1337 app $PROBE dnsq $UP4 api.test --id 0x4321 --from $P --timeout 2 >/dev/null
check "an entry left by proxy_uid (a query from port $P, as if botbox died)" botbox_dns_entries "$P "
expect "a workload that sends from that port to the resolver gets no answer" "no answer" \
    as_uid 1000 app $PROBE dnsq $UP4 reuse.exfil.test --id 0x4322 --from $P --timeout 2
refute "... the resolver never saw it" resolver_saw reuse.exfil.test
check "... and it is audited as a denied flow of uid 1000" wait_for 2 audit_has \
    "a.get('event') == 'flow' and a.get('decision') == 'deny' and a.get('dst') == '$UP4:53' and a.get('uid') == 1000"
# The other way to an entry the redirect never saw: a packet that came in
# from port 53 (say a resolver's late answer), which the workload answers.
bg app reply setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all \
    $PROBE udpreply --bind 0.0.0.0:40054 --name reply.exfil.test
wait_for 5 grep -q bound "$E2E_TMP/reply.out"
refute "a workload's reply to a packet from port 53 (a query back to it) is not let out" \
    in_ns up $PROBE udp 10.201.1.1 40054 --bind $OTHER:53 --timeout 2
check "... the workload did send it" grep -q replied "$E2E_TMP/reply.out"
check "... and it is audited as a denied flow of uid 1000" wait_for 2 audit_has \
    "a.get('event') == 'flow' and a.get('decision') == 'deny' and a.get('dst') == '$OTHER:53' and a.get('uid') == 1000"
expect "a name under a wildcard rule resolves" "$UP4" as_uid 1000 app getent ahostsv4 x.wild.test
refute "the wildcard's apex does not" as_uid 1000 app getent hosts wild.test
# A label is where a DNS tunnel puts its data; under a wildcard the policy
# did not write it, so its length is bounded (dns.wildcard_label_max, 40).
long63=$(printf 'q%.0s' $(seq 63))
long40=$(printf 'r%.0s' $(seq 40))
expect "a 63-byte label under the wildcard: NXDOMAIN" "status: NXDOMAIN" \
    as_uid 1000 app dig +time=2 +tries=1 @$UP4 $long63.wild.test
check "... audited label_too_long" wait_for 3 bash -c "dns_line() { grep '\"event\":\"dns\"' $E2E_TMP/audit.jsonl; }
    dns_line | grep -F '\"qname\":\"$long63.wild.test\"' | grep -qF '\"reason\":\"label_too_long\"'"
refute "... and the resolver never saw it" grep -q "$long63" "$E2E_TMP/dnsmasq.log"
as_uid 1000 app dig +time=2 +tries=1 @$UP4 $long40.wild.test >/dev/null
check "a 40-byte label under it reaches the resolver" grep -q "query\[A\] $long40.wild.test from" "$E2E_TMP/dnsmasq.log"
write_cfg true 63
kill -HUP "$SERVE_PID"
check "with wildcard_label_max: 63 (after SIGHUP), the 63-byte label reaches it" wait_for 3 bash -c "
    ip netns exec ${NS[app]} dig +time=1 +tries=1 @$UP4 $long63.wild.test >/dev/null
    grep -q 'query\[A\] $long63.wild.test from' $E2E_TMP/dnsmasq.log"
reloads=$(grep -c '"reason":"reloaded"' "$E2E_TMP/audit.jsonl")
write_cfg true
kill -HUP "$SERVE_PID"
check "... back to the default (after SIGHUP)" wait_for 3 bash -c \
    "test \$(grep -c '\"reason\":\"reloaded\"' $E2E_TMP/audit.jsonl) -gt $reloads"

# ---- other resolvers, transports, and malformed queries ----
expect "a query aimed at another resolver address is redirected to the forwarder" "$UP4" \
    as_uid 1000 app dig +short +time=2 +tries=1 @$OTHER api.test
expect "... and refused names get NXDOMAIN there too" "status: NXDOMAIN" \
    as_uid 1000 app dig +time=2 +tries=1 @$OTHER other.test
expect "DNS over TCP works" "$UP4" as_uid 1000 app dig +tcp +short +time=2 +tries=1 @$UP4 api.test
# The forwarder sends a query rebuilt from the parsed question: what a
# client hides beside an allowed question never reaches the resolver.
dnsq() { # NAME EXTRA-HEX ARCOUNT: a raw A query over UDP; prints the answer's rcode
    as_uid 1000 app $PROBE dnsq $UP4 "$1" --extra "$2" --arcount "$3"
}
expect "an allowed name with a 431-byte TXT record in the additional section: FORMERR" "rcode 1" \
    dnsq side1.wild.test "000010000100000000$(printf '%04x' 431)$(printf '41%.0s' $(seq 431))" 1
expect "an allowed name with 300 bytes after the question: FORMERR" "rcode 1" \
    dnsq side2.wild.test "$(printf '42%.0s' $(seq 300))" 0
opt="00""0029""1000""00008000""0014""00030000""000c000c""000000000000000000000000"
check "an allowed name with an EDNS OPT carrying options (NSID, padding): forwarded and answered" \
    grep -qE "^rcode [^1]" <<<"$(dnsq side3.wild.test "$opt" 1)"
check "... the first two never reached the resolver, the third did (rebuilt, options dropped)" bash -c "
    ! grep -q 'side1.wild.test\|side2.wild.test' $E2E_TMP/dnsmasq.log && grep -q 'side3.wild.test' $E2E_TMP/dnsmasq.log"

# RFC 7766: queries pipelined on one connection, sent in one segment, each
# get their answer (the second one waited in the buffer for ever before).
expect "DNS over TCP: three queries pipelined in one write get three answers (ids 1 2 3)" "answers: [1, 2, 3]" \
    as_uid 1000 app $PROBE dnsq $UP4 api.test,evil.test,api.test --tcp --id 1
expect "... IPv6 transport and AAAA too" "$UP6" \
    as_uid 1000 app dig +short +time=2 +tries=1 @$UP6 api.test AAAA
expect "a malformed query (its question cut short) gets FORMERR, with its id" "rcode 1" \
    as_uid 1000 app $PROBE dnsq $UP4 - --raw 12340100000100000000000003617069047465
expect "a query with two questions gets REFUSED" "rcode 5" \
    as_uid 1000 app $PROBE dnsq $UP4 api.test --id 0x1234 --questions 2
check "the metrics count DNS decisions" bash -c \
    "ip netns exec ${NS[app]} curl -s http://127.0.0.1:9090/metrics |
     $PY $E2E_DIR/tools/metrics.py 'botbox_dns_queries_total{decision=deny}' | grep -qv '^0$'"

# ---- enforce_names: false ----
write_cfg false
kill -HUP "$SERVE_PID"
check "with enforce_names: false (after SIGHUP) any name resolves" \
    wait_for 3 bash -c "ip netns exec ${NS[app]} setpriv --reuid=1000 --regid=1000 --clear-groups \
        getent ahostsv4 other.test | grep -q $UP4"
check "... and is still audited (would_deny)" \
    wait_for 3 bash -c "grep '\"event\":\"dns\"' $E2E_TMP/audit.jsonl | grep -F '\"qname\":\"other.test\"' |
             grep -qF '\"decision\":\"would_deny\"'"
serve_stop

# ---- an IPv6 upstream ----
write_cfg true
cfg_set "$E2E_TMP/dns.yaml" dns.upstream "'[$UP6]:53'"
serve_start app "$E2E_TMP/dns.yaml"
expect "with an IPv6 upstream, a name resolves" "$UP4" as_uid 1000 app getent ahostsv4 api.test
check "... the resolver got it over IPv6" grep -q "query\[A\] api.test from fd00:201:1::1" "$E2E_TMP/dnsmasq.log"
refute "... and the query leaves no conntrack entry behind" botbox_dns_entries "" "$UP6"
serve_stop

# ---- an upstream that fails: SERVFAIL, audited ----
write_cfg true
cfg_set "$E2E_TMP/dns.yaml" dns.upstream "$OTHER"
serve_start app "$E2E_TMP/dns.yaml"
expect "a resolver that refuses (port unreachable): the client gets SERVFAIL" "status: SERVFAIL" \
    as_uid 1000 app dig +time=4 +tries=1 @$UP4 api.test
check "... audited as an upstream error" wait_for 3 bash -c "grep '\"event\":\"dns\"' $E2E_TMP/audit.jsonl |
    grep -F '\"decision\":\"error\"' | grep -qF '\"reason\":\"upstream_error\"'"
serve_stop
finish
