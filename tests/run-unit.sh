#!/usr/bin/env bash
# Runs every cmocka unit-test binary given on the command line, prints one
# line per binary, and fails if any test failed.
set -u
failed=0
total=0
for t in "$@"; do
    total=$((total + 1))
    if out=$("$t" 2>&1); then
        n=$(grep -c '^\[       OK \]' <<<"$out")
        printf '  PASS  %-40s %3d tests\n' "${t#*/tests/unit/}" "$n"
    else
        failed=$((failed + 1))
        printf '  FAIL  %s\n' "${t#*/tests/unit/}"
        printf '%s\n' "$out" | sed 's/^/        /'
    fi
done
if [ "$failed" -ne 0 ]; then
    echo "unit: $failed of $total test binaries failed"
    exit 1
fi
echo "unit: $total test binaries passed"
