# shellcheck shell=bash
# Namespace harness for botbox scenarios. Sourced by tests/e2e/scenarios/*.
#
# Rules it enforces (docs/development.md): everything a scenario creates lives in
# network namespaces it created (unique names per run), every address is in
# 10.201.0.0/16 or fd00:201::/48, and a trap removes namespaces, their
# /etc/netns files and background processes on every exit path. Nothing is
# ever done in the root namespace.
#
# Environment: BOTBOX (the binary), E2E_TOOLS (dir with nfq_probe, nft_fault).

set -u

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/../.." && pwd)
BIN=$(realpath "${BOTBOX:-$REPO/build/botbox}")
TOOLS=$(realpath "${E2E_TOOLS:-$REPO/build/tests/e2e}")
PROBE="/usr/bin/python3 $E2E_DIR/tools/probe.py"
PY=/usr/bin/python3
# Under SAN=1: ASan keeps up to 256 MB of freed memory in quarantine by
# default, which would swamp the scenarios' memory-growth checks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}
# Seconds botbox serve gets to start and to stop (make memcheck runs it
# under valgrind, many times slower).
E2E_SERVE_WAIT=${E2E_SERVE_WAIT:-5}
NFQ_PROBE=$TOOLS/nfq_probe
QUEUE=25186
E2E_PREFIX="bbe$$"
E2E_TMP=$(mktemp -d /tmp/botbox-e2e.XXXXXX)
chmod 755 "$E2E_TMP" # probes running as uid 1000 write their logs here
declare -A NS=()
E2E_PIDS=()
E2E_PASS=0
E2E_FAIL=0
SCENARIO=$(basename "$0" .sh)

# ---- cleanup ----------------------------------------------------------------

