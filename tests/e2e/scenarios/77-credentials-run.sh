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

# sdk NAME VAR KEY HEADER SCHEME PREFIX LENGTH HOST PATH JS: runs JS (node,
# the SDKs on NODE_PATH) in botbox run; it prints {key: $VAR, answer}. The
# placeholder in VAR has the shape PREFIX + LENGTH, the answer (the
# upstream's echo) shows HEADER as SCHEME + the placeholder and nowhere the
# KEY, and the upstream got one request, to PATH, with HEADER = SCHEME + KEY.
sdk() {
    local name=$1 var=$2 key=$3 header=$4 scheme=$5 prefix=$6 len=$7 host=$8 path=$9 out
    out=$(timeout 120 "${RUN[@]}" env NODE_PATH="$NODE_PATH" node -e "${10}
  .then(r => console.log(JSON.stringify({ key: process.env.$var, answer: r })))
  .catch(e => { console.log('error ' + e); process.exit(1); });" 2>&1)
    if $PY - "$out" "$key" "$header" "$scheme" "$prefix" "$len" <<'PY'; then
import json, sys
out, secret, header, scheme, prefix, length = sys.argv[1:7]
o = json.loads(out.strip().splitlines()[-1])
key = o["key"]
seen = [v for k, v in o["answer"]["headers"] if k.lower() == header]
assert key.startswith(prefix) and len(key) == int(length) and key != secret, key
assert seen == [scheme + key], seen  # the echo of the key reads as the placeholder
assert secret not in out
PY
        pass "$name: starts with the placeholder, its answer echoes the placeholder, never the key"
    else
        fail "$name with a placeholder $var" "$out"
    fi
    if request_to "$host" | $PY -c "
import json, sys
rs = [json.loads(l) for l in sys.stdin]
got = [v for r in rs for k, v in r['headers'] if k.lower() == '$header']
sys.exit(0 if len(rs) == 1 and rs[0]['path'] == '$path' and got == ['$scheme$key'] else 1)"; then
        pass "... the upstream got one request with the real key exactly once"
    else
        fail "... the upstream got one request with the real key exactly once" "$(request_to "$host")"
    fi
}
sdk "openai SDK" OPENAI_API_KEY "$OPENAI_KEY" authorization "Bearer " sk-proj- 164 \
    api.openai.com /v1/chat/completions '
const OpenAI = require("openai");
new OpenAI({ maxRetries: 0 }).chat.completions
  .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })'
sdk "@anthropic-ai/sdk" ANTHROPIC_API_KEY "$ANTHROPIC_KEY" x-api-key "" sk-ant-api03- 108 \
    api.anthropic.com /v1/messages '
const Anthropic = require("@anthropic-ai/sdk");
new Anthropic({ maxRetries: 0 }).messages
  .create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] })'

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
