# Shared by the 37-exhaustion-* scenarios: the proxy world restarted with
# room for 10 000 connections, kept open for as long as the test needs,
# and the helpers that open many of them. Sourced after lib.sh.

proxy_world
serve_stop
cfg_merge "$E2E_TMP/botbox.yaml" <<'YAML'
timeouts: {idle: 120000, connect: 5000}
max_connections: 12000
YAML
serve_start app "$E2E_TMP/botbox.yaml"

active_is() { [ "$(metric 'botbox_connections_active{listener=proxy}')" -eq "$1" ]; }
# many ARGS: tools/many.py as the workload, allowed 20 000 descriptors.
many() {
    in_ns app prlimit --nofile=20000:20000 setpriv --reuid=1000 --regid=1000 --clear-groups \
        --inh-caps=-all $PY "$E2E_DIR/tools/many.py" --to $UP4:80 "$@"
}

# hold N PATH: N keep-alive connections, 100 at a time so the upstream is
# not the test, one allowed request each; returns 0 once every one was
# answered and all of them sat idle for longer than BB_IDLE_RELEASE_MS and
# BB_TRIM_EVERY_MS (the steady state). unhold: a second request on each,
# then they close.
ready=$E2E_TMP/many-ready
go=$E2E_TMP/many-go
hold() {
    rm -f "$go"
    : >"$ready"
    chown 1000 "$ready"
    many --count "$1" --host api.test --path "$2" --wave 100 --phase 150 --ready "$ready" --go "$go" \
        >"$E2E_TMP/many.out" 2>&1 &
    many_pid=$!
    if ! wait_for 160 test -s "$ready"; then
        fail "$1 connections opened and answered" "$(cat "$E2E_TMP/many.out")"
        kill "$many_pid"
        return 1
    fi
    expect "$1 connections opened, each answered by the upstream and kept alive" "\"first\": $1" cat "$ready"
    sleep 2.5
}
unhold() {
    touch "$go"
    wait "$many_pid"
    expect "... and every one still serves a second request (all 200)" \
        "\"kept\": $1, \"second\": $1, \"second_closed\": 0, \"statuses\": {\"200\": $(($1 * 2))}" cat "$E2E_TMP/many.out"
    check "after they close, connections_active returns to 0" wait_for 10 active_is 0
}

