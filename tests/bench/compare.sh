#!/usr/bin/env bash
# botbox side by side with HAProxy and nginx doing the same job,
# in namespaces made for the run (tests/bench/peers.sh). For each scenario
# the peers take turns, in a rotating order, ROUNDS times; the table gives
# medians and the ratios botbox/HAProxy and botbox/nginx.
#
# usage: compare.sh [--quick] [--out FILE]
#   --quick   the smoke test (make test): every scenario briefly, once, and
#             checks the answers are right (status, body, injected key);
#             speed is printed, never asserted
#   --out     also write the tables to FILE (make bench: docs/benchmarks.md)
# Environment: BOTBOX, BENCH_TOOLS (the build's tests/bench: udpflood,
# bench_tls, bench_policy, bench_tenants; default build/tests/bench), BENCH_ROUNDS,
# BENCH_SECONDS, BENCH_SCENARIOS (ids to run, e.g. "a1 c"; default all),
# BENCH_F_SENDERS (udpflood processes in scenario f, default 2).
set -u
. "$(dirname "$0")/peers.sh"

QUICK=0
OUT=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    --out) OUT=$2; shift ;;
    *) echo "usage: compare.sh [--quick] [--out FILE]" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
BENCH_TOOLS=${BENCH_TOOLS:-$REPO/build/tests/bench}
for tool in wrk h2load haproxy nginx dnsmasq openssl "$BIN" "$BENCH_TOOLS/udpflood"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] ||
        { echo "bench: missing prerequisite: $tool (run 'make deps')" >&2; exit 1; }
done
UDPFLOOD=$BENCH_TOOLS/udpflood
F_SENDERS=${BENCH_F_SENDERS:-2}
MANY="$PY $REPO/tests/e2e/tools/many.py"
PEERS=(botbox haproxy nginx)
if [ $QUICK = 1 ]; then
    ROUNDS=1 SECS=1 WARM=0 IDLE=300
else
    ROUNDS=${BENCH_ROUNDS:-3} SECS=${BENCH_SECONDS:-5} WARM=1 IDLE=10000
    # HAProxy wants two descriptors per connection under its maxconn: with a
    # hard limit of 20000 (no CAP_SYS_RESOURCE to raise it) that is 9950.
    [ $((NOFILE / 2 - 200)) -lt $IDLE ] && IDLE=$((NOFILE / 2 - 200))
fi
FAILS=0
ROWS=()     # table rows, markdown
DIRECT=()   # botbox reached directly, for the plain-HTTP scenarios
STEERED=()  # botbox against HAProxy behind the same ruleset, the same scenarios
CRED=()     # placeholders and redaction against neither (scenario h)
failed() { FAILS=$((FAILS + 1)); echo "  FAIL  $*"; }

# ---- correctness (every run starts with it) -----------------------------------

# fetch PEER SCHEME PATH: the answer's body, through the peer, with TLS
# verified against the CA the client is meant to trust.
fetch() {
    local peer=$1 scheme=$2 path=$3
    if [ "$peer" = botbox-direct ]; then
        in_ns $CLI curl -sS --max-time 10 -H "Host: api.bench" "$(peer_url "$peer" http "$path")"
    elif [ "$scheme" = http ]; then
        in_ns $CLI curl -sS --max-time 10 "$(peer_url "$peer" http "$path")"
    elif [ "$peer" = botbox ]; then
        in_ns $CLI curl -sS --max-time 10 --cacert "$TMP/botbox-ca/ca.crt" "https://api.bench$path"
    else
        local port=8444
        [ "$peer" = nginx ] && port=8445
        in_ns $CLI curl -sS --max-time 10 --cacert "$TMP/certs/ca.crt" \
            --connect-to "api.bench:$port:$GW4:$port" "https://api.bench:$port$path"
    fi
}

# upstream_saw LINE: the upstream's access log has LINE (then it is
# emptied for the next check)
upstream_saw() {
    sleep 1.2 # the upstream's access log is flushed every second
    grep -q "$1" "$TMP/up-access.log"
    local r=$?
    : >"$TMP/up-access.log"
    return $r
}