e2e_cleanup() {
    local pid ns
    for pid in "${E2E_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for ns in "${NS[@]}"; do
        # Anything still running inside goes with its namespace.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -9 "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    wait 2>/dev/null
    rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

# ---- reporting --------------------------------------------------------------

pass() {
    E2E_PASS=$((E2E_PASS + 1))
    printf '  ok    %s: %s\n' "$SCENARIO" "$1"
}

fail() {
    E2E_FAIL=$((E2E_FAIL + 1))
    printf '  FAIL  %s: %s\n' "$SCENARIO" "$1"
    [ $# -gt 1 ] && printf '%s\n' "$2" | head -20 | sed 's/^/        /'
    return 0
}

# check "what" CMD...: passes when CMD succeeds.
check() {
    local what=$1
    shift
    local out
    if out=$("$@" 2>&1); then pass "$what"; else fail "$what" "$out"; fi
}

# refute "what" CMD...: passes when CMD fails.
refute() {
    local what=$1
    shift
    local out
    if out=$("$@" 2>&1); then fail "$what (unexpectedly succeeded)" "$out"; else pass "$what"; fi
}

# expect "what" TEXT CMD...: passes when CMD succeeds and its output (stdout
# and stderr) contains TEXT.
expect() {
    expect_status "$1" 0 "$2" "${@:3}"
}

# expect_status "what" STATUS TEXT CMD...: passes when CMD exits with STATUS
# and its output contains TEXT.
expect_status() {
    local what=$1 want=$2 text=$3 out rc
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ] && grep -qF -- "$text" <<<"$out"; then
        pass "$what"
    else
        fail "$what (exit $rc, want $want and '$text')" "$out"
    fi
}

# Ends the scenario: prints its tally, exits non-zero on any failure.
finish() {
    printf '  %s: %d passed, %d failed\n' "$SCENARIO" "$E2E_PASS" "$E2E_FAIL"
    [ "$E2E_FAIL" -eq 0 ]
    exit
}

# ---- namespaces and links ---------------------------------------------------

# ns_new NAME: a fresh namespace with lo up, known to the scenario as NAME.
ns_new() {
    local real="${E2E_PREFIX}-$1"
    ip netns add "$real" || { echo "e2e: cannot create namespace $real" >&2; exit 1; }
    NS[$1]=$real
    ip netns exec "$real" ip link set lo up
}

# in_ns NAME CMD...: runs CMD inside NAME (as root).
in_ns() {
    local ns=${NS[$1]}
    shift
    ip netns exec "$ns" "$@"
}

# as_uid UID NAME CMD...: runs CMD inside NAME as UID (no capabilities).
as_uid() {
    local uid=$1 ns=${NS[$2]}
    shift 2
    ip netns exec "$ns" setpriv --reuid="$uid" --regid="$uid" --clear-groups \
        --inh-caps=-all "$@"
}

# link A IFA B IFB: a veth pair between two namespaces, both ends up. Made
# inside A, so the root namespace never holds either end.
link() {
    in_ns "$1" ip link add "$2" type veth peer name "$4" netns "${NS[$3]}"
    in_ns "$1" ip link set "$2" up
    in_ns "$3" ip link set "$4" up
}

# addr NAME IF CIDR...: addresses (IPv6 without duplicate address detection).
addr() {
    local n=$1 dev=$2 a
    shift 2
    for a in "$@"; do
        if [[ $a == *:* ]]; then
            in_ns "$n" ip -6 addr add "$a" dev "$dev" nodad
        else
            in_ns "$n" ip addr add "$a" dev "$dev"
        fi
    done
}

# hosts NAME "ip name"...: /etc/hosts inside NAME (ip netns exec mounts it).
hosts() {
    local n=$1
    shift
    mkdir -p "/etc/netns/${NS[$n]}"
    printf '%s\n' "127.0.0.1 localhost" "::1 localhost" "$@" >"/etc/netns/${NS[$n]}/hosts"
}

# ---- topologies -------------------------------------------------------------

# Sidecar: the workload's (pod's) namespace "app" and an "up"stream, on one
# link. The upstream also owns 10.201.200.53 / fd00:201:200::53, a "foreign
# resolver" address that must never be reached directly.
topo_sidecar() {
    ns_new app
    ns_new up
    link app bb0 up bb1
    addr app bb0 10.201.1.1/24 fd00:201:1::1/64
    addr up bb1 10.201.1.2/24 fd00:201:1::2/64
    addr up lo 10.201.200.53/32 fd00:201:200::53/128
    in_ns app ip route add default via 10.201.1.2
    in_ns app ip -6 route add default via fd00:201:1::2
    hosts app "10.201.1.2 upstream.test" "fd00:201:1::2 upstream.test"
}

# Gateway: "cli"ent -> "gw" (forwarding, client interface bbc0) -> "up".
topo_gateway() {
    ns_new cli
    ns_new gw
    ns_new up
    link cli bb0 gw bbc0
    link gw bbu0 up bb1
    addr cli bb0 10.201.2.2/24 fd00:201:2::2/64
    addr gw bbc0 10.201.2.1/24 fd00:201:2::1/64
    addr gw bbu0 10.201.3.1/24 fd00:201:3::1/64
    addr up bb1 10.201.3.2/24 fd00:201:3::2/64
    addr up lo 10.201.200.53/32 fd00:201:200::53/128
    in_ns gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    in_ns cli ip route add default via 10.201.2.1
    in_ns cli ip -6 route add default via fd00:201:2::1
    in_ns up ip route add default via 10.201.3.1
    in_ns up ip -6 route add default via fd00:201:3::1
}

# ---- background processes ---------------------------------------------------

# bg NAME LOG CMD...: starts CMD inside NAME in the background; its output
# goes to $E2E_TMP/LOG.out. Sets BG_PID (the PID of CMD itself).
bg() {
    local n=$1 log=$2
    shift 2
    # The log is emptied here, not by the child's own redirection: that
    # runs after the fork, and meanwhile a wait for a line in the log (ready,
    # "serving on port") could find the one an earlier process of the same
    # name left there, and return before this one started.
    : >"$E2E_TMP/$log.out"
    # exec all the way down (ip netns exec and setpriv exec too), so BG_PID
    # is the command itself and signals reach it.
    (exec ip netns exec "${NS[$n]}" "$@") >>"$E2E_TMP/$log.out" 2>&1 &
    BG_PID=$!
    E2E_PIDS+=("$BG_PID")
}

# stop PID: stops one background process and waits for it.
stop() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}

# wait_ready LOG: a background probe has printed "ready".
wait_ready() {
    wait_for 5 grep -q '^ready' "$E2E_TMP/$1.out" ||
        { echo "e2e: $1 did not become ready:" >&2; cat "$E2E_TMP/$1.out" >&2; exit 1; }
}

