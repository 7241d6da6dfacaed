#!/usr/bin/env bash
# perf profile of botbox under one bench load (the world of peers.sh).
# usage: profile.sh [http|https|h2] [SECONDS] [wrk args...]
#   e.g. profile.sh http 10            keep-alive, 2-byte answers
#        profile.sh https 10 -H "Connection: close"
#        profile.sh h2 10              h2load, 10 connections x 100 streams (i1)
#        PROFILE_PEER=botbox-cred PROFILE_PATH=/big profile.sh http 10
#                                      placeholders and redaction, 1 MiB (h2)
# Prints perf's top entries (self and children) for the botbox process.
set -u
. "$(dirname "$0")/peers.sh"
scheme=${1:-http}
secs=${2:-10}
shift 2 2>/dev/null
command -v perf >/dev/null || { echo "profile: perf is not installed" >&2; exit 1; }
bench_world
peer=${PROFILE_PEER:-botbox} # or botbox-cred, botbox-bare (peers.sh)
peer_start "$peer" 1
if [ "$scheme" = h2 ]; then
    load() { in_ns $CLI h2load -c 10 -m 100 -t 1 -D "$1" https://h2.bench/ok; }
else
    url=$(peer_url "$peer" "$scheme" "${PROFILE_PATH:-/ok}")
    load() { in_ns $CLI wrk -t1 -c50 -d"$1s" "${@:2}" "$url"; }
fi
load 1 "$@" >/dev/null # pools, leaf cache
load "$((secs + 2))" "$@" >"$TMP/wrk.out" 2>&1 &
wrk_pid=$!
sleep 1
perf record -q -g -p "$PEER_PID" -o "$TMP/perf.data" -- sleep "$secs" 2>/dev/null
wait "$wrk_pid"
grep -E 'Requests/sec|^finished in' "$TMP/wrk.out"
perf report -i "$TMP/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9.]+%" | head -8
perf report -i "$TMP/perf.data" --children --sort symbol --stdio 2>/dev/null | grep -E "^ +[0-9.]+%" | grep -E "SSL_|ssl_|EVP_|X509|tls_|bb_|proxy_" | head -40 > "${PROFILE_CHILDREN:-/dev/null}"
perf report -i "$TMP/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -40
[ -n "${PROFILE_KEEP:-}" ] && cp "$TMP/perf.data" "$PROFILE_KEEP"
peer_stop botbox
