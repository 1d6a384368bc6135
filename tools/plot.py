#!/usr/bin/env python3
"""Draw the plots of one result folder, next to its CSVs.

    python3 tools/plot.py RUN_DIR          # e.g. Results/latest

For every <suite>.csv in RUN_DIR (not *.samples.csv) this imports
tools/plots/<suite, '-' replaced by '_'>.py when it exists and calls its

    plot(run_dir: pathlib.Path, rows: list[dict]) -> list[pathlib.Path]

with the rows of the CSV as csv.DictReader gives them (every field a
string).  The module writes PNGs into run_dir and returns their paths.
A module that raises is reported and the other suites still run.
Then tools/plots/answers.py draws the headline figures from the whole run,
loaded with tools/results.py.

Exit status: 0 when every suite with a plot module drew its plots; 1 on bad
usage, a missing matplotlib, or a folder without reports; 2 when at least
one suite's module failed.
"""
from __future__ import annotations

import csv
import importlib.util
import pathlib
import sys
import traceback

PLOTS_DIR = pathlib.Path(__file__).resolve().parent / "plots"


def fail(message: str, status: int = 1) -> "None":
    print(f"plot.py: error: {message}", file=sys.stderr)
    sys.exit(status)


def load_module(suite: str):
    """The plot module of `suite`, or None when it has none."""
    path = PLOTS_DIR / (suite.replace("-", "_") + ".py")
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"xfd_plots_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 2 else sys.stdout)
        return 0 if len(argv) == 2 else 1
    run_dir = pathlib.Path(argv[1])
    if not run_dir.is_dir():
        fail(f"{run_dir} is not a folder (expected a result folder such as Results/latest)")
    reports = sorted(p for p in run_dir.glob("*.csv") if not p.name.endswith(".samples.csv"))
    if not reports:
        fail(f"{run_dir} holds no <suite>.csv reports")
    try:
        import matplotlib
        matplotlib.use("Agg")
    except ImportError:
        fail(f"matplotlib is not installed for {sys.executable}; run tools/setup.sh "
             "(or: python3 -m venv .venv && .venv/bin/pip install -r tools/requirements.txt)")
    sys.path.insert(0, str(PLOTS_DIR))  # lets suite modules import report_rows

    failed: list[str] = []
    for report in reports:
        suite = report.stem
        try:
            module = load_module(suite)
            if module is None:
                print(f"{suite}: no plot module (tools/plots/{suite.replace('-', '_')}.py); skipped")
                continue
            with report.open(newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            written = module.plot(run_dir, rows) or []
            names = ", ".join(pathlib.Path(p).name for p in written) or "nothing"
            print(f"{suite}: wrote {names}")
        except Exception as e:  # one suite's failure must not stop the others
            failed.append(suite)
            where = traceback.extract_tb(e.__traceback__)[-1]
            print(f"plot.py: error: {suite}: {type(e).__name__}: {e} "
                  f"({pathlib.Path(where.filename).name}:{where.lineno})", file=sys.stderr)
        finally:
            import matplotlib.pyplot as plt
            plt.close("all")
    try:  # headline figures across suites, from the run's DataFrame
        sys.path.insert(0, str(PLOTS_DIR.parent))
        import results
        written = load_module("answers").plot(run_dir, results.load(run_dir)) or []
        print(f"answers: wrote {', '.join(pathlib.Path(p).name for p in written) or 'nothing'}")
    except Exception as e:
        failed.append("answers")
        where = traceback.extract_tb(e.__traceback__)[-1]
        print(f"plot.py: error: answers: {type(e).__name__}: {e} "
              f"({pathlib.Path(where.filename).name}:{where.lineno})", file=sys.stderr)
    if failed:
        print(f"plot.py: {len(failed)} suite(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
