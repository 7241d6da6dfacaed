#!/usr/bin/env bash
# Least privilege: `botbox serve` started as root ends up as proxy_uid with
# CAP_NET_ADMIN alone and no_new_privs, in every thread, and still works
# (its own upstream connections, as proxy_uid, are not steered back).
. "$(dirname "$0")/../lib.sh"

proxy_world
serve_stop

bg app serve "$BIN" serve --config "$E2E_TMP/botbox.yaml" # as root this time
SERVE_PID=$BG_PID
wait_for 5 grep -q "serving on port" "$E2E_TMP/serve.out" ||
    { echo "e2e: botbox serve did not start:" >&2; cat "$E2E_TMP/serve.out" >&2; exit 1; }

st=/proc/$SERVE_PID/status
check "uid is proxy_uid (real, effective, saved, fs)" \
    test "$(proc_field Uid "$st")" = "1337 1337 1337 1337"
check "gid too" test "$(proc_field Gid "$st")" = "1337 1337 1337 1337"
check "no supplementary groups" test -z "$(proc_field Groups "$st")"
check "CapEff is CAP_NET_ADMIN only (0x1000)" test "$(proc_field CapEff "$st")" = 0000000000001000
check "CapPrm too" test "$(proc_field CapPrm "$st")" = 0000000000001000
check "no inheritable or ambient capabilities" \
    test "$(proc_field CapInh "$st")$(proc_field CapAmb "$st")" = 00000000000000000000000000000000
check "the bounding set holds CAP_NET_ADMIN only" test "$(proc_field CapBnd "$st")" = 0000000000001000
check "NoNewPrivs is set" test "$(proc_field NoNewPrivs "$st")" = 1
threads=$(ls /proc/$SERVE_PID/task | wc -l)
same=0
for t in /proc/$SERVE_PID/task/*; do
    [ "$(proc_field CapEff "$t/status")/$(proc_field Uid "$t/status")" = \
        "0000000000001000/1337 1337 1337 1337" ] && same=$((same + 1))
done
check "... in every one of its $threads threads" test "$same" = "$threads"
check "and it still proxies: an allowed request gets 200" status_is 200 http://api.test/echo
check "... with the secret injected" upstream_saw "Bearer $SECRET"
check "healthz answers" admin_is 503 /healthz # nosecret.test's secret is absent here

serve_stop
finish
