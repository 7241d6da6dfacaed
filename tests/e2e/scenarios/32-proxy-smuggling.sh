#!/usr/bin/env bash
# Request smuggling and malformed heads, sent as raw bytes to an allowed
# host through the real steering. The corpus is tests/e2e/smuggling/*.req:
# one case per file, a first line "# expect: STATUS  what it is", then the
# request with \r \n \t \xHH escapes. Each must be refused with its status,
# and the upstream must see no request at all.
. "$(dirname "$0")/../lib.sh"

proxy_world
CORPUS=$E2E_DIR/smuggling

# send FILE: the decoded request bytes to the upstream address (steered).
send() {
    $PY -c 'import sys
lines = open(sys.argv[1], "rb").read().split(b"\n", 1)[1].rstrip(b"\n")
sys.stdout.buffer.write(lines.decode("latin-1").encode("latin-1").decode("unicode_escape").encode("latin-1"))' "$1" |
        as_uid 1000 app $PROBE raw $UP4 80 --timeout 3
}

n=$(requests)
cases=0
for f in "$CORPUS"/*.req; do
    want=$(head -1 "$f" | sed -n 's/^# expect: \([0-9]*\).*/\1/p')
    what=$(head -1 "$f" | sed 's/^# expect: [0-9]*  *//')
    cases=$((cases + 1))
    expect "$(basename "$f" .req): $what -> $want" "HTTP/1.1 $want " send "$f"
done
check "the corpus has at least 40 cases" test "$cases" -ge 40

# A head over the 64 KiB limit.
big() {
    $PY -c 'import sys
sys.stdout.buffer.write(b"GET /echo HTTP/1.1\r\nHost: api.test\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")' |
        as_uid 1000 app $PROBE raw $UP4 80 --timeout 3
}
expect "a head over 64 KiB: 431 request header too large" "request header too large" big
many() {
    $PY -c 'import sys
h = b"".join(b"X-%d: v\r\n" % i for i in range(120))
sys.stdout.buffer.write(b"GET /echo HTTP/1.1\r\nHost: api.test\r\n" + h + b"\r\n")' |
        as_uid 1000 app $PROBE raw $UP4 80 --timeout 3
}
expect "more than 100 headers: 431" "HTTP/1.1 431 " many
check "no refused request reached the upstream" test "$(requests)" -eq "$n"

# A bad chunk arriving after the head was forwarded: the upstream never sees
# a complete request (its handler would have logged one).
late() {
    $PY - "$UP4" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=3)
s.sendall(b"POST /echo HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
time.sleep(0.5)
s.sendall(b"zz\r\nbad\r\n0\r\n\r\n")
print(s.recv(4096).decode("latin-1"))
PY
}
expect "a bad chunk after forwarding began: 400" "HTTP/1.1 400 " as_uid 1000 app bash -c "$(declare -f late); UP4=$UP4; PY=$PY; late"
check "... and the upstream saw no complete request" test "$(requests)" -eq "$n"

# Valid neighbours of the refused shapes are forwarded in one normal form.
chunked() {
    printf 'POST /echo HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n' |
        as_uid 1000 app $PROBE raw $UP4 80 --timeout 3
}
expect "a chunked body with extension and trailer is forwarded" '"body_len": 3' chunked
check "... as plain chunked, without extension or trailer" \
    bash -c "tail -1 $E2E_TMP/upstream.log | grep -q '\"Transfer-Encoding\", \"chunked\"' &&
             ! tail -1 $E2E_TMP/upstream.log | grep -qi 'x-trailer'"

serve_stop
finish
