#!/usr/bin/env bash
# Fails when a C file differs from what clang-format (with the committed
# .clang-format) would produce, and says how to fix it.
set -u
bad=()
for f in "$@"; do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done
if [ ${#bad[@]} -ne 0 ]; then
    echo "format: these files need 'make format':" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "format: ${#} files match .clang-format"
