# shellcheck shell=bash
# The side-by-side bench's world (sourced by tests/bench/compare.sh): three
# namespaces made for the run, and the three peers doing the same job.
#
#   bcli (wrk, h2load, 10.201.91.2) -> bgw (10.201.91.1 | 10.201.92.1)
#        -> bup (10.201.92.2, 10.201.92.3)
#
# bup: nginx as the HTTPS upstream (a test CA's certificate for api.bench
#      and h2.bench; /ok answers "ok", /big 1 MiB, /k64 64 KiB): api.bench
#      (10.201.92.2) speaks HTTP/1.1, h2.bench (10.201.92.3) HTTP/2 as
#      well (ALPN); dnsmasq (both names).
# bgw: the peer under test, one at a time, same worker count, same job:
#      plain HTTP in, Authorization injected, verified TLS to api.bench:443
#      with upstream keep-alive, one log line per request to a file.
#        botbox   gateway mode: the client's connections to api.bench:80/443
#                 are steered by its own ruleset (tproxy), as deployed
#        haproxy  10.201.91.1:8081 (HTTP) and :8444 (TLS with a static
#                 certificate for api.bench)
#        nginx    10.201.91.1:8082 and :8445, the same
#        botbox-direct  botbox with no ruleset, reached at 10.201.91.1:8080
#                 like the other two (plain HTTP only): what the proxy
#                 costs without transparent steering and its conntrack
#        haproxy-steered  HAProxy behind botbox's own ruleset: bound
#                 (transparent) where botbox listens, the client's
#                 connections to api.bench:80 steered to it (plain HTTP
#                 only): the same job as deployed
#        botbox-cred, botbox-bare  botbox as "botbox", with a placeholder
#                 for the key that the client sends in X-Key (replaced,
#                 and every answer searched for the key: redaction), and
#                 with redaction off and no placeholder (scenario h)
#      HTTP/2 (scenario i): botbox intercepts h2.bench:443 (h2 both ways);
#      HAProxy terminates h2 at :8446 and speaks h2 to h2.bench; nginx
#      terminates h2 at :8447 and speaks HTTP/1.1 to it (nginx proxies
#      HTTP/1.1 only).
# Everything lives in those namespaces; nothing touches the root one.

set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/../.." && pwd)
BIN=$(realpath "${BOTBOX:-$REPO/build/botbox}")
PY=/usr/bin/python3
P=bbb$$
CLI=$P-cli GW=$P-gw UP=$P-up
GW4=10.201.91.1 CLI4=10.201.91.2 UP4=10.201.92.2 UPH2=10.201.92.3
TMP=$(mktemp -d /tmp/botbox-bench.XXXXXX)
chmod 755 "$TMP"
SECRET=sk-bench-0123456789abcdef
PEER_PID=
BG_PIDS=()
# A command the peers run under (tests/bench/callgrind.sh: valgrind); empty
# in the bench.
PEER_WRAP=()
# Descriptors for every process of the bench: 65536, or the hard limit
# when it is lower (raising it needs CAP_SYS_RESOURCE, not always there).
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] || [ "$NOFILE" -gt 65536 ] && NOFILE=65536

