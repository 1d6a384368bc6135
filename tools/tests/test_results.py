"""tools/results.py: what every figure and the README table are read through."""
from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

import results
from conftest import REFERENCE_QUICK, row


def test_parse_params():
    assert results.parse_params("a=1;b=x;c=") == {"a": "1", "b": "x", "c": ""}
    assert results.parse_params("") == {}
    assert results.parse_params(float("nan")) == {}
    # A value may hold '=' (a filter); only the first one splits.
    assert results.parse_params("f=a=b") == {"f": "a=b"}


def test_load_types_columns_and_splits_mixed_parameters(run_dir):
    folder = run_dir([
        row("rdmsr-exit", "fleet", "overhead_pct", 1.5, "rdmsr=25;policy=a", unit="%"),
        row("rdmsr-exit", "fleet", "overhead_pct", 2.5, "rdmsr=proxy-rdpid;policy=a", unit="%"),
        row("xsave", "save-restore", "per_op", 95, "mask=0xe7;op=xsave", p25=90, source="measured"),
        row("xsave", "size", "x", None, "mask=0x7", status="skipped"),
    ], cpu_brand="Test CPU", kernel_identity="6.18")
    df = results.load(folder)
    assert len(df) == 4
    assert df["value"].dtype.kind == "f" and df["p25"].dtype.kind == "f"
    fleet = df[df.benchmark == "fleet"].sort_values("value")
    assert list(fleet["rdmsr"].isna()) == [False, True]
    assert fleet["rdmsr"].iloc[0] == 25.0
    assert list(fleet["rdmsr_label"].fillna("")) == ["", "proxy-rdpid"]
    # Hex stays text, never a number.
    assert set(df["mask"].dropna()) == {"0xe7", "0x7"}
    assert df[df.status == "skipped"]["value"].isna().all()
    assert set(df["host"]) == {"Test CPU"} and set(df["kernel"]) == {"6.18"}
    assert set(df["name"]) == {"rdmsr-exit/fleet/rdmsr=25;policy=a/overhead_pct",
                               "rdmsr-exit/fleet/rdmsr=proxy-rdpid;policy=a/overhead_pct",
                               "xsave/save-restore/mask=0xe7;op=xsave/per_op", "xsave/size/mask=0x7/x"}
    for column in results.CATEGORIES:
        assert isinstance(df[column].dtype, pd.CategoricalDtype), column


def test_load_ignores_samples_and_hidden_files_and_selects_suites(run_dir):
    folder = run_dir([row("a", "b", "m", 1), row("c", "d", "m", 2)])
    (folder / "a.samples.csv").write_text("garbage\n")
    (folder / ".a.csv.tmp.csv").write_text("garbage\n")
    assert [p.name for p in results.report_paths(folder)] == ["a.csv", "c.csv"]
    assert list(results.load(folder).value) == [1.0, 2.0]
    assert list(results.load(folder, suites=["c"]).value) == [2.0]
    assert results.load(folder, suites=["zzz"]).empty


def test_load_joins_runs_and_last_repetition_is_per_run(run_dir):
    a = run_dir([row("s", "b", "m", 1, repetition=1, run_id="a"), row("s", "b", "m", 2, repetition=2, run_id="a")],
                run_id="a")
    b = run_dir([row("s", "b", "m", 7, repetition=1, run_id="b")], run_id="b")
    df = results.load(a, b)
    assert sorted(df.run_id) == ["a", "a", "b"]
    last = results.last_repetition(df)
    assert sorted(zip(last.run_id, last.value)) == [("a", 2.0), ("b", 7.0)]


def test_ok_keeps_ok_rows_with_a_value_of_the_benchmark_and_metric(run_dir):
    folder = run_dir([row("s", "b", "m", 1), row("s", "b", "m", None, status="error"),
                      row("s", "b", "n", 3), row("s", "c", "m", 4)])
    df = results.load(folder)
    assert list(results.ok(df, "b", "m").value) == [1.0]
    assert sorted(results.ok(df, "b").value) == [1.0, 3.0]


def test_environment_of_a_folder_without_one_is_empty(tmp_path):
    assert results.environment(tmp_path) == {}
    (tmp_path / "environment.json").write_text("{\"run_id\": ")
    assert results.environment(tmp_path) == {}


def test_load_samples_one_row_per_sample(tmp_path):
    with gzip.open(tmp_path / "s.samples.csv.gz", "wt", encoding="utf-8", newline="") as f:
        f.write("run_id,suite,benchmark,params,metric,repetition,unit,samples\r\n"
                "t,s,b,k=1,op,2,ticks,3 1 2.5\r\n")
    df = results.load_samples(tmp_path)
    assert list(df["value"]) == [3.0, 1.0, 2.5]
    assert list(df["index"]) == [0, 1, 2]
    assert set(df["repetition"]) == {2} and set(df["params"]) == {"k=1"}
    assert results.load_samples(tmp_path, suite="other").empty


def test_reference_quick_loads_every_recorded_row():
    env = json.loads((REFERENCE_QUICK / "environment.json").read_text())
    df = results.load(REFERENCE_QUICK)
    for suite, record in env["suites"].items():
        assert (df.suite == suite).sum() == record["rows"], suite
    ok = df[df.status == "ok"]
    assert ok["value"].notna().all()
