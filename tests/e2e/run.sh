#!/usr/bin/env bash
# Runs the namespace scenarios (tests/e2e/scenarios/NN-name.sh, in order),
# each in its own bash process with its own namespaces. Needs root: the
# scenarios create network namespaces. A missing prerequisite is a failure,
# never a skip.
# usage: run.sh [PATTERN]   (only scenarios whose file name contains PATTERN)
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "e2e: the namespace scenarios need root (they create network namespaces); run 'sudo make test'" >&2
    exit 1
fi
for tool in ip nft setpriv /usr/bin/python3 "${BOTBOX:-}" "${E2E_TOOLS:-}/nfq_probe"; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "$tool" ]; then
        echo "e2e: missing prerequisite: $tool (run 'make deps')" >&2
        exit 1
    fi
done
failed=()
total=0
for s in "$here"/scenarios/[0-9]*.sh; do
    [ -n "${1:-}" ] && [[ $(basename "$s") != *"$1"* ]] && continue
    total=$((total + 1))
    if ! bash "$s"; then
        failed+=("$(basename "$s")")
    fi
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "e2e: ${#failed[@]} of $total scenarios failed: ${failed[*]}"
    exit 1
fi
echo "e2e: $total scenarios passed"