bench_cleanup() {
    local ns pid
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for ns in $CLI $GW $UP; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---- the world ----------------------------------------------------------------

bench_world() {
    local ns
    for ns in $CLI $GW $UP; do
        ip netns add "$ns" || { echo "bench: cannot create namespace $ns" >&2; exit 1; }
        ip -n "$ns" link set lo up
    done
    ip -n $CLI link add bb0 type veth peer name bbc0 netns $GW
    ip -n $GW link add bbu0 type veth peer name bb1 netns $UP
    ip -n $CLI addr add $CLI4/24 dev bb0
    ip -n $GW addr add $GW4/24 dev bbc0
    ip -n $GW addr add 10.201.92.1/24 dev bbu0
    ip -n $UP addr add $UP4/24 dev bb1
    ip -n $UP addr add $UPH2/24 dev bb1
    ip -n $CLI link set bb0 up
    ip -n $GW link set bbc0 up
    ip -n $GW link set bbu0 up
    ip -n $UP link set bb1 up
    ip -n $CLI route add default via $GW4
    ip -n $UP route add default via 10.201.92.1
    in_ns $GW sysctl -qw net.ipv4.ip_forward=1
    in_ns $CLI sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
    in_ns $GW sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
    mkdir -p "/etc/netns/$CLI"
    printf '%s\n' "127.0.0.1 localhost" "$UP4 api.bench" "$UPH2 h2.bench" >"/etc/netns/$CLI/hosts"
    echo "nameserver $UP4" >"/etc/netns/$CLI/resolv.conf"
    certs
    upstream_start
}

# A test CA, the upstream's certificate and the peers' static certificate
# (both for api.bench), and botbox's own CA.
certs() {
    local c=$TMP/certs
    mkdir -p "$c"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=bench CA" -keyout "$c/ca.key" -out "$c/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=api.bench" \
        -keyout "$c/api.key" -out "$c/api.csr" 2>/dev/null
    openssl x509 -req -in "$c/api.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial \
        -days 2 -out "$c/api.crt" -extfile <(printf 'subjectAltName=DNS:api.bench,DNS:h2.bench\n') 2>/dev/null
    cat "$c/api.crt" "$c/api.key" >"$c/api.pem"
    "$BIN" ca init --dir "$TMP/botbox-ca" >/dev/null
    mkdir -p "$TMP/secrets" "$TMP/ph"
    printf '%s\n' "$SECRET" >"$TMP/secrets/api-key"
    chown -R 1337:1337 "$TMP/botbox-ca" "$TMP/secrets" "$TMP/ph"
    chmod -R a+rX "$c"
}

bg_ns() { # bg_ns NS LOG CMD...: CMD in NS in the background; sets BG_PID
    local ns=$1 log=$2
    shift 2
    (exec ip netns exec "$ns" "$@") >"$TMP/$log.out" 2>&1 &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

wait_port() { # wait_port NS ADDR:PORT: something listens there (10 s)
    local i
    for ((i = 0; i < 200; i++)); do
        in_ns "$1" ss -Htln | awk '{print $4}' | grep -qx "$2" && return 0
        sleep 0.05
    done
    echo "bench: nothing listens on $2 in $1" >&2
    return 1
}

upstream_start() {
    head -c $((1024 * 1024)) /dev/urandom >"$TMP/big"
    head -c $((64 * 1024)) /dev/urandom >"$TMP/k64"
    chmod 644 "$TMP/big" "$TMP/k64"
    cat >"$TMP/up-nginx.conf" <<CONF
worker_processes 2;
pid $TMP/up-nginx.pid;
error_log $TMP/up-nginx.err warn;
events { worker_connections 65536; }
http {
    log_format auth '\$request \$http_authorization \$http_x_key';
    access_log $TMP/up-access.log auth buffer=64k flush=1s;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {
        listen $UP4:443 ssl reuseport backlog=4096;
        ssl_certificate $TMP/certs/api.crt;
        ssl_certificate_key $TMP/certs/api.key;
        location = /ok { default_type text/plain; return 200 "ok"; }
        location = /big { alias $TMP/big; default_type application/octet-stream; }
    }
    server {
        listen $UPH2:443 ssl http2 reuseport backlog=4096;
        http2_max_concurrent_streams 1000;
        ssl_certificate $TMP/certs/api.crt;
        ssl_certificate_key $TMP/certs/api.key;
        location = /ok { default_type text/plain; return 200 "ok"; }
        location = /k64 { alias $TMP/k64; default_type application/octet-stream; }
    }
}
CONF
    bg_ns $UP up-nginx prlimit --nofile=$NOFILE:$NOFILE nginx -c "$TMP/up-nginx.conf" -g 'daemon off;'
    bg_ns $UP dnsmasq dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
        --listen-address=$UP4 --port=53 --user=root --group=root --pid-file= \
        --address=/api.bench/$UP4 --address=/h2.bench/$UPH2
    wait_port $UP $UP4:443 && wait_port $UP $UPH2:443 && wait_port $UP $UP4:53 || { cat "$TMP"/up-nginx.out "$TMP"/up-nginx.err "$TMP"/dnsmasq.out >&2; exit 1; }
}

# ---- the peers ------------------------------------------------------------------

# botbox_conf WORKERS [direct|cred|bare]: direct listens where the client
# reaches it without the ruleset; cred gives the key a placeholder that the
# client sends (BENCH_KEY in $TMP/ph/placeholders.env); bare turns
# redaction off (botbox as before placeholders and redaction).
botbox_conf() {
    local extra=
    case ${2:-} in
    direct) extra="listen_addr: $GW4
allow_non_loopback: true" ;;
    cred) extra="placeholders_file: $TMP/ph/placeholders.env
credentials:
  - {secret_ref: api-key, placeholder: {prefix: sk-bench-, length: 48}, env: BENCH_KEY}" ;;
    bare) extra="redaction: {enabled: false}" ;;
    esac
    cat >"$TMP/botbox.yaml" <<YAML
