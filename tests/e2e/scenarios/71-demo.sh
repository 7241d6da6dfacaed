#!/usr/bin/env bash
# make demo: the scripted agent's seven steps come out as the demo
# says they do, the audit table has a row for each, and the demo leaves
# nothing behind.
. "$(dirname "$0")/../lib.sh"

DEMO_OUT=$(BOTBOX=$BIN timeout 60 bash "$REPO/demo/demo.sh" 2>&1)
rc=$?
check "make demo's script exits 0" test "$rc" -eq 0
has() { grep -qF -- "$1" <<<"$DEMO_OUT"; }
check "step 1: the agent holds a placeholder" has "my environment has LLM_API_KEY=sk-demo-"
check "... the API's echo reads the placeholder, not the key" has "botbox replaced it by my placeholder"
check "... and the API received the key itself" has "nowhere in what the agent saw; api.llm.test received it (sk-demo-"
check "step 2: a method/path the policy does not allow: 403" has "HTTP 403 (forbidden by policy"
check "step 3: a host no rule allows, by address: 403" has "HTTP 403 (denied: evil.test"
check "step 4: direct HTTPS to the IP is blocked" has "BLOCKED: the connection was refused"
check "step 5: UDP is dropped" has "DROPPED: no answer"
check "step 6: DNS exfiltration gets NXDOMAIN" has ".exfil.test -> NXDOMAIN"
check "step 7: the placeholder sent to a host it is not bound to: 403" has "HTTP 403 (refused: the key is bound to api.llm.test only"
table=$(sed -n '/The audit log of the run/,$p' <<<"$DEMO_OUT")
for row in "http +allow +rule +POST api.llm.test/v1/chat -> 200 \(\+Authorization\)" \
    "http +deny +method_not_allowed +GET api.llm.test/admin -> 403" \
    "http +deny +no_rule +POST evil.test/upload -> 403" \
    "tls +deny +no_sni" "flow +deny +no_flow_rule +udp .* -> 10.201.250.2:9999" \
    "dns +deny +no_rule +DNS A [a-z0-9]+.exfil.test" \
    "http +allow +rule +POST api.llm.test/v1/chat -> 200 \(\+Authorization\) \(redacted [0-9]+\) \[llm-key\]" \
    "http +deny +credential_misuse +GET docs.llm.test/search -> 403 \[llm-key\]"; do
    check "the audit table has: ${row//\\/}" grep -qE -- "$row" <<<"$table"
done
check "the key is in no audit line" has "The key appears in no audit line"
check "no agent step misbehaved" bash -c "! grep -q 'should never happen\|found a key' <<<\"\$1\"" _ "$DEMO_OUT"
check "nothing left: namespaces" bash -c "! ip netns list | grep -q 'bbdemo\|botbox-run'"
check "... files" bash -c "! ls -d /tmp/botbox-demo.* /etc/netns/bbdemo* 2>/dev/null | grep -q ."
check "... processes" bash -c "! pgrep -f '[d]emo/internet.py' && ! pgrep -f '[b]otbox-demo' >/dev/null"
finish
