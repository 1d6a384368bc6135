"""Load benchmark result folders into pandas DataFrames.

    import results
    df = results.load("Results/reference")              # every suite, every row
    df[(df.suite == "rdmsr-exit") & (df.benchmark == "fleet")]

`load(*run_dirs)` reads each folder's `<suite>.csv` reports and
`environment.json` into one DataFrame:

- the report columns (`value`, `median`, `median_ns`, ... numeric; `source`,
  `gate`, `depends`, `status` categorical);
- `run_id`, `host` (cpu_brand), `kernel` (kernel_identity) from the record;
- `name`: `suite/benchmark/params/metric`, as the JSON reports spell it;
- one column per parameter key, typed: numbers are numeric; a key that
  mixes numbers with words (`rdmsr` = 25, 50, ... and `proxy-rdpid`) is
  split into a numeric column (NaN for the words) and `<key>_label` holding
  the words (NaN for the numbers), so sorting and plotting stay numeric.
  Hex values (`mask=0xe7`) and other text stay text.

`load_samples(run_dir)` reads the `--samples` files (`<suite>.samples.csv.gz`:
one line per row and repetition, samples separated by spaces) into a long
DataFrame, one row per sample.
"""
from __future__ import annotations

import gzip
import json
import pathlib
import re

import pandas as pd

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
NUMERIC_COLUMNS = ["value", "n", "min", "p5", "p25", "median", "p75", "p95", "p99", "max", "mean",
                   "stddev", "mad", "ci95_low", "ci95_high", "outliers", "migrations_dropped",
                   "median_ns", "median_core_cycles_est", "repetition", "schema_version"]
CATEGORIES = ["suite", "source", "gate", "depends", "status", "unit"]


def parse_params(text) -> dict[str, str]:
    """`key=value;key=value` as a dict (empty for an empty or missing field)."""
    out = {}
    if not isinstance(text, str):
        return out
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key:
            out[key] = value
    return out


def environment(run_dir) -> dict:
    """The run's environment.json as a dict ({} when absent or unreadable)."""
    try:
        return json.loads((pathlib.Path(run_dir) / "environment.json").read_text())
    except (OSError, ValueError):
        return {}


def report_paths(run_dir) -> list[pathlib.Path]:
    """The `<suite>.csv` reports of a folder (not samples), sorted."""
    return sorted(p for p in pathlib.Path(run_dir).glob("*.csv")
                  if not p.name.endswith(".samples.csv") and not p.name.startswith("."))


def typed_params(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds one typed column per parameter key found in `frame.params`."""
    parsed = frame["params"].map(parse_params)
    keys: list[str] = []
    for d in parsed:
        keys += [k for k in d if k not in keys]
    for key in keys:
        if key in frame.columns:  # never shadow a report column
            continue
        raw = parsed.map(lambda d: d.get(key))
        is_number = raw.map(lambda v: isinstance(v, str) and bool(NUMBER.match(v)))
        is_word = raw.map(lambda v: isinstance(v, str) and not NUMBER.match(v))
        if is_number.any():
            frame[key] = pd.to_numeric(raw.where(is_number), errors="coerce")
            if is_word.any():
                frame[key + "_label"] = raw.where(is_word)
        else:
            frame[key] = raw
    return frame


def read_report(path, env: dict | None = None) -> pd.DataFrame:
    """One `<suite>.csv` as a DataFrame with typed columns and parameters."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in NUMERIC_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    env = env or {}
    frame["host"] = env.get("cpu_brand")
    frame["kernel"] = env.get("kernel_identity")
    if "run_id" not in frame.columns or (frame["run_id"] == "").all():
        frame["run_id"] = env.get("run_id")
    frame["name"] = [
        "/".join([s, b] + ([p] if p else []) + [m])
        for s, b, p, m in zip(frame["suite"], frame["benchmark"], frame["params"], frame["metric"])
    ]
    return frame


def load(*run_dirs, suites: list[str] | None = None) -> pd.DataFrame:
    """Every row of every report in `run_dirs` (and of `suites` only, when
    given), parameters as typed columns."""
    frames = []
    for run_dir in run_dirs:
        env = environment(run_dir)
        for path in report_paths(run_dir):
            if suites is None or path.stem in suites:
                frames.append(read_report(path, env))
    if not frames:
        return pd.DataFrame(columns=["suite", "benchmark", "params", "metric", "value"])
    frame = typed_params(pd.concat(frames, ignore_index=True))
    for column in CATEGORIES:
        if column in frame.columns:
            frame[column] = frame[column].astype("category")
    return frame


def load_samples(run_dir, suite: str | None = None) -> pd.DataFrame:
    """Raw samples of `--samples` runs: one row per sample with `index` and
    `value` (in `unit`), plus the row's identity columns."""
    records = []
    for path in sorted(pathlib.Path(run_dir).glob("*.samples.csv.gz")):
        if suite is not None and path.name != f"{suite}.samples.csv.gz":
            continue
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            lines = pd.read_csv(f, dtype=str, keep_default_na=False)
        for line in lines.itertuples(index=False):
            values = [float(v) for v in line.samples.split()]
            for i, v in enumerate(values):
                records.append((line.run_id, line.suite, line.benchmark, line.params, line.metric,
                                int(line.repetition), line.unit, i, v))
    return pd.DataFrame.from_records(records, columns=["run_id", "suite", "benchmark", "params", "metric",
                                                       "repetition", "unit", "index", "value"])


def last_repetition(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the last repetition of each run (figures that do not vary)."""
    if frame.empty:
        return frame
    last = frame.groupby("run_id", observed=True)["repetition"].transform("max")
    return frame[frame["repetition"] == last]


def ok(frame: pd.DataFrame, benchmark: str, metric: str | None = None) -> pd.DataFrame:
    """Rows of `benchmark` (and `metric`) with status ok and a value."""
    sel = (frame["benchmark"] == benchmark) & (frame["status"] == "ok") & frame["value"].notna()
    if metric is not None:
        sel &= frame["metric"] == metric
    return frame[sel]
