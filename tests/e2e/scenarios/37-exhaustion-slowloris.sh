#!/usr/bin/env bash
# Resource exhaustion, slow heads: 40 slowloris connections at one byte
# per second are all cut with 408 at timeouts.request_header, while a
# normal request is served.
. "$(dirname "$0")/../lib.sh"
. "$E2E_DIR/exhaustion.sh"

bg_slow() {
    as_uid 1000 app $PROBE slowloris "$UP4" 80 --count 40 --name api.test >"$E2E_TMP/slowloris.out" 2>&1
}
bg_slow &
slow_pid=$!
sleep 0.5
check "while 40 slowloris heads trickle, a normal request is served" status_is 200 http://api.test/echo
wait "$slow_pid"
expect "all 40 are cut at request_header (2 s) with 408" "40 cut ['408']" cat "$E2E_TMP/slowloris.out"
check "... within request_header plus a second's trickle" \
    bash -c "awk '{ exit !(\$(NF-1) <= 4.0) }' <<<\"\$(cat $E2E_TMP/slowloris.out)\""
serve_stop
finish
