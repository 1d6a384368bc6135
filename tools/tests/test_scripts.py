"""The command-line tools' outputs and exit statuses: tools/plot.py and
tools/spread.py, run as a user runs them."""
from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import REFERENCE_QUICK, TOOLS, row


def run(*args, timeout=600):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def test_plot_py_exit_2_when_a_suite_fails_and_the_others_still_draw(run_dir):
    rows = [row("harness", "timer", "empty_region", 52, "from=kernel", repetition="first", p5=26, unit="ticks"),
            row("rdmsr-exit", "break-even", "writes_per_1k_exits", 13.0, "rdmsr=25;round_trip=950;from=formula")]
    folder = run_dir(rows)
    done = run(TOOLS / "plot.py", folder)
    assert done.returncode == 2, done.stderr
    assert "plot.py: error: harness: ValueError" in done.stderr
    assert "plot.py: 1 suite(s) failed: harness" in done.stderr
    assert (folder / "rdmsr-exit-break-even.png").is_file()


def test_plot_py_bad_usage_is_exit_1(tmp_path):
    assert run(TOOLS / "plot.py").returncode == 1
    assert run(TOOLS / "plot.py", tmp_path / "nope").returncode == 1
    done = run(TOOLS / "plot.py", tmp_path)
    assert done.returncode == 1 and "holds no <suite>.csv reports" in done.stderr


def test_spread_is_range_over_median_worst_first(run_dir):
    def timing(values):
        return [row("s", "b", "op", v, f"k={k}", gate="timing", unit="ticks") for k, v in values.items()]
    runs = [run_dir(timing({1: 90, 2: 100})), run_dir(timing({1: 100, 2: 101})), run_dir(timing({1: 110, 2: 102}))]
    done = run(TOOLS / "spread.py", "s", *runs, "--limit", "5")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "s: 1/2 timing rows within 5% across 3 runs; median spread 11.0%"
    # (110 - 90) / 100 = 20 %, then (102 - 100) / 101 = 2.0 %.
    assert lines[1] == "    20.0%  b k=1 op: 90.0 100.0 110.0"
    assert lines[2] == "     2.0%  b k=2 op: 100.0 101.0 102.0"


def test_spread_needs_two_runs_and_readable_reports(tmp_path):
    assert run(TOOLS / "spread.py", "harness", REFERENCE_QUICK).returncode == 1
    done = run(TOOLS / "spread.py", "nosuch", REFERENCE_QUICK, REFERENCE_QUICK)
    assert done.returncode == 1 and "cannot read nosuch.csv" in done.stderr
