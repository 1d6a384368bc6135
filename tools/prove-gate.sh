#!/usr/bin/env bash
# Proves the timing regression gate of `benchmark compare` on this machine.
#
#   tools/prove-gate.sh [BENCHMARK_BINARY]      # default $BENCHMARK_BIN or .build/release/benchmark
#
# Each of PROVE_GATE_TRIALS (default 10) trials makes three fresh runs of
# `benchmark run harness --repetitions 5`, in this order:
#   base   unchanged
#   same   unchanged
#   slow   with XFD_BENCH_SLOWDOWN=harness/add-chain-1000=0.10 (the documented
#          test knob: 10% more dependent adds in that benchmark)
# and two comparisons with the default gate (5% threshold, Mann-Whitney U,
# alpha 0.05):
#   (a) base vs same: must give no `regressed` verdict on any row;
#   (b) base vs slow: must flag harness/add-chain-1000/adds=1000/per_chain
#       as regressed.
# Targets: (a) 0 of N trials with a regression, (b) N of N flagged.
# A comparison whose two runs met the machine in different speed states
# (their `_calibration` rows differ by more than 3%) gives `inconclusive`
# instead of `regressed`: counted and shown apart, neither a false alarm
# nor a detection.  Runs use `--timing-checks report`: a harness self-check
# that fails on a loaded machine is counted, not a reason to stop.
#
# Environment: BENCHMARK_BIN, PROVE_GATE_TRIALS, PROVE_GATE_KEEP=DIR (keep
# the result folders and compare outputs in DIR instead of a temporary one).
# The load is printed at the start, on every trial line and at the end; a
# load average above half the CPU count is warned about.
# Exit status: 0 both targets met; 1 a target missed (a false regression or
# a missed slowdown); 3 no false regression and no missed slowdown, but some
# comparisons were inconclusive (speed states differed); 2 bad usage, a run
# or a comparison failed.
set -euo pipefail

bin=${1:-${BENCHMARK_BIN:-.build/release/benchmark}}
trials=${PROVE_GATE_TRIALS:-10}
row="harness/add-chain-1000/adds=1000/per_chain"
knob="harness/add-chain-1000=0.10"

die() { echo "prove-gate: error: $*" >&2; exit 2; }
[ -x "$bin" ] || die "$bin is not an executable (build with: swift build -c release)"
[[ "$trials" =~ ^[1-9][0-9]*$ ]] || die "PROVE_GATE_TRIALS=$trials: expected a positive integer"

if [ -n "${PROVE_GATE_KEEP:-}" ]; then
    work=$PROVE_GATE_KEEP
    mkdir -p "$work" || die "cannot create $work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/prove-gate.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi

# run ID [ENV=VALUE...]: one fresh harness run into $work/ID.
run() {
    local id=$1
    shift
    if ! env "$@" "$bin" run harness --repetitions 5 --quiet --timing-checks report --output "$work" --run-id "$id" \
        >"$work/$id.log" 2>&1; then
        tail -n 3 "$work/$id.log" >&2
        die "run $id failed (log: $work/$id.log)"
    fi
    # --quiet keeps the warning off stderr: the rows say it.
    if grep -qE ",(failed|disturbed)," "$work/$id/harness.csv"; then
        check_notes=$((check_notes + 1))
    fi
}

# compare BASE CURRENT OUT: the gate's report into OUT; returns its exit status (0 or 2).
compare() {
    local status=0
    "$bin" compare "$work/$1" "$work/$2" --all >"$work/$3" 2>&1 || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
        cat "$work/$3" >&2
        die "compare $1 $2 exited $status"
    fi
    return "$status"
}

# The row's line from a compare report: verdict, medians, change, p.
row_line() { grep -E "^  [a-z ]+ +${row//./\\.} " "$work/$1" | sed -E 's/  +/  /g; s/^  //' | cut -c1-160 || true; }
# The row's verdict in a compare report.
row_verdict() { grep -E "^  [a-z ]+ +${row//./\\.} " "$work/$1" | awk '{print $1}' || true; }

