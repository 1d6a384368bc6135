#!/usr/bin/env bash
# Regenerates the committed reference runs from a clean tree:
#   Results/reference        a full run (`benchmark all`), with its plots:
#                            the README's figures come from it
#   Results/reference-quick  a quick run (`benchmark all --quick`): what
#                            .ci/run compares CI's own quick run with,
#                            like with like
# Commit both with the change that altered the figures.  Rows that depend
# on the host (`depends` cpu, kernel, machine) are gated only against a run
# from the same host identity; everything else is gated on any host.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "$(git status --porcelain -- . ':(exclude)Results')" ]; then
    echo "make-reference: the working tree has uncommitted changes; commit first so the reference names its commit" >&2
    exit 1
fi
tools/install-deps.sh
swift build -c release
for run in reference reference-quick; do
    rm -rf "Results/$run"
done
.build/release/benchmark all --quiet --run-id reference
.build/release/benchmark all --quick --quiet --run-id reference-quick
.venv/bin/python tools/plot.py Results/reference
# A run compared with itself must pass: proves the folders read back whole.
.build/release/benchmark compare Results/reference-quick Results/reference-quick --only-exact >/dev/null
echo "make-reference: wrote Results/reference and Results/reference-quick"
