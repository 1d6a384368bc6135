#!/usr/bin/env bash
# Scripted cases the unit tests cannot express: a whole `all` run whose
# reader leaves after one line, and the time an interrupt takes to be
# honoured inside a long sample loop (bounded at 1 s here, in a script,
# because unit tests never assert durations).  Usage: tools/hostile.sh [BINARY]
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/debug/benchmark}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

# `benchmark all --quick | head -1`: every suite still runs and is recorded.
"$bin" all --quick --quiet --output "$out" --run-id head 2>/dev/null | head -1 >/dev/null
check "all | head -1 completes the run" 'grep -q "\"complete\" : true" "$out/head/environment.json"'

# SIGINT inside one long configuration: honoured within 1 s.
"$bin" run rdmsr-exit --output "$out" --run-id long --set samples=10000 --set exits=190 >/dev/null 2>"$out/long.err" &
pid=$!
sleep 3
kill -INT "$pid"
start=$(date +%s%N)
wait "$pid"; status=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "interrupt in a long loop: exit 130 (got $status)" '[ "$status" -eq 130 ]'
check "interrupt in a long loop: honoured in ${ms} ms (<= 1000)" '[ "$ms" -le 1000 ]'
check "interrupt in a long loop: says interrupted" 'grep -q "^interrupted:" "$out/long.err"'
check "interrupt in a long loop: nothing kept" '[ ! -e "$out/long" ]'
exit $fail