$extra
mode: gateway
gateway:
  client_interfaces: [bbc0]
workers: $1
max_connections: 30000
secrets_dir: $TMP/secrets
timeouts:
  idle: 120000
upstream:
  ca_file: $TMP/certs/ca.crt
audit:
  output: $TMP/botbox-audit.jsonl
dns:
  upstream: $UP4
https_interception:
  enabled: true
  ca_cert_path: $TMP/botbox-ca/ca.crt
  ca_key_path: $TMP/botbox-ca/ca.key
egress_policy:
  rules:
$(for host in api.bench h2.bench; do
        printf '    - host: %s\n      action: allow\n      allow_private: true\n' "$host"
        printf '      header_rewrites:\n        - name: Authorization\n'
        printf '          value: "Bearer {value}"\n          secret_ref: api-key\n'
    done)
YAML
    chmod 644 "$TMP/botbox.yaml"
    : >"$TMP/botbox-audit.jsonl"
    chown 1337:1337 "$TMP/botbox-audit.jsonl"
}

haproxy_conf() { # haproxy_conf WORKERS [steered]
    local plain="bind $GW4:8081"
    [ "${2:-}" = steered ] && plain="bind 127.0.0.1:8080 transparent"
    cat >"$TMP/haproxy.cfg" <<CONF
global
    nbthread $1
    ulimit-n $NOFILE
    maxconn $(((NOFILE - 100) / 2))
    log stdout format raw local0
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout http-keep-alive 120s
    http-reuse always
frontend plain
    $plain
    bind $GW4:8444 ssl crt $TMP/certs/api.pem alpn http/1.1
    http-request set-header Authorization "Bearer $SECRET"
    default_backend up
backend up
    http-request set-header Host api.bench
    server api $UP4:443 ssl verify required ca-file $TMP/certs/ca.crt sni str(api.bench) verifyhost api.bench alpn http/1.1 pool-max-conn 1000
frontend h2
    bind $GW4:8446 ssl crt $TMP/certs/api.pem alpn h2,http/1.1
    http-request set-header Authorization "Bearer $SECRET"
    default_backend h2up
backend h2up
    http-request set-header Host h2.bench
    server h2 $UPH2:443 ssl verify required ca-file $TMP/certs/ca.crt sni str(h2.bench) verifyhost h2.bench alpn h2 pool-max-conn 1000
CONF
}

nginx_conf() { # nginx_conf WORKERS
    cat >"$TMP/nginx.conf" <<CONF
worker_processes $1;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 65536; }
http {
    access_log $TMP/nginx-access.log combined buffer=64k flush=1s;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    upstream api { server $UP4:443; keepalive 1000; keepalive_requests 1000000; }
    upstream h2up { server $UPH2:443; keepalive 1000; keepalive_requests 1000000; }
    server {
        listen $GW4:8082 reuseport backlog=4096;
        listen $GW4:8445 ssl reuseport backlog=4096;
        ssl_certificate $TMP/certs/api.crt;
        ssl_certificate_key $TMP/certs/api.key;
        ssl_protocols TLSv1.2 TLSv1.3; # 1.22's default stops at 1.2; the others offer 1.3
        location / {
            proxy_pass https://api;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host api.bench;
            proxy_set_header Authorization "Bearer $SECRET";
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $TMP/certs/ca.crt;
            proxy_ssl_name api.bench;
            proxy_ssl_server_name on;
            proxy_ssl_session_reuse on;
            proxy_buffering on;
        }
    }
    server {
        listen $GW4:8447 ssl http2 reuseport backlog=4096;
        http2_max_concurrent_streams 1000;
        ssl_certificate $TMP/certs/api.crt;
        ssl_certificate_key $TMP/certs/api.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            proxy_pass https://h2up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host h2.bench;
            proxy_set_header Authorization "Bearer $SECRET";
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate $TMP/certs/ca.crt;
            proxy_ssl_name h2.bench;
            proxy_ssl_server_name on;
            proxy_ssl_session_reuse on;
            proxy_buffering on;
        }
    }
}
CONF
}

