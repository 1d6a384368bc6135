"""Shared set-up for the tests of tools/: import paths, a headless
matplotlib, and result folders written the way `benchmark run` writes them
(the report's columns, environment.json), small enough to check by hand."""
from __future__ import annotations

import csv
import json
import os
import pathlib
import sys

import pytest

TOOLS = pathlib.Path(__file__).resolve().parent.parent
ROOT = TOOLS.parent
os.environ.setdefault("MPLBACKEND", "Agg")
for path in (TOOLS, TOOLS / "plots"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

REFERENCE_QUICK = ROOT / "Results" / "reference-quick"
REFERENCE = ROOT / "Results" / "reference"

# The report's columns in order, as the committed reference writes them.
with (REFERENCE_QUICK / "harness.csv").open(newline="", encoding="utf-8") as f:
    COLUMNS = next(csv.reader(f))


def row(suite: str, benchmark: str, metric: str, value, params: str = "", **columns) -> dict:
    """One report row: every column present, the usual defaults for the rest."""
    out = {c: "" for c in COLUMNS}
    out.update(schema_version="2", run_id=columns.pop("run_id", "t"), suite=suite, benchmark=benchmark,
               params=params, metric=metric, repetition="1", source="model", gate="exact", depends="none",
               status="ok", value="" if value is None else repr(value) if isinstance(value, float) else str(value),
               unit="bytes")
    out.update({k: str(v) for k, v in columns.items()})
    return out


def write_run(folder: pathlib.Path, rows: list[dict], **env) -> pathlib.Path:
    """Writes `folder` with one `<suite>.csv` per suite in `rows` and an
    environment.json holding `env` (run_id "t" unless given)."""
    folder.mkdir(parents=True, exist_ok=True)
    by_suite: dict[str, list[dict]] = {}
    for r in rows:
        by_suite.setdefault(r["suite"], []).append(r)
    for suite, own in by_suite.items():
        with (folder / f"{suite}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\r\n")
            w.writeheader()
            w.writerows(own)
    (folder / "environment.json").write_text(json.dumps({"run_id": "t", **env}))
    return folder


@pytest.fixture
def run_dir(tmp_path):
    """A factory: run_dir(rows, **env) -> a written result folder."""
    counter = iter(range(1000))

    def make(rows, **env):
        return write_run(tmp_path / f"run{next(counter)}", rows, **env)
    return make


def read_rows(folder: pathlib.Path, suite: str) -> list[dict]:
    """A report as tools/plot.py hands it to a plot module."""
    with (folder / f"{suite}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
