#!/usr/bin/env bash
# HTTP/2 to the upstream (docs/proxy.md, "HTTP/2 to the upstream"): with
# upstream.http2 on, an upstream whose ALPN chooses h2 (upstream.py --h2
# both, served by h2serve.py) gets every request as a stream, from an h2
# client (curl --http2, nghttp) and from an HTTP/1.1 one (curl --http1.1,
# plain HTTP in); each checked at the upstream (proto h2, the key injected
# once), in what the client got (bodies byte-exact both ways, trailers)
# and in how many connections the streams came on. Off, the same upstream
# is spoken to in HTTP/1.1.
. "$(dirname "$0")/../lib.sh"

PROXY_UPSTREAM_ARGS="--h2 both" intercept_world "  http2: true"
serve_stop
cfg_set "$E2E_TMP/botbox.yaml" upstream.http2 true
serve_start app "$E2E_TMP/botbox.yaml"

h2curl() { as_uid 1000 app env CURL_CA_BUNDLE="$CA/ca.crt" curl -sS --max-time 20 "$@"; }
# upstream_seen PATH-RE FIELD: FIELD of the upstream's request records whose
# path matches, one line each
upstream_seen() {
    $PY - "$E2E_TMP/upstream.log" "$1" "$2" <<'PY'
import json, re, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("event") == "request" and re.search(sys.argv[2], r["path"]):
        if sys.argv[3] == "auth":
            v = [v for k, v in r["headers"] if k.lower() == "authorization"]
            print("|".join(v) if v else "-")
        else:
            print(r.get(sys.argv[3], "-"))
PY
}

for c in --http2 --http1.1; do
    out=$(h2curl $c -w '\n%{http_code}' "https://api.test/echo?c=$c" -H "Authorization: Bearer own")
    check "curl $c to an h2 upstream: 200" grep -q '^200$' <<<"$out"
    check "... the upstream got it over h2" test "$(upstream_seen "^/echo\?c=$c\$" proto)" = h2
    check "... with botbox's key once, the client's own removed" \
        test "$(upstream_seen "^/echo\?c=$c\$" auth)" = "Bearer $SECRET"
    check "... and the h2 upstream's echo of the key reaches the client redacted" \
        bash -c "grep -qF 'Bearer [REDACTED]' <<<\"\$1\" && ! grep -qF '$SECRET' <<<\"\$1\"" _ "$out"
done
# answered_h2 TAG: the answer (in $got) is 200 and the upstream got the
# request ?c=TAG over h2 with botbox's key once
answered_h2() {
    grep -q '^200$' <<<"$got" && test "$(upstream_seen "^/echo\?c=$1\$" proto)" = h2 &&
        test "$(upstream_seen "^/echo\?c=$1\$" auth)" = "Bearer $SECRET"
}
got=$(curl_as -w '\n%{http_code}' "http://api.test/echo?c=plain")
check "plain HTTP in, h2 upstream: 200, over h2, key injected" answered_h2 plain

head -c 3000000 /dev/urandom >"$E2E_TMP/body.bin"
chmod 644 "$E2E_TMP/body.bin"
sum=$(sha256sum <"$E2E_TMP/body.bin" | cut -d' ' -f1)
for c in --http2 --http1.1; do
    out=$(h2curl $c -X POST --data-binary @"$E2E_TMP/body.bin" "https://api.test/echo?up=$c")
    check "curl $c: a 3 MB upload (Content-Length) reaches the h2 upstream byte-exact" \
        grep -q "\"body_sha256\": \"$sum\"" <<<"$out"
    out=$(cat "$E2E_TMP/body.bin" | h2curl $c -T - -X POST "https://api.test/echo?upc=$c")
    check "curl $c: the same of unknown length (chunked, then DATA) byte-exact" \
        grep -q "\"body_sha256\": \"$sum\"" <<<"$out"
    got=$(h2curl $c "https://api.test/big?n=20000000" | sha256sum | cut -d' ' -f1)
    check "curl $c: a 20 MB download from the h2 upstream byte-exact" test "$got" = "$(pattern_sha 20000000)"
done

# Slow readers of an h2 upstream's answer: the stream's window holds the
# upstream back; each answer arrives whole (the first runs cut them:
# the stream's wake-ups read past the client's watermark)
mkdir -m 777 "$E2E_TMP/out" # the workload's files
for c in http https; do
    h2curl --limit-rate 500K -o "$E2E_TMP/out/slow.bin" "$c://api.test/big?n=8000000&slow=$c"
    got=$(sha256sum <"$E2E_TMP/out/slow.bin" | cut -d' ' -f1)
    check "a slow $c reader (500 KB/s) of 8 MB from the h2 upstream gets it byte-exact" \
        test "$got" = "$(pattern_sha 8000000)"
done
# (16 MiB: h2serve.py is slow, python-h2 frames every byte)
h2_stall $((16 * 1024 * 1024)) "an h2 client that opens no window on 16 MiB from the h2 upstream"

