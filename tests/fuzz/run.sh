#!/usr/bin/env bash
# Runs each libFuzzer binary for SECONDS, starting from its committed seed
# corpus (tests/fuzz/corpus/NAME). New inputs go to a scratch directory, so
# the tree is never modified; a crash is copied to build-fuzz/crashes/ and
# fails the run.
# usage: run.sh SECONDS fuzzer...
set -u
secs=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
crashes=$(pwd)/build-fuzz/crashes
mkdir -p "$crashes"
failed=0
for bin in "$@"; do
    name=$(basename "$bin")
    work=$(mktemp -d)
    dict=()
    [ -f "$here/dict/$name.dict" ] && dict=(-dict="$here/dict/$name.dict")
    log="$work/log"
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$crashes/$name-" "${dict[@]}" \
        "$work" "$here/corpus/$name" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        printf '  PASS  %-14s %ss, %s runs\n' "$name" "$secs" "${runs:-?}"
    else
        failed=$((failed + 1))
        printf '  FAIL  %s (artifacts in %s)\n' "$name" "$crashes"
        grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -10 | sed 's/^/        /'
    fi
    rm -rf "$work"
done
[ "$failed" -eq 0 ] && echo "fuzz: $# targets, no crashes" || { echo "fuzz: $failed targets crashed"; exit 1; }