# check_peer NAME SCHEME: one request of each kind through the peer gets the
# right answer, and the upstream saw the injected key.
check_peer() {
    local peer=$1 scheme=$2 body
    body=$(fetch "$peer" "$scheme" /ok 2>&1)
    [ "$body" = ok ] || { failed "$peer $scheme /ok answered '$body'"; return; }
    [ "$(fetch "$peer" "$scheme" /big | sha256sum)" = "$(sha256sum <"$TMP/big")" ] ||
        failed "$peer $scheme /big is not the upstream's 1 MiB"
    upstream_saw "GET /ok HTTP/1.1 Bearer $SECRET" || failed "$peer $scheme: the upstream did not see the injected key"
    [ $QUICK = 1 ] && echo "  ok    $peer over $scheme: /ok and 1 MiB /big answered right, the key injected upstream"
    return 0
}

# ---- one load run ----------------------------------------------------------------

# wrk_run URL CONNS SECONDS [wrk args]: prints "rps p50_ms p99_ms requests
# bad" (bad: non-2xx answers plus socket errors).
wrk_run() {
    local url=$1 conns=$2 secs=$3 out
    shift 3
    out=$(in_ns $CLI prlimit --nofile=$NOFILE:$NOFILE wrk -t1 -c"$conns" -d"${secs}s" --latency \
        "$@" "$url" 2>&1)
    awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
            if (v ~ /s$/) return v * 1000; return v + 0
        }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
        /requests in/ { n = $1 } /^Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad += $5 }
        /Socket errors/ { gsub(/,/, ""); bad += $4 + $6 + $8 + $10 }
        END { printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, n, bad }' <<<"$out"
}

