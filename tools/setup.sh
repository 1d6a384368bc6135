#!/usr/bin/env bash
# The main command: installs what is missing, builds in release, runs every
# suite into Results/<run-id>/ and draws the plots next to the CSVs.
#
#   tools/setup.sh                      # full run (a few minutes)
#   tools/setup.sh --quick              # seconds per suite
#   tools/setup.sh --repetitions 5      # any `benchmark all` option passes through
#
# Results/latest points at the newest run.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
swift build -c release
.build/release/benchmark all "$@"

run_dir=Results/latest
for ((i = 1; i <= $#; i++)); do
    case "${!i}" in
        --output) j=$((i + 1)); root="${!j}" ;;
        --run-id) j=$((i + 1)); run="${!j}" ;;
    esac
done
[ -n "${root:-}" ] && run_dir="$root/latest"
[ -n "${run:-}" ] && run_dir="${root:-Results}/$run"
.venv/bin/python tools/plot.py "$run_dir"
