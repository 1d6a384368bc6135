#!/usr/bin/env bash
# Proves `benchmark history --gate` (E-Divisive means + Student's t-test over
# the stored series) on this machine, as CI would use it: one run at a time
# is added to a store and the store is gated.
#
#   tools/prove-history-gate.sh [BENCHMARK_BINARY]   # default $BENCHMARK_BIN or .build/release/benchmark
#
# 1. A/A: PROVE_HISTORY_RUNS (default 12) unchanged runs of
#    `benchmark run harness --repetitions 5`, each added to an SQLite store
#    and the store gated after each addition from the third on.  Any
#    regression is a false alarm (each gate looks at every timing series).
# 2. Steps: PROVE_HISTORY_STEPS (default 5) runs with
#    XFD_BENCH_SLOWDOWN=harness/add-chain-1000=0.10 (the documented test
#    knob: 10% more dependent adds), each added to a copy of the A/A store
#    and gated: harness/add-chain-1000/adds=1000/per_chain must be flagged.
# Prints both rates, the load average around each run, and exits 0 when
# there was no false alarm and every step was flagged, 1 otherwise, 2 on
# bad usage or a failed run.  PROVE_HISTORY_KEEP=DIR keeps everything in DIR.
set -euo pipefail

bin=${1:-${BENCHMARK_BIN:-.build/release/benchmark}}
runs=${PROVE_HISTORY_RUNS:-12}
steps=${PROVE_HISTORY_STEPS:-5}
row="harness/add-chain-1000/adds=1000/per_chain"
knob="harness/add-chain-1000=0.10"

die() { echo "prove-history-gate: error: $*" >&2; exit 2; }
[ -x "$bin" ] || die "$bin is not an executable (build with: swift build -c release)"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] && [ "$runs" -ge 3 ] || die "PROVE_HISTORY_RUNS=$runs: expected 3 or more"
[[ "$steps" =~ ^[1-9][0-9]*$ ]] || die "PROVE_HISTORY_STEPS=$steps: expected a positive integer"
if [ -n "${PROVE_HISTORY_KEEP:-}" ]; then
    work=$PROVE_HISTORY_KEEP; mkdir -p "$work" || die "cannot create $work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/prove-history-gate.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
load() { cut -d' ' -f1 /proc/loadavg; }

# run ID [ENV=VALUE...]: one fresh harness run into $work/ID.  Exit 7 (a
# self-check failed; every file written) is a run: the gate judges it.
run() {
    local id=$1 status=0; shift
    env "$@" "$bin" run harness --repetitions 5 --quiet --output "$work" --run-id "$id" >"$work/$id.log" 2>&1 || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 7 ]; then
        tail -n 3 "$work/$id.log" >&2; die "run $id failed with exit $status (log: $work/$id.log)"
    fi
}

# gate STORE OUT: history --gate into OUT; its exit status (0, 2) or dies.
gate() {
    local status=0
    "$bin" history --gate --store "$1" --filter '^harness/' >"$2" 2>&1 || status=$?
    [ "$status" -eq 0 ] || [ "$status" -eq 2 ] || { cat "$2" >&2; die "history --gate failed with exit $status"; }
    return "$status"
}

store=$work/aa.sqlite
gates=0 alarms=0
for i in $(seq -w 1 "$runs"); do
    before=$(load)
    run "aa-$i"
    "$bin" store add --store "$store" "$work/aa-$i" >/dev/null || die "store add aa-$i failed"
    verdict="-"
    if [ "$((10#$i))" -ge 3 ]; then
        gates=$((gates + 1))
        if gate "$store" "$work/gate-aa-$i.txt"; then
            verdict="quiet"
        else
            alarms=$((alarms + 1))
            verdict="FALSE ALARM: $(grep -E '^(REGRESSION|NOW FAILING|EXACT CHANGED)' "$work/gate-aa-$i.txt" | cut -c1-160 | paste -sd';' -)"
        fi
    fi
    echo "A/A run $i: load $before -> $(load); gate: $verdict"
done

flagged=0
for i in $(seq -w 1 "$steps"); do
    before=$(load)
    run "step-$i" XFD_BENCH_SLOWDOWN="$knob"
    cp "$store" "$work/step-$i.sqlite"
    "$bin" store add --store "$work/step-$i.sqlite" "$work/step-$i" >/dev/null || die "store add step-$i failed"
    if ! gate "$work/step-$i.sqlite" "$work/gate-step-$i.txt" && grep -q "REGRESSION  $row " "$work/gate-step-$i.txt"; then
        flagged=$((flagged + 1)); verdict="flagged"
    else
        verdict="MISSED"
    fi
    echo "10% step run $i: load $before -> $(load); $row: $verdict"
done

echo "history gate on this host: A/A false alarms $alarms of $gates gates; 10% step flagged $flagged of $steps"
[ "$alarms" -eq 0 ] && [ "$flagged" -eq "$steps" ]
