#!/usr/bin/env bash
# Resource exhaustion, idle connections: the memory of a thousand
# connections given back once they are idle, and 10 000 idle keep-alive
# connections held (memory per connection reported, and given back once
# they close). (The slow reader on a large download is in 33.)
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/exhaustion.sh"

# ---- memory goes back ----
# 1 000 connections each take a 64 KiB answer, so their buffers grow, then
# sit idle: the buffers are freed, and the heap's free pages go back to the
# system (BB_TRIM_*). Without that, free() keeps the peak: the buffers of
# one wave lie between the structs of the next. Under SAN=1 the allocator
# is ASan's, which keeps freed memory by design: reported, not checked.
echo 5 >"/proc/$SERVE_PID/clear_refs" # VmHWM starts again from here
before=$(rss_kib)
if hold 1000 '/big?n=65536'; then
    held=$(rss_kib)
    peak=$(rss_kib VmHWM)
    printf '  info  %s: RSS %s KiB before, %s KiB at the peak, %s KiB with 1000 idle connections\n' \
        "$SCENARIO" "$before" "$peak" "$held"
    if ldd "$BIN" | grep -q libasan; then
        printf '  info  %s: built with ASan: its allocator, not checked\n' "$SCENARIO"
    else
        check "idle, they hold under half of the peak's growth" \
            test $(((held - before) * 2)) -lt $((peak - before))
    fi
    unhold 1000
fi

# ---- 10 000 idle keep-alive connections ----
N=${EXHAUST_N:-10000}
sleep 1.5 # the trim after the last section's connections closed (BB_TRIM_EVERY_MS)
before=$(rss_kib)
if hold $N /echo; then
    held=$(rss_kib)
    active=$(metric 'botbox_connections_active{listener=proxy}')
    check "... all $N held open by botbox (connections_active $active)" test "$active" -eq $N
    per=$(((held - before) * 1024 / N))
    # A measurement, not an assertion (make bench compares it with the peers).
    printf '  info  %s: RSS %s KiB before, %s KiB with %s idle connections: %s bytes each\n' \
        "$SCENARIO" "$before" "$held" "$N" "$per"
    unhold $N
    # Closed, they leave at most BB_SPARE_CONNS (32) structs per worker kept
    # for the next accepts; the rest go back (their slabs unmapped). In a
    # trial with the bound lifted, RSS grew by 50 MiB once they had closed.
    sleep 1.5 # the trim after they closed (BB_TRIM_EVERY_MS)
    after=$(rss_kib)
    printf '  info  %s: RSS %s KiB once they closed\n' "$SCENARIO" "$after"
    if ldd "$BIN" | grep -q libasan; then
        printf '  info  %s: built with ASan: its allocator, not checked\n' "$SCENARIO"
    else
        check "once closed, they hold no memory: RSS within 4 MiB of before" \
            test $((after - before)) -lt 4096
    fi
fi

serve_stop
finish
