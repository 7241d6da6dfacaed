"""The self-test both tree checks run before they check the tree
(tools/layers.py, tools/cited-paths.py): files planted in a scratch tree,
each with the number of problems the check must find in it."""
import os
import sys
import tempfile


def self_test(name, planted, count):
    """planted: {path: (text, problems wanted)}; count(path, text) runs
    the check on one planted file, with the scratch tree as the current
    folder. Prints what the check missed; returns 0 when it missed nothing."""
    failed = 0
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as root:
        os.chdir(root)
        try:
            for path, (text, _) in planted.items():
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
            for path, (text, want) in planted.items():
                got = count(path, text)
                if got != want:
                    print(f"{name} self-test: {path}: {got} problems found, want {want}",
                          file=sys.stderr)
                    failed += 1
        finally:
            os.chdir(old)
    if failed == 0:
        print(f"{name}: self-test caught every planted problem")
    return 1 if failed else 0
