#!/usr/bin/env bash
# CLI contract tests (docs/reference.md §1): exit statuses, one-line usage errors,
# and `botbox check` output for valid and invalid configs.
# usage: test_cli.sh path/to/botbox
set -u
BIN=$(realpath "$1")
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

# run NAME EXPECTED_STATUS CMD...: runs CMD, keeps stdout/stderr in $TMP.
run() {
    local name=$1 want=$2
    shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    local got=$?
    CURRENT=$name
    if [ "$got" -ne "$want" ]; then
        bad "exit status $got, want $want"
        sed 's/^/      err: /' "$TMP/err" | head -5
        return 1
    fi
    return 0
}
ok() { pass=$((pass + 1)); printf '  ok    %s\n' "$CURRENT"; }
bad() { fail=$((fail + 1)); printf '  FAIL  %s: %s\n' "$CURRENT" "$1"; }
# expect FILE PATTERN (fixed string)
has() { grep -qF -- "$2" "$TMP/$1" || { bad "$1 lacks: $2"; return 1; }; }
lacks() { ! grep -qF -- "$2" "$TMP/$1" || { bad "$1 contains: $2"; return 1; }; }
lines() { [ "$(wc -l <"$TMP/$1")" -eq "$2" ] || { bad "$1 has $(wc -l <"$TMP/$1") lines, want $2"; return 1; }; }

run "--version" 0 "$BIN" --version && has out "botbox 0.1.0" && ok
run "help lists commands" 0 "$BIN" help && has out "check" && has out "usage: botbox COMMAND" && ok
run "--help" 0 "$BIN" --help && has out "commands:" && ok
run "help check" 0 "$BIN" help check && has out "usage: botbox check --config FILE" && ok
run "help unknown command" 2 "$BIN" help frobnicate && lines err 1 &&
    has err "botbox help: unknown command 'frobnicate'" && ok
run "no arguments" 2 "$BIN" && has err "usage: botbox COMMAND" && ok
run "unknown command" 2 "$BIN" frobnicate && lines err 1 &&
    has err "botbox: unknown command 'frobnicate' (try 'botbox help')" && ok
run "unknown global flag" 2 "$BIN" --frob && lines err 1 && has err "unknown option '--frob'" && ok
run "check without --config" 2 "$BIN" check && lines err 1 &&
    has err "botbox check: --config FILE is required" && ok
run "check --config without value" 2 "$BIN" check --config && lines err 1 &&
    has err "--config needs a file name" && ok
run "check unknown flag" 2 "$BIN" check --config examples/botbox.yaml --strict && lines err 1 &&
    has err "botbox check: unknown option '--strict' (try 'botbox help check')" && ok
run "check stray argument" 2 "$BIN" check extra && lines err 1 &&
    has err "unexpected argument 'extra'" && ok

run "check example: valid" 0 "$BIN" check --config examples/botbox.yaml &&
    has out "examples/botbox.yaml: valid" &&
    has out "rule[0] allow api.openai.com ports=443 methods=any paths=any tls=intercept set Authorization<-secret:openai-api-key" &&
    has out "rule[1] allow api.anthropic.com" && has out "http          127.0.0.1:8080" && ok
run "check botbox run example: valid, one injecting rule" 0 "$BIN" check --config examples/run-github.yaml &&
    has out "examples/run-github.yaml: valid" && has out "api.github.com" && ok
run "check gateway example (--config=)" 0 "$BIN" check --config=examples/gateway.yaml &&
    has out "mode: gateway" && has out "flow[0] allow udp 10.0.0.0/8 ports=123" &&
    has out "interception  127.0.0.1:8443" && has out "rule[1] allow *.githubusercontent.com" && ok

cat >"$TMP/bad.yaml" <<'YAML'
listen_port: 8080
egress_policy:
  rules:
    - host: api.example.com
      action: allow
      alowed_ports: [443]
    - host: ""
      action: allow
YAML
run "check invalid: every error, positioned" 1 "$BIN" check --config "$TMP/bad.yaml" &&
    has err "$TMP/bad.yaml:6:7: egress_policy.rules[0].alowed_ports: unknown key" &&
    has err "$TMP/bad.yaml:7:13: egress_policy.rules[1].host: empty host" &&
    has err "invalid (2 errors)" && lines out 0 && ok

