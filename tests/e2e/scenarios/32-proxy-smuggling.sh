#!/usr/bin/env bash
# Request smuggling and malformed heads, sent as raw bytes to an allowed
# host through the real steering. The corpus is tests/e2e/smuggling/*.req,
# one case per file: a first line "# expect: STATUS  what it is" or
# "# expect: forward  what it is", then for "forward" one line
# "# forwarded: BYTES" per request the upstream must receive, then the
# request; bytes are written with \r \n \t \xHH escapes, {SECRET} stands
# for the injected key. A refused case must get its status and the upstream
# no request at all; a forwarded one must reach the upstream as exactly the
# bytes listed (one normal form), and nothing else.
. "$(dirname "$0")/../lib.sh"

proxy_world
CORPUS=$E2E_DIR/smuggling

# send FILE: the decoded request bytes to the upstream address (steered).
send() {
    $PY -c 'import sys
text = "".join(l for l in open(sys.argv[1], encoding="latin-1") if not l.startswith("# "))
sys.stdout.buffer.write(text.rstrip("\n").encode("latin-1").decode("unicode_escape").encode("latin-1"))' "$1" |
        as_uid 1000 app $PROBE raw $UP4 80 --timeout 1
}

# forwarded FILE N: the upstream's requests after its first N are exactly
# the file's "# forwarded:" lines.
forwarded() {
    $PY - "$1" "$2" "$E2E_TMP/upstream.log" "$SECRET" <<'PY'
import json, sys
case, skip, log, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def unescape(t):
    return t.encode("latin-1").decode("unicode_escape").replace("{SECRET}", secret)
want = [unescape(l[len("# forwarded: "):].rstrip("\n"))
        for l in open(case, encoding="latin-1") if l.startswith("# forwarded: ")]
got = [r["raw"] for r in map(json.loads, open(log)) if r["event"] == "request"][skip:]
if got != want:
    print("upstream got:", [g.replace(secret, "{SECRET}") for g in got])
    print("case wants:  ", [w.replace(secret, "{SECRET}") for w in want])
    sys.exit(1)
PY
}

# one_case FILE: a refused case, or a forwarded one.
one_case() {
    local f=$1 name want what before out
    name=$(basename "$f" .req)
    want=$(head -1 "$f" | sed -n 's/^# expect: \([0-9a-z]*\).*/\1/p')
    what=$(head -1 "$f" | sed 's/^# expect: [0-9a-z]*  *//')
    before=$(requests)
    out=$(send "$f" 2>&1)
    if [ "$want" = forward ]; then
        if ! grep -q '^HTTP/1.1 200 ' <<<"$out"; then
            fail "$name: $what (no 200)" "$out"
        elif ! out=$(forwarded "$f" "$before"); then
            fail "$name: $what (not the normal form)" "$out"
        else
            pass "$name: $what -> forwarded as listed"
        fi
    elif ! grep -q "^HTTP/1.1 $want " <<<"$out"; then
        fail "$name: $what (want $want)" "$out"
    elif [ "$(requests)" -ne "$before" ]; then
        fail "$name: $what (refused, but the upstream got a request)" "$(tail -1 "$E2E_TMP/upstream.log")"
    else
        pass "$name: $what -> $want, nothing forwarded"
    fi
}

n=$(requests)
cases=0
forwards=0
for f in "$CORPUS"/*.req; do
    cases=$((cases + 1))
    head -1 "$f" | grep -q '^# expect: forward ' && forwards=$((forwards + 1))
    one_case "$f"
done
check "the corpus has at least 40 refused cases ($((cases - forwards)))" test $((cases - forwards)) -ge 40
n=$(requests)

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
    printf 'POST /echo HTTP/1.1\r\nHost: api.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n' |
        as_uid 1000 app $PROBE raw $UP4 80 --timeout 3 --then $'zz\r\nbad\r\n0\r\n\r\n' --gap 0.5
}
expect "a bad chunk after forwarding began: 400" "HTTP/1.1 400 " late
check "... and the upstream saw no complete request" test "$(requests)" -eq "$n"

serve_stop
finish