# listen NAME LOG ARGS...: a probe listener (see tools/probe.py), ready.
listen() {
    local n=$1 log=$2
    shift 2
    bg "$n" "$log" $PROBE listen --log "$E2E_TMP/$log.log" "$@"
    wait_ready "$log"
    touch "$E2E_TMP/$log.log"
}

# nfq_start NAME [verdict]: the test NFQUEUE consumer, ready. Sets NFQ_PID.
nfq_start() {
    bg "$1" nfq "$NFQ_PROBE" "$QUEUE" "${2:-drop}"
    NFQ_PID=$BG_PID
    wait_ready nfq
}

# ---- assertions on probe logs ----------------------------------------------

# logged LOG PATTERN: the probe log has a line matching PATTERN (grep -E).
logged() {
    grep -qE -- "$2" "$E2E_TMP/$1.log"
}

# count LOG: events in a probe log.
count() {
    wc -l <"$E2E_TMP/$1.log"
}

# only_syns_tproxied CLIENT_NS RULES_NS LISTEN DEST N: N probe connections
# as uid 1000 from CLIENT_NS to DEST port 80, each traced (nftrace) through
# RULES_NS's prerouting. Of their packets, the SYNs (and any SYN the client
# had to send again) must take the rule "tproxy tcp/80 to LISTEN:8080"; the
# others (ACK, the ACK of the reply, FIN) must take the socket match instead.
# Only these connections' ports count: a late packet of an earlier
# connection whose socket is gone takes the rule legitimately (a packet
# counter caught one such in CI, twice).
only_syns_tproxied() {
    local rule="tproxy tcp/80 to $3:8080" trace=$E2E_TMP/trace.out ports=() out i size mon
    in_ns "$2" nft -f - <<'NFT'
table inet e2e_trace {
    chain pre {
        type filter hook prerouting priority -400;
        tcp dport 80 meta nftrace set 1
    }
}
NFT
    bg "$2" trace nft monitor trace
    mon=$BG_PID
    # The monitor is subscribed once it shows a connection taking the rule.
    as_uid 1000 "$1" $PROBE connect "$4" 80 >/dev/null
    wait_for 3 grep -qF "comment \"$rule\"" "$trace" ||
        { echo "the trace shows nothing taking \"$rule\"" >&2; return 1; }
    for ((i = 0; i < $5; i++)); do
        out=$(as_uid 1000 "$1" $PROBE connect "$4" 80) ||
            { echo "steered connection $i failed" >&2; return 1; }
        ports+=("${out##*:}")
    done
    # The trace is complete once it has not grown for 300 ms (at most 3 s).
    size=-1
    for ((i = 0; i < 10; i++)); do
        [ "$size" = "$(stat -c %s "$trace")" ] && break
        size=$(stat -c %s "$trace")
        sleep 0.3
    done
    stop "$mon"
    in_ns "$2" nft delete table inet e2e_trace
    $PY "$E2E_DIR/tools/tproxied.py" "$rule" "${ports[@]}" <"$trace" >&2
}

# nfq_saw PATTERN: the NFQUEUE consumer printed a matching line (waits 2 s).
nfq_saw() {
    wait_for 2 grep -qE -- "$1" "$E2E_TMP/nfq.out"
}

# ---- certificates, resolver, botbox ----------------------------------------

# make_certs DIR NAME...: a test CA (DIR/ca.crt) and, for each NAME, a
# certificate DIR/NAME.crt for that name signed by it; NAME "default" gets
# DEFAULT_SANS. Also DIR/untrusted-ca.crt and, when named, a certificate
# "badcert.test" signed by that other CA.
make_certs() {
    local dir=$1 name san
    shift
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=botbox e2e CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=untrusted CA" -keyout "$dir/untrusted-ca.key" -out "$dir/untrusted-ca.crt" 2>/dev/null
    for name in "$@"; do
        local ca=ca
        san="DNS:$name"
        [ "$name" = default ] && san=$DEFAULT_SANS
        [ "$name" = badcert.test ] && ca=untrusted-ca
        [ "$name" = wrongname.test ] && san="DNS:other.test"
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/CN=$name" -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
        openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
            -CAcreateserial -days 2 -out "$dir/$name.crt" \
            -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san") 2>/dev/null
    done
    chmod -R a+rX "$dir"
}

