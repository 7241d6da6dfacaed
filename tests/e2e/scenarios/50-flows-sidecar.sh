#!/usr/bin/env bash
# The NFQUEUE verdict path in the sidecar topology: botbox serve's
# verdict thread drops every queued flow no `flows` rule allows, audits each
# decision with proto, addresses and the workload's uid, lets allowed UDP
# and TCP through, fails closed when killed, survives a UDP flood with its
# audit output summarised, and queues a workload's SYN that would continue
# a tcp entry proxy_uid left half closed.
. "$(dirname "$0")/../lib.sh"

proxy_world

listen up udp --proto udp --bind $UP4:123 --bind $UP4:124 --bind $UP4:9999 --bind "[$UP6]:123"
listen up tcp --bind $UP4:5432 --bind $UP4:5433 --bind $UP4:22 --bind $UP4:853

flow_lines() { grep '"event":"flow"' "$E2E_TMP/audit.jsonl" | grep -F -- "$1"; }

# ---- no flows rule yet: everything queued is dropped and audited ----
refute "udp/9999 to the upstream is dropped" as_uid 1000 app $PROBE udp $UP4 9999 --timeout 1
refute "... nothing arrived" logged udp ":9999\""
check "... one flow audit line names proto, src, dst and uid 1000" wait_for 2 bash -c \
    "grep '\"event\":\"flow\"' $E2E_TMP/audit.jsonl | grep -F '\"dst\":\"$UP4:9999\"' |
     grep -F '\"decision\":\"deny\"' | grep -F '\"proto\":\"udp\"' |
     grep -F '\"src\":\"10.201.1.1:' | grep -qF '\"uid\":1000'"
refute "direct tcp/22 is dropped" as_uid 1000 app $PROBE connect $UP4 22 --timeout 1
check "... and audited (reason no_flow_rule)" wait_for 2 bash -c "grep -F '\"dst\":\"$UP4:22\"' $E2E_TMP/audit.jsonl |
    grep -qF '\"reason\":\"no_flow_rule\"'"
refute "tcp/853 (DNS over TLS) is dropped" as_uid 1000 app $PROBE connect $UP4 853 --timeout 1
check "... and audited" wait_for 2 bash -c "grep -qF '\"dst\":\"$UP4:853\"' $E2E_TMP/audit.jsonl"
refute "udp/123 without a rule is dropped too" as_uid 1000 app $PROBE udp $UP4 123 --timeout 1
refute "nothing reached the upstream over tcp" logged tcp ':(22|853)"'

# ---- flows rules, applied by a reload ----
cfg_merge "$E2E_TMP/botbox.yaml" <<'YAML'
egress_policy:
  flows:
    - {proto: udp, cidr: 10.201.1.2, ports: [123]}
    - {proto: tcp, cidr: 10.201.1.0/24, ports: [5432]}
YAML
kill -HUP "$SERVE_PID"
check "with a udp/123 flows rule (after SIGHUP), the datagram arrives" \
    wait_for 3 as_uid 1000 app $PROBE udp $UP4 123 --timeout 0.5
check "... and is audited as allowed by flow" wait_for 2 bash -c \
    "grep -F '\"dst\":\"$UP4:123\"' $E2E_TMP/audit.jsonl | grep -F '\"decision\":\"allow\"' |
     grep -qF '\"reason\":\"flow\"'"
refute "udp/124 is still dropped" as_uid 1000 app $PROBE udp $UP4 124 --timeout 1
refute "udp/123 over IPv6 (no rule for it) is dropped" as_uid 1000 app $PROBE udp $UP6 123 --timeout 1
check "a tcp/5432 flows rule lets the connection complete" as_uid 1000 app $PROBE connect $UP4 5432
refute "tcp/5433 is still dropped" as_uid 1000 app $PROBE connect $UP4 5433 --timeout 1
refute "... nothing arrived on 5433" logged tcp ':5433"'
check "the metrics count the verdicts" bash -c \
    "ip netns exec ${NS[app]} curl -s http://127.0.0.1:9090/metrics |
     $PY $E2E_DIR/tools/metrics.py 'botbox_flows_total{proto=udp,decision=allow}' \
     'botbox_flows_total{proto=tcp,decision=deny}' | tr '\n' ' ' | grep -qE '^[1-9][0-9]* [1-9]'"

# ---- botbox killed: still closed; restarted: verdicts resume ----
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
arrived=$(grep -c ':123"' "$E2E_TMP/udp.log")
refute "with botbox killed, allowed udp/123 no longer passes" \
    as_uid 1000 app $PROBE udp $UP4 123 --timeout 1
