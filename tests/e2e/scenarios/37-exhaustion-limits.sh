#!/usr/bin/env bash
# Resource exhaustion, limits: file descriptors run out under a low
# `ulimit -n`, and memory under a capped address space (new connections
# refused with 503, idle ones asking again closed), without botbox
# stopping for good.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/exhaustion.sh"

# ---- file descriptors run out (ulimit -n 64) ----
serve_stop
serve_start app "$E2E_TMP/botbox.yaml" prlimit --nofile=64:64
expect "botbox says max_connections cannot be met under the limit" \
    "the limit is 64 (ulimit -n)" cat "$E2E_TMP/serve.out"
out=$(many --count 150 --host evil.test --phase 3)
served=$($PY -c 'import json, sys; print(json.loads(sys.argv[1])["first"])' "$out")
check "150 connections against 64 descriptors: some served ($served), not all" \
    test "$served" -gt 0 -a "$served" -lt 150
check "... accepting paused and counted" test "$(metric botbox_accept_paused_total)" -gt 0
check "with them closed, botbox serves again" wait_for 5 status_is 200 http://api.test/echo
expect "... and a second round of 40 is served in full" '"first": 40' \
    many --count 40 --host evil.test --phase 5

# idle_needs_memory (under the address-space cap): an idle keep-alive
# connection gave back its request's part (BB_IDLE_RELEASE_MS); when its
# next request comes and memory is short, it is closed, not left hanging.
# Wave A fills memory and goes idle; B then holds new, silent connections
# (each holds its struct and request part) until botbox refuses one; A's
# second requests then find fewer request parts than connections.
idle_needs_memory() {
    local b_ready=$E2E_TMP/b-ready b_go=$E2E_TMP/b-go a_out b_pid
    rm -f "$go" "$b_go"
    : >"$ready"
    : >"$b_ready"
    chown 1000 "$ready" "$b_ready"
    many --count 3000 --host api.test --path /echo --wave 100 --phase 30 --ready "$ready" \
        --go "$go" >"$E2E_TMP/many-a.out" 2>&1 &
    many_pid=$!
    wait_for 40 test -s "$ready" || { fail "wave A filled memory" "$(cat "$E2E_TMP/many-a.out")"; return; }
    sleep 1.5 # A's connections give their request parts back
    in_ns app prlimit --nofile=20000:20000 setpriv --reuid=1000 --regid=1000 --clear-groups \
        --inh-caps=-all $PROBE silent "$UP4" 80 --ready "$b_ready" --go "$b_go" \
        >"$E2E_TMP/many-b.out" 2>&1 &
    b_pid=$!
    wait_for 10 test -s "$b_ready"
    check "idle connections and new silent ones fill memory again ($(cat "$b_ready"))" \
        grep -q "refused [1-9]" "$b_ready"
    touch "$go"
    wait "$many_pid"
    a_out=$(cat "$E2E_TMP/many-a.out")
    touch "$b_go"
    wait "$b_pid"
    printf '  info  %s: idle connections asking again with memory short: %s\n' "$SCENARIO" "$a_out"
    local kept second closed
    kept=$(json_field "$a_out" kept)
    second=$(json_field "$a_out" second)
    closed=$(json_field "$a_out" second_closed)
    check "... an idle connection whose next request finds no memory is closed ($closed of $kept)" \
        test "$closed" -gt 0
    check "... and every other one is answered: none is left hanging ($second + $closed = $kept)" \
        test "$kept" -gt 0 -a "$((second + closed))" -eq "$kept"
    check "... each one closed counted (out_of_memory_idle)" \
        test "$(metric 'botbox_connections_refused_total{reason=out_of_memory_idle}')" -eq "$closed"
    check "... botbox is still running" kill -0 "$SERVE_PID"
    check "... and serves again once they have closed" wait_for 15 status_is 200 http://api.test/echo
}

# ---- memory runs out (RLIMIT_AS) ----
# botbox's address space capped 1 MiB above what it maps once warm: the
# slabs connections come from (256 KiB mappings) can no longer be had.
# Connections past that are refused with a 503, as over max_connections,
# and counted by reason; botbox itself goes on, and serves again once they
# close. ASan maps its own shadow memory and stops the process when an
# allocation fails, by design: the plain build runs this, SAN=1 says so.
serve_stop
serve_start app "$E2E_TMP/botbox.yaml"
if ldd "$BIN" | grep -q libasan; then
    printf '  info  %s: built with ASan: the address-space cap is not tried\n' "$SCENARIO"
else
    check "before the cap, a request is served" status_is 200 http://api.test/echo
    vsz=$(rss_kib VmSize)
    # as botbox's own user: root was refused (EPERM) here
    setpriv --reuid=1337 --regid=1337 --clear-groups --inh-caps=-all \
        prlimit --pid "$SERVE_PID" --as=$(((vsz + 1024) * 1024))
    out=$(many --count 3000 --host api.test --path /echo --wave 100 --phase 30)
    printf '  info  %s: 3000 keep-alive connections with the address space capped at %s KiB: %s\n' \
        "$SCENARIO" "$((vsz + 1024))" "$out"
    check "... some are served (200)" test "$(json_field "$out" statuses 200)" -gt 0
    check "... the rest are refused with 503" test "$(json_field "$out" statuses 503)" -gt 0
    check "... each counted as refused for want of memory" \
        test "$(metric 'botbox_connections_refused_total{reason=out_of_memory}')" -eq "$(json_field "$out" statuses 503)"
    check "... botbox is still running" kill -0 "$SERVE_PID"
    check "with them closed, botbox serves again under the same cap" \
        wait_for 10 status_is 200 http://api.test/echo
    expect "... and 40 connections at once are all served" '"first": 40' \
        many --count 40 --host api.test --path /echo --phase 10
    idle_needs_memory
fi
serve_stop
finish