# dnsmasq_start NAME ADDR "name=ip"...: the real resolver, with a query log
# at $E2E_TMP/dnsmasq.log. Arguments starting with "--" go to dnsmasq as
# they are.
dnsmasq_start() {
    local n=$1 addr=$2 rec args=()
    shift 2
    for rec in "$@"; do
        if [[ $rec == --* ]]; then args+=("$rec"); else args+=("--address=/${rec%%=*}/${rec#*=}"); fi
    done
    bg "$n" dnsmasq dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$addr" --port=53 --user=root --group=root --pid-file= \
        --log-queries --log-facility="$E2E_TMP/dnsmasq.log" "${args[@]}"
    wait_for 5 bash -c "ip netns exec ${NS[$n]} ss -uln | grep -q '$addr:53 '" ||
        { echo "e2e: dnsmasq did not start" >&2; cat "$E2E_TMP/dnsmasq.out" >&2; exit 1; }
}

# serve_start NAME CONFIG [PREFIX...]: botbox serve inside NAME as uid 1337
# with only CAP_NET_ADMIN (what IP_TRANSPARENT needs), waiting until it
# serves. PREFIX (e.g. prlimit --nofile=64) wraps the command.
serve_start() {
    bg "$1" serve "${@:3}" setpriv --reuid=1337 --regid=1337 --clear-groups \
        --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin "$BIN" serve --config "$2"
    SERVE_PID=$BG_PID
    wait_for "$E2E_SERVE_WAIT" grep -q "serving on port" "$E2E_TMP/serve.out" ||
        { echo "e2e: botbox serve did not start:" >&2; cat "$E2E_TMP/serve.out" >&2; exit 1; }
}

# The policy rule most scenarios share (in their YAML heredocs): api.test,
# private addresses allowed, its key injected as Authorization.
KEY_RULE='    - host: api.test
      action: allow
      allow_private: true
      header_rewrites:
        - name: Authorization
          value: "Bearer {value}"
          secret_ref: api-key'

# ---- the proxy world (scenarios 3x) ----------------------------------------

