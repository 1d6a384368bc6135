#!/usr/bin/env bash
# The test command: installs what is missing, builds everything (the CLI
# tests drive the built `benchmark` executable) and runs every test.
# Tests check structure, exact sizes and determinism, never a duration.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
tools/hostile.sh .build/debug/benchmark
