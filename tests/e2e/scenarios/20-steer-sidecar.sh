#!/usr/bin/env bash
# The sidecar ruleset with real traffic. The workload namespace "app" gets
# botbox's ruleset; stand-ins play the proxy (a transparent listener on
# 127.0.0.1/[::1]:8080), the TLS listener (8443), the DNS forwarder (5353)
# and the verdict thread (tools/nfq_probe). The workload runs as uid 1000,
# botbox as uid 1337; "up" records everything that reaches it.
. "$(dirname "$0")/../lib.sh"

topo_sidecar
UP4=10.201.1.2
UP6=fd00:201:1::2
RESOLVER4=10.201.200.53
RESOLVER6=fd00:201:200::53

check "apply the sidecar ruleset" in_ns app "$BIN" nft apply --config "$REPO/examples/botbox.yaml"

listen app proxy --transparent --bind 127.0.0.1:8080 --bind '[::1]:8080'
listen app dns --proto udp --bind 127.0.0.1:5353 --bind '[::1]:5353'
listen app dnstcp --bind 127.0.0.1:5353 --bind '[::1]:5353'
listen app local80 --bind 127.0.0.1:80
listen up tcp --bind 0.0.0.0:80 --bind '[::]:80' --bind 0.0.0.0:443 --bind '[::]:443' \
    --bind 0.0.0.0:22 --bind '[::]:22' --bind 0.0.0.0:53 --bind '[::]:53'
listen up udp --proto udp --bind 0.0.0.0:443 --bind '[::]:443' --bind 0.0.0.0:53 \
    --bind '[::]:53' --bind 0.0.0.0:9999
nfq_start app

# ---- steered HTTP keeps its original destination ----
expect "uid 1000 tcp/80 to $UP4 reaches the proxy with the original destination" \
    "local=$UP4:80 " as_uid 1000 app $PROBE connect $UP4 80
check "... as the proxy logged it" logged proxy "\"local\": \"$UP4:80\""
expect "uid 1000 tcp/80 to [$UP6] reaches the proxy with the original destination" \
    "local=[$UP6]:80 " as_uid 1000 app $PROBE connect $UP6 80
check "... as the proxy logged it" logged proxy "\"local\": \"\\[$UP6\\]:80\""
 refute "nothing steered reached the upstream" logged tcp ':80"'
refute "steered traffic never went to the queue" grep -q 'dport=80 ' "$E2E_TMP/nfq.out"

# Only a connection's SYN takes TPROXY; its later packets are delivered by
# early demux (the socket match).
check "5 steered connections: only their SYNs took TPROXY" \
    only_syns_tproxied app app 127.0.0.1 $UP4 5
check "... and over IPv6, 3 connections, 3 SYNs" \
    only_syns_tproxied app app '[::1]' $UP6 3

# ---- exemptions ----
check "uid 1337 (botbox itself) goes straight to the upstream" as_uid 1337 app $PROBE connect $UP4 80
check "... and the upstream saw it" logged tcp "\"local\": \"$UP4:80\""
check "... over IPv6 too" as_uid 1337 app $PROBE connect $UP6 80
proxied=$(count proxy)
expect "loopback tcp/80 is not steered" "local=127.0.0.1:80 " as_uid 1000 app $PROBE connect 127.0.0.1 80
check "... the proxy saw nothing" test "$(count proxy)" -eq "$proxied"

# ---- everything else is queued, never delivered ----
refute "direct tcp/443 fails" as_uid 1000 app $PROBE connect $UP4 443 --timeout 1.5
check "... and was queued with the workload's uid" \
    nfq_saw "proto=tcp src=10.201.1.1 dst=$UP4 dport=443 uid=1000"