# proxy_world: the sidecar topology with botbox's ruleset and botbox serve
# (uid 1337) in "app"; in "up" an HTTPS upstream (tools/upstream.py, log at
# $E2E_TMP/upstream.log) for a test CA, and dnsmasq as the resolver. Names
# resolve (for botbox, through dnsmasq) as follows; the workload's own
# hosts file points all of them at the upstream, so its connections are
# steered whatever botbox later finds the names to mean.
#   api.test        10.201.1.2 + fd00:201:1::2   injects Authorization (api-key)
#   scoped.test     10.201.1.2                   GET /echo only
#   nosecret.test   10.201.1.2                   needs a secret that is absent
#   private.test    10.201.1.2                   no allow_private
#   hang.test, wrongname.test, badcert.test      10.201.1.2
#   loop.test 127.0.0.1, meta.test 169.254.169.254, mapped.test ::ffff:127.0.0.1
#   siit.test ::ffff:0:a9fe:a9fe, nat64l.test 64:ff9b:1::a9fe:a9fe,
#   imds6.test fd00:ec2::254, alimeta.test 100.100.100.200: the metadata
#   address in forms that were not unwrapped, and metadata inside private
#   space (all with allow_private)
#   intra, k8s.rt.test  rules with the key; only intra.rt-search.test and
#                   k8s.rt.test.rt-search.test resolve (a search domain's
#                   names: scenario 31 adds the search list)
#   unknown.test    allowed, but the resolver does not know it
#   slow.test       10.201.1.3, an address of "up" that drops every SYN
#   mute.test       forwarded by dnsmasq to 10.201.1.3, which drops DNS too:
#                   the resolver never answers
#   resume.test     10.201.1.2, allowed on port 9443 (scenario 34 runs
#                   openssl s_server there)
proxy_world() {
    topo_sidecar
    UP4=10.201.1.2
    UP6=fd00:201:1::2
    SECRET=sk-e2e-0123456789abcdef

    # ---- the upstream world ----
    DEFAULT_SANS="DNS:api.test,DNS:scoped.test,DNS:nosecret.test,DNS:private.test,DNS:hang.test"
    DEFAULT_SANS+=",DNS:loop.test,DNS:meta.test,DNS:mapped.test,DNS:resume.test,IP:$UP4,IP:$UP6"
    DEFAULT_SANS+=",DNS:intra,DNS:k8s.rt.test" # a search domain's server passes verification too
    local extra=() n
    for n in ${PROXY_NAMES:-}; do # more names the upstream answers for
        DEFAULT_SANS+=",DNS:$n"
        extra+=("$n=$UP4")
    done
    make_certs "$E2E_TMP/certs" default wrongname.test badcert.test
    dnsmasq_start up $UP4 api.test=$UP4 api.test=$UP6 scoped.test=$UP4 nosecret.test=$UP4 \
        private.test=$UP4 hang.test=$UP4 wrongname.test=$UP4 badcert.test=$UP4 \
        loop.test=127.0.0.1 meta.test=169.254.169.254 mapped.test=::ffff:127.0.0.1 \
        slow.test=10.201.1.3 resume.test=$UP4 --server=/mute.test/10.201.1.3 \
        siit.test=::ffff:0:a9fe:a9fe nat64l.test=64:ff9b:1::a9fe:a9fe imds6.test=fd00:ec2::254 \
        alimeta.test=100.100.100.200 intra.rt-search.test=$UP4 k8s.rt.test.rt-search.test=$UP4 \
        "${extra[@]}"
    bg up upstream $PY "$E2E_DIR/tools/upstream.py" --bind $UP4:443 --bind "[$UP6]:443" \
        --bind $UP4:8443 --certs "$E2E_TMP/certs" --log "$E2E_TMP/upstream.log" \
        ${PROXY_UPSTREAM_ARGS:-}
    wait_ready upstream
    touch "$E2E_TMP/upstream.log"

    # ---- the workload's namespace ----
    mkdir -p "/etc/netns/${NS[app]}"
    echo "nameserver $UP4" >"/etc/netns/${NS[app]}/resolv.conf"
    names="api.test scoped.test nosecret.test private.test hang.test wrongname.test badcert.test"
    hosts app "$UP4 $names loop.test meta.test mapped.test evil.test slow.test resume.test mute.test" \
        "$UP4 siit.test nat64l.test imds6.test alimeta.test intra k8s.rt.test"
    addr up lo 10.201.1.3/32
    in_ns up nft -f - <<NFT
table inet blackhole {
    chain in {
        type filter hook input priority 0;
        ip daddr 10.201.1.3 tcp dport 443 drop
        ip daddr 10.201.1.3 udp dport 53 drop
    }
}
NFT
    mkdir -p "$E2E_TMP/secrets"
    printf '%s\n' "$SECRET" >"$E2E_TMP/secrets/api-key"
    touch "$E2E_TMP/audit.jsonl"
    chown -R 1337:1337 "$E2E_TMP/secrets" "$E2E_TMP/audit.jsonl"
    cat >"$E2E_TMP/botbox.yaml" <<YAML
listen_port: 8080
workers: 1
secrets_dir: $E2E_TMP/secrets
timeouts:
  connect: 2000
  request_header: 2000
  response_header: 1500
  idle: 5000
upstream:
  ca_file: $E2E_TMP/certs/ca.crt
audit:
  output: $E2E_TMP/audit.jsonl
egress_policy:
  rules:
$KEY_RULE
    - host: scoped.test
      action: allow
      allow_private: true
      methods: [GET]
      paths: ["/echo"]
    - host: nosecret.test
      action: allow
      allow_private: true
      header_rewrites:
        - name: X-Key
          value: "{value}"
          secret_ref: absent-key
    - host: private.test
      action: allow
    - { host: hang.test, action: allow, allow_private: true }
    - { host: wrongname.test, action: allow, allow_private: true }
    - { host: badcert.test, action: allow, allow_private: true }
    - { host: loop.test, action: allow, allow_private: true }
    - { host: meta.test, action: allow, allow_private: true }
    - { host: mapped.test, action: allow, allow_private: true }
    - { host: siit.test, action: allow, allow_private: true }
    - { host: nat64l.test, action: allow, allow_private: true }
    - { host: imds6.test, action: allow, allow_private: true }
    - { host: alimeta.test, action: allow, allow_private: true }
    - host: intra
      action: allow
      allow_private: true
      header_rewrites: [{name: Authorization, value: "Bearer {value}", secret_ref: api-key}]
    - host: k8s.rt.test
      action: allow
      allow_private: true
      header_rewrites: [{name: Authorization, value: "Bearer {value}", secret_ref: api-key}]
    - { host: unknown.test, action: allow, allow_private: true }
    - { host: slow.test, action: allow, allow_private: true }
    - { host: mute.test, action: allow, allow_private: true }
    - { host: resume.test, action: allow, allow_private: true, allowed_ports: [9443] }
YAML
    check "apply the sidecar ruleset" in_ns app "$BIN" nft apply --config "$E2E_TMP/botbox.yaml"
    serve_start app "$E2E_TMP/botbox.yaml"
}

