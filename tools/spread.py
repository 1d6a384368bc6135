#!/usr/bin/env python3
"""Run-to-run spread of timing medians across separate runs of one suite.

    tools/spread.py SUITE RUN_DIR RUN_DIR [RUN_DIR ...] [--limit PCT]

For every row with gate=timing and status=ok present in all runs, prints
(max - min) / median of the per-run values (the row's median; the median of
its repetitions when a run has several), worst first, and how many rows stay
within --limit percent (default 5).  Exit 0 always: this reports, it does
not gate (`benchmark compare` gates).
"""
import argparse
import csv
import pathlib
import statistics
import sys


def medians(run_dir: pathlib.Path, suite: str) -> dict:
    per_row: dict = {}
    with open(run_dir / f"{suite}.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["gate"] != "timing" or r["status"] != "ok" or r["value"] == "":
                continue
            key = (r["benchmark"], r["params"], r["metric"])
            per_row.setdefault(key, []).append(float(r["value"]))
    return {k: statistics.median(v) for k, v in per_row.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite")
    ap.add_argument("runs", nargs="+", type=pathlib.Path)
    ap.add_argument("--limit", type=float, default=5.0, help="percent (default 5)")
    ap.add_argument("--show", type=int, default=10, help="rows to list, worst first")
    a = ap.parse_args()
    if len(a.runs) < 2:
        print("spread: need at least two run folders", file=sys.stderr)
        return 1
    try:
        runs = [medians(d, a.suite) for d in a.runs]
    except (OSError, KeyError, ValueError) as e:
        print(f"spread: cannot read {a.suite}.csv: {e}", file=sys.stderr)
        return 1
    keys = set(runs[0]).intersection(*runs[1:])
    rows = []
    for k in keys:
        vals = [r[k] for r in runs]
        mid = statistics.median(vals)
        if mid > 0:
            rows.append((100 * (max(vals) - min(vals)) / mid, k, vals))
    rows.sort(reverse=True)
    within = sum(1 for s, _, _ in rows if s <= a.limit)
    print(f"{a.suite}: {within}/{len(rows)} timing rows within {a.limit:g}% across {len(runs)} runs"
          + (f"; median spread {statistics.median(s for s, _, _ in rows):.1f}%" if rows else ""))
    for s, (b, p, m), vals in rows[: a.show]:
        print(f"  {s:6.1f}%  {b} {p} {m}: " + " ".join(f"{v:.1f}" for v in vals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