refute "direct tcp/22 fails" as_uid 1000 app $PROBE connect $UP4 22 --timeout 1.5
check "... and was queued" nfq_saw "proto=tcp src=10.201.1.1 dst=$UP4 dport=22 uid=1000"
refute "direct tcp/443 over IPv6 fails" as_uid 1000 app $PROBE connect $UP6 443 --timeout 1.5
check "... and was queued" nfq_saw "proto=tcp src=fd00:201:1::1 dst=$UP6 dport=443 uid=1000"
refute "udp/443 (QUIC) fails" as_uid 1000 app $PROBE udp $UP4 443 --timeout 1.5
check "... and was queued" nfq_saw "proto=udp src=10.201.1.1 dst=$UP4 dport=443 uid=1000"
refute "udp/443 over IPv6 fails" as_uid 1000 app $PROBE udp $UP6 443 --timeout 1.5
check "... and was queued" nfq_saw "proto=udp src=fd00:201:1::1 dst=$UP6 dport=443 uid=1000"
refute "root is steered too: direct tcp/22 as root fails" in_ns app $PROBE connect $UP4 22 --timeout 1.5
refute "none of it reached the upstream (tcp)" logged tcp ':(443|22)"'
refute "none of it reached the upstream (udp)" logged udp ':443"'

# ---- with nobody reading the queue, packets are dropped ----
stop "$NFQ_PID"
refute "no consumer: udp/9999 is dropped" as_uid 1000 app $PROBE udp $UP4 9999 --timeout 1.5
refute "no consumer: tcp/22 is dropped" as_uid 1000 app $PROBE connect $UP4 22 --timeout 1.5
refute "no consumer: nothing reached the upstream" logged udp ':9999"'

# ---- without its policy routing, steering fails closed ----
in_ns app ip rule del pref 100 fwmark 0x6262 lookup 25186
in_ns app ip -6 rule del pref 100 fwmark 0x6262 lookup 25186
seen=$(count tcp)
refute "routing rule removed: tcp/80 does not get out" \
    as_uid 1000 app $PROBE connect $UP4 80 --timeout 1.5
refute "... nor over IPv6" as_uid 1000 app $PROBE connect $UP6 80 --timeout 1.5
check "... and the upstream saw nothing new" test "$(count tcp)" -eq "$seen"
check "apply restores the routing" in_ns app "$BIN" nft apply --config "$REPO/examples/botbox.yaml"

# ---- DNS to any resolver is redirected to the forwarder port ----
check "udp/53 to a foreign resolver is answered by the DNS forwarder port" \
    as_uid 1000 app $PROBE udp $RESOLVER4 53
check "... which saw it on 127.0.0.1:5353" logged dns '"local": "127.0.0.1:5353"'
check "udp/53 over IPv6 likewise" as_uid 1000 app $PROBE udp $RESOLVER6 53
check "... seen on [::1]:5353" logged dns '"local": "\[::1\]:5353"'
check "tcp/53 is redirected too" as_uid 1000 app $PROBE connect $RESOLVER4 53
check "... seen on the forwarder's tcp port" logged dnstcp '"local": "127.0.0.1:5353"'
check "udp/53 to the upstream's own address is redirected" as_uid 1000 app $PROBE udp $UP4 53
refute "no workload DNS reached any resolver" logged udp ':53"'
check "botbox's own DNS (uid 1337) goes to the real resolver" as_uid 1337 app $PROBE udp $UP4 53
check "... which saw it" logged udp ':53"'

# ---- with interception on, tcp/443 goes to the TLS listener ----
listen app tls --transparent --bind 127.0.0.1:8443 --bind '[::1]:8443'
check "apply with BOTBOX_ENABLE_HTTPS_INTERCEPTION=1" \
    env BOTBOX_ENABLE_HTTPS_INTERCEPTION=1 ip netns exec "${NS[app]}" "$BIN" nft apply \
    --config "$REPO/examples/botbox.yaml"

expect "tcp/443 reaches the TLS listener with the original destination" "local=$UP4:443 " \
    as_uid 1000 app $PROBE connect $UP4 443
expect "tcp/443 over IPv6 likewise" "local=[$UP6]:443 " as_uid 1000 app $PROBE connect $UP6 443
refute "the upstream saw no tcp/443" logged tcp ':443"'

check "flush" in_ns app "$BIN" nft flush
finish