# enable_interception [LINES]: a botbox CA in $CA (made by `botbox ca
# init`, readable by uid 1337) and an https_interception section, plus
# LINES, appended to the proxy world's botbox.yaml.
enable_interception() {
    CA=$E2E_TMP/botbox-ca
    "$BIN" ca init --dir "$CA" >/dev/null || { echo "e2e: botbox ca init failed" >&2; exit 1; }
    chown -R 1337:1337 "$CA"
    chmod 755 "$CA"
    cat >>"$E2E_TMP/botbox.yaml" <<YAML
https_interception:
  enabled: true
  ca_cert_path: $CA/ca.crt
  ca_key_path: $CA/ca.key
${1:-}
YAML
}

# intercept_world [LINES]: the proxy world with interception enabled (plus
# LINES in its section) and 443 steered, botbox serving it.
intercept_world() {
    proxy_world
    serve_stop
    enable_interception "$@"
    check "apply the ruleset with 443 steered" in_ns app "$BIN" nft apply --config "$E2E_TMP/botbox.yaml"
    serve_start app "$E2E_TMP/botbox.yaml"
}

# upstream_world NAME...: topo_sidecar plus, in "up", the recording HTTPS
# upstream (log $E2E_TMP/upstream.log) with a test-CA certificate for the
# NAMEs, and dnsmasq resolving them to it ($UP4). The container scenarios
# use it; proxy_world is the proxy scenarios' larger version.
upstream_world() {
    local n recs=()
    topo_sidecar
    UP4=10.201.1.2
    DEFAULT_SANS=$(printf 'DNS:%s,' "$@")
    DEFAULT_SANS=${DEFAULT_SANS%,}
    make_certs "$E2E_TMP/certs" default
    for n in "$@"; do
        recs+=("$n=$UP4")
    done
    dnsmasq_start up $UP4 "${recs[@]}"
    bg up upstream $PY "$E2E_DIR/tools/upstream.py" --bind $UP4:443 --certs "$E2E_TMP/certs" \
        --log "$E2E_TMP/upstream.log"
    wait_ready upstream
    touch "$E2E_TMP/upstream.log"
}

# ---- botbox run (scenarios 7x) -----------------------------------------------