refute "... tcp/5432 neither" as_uid 1000 app $PROBE connect $UP4 5432 --timeout 1
refute "... udp/9999 neither" as_uid 1000 app $PROBE udp $UP4 9999 --timeout 1
check "... nothing arrived upstream meanwhile" test "$(grep -c ':123"' "$E2E_TMP/udp.log")" = "$arrived"
serve_start app "$E2E_TMP/botbox.yaml"
check "restarted: udp/123 passes again" wait_for 3 as_uid 1000 app $PROBE udp $UP4 123 --timeout 0.5

# ---- a bounded UDP flood ----
rss0=$(rss_kib)
: >"$E2E_TMP/flood.log"
as_uid 1000 app $PROBE flood $UP4 9999 --count 100000 --seconds 20 >"$E2E_TMP/flood.out" 2>&1 &
flood_pid=$!
sleep 0.2
check "an allowed HTTP request during the flood succeeds" status_is 200 http://api.test/echo
wait "$flood_pid"
sent=$(cat "$E2E_TMP/flood.out")
sleep 2 # the last flood window closes
check "the flood sent $sent datagrams" test "$sent" = 100000
refute "... none arrived" logged udp ':9999"'
lines=$(flow_lines "\"dst\":\"$UP4:9999\"" | wc -l)
check "... and took a handful of audit lines ($lines), not $sent" test "$lines" -lt 100
# Every datagram is accounted for: audited (first lines + repeated), lost
# to an audit queue overflow (reported), or dropped by the kernel before
# the queue (its counters). Plus the one udp/9999 probe at the start.
audited=$(flow_lines "\"dst\":\"$UP4:9999\"" | $PY -c 'import json, sys
print(sum(json.loads(l).get("repeated", 1) for l in sys.stdin))')
lost=$(grep '"audit_queue_full"' "$E2E_TMP/audit.jsonl" | $PY -c 'import json, sys
print(sum(json.loads(l)["dropped"] for l in sys.stdin))')
kernel=$(in_ns app awk '$1 == 25186 {print $6 + $7}' /proc/net/netfilter/nfnetlink_queue)
check "... every datagram accounted for: $audited audited + $lost unwritten + $kernel dropped by the kernel" \
    test $((audited + lost + kernel)) = $((sent + 1))
rss1=$(rss_kib)
check "memory stayed bounded (${rss0} -> ${rss1} KiB)" test $((rss1 - rss0)) -lt 65536
check "botbox still answers" status_is 200 http://api.test/echo

# ---- a tcp entry proxy_uid left half closed ----
# proxy_uid connects from port 40055 and closes; the far end never closes
# its side. Once the orphaned socket is gone (tcp_fin_timeout, 1 s in this
# namespace), conntrack still holds the entry, half closed, for minutes. A
# workload that connects from that port would meet it: its SYN must not
# pass as part of botbox's flow.
in_ns app sysctl -qw net.ipv4.tcp_fin_timeout=1
listen up hold --bind $UP4:5599 --hold
in_ns up nft -f - <<NFT
table inet synseen {
    chain in {
        type filter hook input priority 0;
        tcp dport 5599 tcp sport 40055 tcp flags & (syn | ack) == syn counter
    }
}
NFT
syns() { in_ns up nft list chain inet synseen in | sed -n 's/.* packets \([0-9]*\) .*/\1/p'; }
as_uid 1337 app $PROBE connect $UP4 5599 --from 40055 --timeout 0.2 >/dev/null 2>&1
check "proxy_uid's connection from port 40055 arrived" wait_for 2 grep -q ':40055", "local"' "$E2E_TMP/hold.log"
check "... its orphaned socket is gone, the port free" wait_for 5 bash -c \
    "! ip netns exec ${NS[app]} ss -tan | grep -q ':40055 '"
check "... and its conntrack entry is still there" bash -c \
    "ip netns exec ${NS[app]} cat /proc/net/nf_conntrack | grep -q 'tcp .* sport=40055 dport=5599 '"
# Whether the connect fails says nothing: a SYN that got through would meet
# the far end's half-closed socket and be answered with an ACK, not a
# SYN-ACK. What counts is whether the SYN left the pod.
as_uid 1000 app $PROBE connect $UP4 5599 --from 40055 --timeout 1 >/dev/null 2>&1
check "a workload's SYN from port 40055 to the same address and port never arrived ($(syns) SYNs seen)" \
    test "$(syns)" = 1
check "... and it is audited as a denied flow of uid 1000" wait_for 2 audit_has \
    "a.get('event') == 'flow' and a.get('decision') == 'deny' and a.get('dst') == '$UP4:5599' and a.get('uid') == 1000"

serve_stop
finish