# measure PEER SCHEME PATH CONNS [wrk args]: one run against the running
# peer; prints "rps p50 p99 cpu_us_per_request machine_us_per_request bad".
# The machine's share says what is left for the peer to win: the client and
# the upstream share its 2 cores, so a peer that spent nothing would still
# be bound by their CPU per request.
measure() {
    local peer=$1 scheme=$2 path=$3 conns=$4 t0 t1 m0 m1 r
    shift 4
    # botbox reached directly picks the upstream by Host, as a proxy would
    [ "$peer" = botbox-direct ] && set -- -H "Host: api.bench" "$@"
    [ "$WARM" -gt 0 ] && wrk_run "$(peer_url "$peer" "$scheme" "$path")" "$conns" "$WARM" "$@" >/dev/null
    t0=$(cpu_ticks) m0=$(machine_ticks)
    r=$(wrk_run "$(peer_url "$peer" "$scheme" "$path")" "$conns" "$SECS" "$@")
    t1=$(cpu_ticks) m1=$(machine_ticks)
    awk -v r="$r" -v dt=$((t1 - t0)) -v dm=$((m1 - m0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(r, f, " "); n = f[4] > 0 ? f[4] : 1
        printf "%s %s %s %.1f %.1f %s\n", f[1], f[2], f[3], dt * 1e6 / hz / n, dm * 1e6 / hz / n, f[5] }'
}

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# medians RUNS MED "METRIC..." PEER...: MED[peer.metric] is the median of
# the values in RUNS[peer.metric] (space-separated, one per round)
medians() {
    local -n rr=$1 mm=$2
    local metrics=$3 peer m
    shift 3
    for peer in "$@"; do
        for m in $metrics; do
            mm[$peer.$m]=$(tr ' ' '\n' <<<"${rr[$peer.$m]}" | grep . | median)
        done
    done
}

# scenario ID TITLE WORKERS SCHEME PATH CONNS [wrk args]
scenario() {
    local id=$1 title=$2 workers=$3 scheme=$4 path=$5 conns=$6 round i peer r a b c d e bad m
    shift 6
    local -A runs=() med=()
    local peers=("${PEERS[@]}")
    [ "$scheme" = http ] && peers+=(botbox-direct haproxy-steered)
    echo "== $id: $title"
    for ((round = 0; round < ROUNDS; round++)); do
        for ((i = 0; i < ${#peers[@]}; i++)); do
            peer=${peers[$(((i + round) % ${#peers[@]}))]}
            peer_start "$peer" "$workers"
            [ "$round" -eq 0 ] && check_peer "$peer" "$scheme"
            r=$(measure "$peer" "$scheme" "$path" "$conns" "$@")
            read -r a b c d e bad <<<"$r"
            [ "$bad" -eq 0 ] || failed "$id $peer: $bad bad answers or socket errors"
            runs[$peer.rps]+="$a " runs[$peer.p50]+="$b " runs[$peer.p99]+="$c "
            runs[$peer.cpu]+="$d " runs[$peer.mach]+="$e " runs[$peer.rss]+="$(tree_status_kib VmHWM) "
            peer_stop "$peer"
            printf '  %-13s %8s req/s  p50 %7s ms  p99 %7s ms  %7s us CPU/req (machine %s)\n' \
                "$peer" "$a" "$b" "$c" "$d" "$e"
        done
    done
    medians runs med "rps p50 p99 cpu mach rss" "${peers[@]}"
    ROWS+=("$(table_row "$id" "$title" med) $(per_round botbox runs) |")
    [ "$scheme" = http ] && STEERED+=("| $id | ${med[botbox.rps]} / ${med[haproxy-steered.rps]} | $(ratio "${med[botbox.rps]}" "${med[haproxy-steered.rps]}") | ${med[botbox.p99]} / ${med[haproxy-steered.p99]} | ${med[botbox.cpu]} / ${med[haproxy-steered.cpu]} | req/s $(paired "${runs[botbox.rps]}" "${runs[haproxy-steered.rps]}"); p99 $(paired "${runs[botbox.p99]}" "${runs[haproxy-steered.p99]}") |")
    [ "$scheme" = http ] && DIRECT+=("| $id | ${med[botbox-direct.rps]} | $(ratio "${med[botbox-direct.rps]}" "${med[haproxy.rps]}") / $(ratio "${med[botbox-direct.rps]}" "${med[nginx.rps]}") | ${med[botbox-direct.p99]} | ${med[botbox-direct.cpu]} | ${med[botbox-direct.mach]} | $(per_round botbox-direct runs) |")
    return 0
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

# paired "A-series" "B-series": the ratio of A to B in each round (the two
# ran back to back there, so the machine's drift hits both alike) as
# "median (lowest-highest)". The spread says how far one run can be trusted.
paired() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a, x, " "); split(b, y, " "); m = 0
        for (i = 1; i <= n; i++) if (y[i] > 0) r[++m] = x[i] / y[i]
        if (m == 0) { printf "-"; exit }
        for (i = 2; i <= m; i++) for (j = i; j > 1 && r[j - 1] > r[j]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
        printf "%.2f (%.2f-%.2f)", r[int((m + 1) / 2)], r[1], r[m] }'
}

# per_round PEER ASSOC: PEER's requests/s and p99 against HAProxy's, paired
# by round.
per_round() {
    local -n rr=$2
    printf 'req/s %s; p99 %s' "$(paired "${rr[$1.rps]}" "${rr[haproxy.rps]}")" \
        "$(paired "${rr[$1.p99]}" "${rr[haproxy.p99]}")"
}

# table_row ID TITLE ASSOC: one markdown row per scenario.
table_row() {
    local -n v=$3
    local b=botbox h=haproxy n=nginx
    printf '| %s | %s | %s / %s / %s | %s / %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s / %s / %s |' \
        "$1" "$2" "${v[$b.rps]}" "${v[$h.rps]}" "${v[$n.rps]}" \
        "$(ratio "${v[$b.rps]}" "${v[$h.rps]}")" "$(ratio "${v[$b.rps]}" "${v[$n.rps]}")" \
        "${v[$b.p50]}" "${v[$h.p50]}" "${v[$n.p50]}" "${v[$b.p99]}" "${v[$h.p99]}" "${v[$n.p99]}" \
        "${v[$b.cpu]}" "${v[$h.cpu]}" "${v[$n.cpu]}" "${v[$b.mach]}" "${v[$h.mach]}" "${v[$n.mach]}" \
        "$((v[$b.rss] / 1024))" "$((v[$h.rss] / 1024))" "$((v[$n.rss] / 1024))"
}

# ---- e: idle keep-alive connections ---------------------------------------------

idle_conns() {
    local peer to before held per out
    echo "== e: $IDLE idle keep-alive client connections"
    local line="| e | $IDLE idle keep-alive connections: KiB of RSS per connection |"
    declare -A per_conn
    for peer in "${PEERS[@]}"; do
        peer_start "$peer" 1
        case $peer in
        botbox) to=$UP4:80 ;; haproxy) to=$GW4:8081 ;; nginx) to=$GW4:8082 ;;
        esac
        before=$(tree_status_kib VmRSS)
        : >"$TMP/ready"
        rm -f "$TMP/go"
        in_ns $CLI prlimit --nofile=$NOFILE:$NOFILE $MANY --to "$to" --count "$IDLE" --host api.bench \
            --path /ok --wave 200 --phase 120 --ready "$TMP/ready" --go "$TMP/go" >"$TMP/many.out" 2>&1 &
        local mpid=$!
        local i=0
        while [ ! -s "$TMP/ready" ] && [ $i -lt 1500 ]; do sleep 0.1; i=$((i + 1)); done
        sleep 2.5 # all of them idle for a while: the steady state (botbox: BB_IDLE_RELEASE_MS, then BB_TRIM_EVERY_MS)
        held=$(tree_status_kib VmRSS)
        touch "$TMP/go"
        wait $mpid
        out=$(cat "$TMP/many.out")
        if ! grep -q "\"kept\": $IDLE, \"second\": $IDLE, \"second_closed\": 0, \"statuses\": {\"200\": $((2 * IDLE))}" <<<"$out"; then
            failed "e $peer: not every idle connection answered twice: $out"
            [ "$peer" = botbox ] && grep '"event":"http"' "$TMP/botbox-audit.jsonl" |
                grep -v '"status":200' | head -5 # why, from the audit log
        fi
        per_conn[$peer]=$(awk -v d=$((held - before)) -v n="$IDLE" 'BEGIN {printf "%.1f", d / n}')
        printf '  %-8s RSS %6s KiB -> %6s KiB: %s KiB per connection\n' "$peer" "$before" "$held" "${per_conn[$peer]}"
        peer_stop "$peer"
    done
    ROWS+=("$line ${per_conn[botbox]} / ${per_conn[haproxy]} / ${per_conn[nginx]} | $(ratio "${per_conn[botbox]}" "${per_conn[haproxy]}") / $(ratio "${per_conn[botbox]}" "${per_conn[nginx]}") | | | | | | |")
}

# ---- f: NFQUEUE drops while HTTP keeps working --------------------------------

metric() { in_ns $GW curl -s --max-time 5 http://127.0.0.1:9090/metrics | awk -v k="$1" '$1 == k {print $2}'; }

nfq_flood() {
    local secs=$((SECS * 2)) d0 d1 o0 o1 probe t0 t1
    echo "== f: new UDP flows dropped by the NFQUEUE path, with an HTTP request every 10 ms"
    peer_start botbox 1
    d0=$(metric 'botbox_flows_total{proto="udp",decision="deny"}')
    o0=$(metric botbox_nfq_overruns_total)
    in_ns $CLI $PY - "$secs" >"$TMP/probe.out" 2>&1 <<'PY' &
import http.client, sys, time
end, ok, bad = time.time() + float(sys.argv[1]), 0, 0
while time.time() < end:
    try:
        c = http.client.HTTPConnection("api.bench", 80, timeout=2)
        c.request("GET", "/ok")
        r = c.getresponse()
        ok, bad = (ok + 1, bad) if r.status == 200 and r.read() == b"ok" else (ok, bad + 1)
        c.close()
    except OSError:
        bad += 1
    time.sleep(0.01)
print(ok, bad)
PY
    probe=$!
    # Two senders: one cannot fill the verdict path on this machine. They
    # run at a lower priority (nice) because they share the 2 cores with
    # botbox: at equal priority the scheduler lets them starve it, and the
    # kernel then drops at the full queue what botbox never saw.
    local i senders=() sent=0
    t0=$(cpu_ticks)
    for i in $(seq "$F_SENDERS"); do
        in_ns $CLI nice -n 10 "$UDPFLOOD" $UP4 "$secs" 10000000 >"$TMP/sent.$i" &
        senders+=($!)
    done
    wait "${senders[@]}"
    t1=$(cpu_ticks)
    for i in $(seq "$F_SENDERS"); do sent=$((sent + $(cat "$TMP/sent.$i"))); done
    wait $probe
    sleep 0.5
    d1=$(metric 'botbox_flows_total{proto="udp",decision="deny"}')
    o1=$(metric botbox_nfq_overruns_total)
    # The kernel's own count of packets it dropped because the queue was
    # full (queue_maxlen): fail closed, but not a verdict.
    local qdrop
    qdrop=$(in_ns $GW awk '$1 == 25186 {print $6 + $7}' /proc/net/netfilter/nfnetlink_queue)
    read -r ok bad <"$TMP/probe.out"
    # Each sender's own softirq carries its datagrams through the gateway's
    # netfilter (conntrack, queueing) on its core. Botbox's CPU per verdict
    # depends on how many packets each wake-up finds (the batch verdict).
    local rate us cap
    rate=$(awk -v d=$((${d1:-0} - ${d0:-0})) -v s="$secs" 'BEGIN {printf "%.0f", d / s}')
    us=$(awk -v d=$((${d1:-0} - ${d0:-0})) -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
        'BEGIN {if (d > 0) printf "%.2f", t * 1e6 / hz / d; else print 0}')
    cap=$(awk -v u="$us" 'BEGIN {if (u > 0) printf "%.0f", 1e6 / u; else print "-"}')
    printf '  %s senders sent %s datagrams in %s s; botbox dropped %s (%s/s) with a verdict, %s us of CPU each (%s/s on one core); the kernel dropped %s with the queue full (%s socket overruns); HTTP probe %s ok, %s failed\n' \
        "$F_SENDERS" "$sent" "$secs" "$((${d1:-0} - ${d0:-0}))" "$rate" "$us" "$cap" "${qdrop:-?}" "$((${o1:-0} - ${o0:-0}))" "$ok" "$bad"
    [ "${bad:-1}" -eq 0 ] && [ "${ok:-0}" -gt 0 ] || failed "f: the HTTP probe failed $bad times ($ok ok)"
    [ "$((${d1:-0} - ${d0:-0}))" -gt 0 ] || failed "f: no drop was counted"
    grep -q '"event":"flow","decision":"deny"' "$TMP/botbox-audit.jsonl" || failed "f: no audit line"
    peer_stop botbox
    ROWS+=("| f | new UDP flows dropped per second (botbox only), HTTP probe every 10 ms | $rate drops/s ($F_SENDERS senders sent $((sent / secs))/s; kernel drops ${qdrop:-?}), botbox $us µs CPU per drop = $cap/s per core; probe $ok ok / $bad failed | | | | | | | |")
}

# ---- g, h: botbox alone ------------------------------------------------------------

botbox_alone() {
    local out runs=30
    [ $QUICK = 1 ] && runs=3
    echo "== g: botbox run -- true"
    out=$(bash "$BENCH_DIR/bench_run.sh" "$BIN" "$runs") || { failed "g: bench_run.sh failed"; return; }
    echo "$out" | sed 's/^/  /'
    local med
    med=$(sed -n 's/.*plain policy: .*median *\([0-9.]*\) ms.*/\1/p' <<<"$out")
    ROWS+=("| g | \`botbox run -- true\`, set-up plus tear-down (median of $runs) | $med ms | | | | | | | |")
    [ $QUICK = 1 ] && return
    echo "== h: leaf minting, policy lookups"
    local tls pol
    tls=$("$BENCH_TOOLS/bench_tls")
    pol=$("$BENCH_TOOLS/bench_policy")
    echo "$tls" "$pol" | sed 's/^/  /'
    local l10 l100k
    l10=$(sed -n 's/^ *10 rules .*exact *\([0-9]*\) ns.*/\1/p' <<<"$pol")
    l100k=$(sed -n 's/^ *100000 rules .*exact *\([0-9]*\) ns.*/\1/p' <<<"$pol")
    ROWS+=("| h | mint a leaf; exact-rule lookup at 10 and at 100 000 rules | $(awk '/mint a leaf/ {print $(NF-1), $NF}' <<<"$tls"); $l10 ns and $l100k ns | | | | | | | |")
}

# ---- t: tenants -------------------------------------------------------------------

# The per-node gateway with many tenants, botbox alone: the matcher's
# lookup at 1 and 10 000 tenants (bench_tenants), and a whole gateway's
# start, ruleset and memory (bench_tenants.sh).
tenants_scenario() {
    echo "== t: tenants"
    local match gw sizes="1 1000 10000"
    [ $QUICK = 1 ] && sizes="1 100"
    match=$("$BENCH_TOOLS/bench_tenants") || { failed "t: bench_tenants failed"; return; }
    gw=$(bash "$BENCH_DIR/bench_tenants.sh" "$BIN" "$sizes") || { failed "t: bench_tenants.sh failed"; return; }
    printf '%s\n' "$match" "$gw" | sed 's/^/  /'
    [ $QUICK = 1 ] && return
    local l1 l10k per rss10k
    l1=$(awk '$1 == 1 {print $3}' <<<"$match")
    l10k=$(awk '$1 == 10000 {print $3}' <<<"$match")
    per=$(sed -n 's/^per tenant: \([0-9]*\) bytes.*/\1/p' <<<"$gw")
    rss10k=$(sed -n 's/^ *10000 tenants: .*RSS *\([0-9]*\) KiB/\1/p' <<<"$gw")
    ROWS+=("| t | tenants: a client's tenant found at 1 and 10 000 tenants; gateway RSS at 10 000, per tenant | $l1 ns and $l10k ns; $((rss10k / 1024)) MiB, $per B per tenant | | | | | | | |")
}

# ---- i: HTTP/2 in, many streams per connection -------------------------------------

H2_CONNS=10 H2_STREAMS=100

h2_port() { case $1 in botbox) echo 443 ;; haproxy) echo 8446 ;; nginx) echo 8447 ;; esac; }
h2_url() { # h2_url PEER PATH: where h2load goes
    [ "$1" = botbox ] && echo "https://h2.bench$2" || echo "https://$GW4:$(h2_port "$1")$2"
}

# check_h2 PEER PATH: one request over HTTP/2 gets the upstream's body, and
# the upstream saw the key (over h2 from botbox and HAProxy, HTTP/1.1 from
# nginx)
check_h2() {
    local peer=$1 path=$2 got want=HTTP/2.0 port
    [ "$peer" = nginx ] && want=HTTP/1.1
    port=$(h2_port "$peer")
    local args=(--cacert "$TMP/certs/ca.crt" --connect-to "h2.bench:$port:$GW4:$port")
    [ "$peer" = botbox ] && args=(--cacert "$TMP/botbox-ca/ca.crt")
    got=$(in_ns $CLI curl -sS --http2 --max-time 10 "${args[@]}" -o "$TMP/h2.body" \
        -w '%{http_version} %{http_code}' "https://h2.bench:$port$path" 2>&1)
    if [ "$path" = /ok ]; then printf ok >"$TMP/h2.want"; else cp "$TMP/k64" "$TMP/h2.want"; fi
    [ "$got" = "2 200" ] && cmp -s "$TMP/h2.body" "$TMP/h2.want" ||
        { failed "i $peer $path over h2: '$got', or not the upstream's body"; return; }
    upstream_saw "GET $path $want Bearer $SECRET" ||
        failed "i $peer $path: the upstream did not see the injected key over $want"
    [ $QUICK = 1 ] && echo "  ok    $peer over h2: $path answered right, the key injected upstream ($want)"
    return 0
}

# h2_run PEER PATH: one h2load run; prints "rps p50_ms p99_ms requests bad
# rss_kib" (bad: requests failed, errored, timed out or not 2xx; the peer's
# RSS sampled halfway through the measured part).
h2_run() {
    local peer=$1 path=$2 out log=$TMP/h2load.log rss sampler
    rm -f "$log"
    (sleep "$(awk -v w="$WARM" -v s="$SECS" 'BEGIN {print w + s / 2}')" && tree_status_kib VmRSS >"$TMP/h2.rss") &
    sampler=$!
    out=$(in_ns $CLI prlimit --nofile=$NOFILE:$NOFILE h2load -c $H2_CONNS -m $H2_STREAMS -t 1 \
        -D "$SECS" --warm-up-time "$WARM" --log-file "$log" "$(h2_url "$peer" "$path")" 2>&1)
    wait $sampler
    rss=$(cat "$TMP/h2.rss")
    # the log: start (µs since the epoch), status, the request's time (µs)
    cut -f3 "$log" | sort -n | awk -v out="$out" -v rss="$rss" '
        { e[NR] = $1 / 1000 }
        function at(q) { i = int(NR * q); return e[i > 0 ? i : 1] }
        END {
            split(out, L, "\n"); rps = 0; bad = 0
            for (k in L) {
                split(L[k], f, " ")
                if (L[k] ~ /^finished in/) rps = f[4]
                if (L[k] ~ /^requests:/) bad += f[10] + f[12] + f[14]
                if (L[k] ~ /^status codes:/) bad += f[5] + f[7] + f[9]
            }
            printf "%.0f %.3f %.3f %d %d %d\n", rps, at(0.5), at(0.99), NR, bad, rss }'
}

h2_scenario() { # h2_scenario ID TITLE PATH
    local id=$1 title=$2 path=$3 round i peer r a b c n bad rss idle t0 t1 m per cpu
    local -A runs=() med=()
    echo "== $id: $title"
    for ((round = 0; round < ROUNDS; round++)); do
        for ((i = 0; i < ${#PEERS[@]}; i++)); do
            peer=${PEERS[$(((i + round) % ${#PEERS[@]}))]}
            peer_start "$peer" 1
            [ "$round" -eq 0 ] && check_h2 "$peer" "$path"
            idle=$(tree_status_kib VmRSS)
            t0=$(cpu_ticks)
            r=$(h2_run "$peer" "$path")
            t1=$(cpu_ticks)
            read -r a b c n bad rss <<<"$r"
            [ "$bad" -eq 0 ] && [ "$n" -gt 0 ] || failed "$id $peer: $bad of $n requests failed or not 2xx"
            per=$(awk -v d=$((rss - idle)) -v s=$((H2_CONNS * H2_STREAMS)) 'BEGIN {printf "%.1f", d / s}')
            cpu=$(awk -v dt=$((t1 - t0)) -v n="$n" -v hz="$(getconf CLK_TCK)" -v w="$WARM" -v s="$SECS" \
                'BEGIN { if (n > 0) printf "%.1f", dt * 1e6 / hz / (n * (w + s) / s); else print 0 }')
            runs[$peer.rps]+="$a " runs[$peer.p50]+="$b " runs[$peer.p99]+="$c " runs[$peer.cpu]+="$cpu "
            runs[$peer.per]+="$per " runs[$peer.rss]+="$(tree_status_kib VmHWM) "
            peer_stop "$peer"
            printf '  %-13s %8s req/s  p50 %7s ms  p99 %7s ms  %7s us CPU/req  %s KiB per active stream\n' \
                "$peer" "$a" "$b" "$c" "$cpu" "$per"
        done
    done
    medians runs med "rps p50 p99 cpu per rss" "${PEERS[@]}"
    ROWS+=("| $id | $title | ${med[botbox.rps]} / ${med[haproxy.rps]} / ${med[nginx.rps]} | $(ratio "${med[botbox.rps]}" "${med[haproxy.rps]}") / $(ratio "${med[botbox.rps]}" "${med[nginx.rps]}") | ${med[botbox.p50]} / ${med[haproxy.p50]} / ${med[nginx.p50]} | ${med[botbox.p99]} / ${med[haproxy.p99]} / ${med[nginx.p99]} | ${med[botbox.cpu]} / ${med[haproxy.cpu]} / ${med[nginx.cpu]} | KiB per active stream: ${med[botbox.per]} / ${med[haproxy.per]} / ${med[nginx.per]} | $((med[botbox.rss] / 1024)) / $((med[haproxy.rss] / 1024)) / $((med[nginx.rss] / 1024)) | $(per_round botbox runs) |")
}

# cred_scenario ID TITLE PATH CONNS: what placeholders and redaction cost:
# botbox-cred (the client's X-Key placeholder replaced by the key, every
# answer searched for the key) against botbox-bare (redaction off, no
# placeholder), the same job otherwise, taking turns. Ratio cred/bare.
cred_scenario() {
    local id=$1 title=$2 path=$3 conns=$4 round i peer r a b c d e bad ph
    local -A runs=() med=()
    local peers=(botbox-cred botbox-bare)
    echo "== $id: $title"
    for ((round = 0; round < ROUNDS; round++)); do
        for ((i = 0; i < 2; i++)); do
            peer=${peers[$(((i + round) % 2))]}
            peer_start "$peer" 1
            local args=()
            if [ "$peer" = botbox-cred ]; then
                ph=$(sed -n 's/^BENCH_KEY=//p' "$TMP/ph/placeholders.env")
                args=(-H "X-Key: $ph")
                [ "$round" -eq 0 ] && { [ "$(in_ns $CLI curl -sS --max-time 10 "${args[@]}" \
                    "$(peer_url "$peer" http /ok)")" = ok ] && upstream_saw "GET /ok HTTP/1.1 Bearer $SECRET $SECRET" ||
                    failed "$id $peer: the placeholder in X-Key did not reach the upstream as the key"; }
            fi
            [ "$round" -eq 0 ] && check_peer "$peer" http
            r=$(measure "$peer" http "$path" "$conns" ${args[@]+"${args[@]}"})
            read -r a b c d e bad <<<"$r"
            [ "$bad" -eq 0 ] || failed "$id $peer: $bad bad answers or socket errors"
            runs[$peer.rps]+="$a " runs[$peer.p99]+="$c " runs[$peer.cpu]+="$d "
            peer_stop "$peer"
            printf '  %-13s %8s req/s  p50 %7s ms  p99 %7s ms  %7s us CPU/req\n' "$peer" "$a" "$b" "$c" "$d"
        done
    done
    medians runs med "rps p99 cpu" "${peers[@]}"
    CRED+=("| $id | $title | ${med[botbox-cred.rps]} / ${med[botbox-bare.rps]} | $(ratio "${med[botbox-cred.rps]}" "${med[botbox-bare.rps]}") | ${med[botbox-cred.p99]} / ${med[botbox-bare.p99]} | ${med[botbox-cred.cpu]} / ${med[botbox-bare.cpu]} | $(paired "${runs[botbox-cred.rps]}" "${runs[botbox-bare.rps]}") |")
}

# ---- the run --------------------------------------------------------------------

# want ID: the scenario is selected (BENCH_SCENARIOS="a1 c e", default all).
want() { [ -z "${BENCH_SCENARIOS:-}" ] || [[ " $BENCH_SCENARIOS " == *" $1 "* ]]; }

bench_world
want a1 && scenario a1 "plain HTTP in, HTTPS out, 2-byte answers, keep-alive, 1 worker" 1 http /ok 50
want a2 && scenario a2 "the same, 2 workers" 2 http /ok 50
want b && scenario b "1 MiB answers (throughput), 1 worker" 1 http /big 10
want c && scenario c "HTTPS in (intercepted / terminated), keep-alive, 1 worker" 1 https /ok 50
want d-a && scenario d-a "a new connection per request, plain HTTP in, 1 worker" 1 http /ok 20 -H "Connection: close"
want d-c && scenario d-c "a new connection per request, HTTPS in, 1 worker" 1 https /ok 20 -H "Connection: close"
want e && idle_conns
want f && nfq_flood
want i1 && h2_scenario i1 "HTTP/2 in, $H2_CONNS connections x $H2_STREAMS streams, 2-byte answers, h2 upstream, 1 worker" /ok
want i2 && h2_scenario i2 "the same, 64 KiB answers" /k64
want g && botbox_alone
want t && tenants_scenario
want h1 && cred_scenario h1 "placeholders and redaction, 2-byte answers, plain HTTP in, 1 worker" /ok 50
want h2 && cred_scenario h2 "the same, 1 MiB answers" /big 10

header="| id | scenario | req/s botbox / HAProxy / nginx | ratio botbox/HAProxy / botbox/nginx | p50 ms | p99 ms | CPU µs per request | machine CPU µs per request | peak RSS MiB | botbox/HAProxy per round: median (range) of the ratios |"
sep="|---|---|---|---|---|---|---|---|---|---|"
table=$(printf '%s\n' "$header" "$sep" "${ROWS[@]}")
if [ ${#STEERED[@]} -gt 0 ]; then
    table+=$'\n\nbotbox against HAProxy steered the same way (the ruleset of botbox, HAProxy bound transparent where botbox listens: the same job as deployed):\n\n'
    table+=$(printf '%s\n' "| id | req/s botbox / steered HAProxy | ratio | p99 ms | CPU µs per request | botbox/steered HAProxy per round: median (range) of the ratios |" "|---|---|---|---|---|---|" "${STEERED[@]}")
fi
if [ ${#DIRECT[@]} -gt 0 ]; then
    table+=$'\n\nbotbox reached directly (no ruleset, so no TPROXY and no conntrack; the way HAProxy and nginx are reached here):\n\n'
    table+=$(printf '%s\n' "| id | req/s | ratio to HAProxy / nginx | p99 ms | CPU µs per request | machine CPU µs per request | botbox/HAProxy per round: median (range) of the ratios |" "|---|---|---|---|---|---|---|" "${DIRECT[@]}")
fi
if [ ${#CRED[@]} -gt 0 ]; then
    table+=$'\n\nWhat placeholders and redaction cost: botbox with a placeholder the client sends (replaced by the key) and every answer searched for the key, against botbox with redaction off and no placeholder (target: at least 0.90 for 1 MiB answers):\n\n'
    table+=$(printf '%s\n' "| id | scenario | req/s with / without | ratio | p99 ms | CPU µs per request | per round: median (range) of the ratios |" "|---|---|---|---|---|---|---|" "${CRED[@]}")
fi
echo
echo "$table"
if [ -n "$OUT" ]; then
    {
        sed -n '1,/^<!-- results -->$/p' "$OUT"
        echo
        echo "Run on $(date -u +%Y-%m-%d): $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r); $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2); $ROUNDS rounds of $SECS s, medians."
        echo
        echo "$table"
    } >"$OUT.new" && mv "$OUT.new" "$OUT"
    echo "bench: tables written to $OUT"
fi
[ "$FAILS" -eq 0 ] && echo "bench: all answers right" || { echo "bench: $FAILS failures"; exit 1; }
