#!/usr/bin/env bash
# Metrics and health on metrics_addr:metrics_port (docs/reference.md §5): /metrics
# parses as Prometheus text (prometheus_client's parser, plus histogram
# consistency checks), counters move for allow, deny and upstream errors,
# host labels are bounded (_default_allow, _denied), reloads are counted,
# and every other path is 404.
. "$(dirname "$0")/../lib.sh"

proxy_world

METRICS_PY="$PY $E2E_DIR/tools/metrics.py"

check "/metrics parses as Prometheus text" metric
expect "... served as text format 0.0.4" "text/plain; version=0.0.4" \
    admin /metrics -o /dev/null -w '%{content_type}'
check "an unknown path: 404" admin_is 404 /nope
expect "... with body 'not found'" "not found" admin /nope
check "a POST: 404" admin_is 404 /metrics -X POST
check "healthz: 503 (nosecret.test's secret is absent in this world)" admin_is 503 /healthz

before=$(metric 'botbox_requests_total{host=api.test,decision=allow}' \
    'botbox_requests_total{host=_denied,decision=deny}' \
    'botbox_upstream_errors_total{host=wrongname.test,status_code=502}' \
    'botbox_header_rewrites_total{host=api.test}' \
    'botbox_upstream_tls_handshakes_total{result=failure}' \
    'botbox_request_duration_seconds_count{host=api.test}' | tr '\n' ' ')
read -r allow0 denied0 uperr0 rewrites0 tlsfail0 count0 <<<"$before"

for _ in 1 2 3; do status http://api.test/echo >/dev/null; done
check "a host no rule names: 403" status_is 403 http://evil.test/
check "a certificate for another name: 502" status_is 502 http://wrongname.test/echo

after=$(metric 'botbox_requests_total{host=api.test,decision=allow}' \
    'botbox_requests_total{host=_denied,decision=deny}' \
    'botbox_upstream_errors_total{host=wrongname.test,status_code=502}' \
    'botbox_header_rewrites_total{host=api.test}' \
    'botbox_upstream_tls_handshakes_total{result=failure}' \
    'botbox_request_duration_seconds_count{host=api.test}' | tr '\n' ' ')
read -r allow1 denied1 uperr1 rewrites1 tlsfail1 count1 <<<"$after"

check "requests_total{api.test, allow} rose by 3 ($allow0 -> $allow1)" test $((allow1 - allow0)) = 3
check "requests_total{_denied, deny} rose by 1 ($denied0 -> $denied1)" test $((denied1 - denied0)) = 1
check "upstream_errors_total{wrongname.test, 502} rose by 1" test $((uperr1 - uperr0)) = 1
check "header_rewrites_total{api.test} rose by 3" test $((rewrites1 - rewrites0)) = 3
check "upstream_tls_handshakes_total{failure} rose by 1" test $((tlsfail1 - tlsfail0)) = 1
check "the duration histogram counted the 3 requests" test $((count1 - count0)) = 3
refute "no host label comes from the request (evil.test)" bash -c \
    "ip netns exec ${NS[app]} curl -s http://127.0.0.1:9090/metrics | grep -q evil.test"

# ---- default allow, and reloads counted ----
cfg_set "$E2E_TMP/botbox.yaml" egress_policy.default_action allow
kill -HUP "$SERVE_PID"
check "a reload is counted" wait_for 3 bash -c \
    "ip netns exec ${NS[app]} curl -s http://127.0.0.1:9090/metrics |
     $METRICS_PY 'botbox_config_reloads_total{result=success}' | grep -qx 1"
for _ in 1 2; do status http://evil.test/echo >/dev/null; done
check "a default-allowed request is labelled _default_allow" test \
    "$(metric 'botbox_requests_total{host=_default_allow}')" -ge 2
printf 'egress_policy: [\n' >"$E2E_TMP/botbox.yaml"
kill -HUP "$SERVE_PID"
check "a failed reload is counted" wait_for 3 bash -c \
    "ip netns exec ${NS[app]} curl -s http://127.0.0.1:9090/metrics |
     $METRICS_PY 'botbox_config_reloads_total{result=failure}' | grep -qx 1"
check "connections_active{proxy} is back to 0 once clients left" wait_for 3 bash -c \
    "ip netns exec ${NS[app]} curl -s http://127.0.0.1:9090/metrics |
     $METRICS_PY 'botbox_connections_active{listener=proxy}' | grep -qx 0"

serve_stop
finish
