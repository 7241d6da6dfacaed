#!/usr/bin/env bash
# The gateway ruleset with real traffic: "cli" routes through "gw", which
# carries botbox's ruleset with client interface bbc0, to "up". Stand-ins in
# gw play the proxy (transparent 127.0.0.1/[::1]:8080), the DNS forwarder
# (wildcard :5353, reached only through the redirect) and the verdict thread.
. "$(dirname "$0")/../lib.sh"

topo_gateway
UP4=10.201.3.2
UP6=fd00:201:3::2
GW4=10.201.2.1
RESOLVER4=10.201.200.53
RESOLVER6=fd00:201:200::53
cat >"$E2E_TMP/gw.yaml" <<'YAML'
mode: gateway
gateway:
  client_interfaces: [bbc0]
egress_policy:
  rules: []
YAML

check "apply the gateway ruleset" in_ns gw "$BIN" nft apply --config "$E2E_TMP/gw.yaml"

listen gw proxy --transparent --bind 127.0.0.1:8080 --bind '[::1]:8080'
PROXY_PID=$BG_PID
listen gw dns --proto udp --bind 0.0.0.0:5353 --bind '[::]:5353'
listen gw dnstcp --bind 0.0.0.0:5353 --bind '[::]:5353'
listen up tcp --bind 0.0.0.0:80 --bind '[::]:80' --bind 0.0.0.0:443 --bind '[::]:443' \
    --bind 0.0.0.0:22 --bind '[::]:22' --bind 0.0.0.0:53
listen up udp --proto udp --bind 0.0.0.0:443 --bind '[::]:443' --bind 0.0.0.0:53 \
    --bind '[::]:53' --bind 0.0.0.0:9999
nfq_start gw

# ---- forwarded HTTP is steered with its original destination ----
expect "client tcp/80 to $UP4 reaches the proxy with the original destination" \
    "local=$UP4:80 peer=10.201.2.2:" as_uid 1000 cli $PROBE connect $UP4 80
expect "client tcp/80 to [$UP6] reaches the proxy with the original destination" \
    "local=[$UP6]:80 peer=[fd00:201:2::2]:" as_uid 1000 cli $PROBE connect $UP6 80
expect "tcp/80 to the gateway's own address is steered as well" "local=$GW4:80 " \
    as_uid 1000 cli $PROBE connect $GW4 80
refute "nothing steered reached the upstream" logged tcp ':80"'
refute "steered traffic never went to the queue" grep -q 'dport=80 ' "$E2E_TMP/nfq.out"

# Steered connections skip conntrack both ways (steer_in, steer_notrack_out):
# a workload opening connections cannot fill the gateway's conntrack table
# through the proxy. A closed TCP connection would stay there two minutes.
ct_count() { in_ns gw cat /proc/sys/net/netfilter/nf_conntrack_count; }
ct_before=$(ct_count)
# Only a connection's SYN takes TPROXY; its later packets are marked by the
# socket match and delivered by early demux (no route lookup per packet).
check "6 steered connections: only their SYNs took TPROXY" \
    only_syns_tproxied cli gw 127.0.0.1 $UP4 6
ct_after=$(ct_count)
check "... and they left no conntrack entry ($ct_before -> $ct_after)" \
    test "$ct_after" -le "$ct_before"
refute "... and none went to the queue" grep -q 'dport=80 ' "$E2E_TMP/nfq.out"
check "3 steered IPv6 connections: only their SYNs took TPROXY" \
    only_syns_tproxied cli gw '[::1]' $UP6 3

# A steered connection outlives a route change on the gateway: the route
# its socket cached goes stale, and the lookup then made with the tproxy
# mark still finds the local table. (The proxy stand-in echoes for this.)
stop "$PROXY_PID"
listen gw proxy --transparent --echo --bind 127.0.0.1:8080 --bind '[::1]:8080'
mkfifo "$E2E_TMP/talk"
as_uid 1000 cli $PROBE converse $UP4 80 --timeout 3 <"$E2E_TMP/talk" >"$E2E_TMP/talk.out" 2>&1 &
talk_pid=$!
exec 7>"$E2E_TMP/talk"
echo before >&7
check "a kept-alive steered connection carries a line" wait_for 3 grep -qx before "$E2E_TMP/talk.out"
in_ns gw ip route add 10.201.250.0/24 dev lo
in_ns gw ip route del 10.201.250.0/24 dev lo
in_ns gw ip route flush cache
echo after >&7
exec 7>&-
wait "$talk_pid"
talk_rc=$?
check "... and another after a route change on the gateway" \
    bash -c "[ $talk_rc -eq 0 ] && grep -qx after $E2E_TMP/talk.out"

