#!/usr/bin/env bash
# User-space instructions per request of each peer, counted by callgrind:
# the part of the cost that the machine's noise does not touch (the kernel's
# share is not counted; tests/bench/profile.sh samples both with perf).
# usage: callgrind.sh [http|https] [PEERS...]   (as root; default: all three)
#   e.g. callgrind.sh http botbox haproxy
# For each peer: started under callgrind, warmed up (pools, leaf cache),
# counters zeroed, CG_SECONDS (5) of wrk load, counters dumped; prints the
# instructions (Ir) per request and, for botbox, its top functions.
set -u
. "$(dirname "$0")/peers.sh"
scheme=${1:-http}
shift 2>/dev/null
peers=("$@")
[ ${#peers[@]} -gt 0 ] || peers=(botbox haproxy nginx)
secs=${CG_SECONDS:-5}
for tool in valgrind callgrind_control callgrind_annotate wrk; do
    command -v $tool >/dev/null || { echo "callgrind: $tool is not installed" >&2; exit 1; }
done

# Sum of the Ir totals in the dump files given.
ir_total() { awk '/^summary:/ {s += $2} END {printf "%.0f\n", s}' "$@"; }

# valgrind keeps a few descriptors of the limit for itself: HAProxy, which
# raises its limit to its ulimit-n, must ask for less than the bench gives.
eval "bench_haproxy_conf() $(declare -f haproxy_conf | tail -n +2)"
haproxy_conf() {
    bench_haproxy_conf "$@"
    sed -i "s/ulimit-n .*/ulimit-n $((NOFILE - 64))/" "$TMP/haproxy.cfg"
}

# nginx's workers stay root: vgdb reaches a process only as its own user
# (run as root, it got no answer from botbox, user 1337), and a worker's
# vgdb files are made by root before it would change its user.
eval "bench_nginx_conf() $(declare -f nginx_conf | tail -n +2)"
nginx_conf() {
    bench_nginx_conf "$@"
    sed -i '1i user root;' "$TMP/nginx.conf"
}

# cg_ctl DIR ARGS...: callgrind_control for every process under callgrind
# whose vgdb files are in DIR, run as the process's user (botbox's with its
# capability, which ptrace asks the tracer to hold too).
cg_ctl() {
    local dir=$1 f pid
    shift
    for f in "$dir"/vgdb-shared-mem-vgdb-*; do
        [ -e "$f" ] || continue
        pid=${f##*/vgdb-shared-mem-vgdb-}
        pid=${pid%%-*}
        [ -d "/proc/$pid" ] || continue
        timeout 60 setpriv --reuid="$(stat -c %u "/proc/$pid")" --regid="$(stat -c %g "/proc/$pid")" \
            --clear-groups --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
            callgrind_control --vgdb-prefix="$dir/vgdb" "$@" "$pid" >/dev/null ||
            { echo "callgrind: callgrind_control $* $pid failed" >&2; exit 1; }
    done
}

profile_peer() { # profile_peer NAME
    local name=$1 url out n ir
    out=$TMP/cg-$name
    mkdir -p "$out"
    chmod 777 "$out"
    # vgdb's FIFOs in a directory without the sticky bit: in /tmp the
    # kernel's protected_fifos keeps root from opening those of user 1337
    PEER_WRAP=(valgrind --tool=callgrind --trace-children=yes -q
        "--vgdb-prefix=$out/vgdb" "--callgrind-out-file=$out/cg.%p")
    peer_start "$name" 1
    url=$(peer_url "$name" "$scheme" /ok)
    in_ns $CLI wrk -t1 -c20 -d2s "$url" >/dev/null
    cg_ctl "$out" -z
    rm -f "$out"/cg.*
    in_ns $CLI wrk -t1 -c20 -d"${secs}s" "$url" >"$TMP/wrk.out" 2>&1
    cg_ctl "$out" -d
    n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
    if [ -z "$n" ] || grep -qE 'Non-2xx|Socket errors' "$TMP/wrk.out"; then
        echo "callgrind: $name did not answer every request with 2xx" >&2
        cat "$TMP/wrk.out" >&2
        exit 1
    fi
    [ -n "${CG_KEEP:-}" ] && cp "$out"/cg.*.1 "$CG_KEEP/" 2>/dev/null
    peer_stop "$name"
    # the dumps asked for are cg.PID.1; cg.PID, written at exit, is the stop
    ir=$(ir_total "$out"/cg.*.1)
    printf '%-8s %8s requests  %12s Ir  %8.0f Ir per request\n' "$name" "$n" "$ir" \
        "$(awk -v a="$ir" -v b="$n" 'BEGIN {print a / b}')"
    [ "$name" = botbox ] && callgrind_annotate --inclusive=no "$out"/cg.*.1 2>/dev/null |
        grep -E '^ *[0-9,]+ ' | head -25
}

bench_world
for p in "${peers[@]}"; do
    profile_peer "$p"
done
