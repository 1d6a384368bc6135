#!/usr/bin/env bash
# Measures what an Intel host with AMX (Sapphire Rapids or later) and
# hardware KVM can measure, and packs the run for sending back.
#
#   tools/measure-amx-host.sh [--anyway] [benchmark all options...]
#
# 1. builds the release binary;
# 2. asks `benchmark doctor --json` what this host will do, and stops
#    (exit 3) unless every kvm AMX benchmark will be measured here
#    (--anyway runs regardless and says so in the pack);
# 3. runs `benchmark all --repetitions 3` (more options pass through)
#    into Results/<run-id>/;
# 4. packs environment.json, the CSVs and the doctor's answer into
#    amx-host-<run-id>.tar.gz in the current directory, with the hostname
#    and every local path removed.
# BENCHMARK_BIN=path uses an existing binary instead of building.
# Exit: 0 packed; 3 the doctor says AMX rows would be skipped; other
# non-zero: the build or the run failed (the run's own exit code).
set -euo pipefail
cd "$(dirname "$0")/.."

anyway=0
if [ "${1:-}" = "--anyway" ]; then anyway=1; shift; fi

# BENCHMARK_BIN: an already built binary (the tests use the debug one).
if [ -n "${BENCHMARK_BIN:-}" ]; then
    bin=$BENCHMARK_BIN
else
    swift build -c release >&2
    bin=.build/release/benchmark
fi

run_id="amx-host-$(date -u +%Y%m%dT%H%M%SZ)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" doctor --json > "$work/doctor.json"
skipped=$(python3 - "$work/doctor.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for e in d["benchmarks"]:
    if e["suite"] == "kvm" and e["benchmark"].startswith("amx-") and e["fate"] == "skipped":
        print(f'{e["suite"]}/{e["benchmark"]}: {e["reason"]}')
EOF
)
if [ -n "$skipped" ]; then
    echo "measure-amx-host: the doctor says these AMX benchmarks would be skipped here:" >&2
    echo "$skipped" | sed 's/^/  /' >&2
    if [ "$anyway" -eq 0 ]; then
        echo "measure-amx-host: not an AMX host with hardware KVM; rerun with --anyway to measure what it can" >&2
        exit 3
    fi
fi

output=Results
prev=""
for a in "$@"; do
    case "$a" in --output=*) output=${a#--output=} ;; esac
    [ "$prev" = "--output" ] && output=$a
    prev=$a
done
status=0
"$bin" all --repetitions 3 --run-id "$run_id" "$@" || status=$?
dir="$output/$run_id"
[ -f "$dir/environment.json" ] || { echo "measure-amx-host: the run left no results (exit $status)" >&2; exit "$status"; }

pack="$work/$run_id"
mkdir -p "$pack"
cp "$dir"/*.csv "$pack/"
cp "$work/doctor.json" "$pack/doctor.json"
# No local paths, no hostname: file names only, and the flag of --anyway.
python3 - "$dir/environment.json" "$pack/environment.json" "$anyway" <<'EOF'
import json, os, sys
env = json.load(open(sys.argv[1]))
env["hostname"] = "redacted"
env["command_line"] = [os.path.basename(a) if "/" in a else a for a in env.get("command_line", [])]
env["measure_amx_host"] = {"anyway": sys.argv[3] == "1"}
json.dump(env, open(sys.argv[2], "w"), indent=2, sort_keys=True)
EOF
tar -C "$work" -czf "$run_id.tar.gz" "$run_id"
echo "measure-amx-host: wrote $run_id.tar.gz (run exit $status); send that file back" >&2
exit "$status"