printf 'egress_policy:\n  rules:\n    - host: a.test\n      action: allow\n      header_rewrites:\n        - name: X-Key\n          value: "sk-live-123\\r\\n"\n' >"$TMP/leak.yaml"
run "check never echoes a rewrite value" 1 "$BIN" check --config "$TMP/leak.yaml" &&
    has err "header_rewrites[0].value: invalid character in header value" &&
    lacks err "sk-live-123" && lacks out "sk-live-123" && ok

printf 'egress_policy:\n  rules:\n    - host: a.test\n      action: allow\n      header_rewrites:\n        - name: X-Key\n          value: "sk-live-456"\n' >"$TMP/literal.yaml"
run "check output hides literal values" 0 "$BIN" check --config "$TMP/literal.yaml" &&
    has out "set X-Key<-literal" && lacks out "sk-live-456" && lacks err "sk-live-456" && ok

run "check missing file" 1 "$BIN" check --config "$TMP/nope.yaml" &&
    has err "$TMP/nope.yaml: No such file or directory" && ok
run "check a directory" 1 "$BIN" check --config "$TMP" && has err "not a regular file" && ok

run "env override applied" 0 env BOTBOX_PROXY_PORT=18080 BOTBOX_ENABLE_IPV6=0 "$BIN" check --config examples/botbox.yaml &&
    has out "http          127.0.0.1:18080" && has out "ipv6: off" && ok
run "env override invalid" 1 env BOTBOX_UID=nobody "$BIN" check --config examples/botbox.yaml &&
    has err "BOTBOX_UID=nobody: proxy_uid: invalid value" && ok

run "mitm alias warns" 0 "$BIN" check --config tests/cli/mitm.yaml &&
    has err "warning: tests/cli/mitm.yaml:3:1: mitm: mitm is deprecated" &&
    has out "interception  127.0.0.1:8443" && ok

# ---- botbox ca init ----
run "ca init creates a CA (modes exact under umask 077)" 0 sh -c "umask 077 && '$BIN' ca init --dir '$TMP/ca'" &&
    has out "created $TMP/ca/ca.crt and $TMP/ca/ca.key" &&
    [ "$(stat -c %a "$TMP/ca/ca.key")" = 600 ] && [ "$(stat -c %a "$TMP/ca/ca.crt")" = 644 ] &&
    [ "$(stat -c %a "$TMP/ca")" = 700 ] &&
    openssl x509 -in "$TMP/ca/ca.crt" -noout -text | grep -q "CA:TRUE" &&
    openssl x509 -in "$TMP/ca/ca.crt" -noout -text | grep -q "prime256v1" &&
    openssl pkey -in "$TMP/ca/ca.key" -noout && ok
run "ca init never overwrites" 1 "$BIN" ca init --dir "$TMP/ca" && lines err 1 &&
    has err "a CA is already there; not overwritten" && ok
run "ca without subcommand" 2 "$BIN" ca && has err "botbox ca: a subcommand is required" && ok
run "ca init without --dir" 2 "$BIN" ca init && has err "--dir DIR is required" && ok
run "ca frob" 2 "$BIN" ca frob && has err "unknown subcommand 'frob'" && ok

# ---- botbox run (the namespace side is tests/e2e/scenarios/70-run.sh) ----
printf 'egress_policy:\n  rules: []\n' >"$TMP/run.yaml"
run "run without --config" 2 "$BIN" run -- true && has err "--config FILE is required" && ok
run "run without a command" 2 "$BIN" run --config "$TMP/run.yaml" && has err "no command given" &&
    lines err 1 && ok
run "run --config without a value" 2 "$BIN" run --config && has err "--config needs a value" && ok
run "run with an unknown option" 2 "$BIN" run --config "$TMP/run.yaml" --frob -- true &&
    has err "unknown option '--frob'" && ok
run "run as a user without privileges: 125, says why" 125 \
    setpriv --reuid=1000 --regid=1000 --clear-groups "$BIN" run --config "$TMP/run.yaml" -- true &&
    has err "botbox run: needs root" && lines err 1 && ok
run "help run names every option and the exit statuses" 0 "$BIN" help run &&
    has out "--user USER" && has out "--audit FILE" && has out "--net4 CIDR" &&
    has out "--net6 CIDR" && has out "125 botbox" && has out "127" && ok

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
