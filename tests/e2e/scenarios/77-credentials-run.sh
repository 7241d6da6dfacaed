#!/usr/bin/env bash
# The official SDKs, as a user runs them, inside `botbox run` with only
# placeholders in their usual variables: openai and @anthropic-ai/sdk
# from npm (tests/e2e/npm) call api.openai.com and api.anthropic.com (the
# test upstream answers for both, echoing what it got). They start (the
# placeholders have the keys' shapes), the upstream sees the real key
# exactly once, the answers and the environment hold only placeholders;
# one step sends a placeholder to a host it is not bound to and gets 403.
. "$(dirname "$0")/../lib.sh"

OPENAI_KEY=sk-proj-real-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP
ANTHROPIC_KEY=sk-ant-api03-real-0123456789abcdefghijklmnopqrstuvwxyz-AA
RUN_NAMES="api.openai.com api.anthropic.com"
RUN_RULES="    - { host: api.openai.com, action: allow, allow_private: true }
    - { host: api.anthropic.com, action: allow, allow_private: true }"
run_world
printf '%s\n' "$OPENAI_KEY" >"$E2E_TMP/secrets/openai"
printf '%s\n' "$ANTHROPIC_KEY" >"$E2E_TMP/secrets/anthropic"
chmod 644 "$E2E_TMP/secrets/openai" "$E2E_TMP/secrets/anthropic"
cfg_merge "$E2E_TMP/run.yaml" <<'YAML'
credentials:
  - secret_ref: openai
    placeholder: {prefix: "sk-proj-", length: 164}
    env: OPENAI_API_KEY
    hosts: [api.openai.com]
  - secret_ref: anthropic
    placeholder: {prefix: "sk-ant-api03-", length: 108}
    env: ANTHROPIC_API_KEY
    hosts: [api.anthropic.com]
YAML
export NODE_PATH=$E2E_DIR/npm/node_modules
check "the SDKs are installed (make deps: npm ci in tests/e2e/npm)" \
    test -f "$NODE_PATH/openai/package.json" -a -f "$NODE_PATH/@anthropic-ai/sdk/package.json"
# request_to HOST: the upstream's records of requests for HOST
request_to() { grep '"event": "request"' "$E2E_TMP/upstream.log" | grep "\"sni\": \"$1\""; }

out=$(timeout 120 "${RUN[@]}" env NODE_PATH="$NODE_PATH" node -e '
const OpenAI = require("openai");
const client = new OpenAI({ maxRetries: 0 });
client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
  .then(r => console.log(JSON.stringify({ key: process.env.OPENAI_API_KEY, answer: r })))
  .catch(e => { console.log("error " + e); process.exit(1); });' 2>&1)
if $PY - "$out" "$OPENAI_KEY" <<'PY'; then
import json, sys
o = json.loads(sys.argv[1].strip().splitlines()[-1])
key, secret = o["key"], sys.argv[2]
seen = [v for k, v in o["answer"]["headers"] if k.lower() == "authorization"]
assert key.startswith("sk-proj-") and len(key) == 164 and key != secret, key
assert seen == ["Bearer " + key], seen  # the echo of the key reads as the placeholder
assert secret not in sys.argv[1]
PY
    pass "openai SDK: starts with the placeholder, its answer echoes the placeholder, never the key"
else
    fail "openai SDK with a placeholder OPENAI_API_KEY" "$out"
fi
if request_to api.openai.com | $PY -c "
import json, sys
rs = [json.loads(l) for l in sys.stdin]
auth = [v for r in rs for k, v in r['headers'] if k.lower() == 'authorization']
sys.exit(0 if len(rs) == 1 and rs[0]['path'] == '/v1/chat/completions' and auth == ['Bearer $OPENAI_KEY'] else 1)"; then
    pass "... the upstream got one request with the real key exactly once"
else
    fail "... the upstream got one request with the real key exactly once" "$(request_to api.openai.com)"
fi

out=$(timeout 120 "${RUN[@]}" env NODE_PATH="$NODE_PATH" node -e '
const Anthropic = require("@anthropic-ai/sdk");
const client = new Anthropic({ maxRetries: 0 });
client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] })
  .then(r => console.log(JSON.stringify({ key: process.env.ANTHROPIC_API_KEY, answer: r })))
  .catch(e => { console.log("error " + e); process.exit(1); });' 2>&1)
if $PY - "$out" "$ANTHROPIC_KEY" <<'PY'; then
import json, sys
o = json.loads(sys.argv[1].strip().splitlines()[-1])
key, secret = o["key"], sys.argv[2]
seen = [v for k, v in o["answer"]["headers"] if k.lower() == "x-api-key"]
assert key.startswith("sk-ant-api03-") and len(key) == 108 and key != secret, key
assert seen == [key], seen
assert secret not in sys.argv[1]
PY
    pass "@anthropic-ai/sdk: starts with the placeholder, its answer echoes the placeholder, never the key"
else
    fail "@anthropic-ai/sdk with a placeholder ANTHROPIC_API_KEY" "$out"
fi
if request_to api.anthropic.com | $PY -c "
import json, sys
rs = [json.loads(l) for l in sys.stdin]
keys = [v for r in rs for k, v in r['headers'] if k.lower() == 'x-api-key']
sys.exit(0 if len(rs) == 1 and rs[0]['path'] == '/v1/messages' and keys == ['$ANTHROPIC_KEY'] else 1)"; then
    pass "... the upstream got one request with the real key exactly once"
else
    fail "... the upstream got one request with the real key exactly once" "$(request_to api.anthropic.com)"
fi

env_out=$(timeout 60 "${RUN[@]}" sh -c 'env; cat /proc/self/environ | tr "\0" "\n"' 2>&1)
check "CMD's environment holds the placeholders under their variables" \
    bash -c "grep -q '^OPENAI_API_KEY=sk-proj-' <<<'$env_out' && grep -q '^ANTHROPIC_API_KEY=sk-ant-api03-' <<<'$env_out'"
refute "... and neither key" grep -qF -e "$OPENAI_KEY" -e "$ANTHROPIC_KEY" <<<"$env_out"

# The agent sends its OpenAI placeholder to the Anthropic API.
n=$(request_to api.anthropic.com | wc -l)
expect "the OpenAI placeholder sent to api.anthropic.com: 403" "403" \
    timeout 60 "${RUN[@]}" sh -c 'curl -sS -o /dev/null -w "%{http_code}" https://api.anthropic.com/v1/messages -H "x-api-key: $OPENAI_API_KEY"'
check "... nothing reached it" test "$(request_to api.anthropic.com | wc -l)" = "$n"
check "... audited credential_misuse, naming openai" wait_for 3 bash -c \
    "grep '\"reason\":\"credential_misuse\"' '$RUN_AUDIT' | grep -q '\"credentials\":\[\"openai\"\]'"
refute "no key in the run's audit log" grep -qF -e "$OPENAI_KEY" -e "$ANTHROPIC_KEY" "$RUN_AUDIT"
finish
