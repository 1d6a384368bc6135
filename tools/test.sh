#!/usr/bin/env bash
# The test command: installs what is missing, runs the Python tools' tests
# (tools/tests, pytest), builds everything (the CLI tests drive the built
# `benchmark` executable) and runs every Swift test, then the hostile-input
# script.  Tests check structure, exact sizes and determinism, never a
# duration.  Arguments go to `swift test` (e.g. --filter X).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh

# pytest exits 5 when it collected nothing: that is a failure here, as is
# any other non-zero status, so a broken test folder cannot pass as green.
status=0
.venv/bin/python -m pytest -q -p no:cacheprovider tools/tests || status=$?
if [ "$status" -ne 0 ]; then
    [ "$status" -eq 5 ] && echo "test.sh: pytest collected no test in tools/tests" >&2
    echo "test.sh: Python tests failed (pytest exit $status)" >&2
    exit 1
fi

swift build --build-tests
swift test --skip-build "$@"
tools/hostile.sh .build/debug/benchmark