load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?"; }
loads() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
busy() { awk -v l="$(load)" -v n="$(nproc)" 'BEGIN { exit !(l + 0 > n / 2) }'; }
if busy; then
    echo "warning: load average $(load) on $(nproc) CPUs: other work competes with the runs;" \
        "the proof is meant for a quiet machine (timing drifts between runs under load)" >&2
fi

echo "gate proof: $trials trials, each 3 fresh runs of \`$bin run harness --repetitions 5\`"
echo "host: $("$bin" env 2>/dev/null | sed -n 's/^brand: *//p') ($(nproc) CPUs online)"
echo "load at start: $(loads) (1, 5, 15 min) on $(nproc) CPUs"
echo

false_alarms=0
a_inconclusive=0
caught=0
b_inconclusive=0
check_notes=0
min_load=""
max_load=""
for i in $(seq 1 "$trials"); do
    run "base-$i"
    run "same-$i"
    run "slow-$i" XFD_BENCH_SLOWDOWN="$knob"

    a_status=0
    compare "base-$i" "same-$i" "a-$i.txt" || a_status=$?
    regressed_rows=$(grep -cE "^  regressed " "$work/a-$i.txt" || true)
    inconclusive_rows=$(grep -cE "^  inconclusive .*speed calibrations differ" "$work/a-$i.txt" || true)
    if [ "$a_status" -eq 2 ] || [ "$regressed_rows" -gt 0 ]; then
        false_alarms=$((false_alarms + 1))
        a_result="REGRESSED ($regressed_rows row(s)): $(grep -E '^  regressed ' "$work/a-$i.txt" | awk '{print $2}' | paste -sd' ')"
    elif [ "$inconclusive_rows" -gt 0 ]; then
        a_inconclusive=$((a_inconclusive + 1))
        a_result="inconclusive ($inconclusive_rows row(s), speed states differ)"
    else
        a_result="no regression"
    fi

    b_status=0
    compare "base-$i" "slow-$i" "b-$i.txt" || b_status=$?
    case "$(row_verdict "b-$i.txt")" in
        regressed) caught=$((caught + 1)); b_result="flagged" ;;
        inconclusive)
            if grep -qE "^  inconclusive +${row//./\\.} .*speed calibrations differ" "$work/b-$i.txt"; then
                b_inconclusive=$((b_inconclusive + 1)); b_result="inconclusive (speed states differ)"
            else
                b_result="MISSED (inconclusive)"
            fi ;;
        *) b_result="MISSED" ;;
    esac

    l=$(load)
    min_load=$(awk -v a="$min_load" -v b="$l" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
    max_load=$(awk -v a="$max_load" -v b="$l" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }')
    printf 'trial %2d  load %-5s (a) %-16s %s\n' "$i" "$l" "$a_result" "[$(row_line "a-$i.txt")]"
    printf '                     (b) %-16s %s\n' "$b_result" "[$(row_line "b-$i.txt")]"
done

echo
echo "load: trial lines $min_load..$max_load, now $(loads) (1, 5, 15 min) on $(nproc) CPUs"
echo "(a) unchanged vs unchanged:        $false_alarms of $trials comparisons gave a regressed verdict (target 0); $a_inconclusive inconclusive (speed states differ)"
echo "(b) unchanged vs +10% add-chain:   $caught of $trials comparisons flagged $row as regressed (target $trials); $b_inconclusive inconclusive (speed states differ); $((trials - caught - b_inconclusive)) missed"
echo "runs with a harness self-check failed or disturbed (reported, not enforced): $check_notes of $((3 * trials))"
[ -n "${PROVE_GATE_KEEP:-}" ] && echo "results and reports kept in $work"
if [ "$false_alarms" -eq 0 ] && [ "$caught" -eq "$trials" ]; then
    echo "PASS"
    exit 0
fi
if [ "$false_alarms" -eq 0 ] && [ "$((caught + b_inconclusive))" -eq "$trials" ]; then
    echo "INCONCLUSIVE: no false regression and no missed slowdown, but $((b_inconclusive)) slowdown comparison(s) met two speed states"
    exit 3
fi
echo "FAIL: target missed"
exit 1