# run_world: the outer side of `botbox run`. "host" plays the user's machine
# (botbox run is started there, never in the root namespace); its default
# route leads to "inet", a small internet: dnsmasq, the recording HTTPS
# upstream (api.test and other.test, for the test CA), a TCP listener on 22
# and a UDP one on 5000. A run's links take 10.201.128.0/17 and
# fd00:201:0:8000::/49. Sets RUN (the command line up to "--"), INET4/6,
# SECRET, CA (botbox's own CA dir) and RUN_AUDIT. RUN_NAMES: more names
# the upstream answers for (certificate and DNS); RUN_UPSTREAM_ARGS: more
# arguments for upstream.py (--files, --git); RUN_RULES: more policy rules.
run_world() {
    local n extra=()
    ns_new host
    ns_new inet
    link host bbh0 inet bbi0
    addr host bbh0 10.201.70.1/24 fd00:201:70::1/64
    addr inet bbi0 10.201.70.2/24 fd00:201:70::2/64
    in_ns host ip route add default via 10.201.70.2
    in_ns host ip -6 route add default via fd00:201:70::2
    INET4=10.201.70.2
    INET6=fd00:201:70::2
    SECRET=sk-run-0123456789abcdef
    DEFAULT_SANS="DNS:api.test,DNS:other.test,IP:$INET4,IP:$INET6"
    for n in ${RUN_NAMES:-}; do
        DEFAULT_SANS+=",DNS:$n"
        extra+=("$n=$INET4")
    done
    make_certs "$E2E_TMP/certs" default
    dnsmasq_start inet $INET4 api.test=$INET4 api.test=$INET6 other.test=$INET4 "${extra[@]}"
    # shellcheck disable=SC2086
    bg inet upstream $PY "$E2E_DIR/tools/upstream.py" --bind $INET4:443 --bind "[$INET6]:443" \
        --certs "$E2E_TMP/certs" --log "$E2E_TMP/upstream.log" ${RUN_UPSTREAM_ARGS:-}
    wait_ready upstream
    touch "$E2E_TMP/upstream.log"
    listen inet ssh --proto tcp --bind $INET4:22 --bind "[$INET6]:22"
    listen inet udp --proto udp --bind $INET4:5000 --bind "[$INET6]:5000"
    mkdir -p "/etc/netns/${NS[host]}"
    echo "nameserver $INET4" >"/etc/netns/${NS[host]}/resolv.conf"
    # World-readable on purpose: the run must hide them anyway.
    mkdir -p "$E2E_TMP/secrets"
    printf '%s\n' "$SECRET" >"$E2E_TMP/secrets/api-key"
    chmod 755 "$E2E_TMP/secrets"
    chmod 644 "$E2E_TMP/secrets/api-key"
    CA=$E2E_TMP/botbox-ca
    "$BIN" ca init --dir "$CA" >/dev/null || { echo "e2e: botbox ca init failed" >&2; exit 1; }
    chmod 755 "$CA"
    RUN_AUDIT=$E2E_TMP/run-audit.jsonl
    cat >"$E2E_TMP/run.yaml" <<YAML
workers: 1
secrets_dir: $E2E_TMP/secrets
upstream:
  ca_file: $E2E_TMP/certs/ca.crt
https_interception:
  enabled: true
  ca_cert_path: $CA/ca.crt
  ca_key_path: $CA/ca.key
egress_policy:
  rules:
$KEY_RULE
${RUN_RULES:-}
YAML
    RUN=(ip netns exec "${NS[host]}" "$BIN" run --config "$E2E_TMP/run.yaml" --user 1000
        --net4 10.201.128.0/17 --net6 fd00:201:0:8000::/49 --audit "$RUN_AUDIT")
}

# host_leftovers: what botbox run left in "host" itself (links, routes,
# tables); empty when nothing.
host_leftovers() {
    in_ns host ip -br link 2>/dev/null | grep -v '^lo \|^bbh0@' || true
    in_ns host ip route | grep -v 'bbh0' || true
    in_ns host ip -6 route | grep -v 'bbh0' || true
    in_ns host nft list tables | grep botbox_run || true
}

# run_leftovers: the same, plus named namespaces, per-run files and
# processes of botbox run; empty when nothing.
run_leftovers() {
    host_leftovers
    ip netns list | grep -o 'botbox-run-[0-9a-z-]*' || true
    ls /run/botbox-run 2>/dev/null | grep -x '[0-9]*' | grep -v -x -f <(pgrep -x botbox) || true
    pgrep -f "$BIN run --config $E2E_TMP" || true
}

# botbox_dns_entries [PORT [RESOLVER]]: the conntrack entries in "app" of
# DNS queries to RESOLVER ($UP4) that the redirect did not take (the
# resolver itself replies): proxy_uid's, from PORT when given. The table
# writes IPv6 addresses in full.
botbox_dns_entries() {
    local r
    r=$($PY -c "import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).exploded)" "${2:-$UP4}")
    in_ns app cat /proc/net/nf_conntrack | grep "udp .* src=$r dst=[^ ]* sport=53 dport=${1-}"
}