# ---- the rest of the client's traffic is queued, never forwarded ----
refute "direct tcp/443 fails" as_uid 1000 cli $PROBE connect $UP4 443 --timeout 1.5
check "... and was queued" nfq_saw "proto=tcp src=10.201.2.2 dst=$UP4 dport=443"
refute "direct tcp/22 fails" as_uid 1000 cli $PROBE connect $UP4 22 --timeout 1.5
check "... and was queued" nfq_saw "proto=tcp src=10.201.2.2 dst=$UP4 dport=22"
refute "direct tcp/443 over IPv6 fails" as_uid 1000 cli $PROBE connect $UP6 443 --timeout 1.5
check "... and was queued" nfq_saw "proto=tcp src=fd00:201:2::2 dst=$UP6 dport=443"
refute "udp/443 (QUIC) fails" as_uid 1000 cli $PROBE udp $UP4 443 --timeout 1.5
check "... and was queued" nfq_saw "proto=udp src=10.201.2.2 dst=$UP4 dport=443"
refute "udp/443 over IPv6 fails" as_uid 1000 cli $PROBE udp $UP6 443 --timeout 1.5
check "... and was queued" nfq_saw "proto=udp src=fd00:201:2::2 dst=$UP6 dport=443"
refute "none of it reached the upstream (tcp)" logged tcp ':(443|22)"'
refute "none of it reached the upstream (udp)" logged udp '"bytes"'

# ---- the gateway's listeners are reachable only through steering ----
refute "direct connection to the proxy port on the gateway fails" \
    as_uid 1000 cli $PROBE connect $GW4 8080 --timeout 1.5
check "... and was queued" nfq_saw "proto=tcp src=10.201.2.2 dst=$GW4 dport=8080"
refute "direct udp to the DNS forwarder port fails" as_uid 1000 cli $PROBE udp $GW4 5353 --timeout 1.5
refute "... and the forwarder saw nothing" logged dns '"bytes"'

# ---- with nobody reading the queue, packets are dropped ----
stop "$NFQ_PID"
refute "no consumer: udp/9999 is dropped" as_uid 1000 cli $PROBE udp $UP4 9999 --timeout 1.5
refute "no consumer: tcp/22 is dropped" as_uid 1000 cli $PROBE connect $UP4 22 --timeout 1.5
refute "no consumer: nothing reached the upstream" logged udp ':9999"'

# ---- DNS to any resolver is redirected to the forwarder port ----
check "udp/53 to a foreign resolver is answered by the forwarder port" \
    as_uid 1000 cli $PROBE udp $RESOLVER4 53
check "udp/53 over IPv6 likewise" as_uid 1000 cli $PROBE udp $RESOLVER6 53
check "... the forwarder saw both" test "$(count dns)" -eq 2
check "tcp/53 is redirected too" as_uid 1000 cli $PROBE connect $RESOLVER4 53
check "... seen on the forwarder's tcp port" logged dnstcp ':5353"'
refute "no client DNS reached the upstream" logged udp ':53"'

# ---- traffic that does not come from a client interface is left alone ----
check "the gateway host's own tcp/443 goes out" in_ns gw $PROBE connect $UP4 443
check "upstream-initiated tcp/22 to the client side still works" \
    bash -c "ip netns exec ${NS[cli]} $PROBE listen --bind 10.201.2.2:2222 --log $E2E_TMP/cli.log \
               >$E2E_TMP/cli.out 2>&1 & pid=\$!; sleep 0.3;
             ip netns exec ${NS[up]} $PROBE connect 10.201.2.2 2222; rc=\$?; kill \$pid; exit \$rc"

check "flush" in_ns gw "$BIN" nft flush
finish