# (curl 7.88 crashes writing h2 trailers with -D: nghttp shows the frames)
frames=$(as_uid 1000 app timeout 20 nghttp -nv https://api.test/trailers 2>&1 || true)
after_data() { sed -n '/recv DATA/,$p' <<<"$frames" | grep -q "$1"; }
check "trailers from the h2 upstream reach an h2 client after the DATA: grpc-status 0" \
    after_data 'grpc-status: 0$'
check "... and x-t: 1" after_data 'x-t: 1$'
# A cold start: botbox restarted, no session yet, and 100 requests at once
# from one nghttp connection, then 20 plain-HTTP clients at once: the
# first dial's session carries them all (the others wait for its
# handshake instead of dialling connections of their own).
serve_stop
serve_start app "$E2E_TMP/botbox.yaml"
out=$(as_uid 1000 app timeout 60 nghttp -ns -m 100 "https://api.test/echo?nghttp=1" 2>&1 || true)
n=$(upstream_seen '^/echo\?nghttp=1$' proto | grep -c h2)
check "nghttp -m 100 on a cold start: the h2 upstream got all 100 as streams ($n)" test "$n" = 100
conns=$(upstream_seen '^/echo\?nghttp=1$' conn | sort -u | wc -l)
check "... on one connection ($conns)" test "$conns" = 1
serve_stop
serve_start app "$E2E_TMP/botbox.yaml"
pids=()
for i in $(seq 20); do
    curl_as -o /dev/null -w '%{http_code}\n' "http://api.test/echo?burst=$i" >"$E2E_TMP/burst.$i" &
    pids+=($!)
done
wait "${pids[@]}"
codes=$(cat "$E2E_TMP"/burst.* | sort | uniq -c | awk '{print $1 "x" $2}')
check "20 plain-HTTP clients at once on a cold start: all 200 ($codes)" test "$codes" = 20x200
conns=$(upstream_seen '^/echo\?burst=' conn | sort -u | wc -l)
check "... as streams on one upstream connection ($conns)" test "$conns" = 1
# A cold burst whose first dial fails: its waiters fail with it, at once
# and with its reason (a certificate for another name), and a burst to an
# address that never answers ends within timeouts.connect (2 s), not one
# waiter's timeout after another
burst() { # burst HOST N: N plain-HTTP requests at once; their codes, counted
    local i pids=()
    for i in $(seq "$2"); do
        curl_as -o /dev/null -w '%{http_code}\n' "http://$1/echo?b=$i" >"$E2E_TMP/b.$1.$i" 2>/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
    cat "$E2E_TMP"/b."$1".* | sort | uniq -c | awk '{print $1 "x" $2}'
}
codes=$(burst wrongname.test 10)
check "10 requests at once to an upstream with the wrong certificate: all 502 ($codes)" test "$codes" = 10x502
tls_fails() {
    test "$(grep '"host":"wrongname.test"' "$E2E_TMP/audit.jsonl" | grep -c '"reason":"upstream_tls"')" = 10
}
check "... each audited upstream_tls" wait_for 3 tls_fails
t0=$(date +%s%N)
codes=$(burst slow.test 10)
ms=$((($(date +%s%N) - t0) / 1000000))
check "10 requests at once to an address that drops SYNs: all 502 ($codes) in $ms ms (under 4 s)" \
    test "$codes" = 10x502 -a "$ms" -lt 4000

# SIGTERM while a download comes over an upstream session: the request
# finishes (timeouts.shutdown_drain), then botbox exits 0
size=8000000
as_uid 1000 app curl -sS --max-time 20 --limit-rate 2M "http://api.test/big?n=$size&drain=1" \
    -o "$E2E_TMP/out/drain.bin" &
dl_pid=$!
sleep 1 # under way
kill -TERM "$SERVE_PID"
wait "$dl_pid"
dl_rc=$?
wait "$SERVE_PID"
rc=$?
check "SIGTERM during a download from the h2 upstream: it finishes byte-exact (curl $dl_rc)" \
    test "$(sha256sum <"$E2E_TMP/out/drain.bin" | cut -d' ' -f1)" = "$(pattern_sha $size)"
check "... over h2 ($(upstream_seen 'drain=1' proto)), and botbox exits 0 after it ($rc)" \
    test "$(upstream_seen 'drain=1' proto)/$rc" = h2/0

cfg_set "$E2E_TMP/botbox.yaml" upstream.http2 false
serve_start app "$E2E_TMP/botbox.yaml"
off_is_h1() {
    grep -q '^200$' <<<"$got" && test "$(upstream_seen '^/echo\?c=off$' proto)" = -
}
got=$(h2curl --http2 -w '\n%{http_code}' "https://api.test/echo?c=off")
check "upstream.http2 false: the same upstream is spoken to in HTTP/1.1" off_is_h1

finish