curl_as() { as_uid 1000 app curl -sS --max-time 5 "$@"; }
# h2_stall SIZE LABEL: an h2 client (h2probe.py stall, as uid 1000 in
# "app") takes the first window of api.test's /big?n=SIZE and opens no
# more for 2 s, then reads the rest: botbox grew by under 4 MiB meanwhile,
# and the answer came whole. LABEL names the case.
h2_stall() {
    local size=$1 before during pid marker=$E2E_TMP/h2-stall
    before=$(rss_kib)
    touch "$marker" && chmod 666 "$marker" && : >"$marker"
    as_uid 1000 app timeout 60 $PY "$E2E_DIR/tools/h2probe.py" api.test "$CA/ca.crt" stall \
        "/big?n=$size" "$marker" >"$E2E_TMP/h2stall.out" 2>&1 &
    pid=$!
    wait_for 15 grep -q stalled "$marker"
    during=$(rss_kib)
    wait "$pid"
    check "$2 grows botbox by $((during - before)) KiB (under 4 MiB)" test $((during - before)) -lt 4096
    check "... and then receives all of it, byte-exact ($(head -c 80 "$E2E_TMP/h2stall.out"))" \
        test "$(cat "$E2E_TMP/h2stall.out")" = "$size $(pattern_sha "$size")"
}
# pattern_sha N: the sha256 of the upstream's /big?n=N (and /chunked) body
pattern_sha() { $PY -c "
import hashlib
block = bytes(range(256)) * 64
n = $1
data = (block * (n // len(block) + 1))[:n]
print(hashlib.sha256(data).hexdigest())"; }
# status URL [curl args]: the status code only
status() { curl_as -o /dev/null -w '%{http_code}' "$@"; }
# audit_has JSON_PREDICATE: some line of $E2E_TMP/audit.jsonl satisfies the
# Python expression (variable a: the parsed line).
audit_has() {
    $PY - "$E2E_TMP/audit.jsonl" "$1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if any(eval(sys.argv[2], {}, {"a": a}) for a in lines) else 1)
PY
}
# admin PATH [curl args]: botbox's metrics listener (127.0.0.1:9090 in app)
admin() { in_ns app curl -sS --max-time 5 "http://127.0.0.1:9090$1" "${@:2}"; }
# metric QUERY...: the current values on /metrics, one per line (the
# exposition must parse, strictly: tools/metrics.py --check)
metric() { admin /metrics | $PY "$E2E_DIR/tools/metrics.py" --check "$@"; }
# proc_field NAME [FILE]: a /proc status line's value, words joined by
# spaces (FILE: botbox serve's /proc/PID/status)
proc_field() {
    awk -v k="$1:" '$1 == k {s = $2; for (i = 3; i <= NF; i++) s = s " " $i; print s}' \
        "${2:-/proc/$SERVE_PID/status}"
}
# rss_kib [FIELD]: botbox serve's resident memory (or FIELD, e.g. VmHWM), KiB
rss_kib() { proc_field "${1:-VmRSS}" | awk '{print $1}'; }
# json_field JSON KEY...: the value at that path of keys, 0 if absent
json_field() {
    $PY -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$@"
}
# cfg_merge FILE <<YAML: merges the YAML overlay into FILE by key, rules by
# host (tools/cfg.py); cfg_set FILE PATH VALUE: one key
cfg_merge() { $PY "$E2E_DIR/tools/cfg.py" merge "$1"; }
cfg_set() { $PY "$E2E_DIR/tools/cfg.py" set "$@"; }
# admin_is CODE PATH: its status for PATH is CODE
admin_is() { [ "$(admin "$2" "${@:3}" -o /dev/null -w '%{http_code}')" = "$1" ]; }
# status_is CODE URL [curl args]: the status code is CODE
status_is() { [ "$(status "${@:2}")" = "$1" ]; }
# upstream_saw PATTERN: the upstream log has a matching request
upstream_saw() { grep '"event": "request"' "$E2E_TMP/upstream.log" | grep -qE -- "$1"; }
requests() { grep -c '"event": "request"' "$E2E_TMP/upstream.log"; }


# serve_stop: SIGTERM to botbox serve; it must exit 0 within 5 s, with no
# sanitizer report (under SAN=1) in its output.
serve_stop() {
    local rc deadline=$((SECONDS + E2E_SERVE_WAIT))
    kill -TERM "$SERVE_PID" 2>/dev/null
    while kill -0 "$SERVE_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    wait "$SERVE_PID"
    rc=$?
    if [ "$rc" -eq 0 ] && ! grep -qE "Sanitizer|runtime error|definitely lost|Invalid (read|write)" "$E2E_TMP/serve.out"; then
        pass "botbox serve stops cleanly on SIGTERM (exit 0, no sanitizer or memcheck report)"
    else
        fail "botbox serve stops cleanly on SIGTERM (exit $rc)" "$(tail -30 "$E2E_TMP/serve.out")"
    fi
}
