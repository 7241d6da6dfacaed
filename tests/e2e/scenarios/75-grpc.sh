#!/usr/bin/env bash
# gRPC through interception (docs/proxy.md, "gRPC"): Debian's python3-grpcio
# as the workload's client (trusting only botbox's CA) and as the upstream
# (tests/e2e/tools/grpcpeer.py, in place of the recording upstream for
# api.test). The four call kinds pass with their messages as they come,
# an upstream's error status reaches the client as such, botbox's key is
# the call's metadata exactly once, and a refusal by policy is a status
# the client reads (PERMISSION_DENIED with botbox's reason), audited.
. "$(dirname "$0")/../lib.sh"

intercept_world "  http2: true"
serve_stop
cfg_merge "$E2E_TMP/botbox.yaml" <<'YAML'
egress_policy:
  rules:
    - host: api.test
      paths: [/bb.Echo/Unary, /bb.Echo/Server, /bb.Echo/Client, /bb.Echo/Bidi, /bb.Echo/Fail]
YAML
serve_start app "$E2E_TMP/botbox.yaml"
# the gRPC server takes api.test's address and port from the recording upstream
pkill -f "tools/upstream.py --bind $UP4:443" || true
sleep 0.5
bg up grpc $PY "$E2E_DIR/tools/grpcpeer.py" serve --bind $UP4:443 \
    --cert "$E2E_TMP/certs/default.crt" --key "$E2E_TMP/certs/default.key" --log "$E2E_TMP/grpc.log"
wait_ready grpc

grpc_call() {
    as_uid 1000 app timeout 30 $PY "$E2E_DIR/tools/grpcpeer.py" call --target api.test:443 \
        --ca "$CA/ca.crt" "$@"
}
field() { $PY -c "import json,sys; print(json.dumps(json.loads(sys.stdin.read())$1))"; }
# keys_seen METHOD: the authorization values of the upstream's calls of METHOD
keys_seen() {
    $PY - "$E2E_TMP/grpc.log" "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["method"] == sys.argv[2]:
        print("|".join(v for k, v in r["metadata"] if k == "authorization") or "-")
PY
}

out=$(grpc_call unary)
check "unary: OK with echo:hi" test "$(field '["messages"][0]' <<<"$out")" = '"echo:hi"'
check "... botbox's key was the call's metadata, once" test "$(keys_seen Unary)" = "Bearer $SECRET"
out=$(grpc_call server)
check "server streaming: the 5 messages, in order" \
    test "$(field '["messages"][4][0]' <<<"$out")" = '"part-4"'
streamed=$out
spread() { $PY -c "import json,sys; m=json.loads(sys.argv[1])['messages']; sys.exit(0 if m[-1][1]-m[0][1] >= 0.15 else 1)" "$streamed"; }
check "... as they came (spread over the server's 50 ms gaps, not at once at the end)" spread
out=$(grpc_call client)
check "client streaming: the server joined the three messages" \
    test "$(field '["messages"][0]' <<<"$out")" = '"a+b+c"'
out=$(grpc_call bidi)
check "bidirectional, in lockstep (each message sent after the last answer): three answers" \
    test "$(field '["messages"]' <<<"$out")" = '["re:x", "re:y", "re:z"]'
check "... none waited for the stream's end" test "$(field '.get("stalled", False)' <<<"$out")" = false
out=$(grpc_call fail)
check "an upstream error status reaches the client as such: NOT_FOUND 'no such thing'" \
    test "$(field '["code"]' <<<"$out") $(field '["details"]' <<<"$out")" = '"NOT_FOUND" "no such thing"'
n=$(wc -l <"$E2E_TMP/grpc.log")
out=$(grpc_call denied)
check "a path the policy does not name: the client reads PERMISSION_DENIED" \
    test "$(field '["code"]' <<<"$out")" = '"PERMISSION_DENIED"'
check "... with botbox's reason as the message (not the client's own words for an HTTP 403)" \
    test "$(field '["details"]' <<<"$out")" = '"host not allowed"'
check "... nothing reached the upstream" test "$(wc -l <"$E2E_TMP/grpc.log")" = "$n"
check "... audited: h2, the path, 403" wait_for 3 audit_has 'a.get("event") == "http" and a.get("proto") == "h2" and a.get("path") == "/bb.Echo/Denied" and a.get("status") == 403'

finish