# peer_start NAME WORKERS: the peer in bgw, ready. Sets PEER_PID (the
# process whose tree is measured).
peer_start() {
    case $1 in
    botbox | botbox-cred | botbox-bare)
        botbox_conf "$2" "${1#botbox-}"
        in_ns $GW "$BIN" nft apply --config "$TMP/botbox.yaml" >/dev/null || exit 1
        bg_ns $GW peer prlimit --nofile=$NOFILE:$NOFILE setpriv --reuid=1337 --regid=1337 \
            --clear-groups --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
            ${PEER_WRAP[@]+"${PEER_WRAP[@]}"} "$BIN" serve --config "$TMP/botbox.yaml"
        PEER_PID=$BG_PID
        wait_port $GW 127.0.0.1:8080 || { cat "$TMP/peer.out" >&2; exit 1; }
        ;;
    botbox-direct)
        botbox_conf "$2" direct
        bg_ns $GW peer prlimit --nofile=$NOFILE:$NOFILE setpriv --reuid=1337 --regid=1337 \
            --clear-groups --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
            ${PEER_WRAP[@]+"${PEER_WRAP[@]}"} "$BIN" serve --config "$TMP/botbox.yaml"
        PEER_PID=$BG_PID
        wait_port $GW $GW4:8080 || { cat "$TMP/peer.out" >&2; exit 1; }
        ;;
    haproxy)
        haproxy_conf "$2"
        bg_ns $GW peer prlimit --nofile=$NOFILE:$NOFILE ${PEER_WRAP[@]+"${PEER_WRAP[@]}"} haproxy -db -f "$TMP/haproxy.cfg"
        PEER_PID=$BG_PID
        wait_port $GW $GW4:8081 || { cat "$TMP/peer.out" >&2; exit 1; }
        ;;
    haproxy-steered) # botbox's ruleset, HAProxy where botbox would listen
        botbox_conf "$2"
        in_ns $GW "$BIN" nft apply --config "$TMP/botbox.yaml" >/dev/null || exit 1
        haproxy_conf "$2" steered
        bg_ns $GW peer prlimit --nofile=$NOFILE:$NOFILE ${PEER_WRAP[@]+"${PEER_WRAP[@]}"} haproxy -db -f "$TMP/haproxy.cfg"
        PEER_PID=$BG_PID
        wait_port $GW 127.0.0.1:8080 || { cat "$TMP/peer.out" >&2; exit 1; }
        ;;
    nginx)
        nginx_conf "$2"
        bg_ns $GW peer prlimit --nofile=$NOFILE:$NOFILE ${PEER_WRAP[@]+"${PEER_WRAP[@]}"} nginx -c "$TMP/nginx.conf" -g 'daemon off;'
        PEER_PID=$BG_PID
        wait_port $GW $GW4:8082 || { cat "$TMP/peer.out" >&2; exit 1; }
        ;;
    esac
}

peer_stop() {
    kill -TERM "$PEER_PID" 2>/dev/null
    wait "$PEER_PID" 2>/dev/null
    case $1 in botbox | botbox-cred | botbox-bare | haproxy-steered) in_ns $GW "$BIN" nft flush >/dev/null ;; esac
    PEER_PID=
}

# The URL a peer is reached at, per scheme.
peer_url() { # peer_url NAME http|https PATH
    case $1 in
    botbox | botbox-cred | botbox-bare | haproxy-steered) echo "$2://api.bench$3" ;;
    botbox-direct) echo "http://$GW4:8080$3" ;;
    haproxy) [ "$2" = http ] && echo "http://$GW4:8081$3" || echo "https://$GW4:8444$3" ;;
    nginx) [ "$2" = http ] && echo "http://$GW4:8082$3" || echo "https://$GW4:8445$3" ;;
    esac
}

# ---- measurements ---------------------------------------------------------------

# The peer's process tree (nginx: master and workers).
tree_pids() {
    echo "$PEER_PID"
    pgrep -P "$PEER_PID" 2>/dev/null
}
# CPU ticks (user + system) used so far by the peer's tree.
cpu_ticks() {
    local pid sum=0 f
    for pid in $(tree_pids); do
        f=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
        sum=$((sum + ${f% *} + ${f#* }))
    done
    echo $sum
}
# CPU ticks the whole machine has been busy (user, nice, system, irq,
# softirq, steal; /proc/stat): the peer, the client, the upstream and the
# kernel work that runs in no one's name. Idle and iowait are left out.
machine_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
# Peak RSS (VmHWM) of the tree, KiB, and the current RSS.
tree_status_kib() { # tree_status_kib VmHWM|VmRSS
    local pid sum=0 v
    for pid in $(tree_pids); do
        v=$(awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status" 2>/dev/null)
        sum=$((sum + ${v:-0}))
    done
    echo $sum
}
