#!/usr/bin/env bash
# Graceful shutdown (docs/reference.md §7) and the audit log's flood summaries and
# reopening (§6): SIGTERM during a slow download lets it finish while new
# connections are refused and idle keep-alive clients are let go at once;
# what outlives timeouts.shutdown_drain is aborted; exit 0 either way.
. "$(dirname "$0")/../lib.sh"

proxy_world
serve_stop

# ---- audit: floods of identical denials are summarised, nothing lost ----
cfg_set "$E2E_TMP/botbox.yaml" timeouts.shutdown_drain 8000
serve_start app "$E2E_TMP/botbox.yaml"
urls=()
for _ in $(seq 60); do urls+=(http://evil.test/x); done
curl_as "${urls[@]}" >/dev/null
sleep 1.5 # the flood window closes
denials() { grep '"host":"evil.test"' "$E2E_TMP/audit.jsonl"; }
lines=$(denials | wc -l)
accounted=$(denials | $PY -c 'import json, sys
print(sum(1 + json.loads(l).get("repeated", 0) - (1 if "repeated" in json.loads(l) else 0)
          for l in sys.stdin))')
check "60 identical denials take a few audit lines ($lines), not 60" test "$lines" -lt 10
check "... and every one is accounted for (first lines + repeated = $accounted)" \
    test "$accounted" = 60
check "... the summary line says repeated" bash -c "grep -q '\"repeated\":' $E2E_TMP/audit.jsonl"

mv "$E2E_TMP/audit.jsonl" "$E2E_TMP/audit.jsonl.1" # logrotate, with its "create"
install -o 1337 -g 1337 -m 640 /dev/null "$E2E_TMP/audit.jsonl"
kill -HUP "$SERVE_PID"
status http://api.test/echo >/dev/null
check "after SIGHUP the audit file is reopened: new lines in the new file" \
    wait_for 3 grep -q '"host":"api.test"' "$E2E_TMP/audit.jsonl"
refute "... none in the moved one" grep -q '"event":"config"' "$E2E_TMP/audit.jsonl.1"

# ---- SIGTERM during a slow download ----
# inotify_watches: the watches botbox's inotify descriptor holds
inotify_watches() {
    local fd
    for fd in /proc/$SERVE_PID/fd/*; do
        [ "$(readlink "$fd")" = "anon_inode:inotify" ] || continue
        grep -c '^inotify wd:' "/proc/$SERVE_PID/fdinfo/${fd##*/}"
        return
    done
    echo none
}
w=$(inotify_watches)
check "serving: the config directory and secrets_dir are watched ($w)" test "$w" = 2
OUT=$E2E_TMP/out # the workload's files
mkdir -m 777 "$OUT"
# an idle keep-alive client: one request, then it waits for botbox to close
as_uid 1000 app $PROBE keepalive $UP4 80 --name api.test --path /echo >"$E2E_TMP/idle.out" 2>&1 &
idle_pid=$!
as_uid 1000 app curl -sS --max-time 20 -o "$OUT/slow.bin" -w '%{http_code}' \
    "http://api.test/slow?s=5" >"$E2E_TMP/slow.code" 2>&1 &
slow_pid=$!
wait_for 5 grep -q idle "$E2E_TMP/idle.out"
sleep 1 # the download is under way
t0=$(date +%s.%N)
kill -TERM "$SERVE_PID"
sleep 0.3
# The watches went when the drain began: the kernel retires them
# meanwhile, not in the exit's close() (docs/operations.md). Looked at
# first, while the download surely holds the drain open: once it ends,
# the descriptor itself is closed ("none").
w=$(inotify_watches)
check "draining: no inotify watch left ($w)" test "$w" = 0
check "healthz says not ready while draining" admin_is 503 /healthz
code=$(as_uid 1000 app curl -sS --max-time 3 -o /dev/null -w '%{http_code}' http://api.test/echo 2>/dev/null)
check "a new connection is refused once draining ($code)" test "$code" = 000
wait "$idle_pid"
closed=$(awk '/closed/ {print $2}' "$E2E_TMP/idle.out")
check "the idle keep-alive connection was closed at once ($(cat "$E2E_TMP/idle.out" | tr '\n' ' ') vs $t0)" \
    $PY -c "import sys; sys.exit(0 if 0 <= $closed - $t0 < 1.5 else 1)"
wait "$SERVE_PID"
rc=$?
t1=$(date +%s.%N)
check "botbox exits 0 after the drain (exit $rc)" test "$rc" = 0
check "... within shutdown_drain (8 s)" $PY -c "import sys; sys.exit(0 if $t1 - $t0 < 8.5 else 1)"
wait "$slow_pid"
check "the slow download completed (status $(cat "$E2E_TMP/slow.code"))" \
    test "$(cat "$E2E_TMP/slow.code")" = 200
check "... all 10240 bytes" test "$(stat -c %s "$OUT/slow.bin")" = 10240
check "the shutdown is audited" wait_for 3 grep -q '"reason":"sigterm"' "$E2E_TMP/audit.jsonl"
refute "no sanitizer report" grep -qE "Sanitizer|runtime error" "$E2E_TMP/serve.out"

# ---- what outlives shutdown_drain is aborted ----
cfg_set "$E2E_TMP/botbox.yaml" timeouts.shutdown_drain 1000
serve_start app "$E2E_TMP/botbox.yaml"
as_uid 1000 app curl -sS --max-time 20 -o "$OUT/slow2.bin" "http://api.test/slow?s=5" \
    >/dev/null 2>&1 &
slow_pid=$!
sleep 1
t0=$(date +%s.%N)
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
rc=$?
t1=$(date +%s.%N)
check "with shutdown_drain 1000: exit 0 ($rc) after about 1 s" \
    $PY -c "import sys; sys.exit(0 if $rc == 0 and 0.8 < $t1 - $t0 < 2.5 else 1)"
wait "$slow_pid"
check "... the download still running was cut short" test "$(stat -c %s "$OUT/slow2.bin")" -lt 10240
check "... and botbox said so" grep -q "aborting 1 connection" "$E2E_TMP/serve.out"
finish
