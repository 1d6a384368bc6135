#!/usr/bin/env bash
# Runs google/benchmark's own tools/compare.py on two `--format json` runs of
# every suite, the reader the JSON reports are written for.
#
#   tools/check-gbench-compare.sh GBENCH_TOOLS_DIR [BENCHMARK_BIN]
#
# GBENCH_TOOLS_DIR is the tools/ folder of a google/benchmark checkout
# (compare.py and gbench/); its Python needs numpy and scipy (.venv has them
# after `.venv/bin/pip install numpy scipy`).  Exit 0 when compare.py read
# every pair, 1 on bad usage, 2 when it failed on one.
set -euo pipefail
cd "$(dirname "$0")/.."
tools_dir=${1:?usage: tools/check-gbench-compare.sh GBENCH_TOOLS_DIR [BENCHMARK_BIN]}
bin=${2:-.build/release/benchmark}
python=.venv/bin/python
[ -x "$python" ] || python=python3
[ -f "$tools_dir/compare.py" ] || { echo "no compare.py in $tools_dir" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for id in a b; do
    "$bin" all --quick --quiet --repetitions 3 --format json --output "$out" --run-id "$id" >/dev/null
done
status=0
for json in "$out"/a/*.json; do
    name=$(basename "$json")
    [ "$name" = environment.json ] && continue
    if "$python" "$tools_dir/compare.py" benchmarks "$json" "$out/b/$name" >"$out/$name.txt" 2>&1; then
        echo "compare.py read $name ($(grep -c . "$out/$name.txt") lines)"
    else
        echo "compare.py failed on $name:" >&2
        tail -5 "$out/$name.txt" >&2
        status=2
    fi
done
exit $status
