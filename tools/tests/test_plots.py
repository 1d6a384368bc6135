"""The numbers each plot in tools/plots draws, computed by the pure
function beside each figure (the figure itself is not compared: pixels
are not the figure's meaning).  Small folders written here, plus the
committed Results/reference-quick for what the suites really write."""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

import answers
import fpstate_figures
import harness
import rdmsr_exit
import rdmsr_share
import results
import xsave
import xsave_timing
from conftest import REFERENCE_QUICK, TOOLS, read_rows, row

POLICIES = ["eager-at-create", "expand-at-cpuid", "lazy-on-trap"]


def fpstate_rows():
    rows = []
    for policy, per_vcpu in {"eager-at-create": {0: 10816, 100: 10816},
                             "lazy-on-trap": {0: 2624, 100: 10816}}.items():
        for adoption, b in per_vcpu.items():
            for rep, scale in ((1, 3), (2, 1)):   # the last repetition is drawn
                rows.append(row("fpstate-alloc", "memory", "resident_bytes_per_vcpu", b * scale,
                                f"cpu-model=spr;policy={policy};vcpus=16;adoption={adoption}", repetition=rep))
        for vcpus in (1, 1024):
            for adoption in (0, 10):
                rows.append(row("fpstate-alloc", "memory", "resident_bytes", vcpus * per_vcpu.get(adoption, 10816),
                                f"cpu-model=spr;policy={policy};vcpus={vcpus};adoption={adoption}", repetition=2))
        for allocator, base in (("mmap", 20000), ("malloc", 300)):
            for i, event in enumerate(answers.LIFECYCLE_EVENTS):
                v = base + i
                rows.append(row("fpstate-alloc", "lifecycle", event, v, f"allocator={allocator};policy={policy}",
                                source="measured", unit="ticks", p25=v - 5, p75=v + 7, p5=v - 9, p95=v + 11,
                                repetition=2))
    return rows


def test_answers_fpstate_policies_in_kib_and_mib(run_dir):
    data = answers.fpstate_policies_data(results.load(run_dir(fpstate_rows())))
    assert data["per_vcpu"] == {"eager-at-create": [(0.0, 10.5625), (100.0, 10.5625)],
                                "lazy-on-trap": [(0.0, 2.5625), (100.0, 10.5625)]}
    assert data["fleet_adoption"] == 10.0
    assert data["fleet"]["lazy-on-trap"] == [(1.0, 10816 / 2**20), (1024.0, 10816 * 1024 / 2**20)]
    assert data["allocator"] == "malloc"
    assert data["latency"]["lazy-on-trap"]["first_use_ticks"] == (302.0, 297.0, 309.0)
    assert set(data["latency"]) == {"eager-at-create", "lazy-on-trap"}
    assert data["cpu_models"] == "spr"
    assert data["sources"]["per_vcpu"] == "source: model"


def test_answers_fleet_overhead_lines_and_stand_ins(run_dir):
    rows = []
    for policy, values in {"always-intercept": [(800, 0.09), (25, 0.07)], "passthrough-at-cpuid": [(25, 5.5), (800, 20)]}.items():
        for cost, v in values:
            rows.append(row("rdmsr-exit", "fleet", "overhead_pct", v, f"rdmsr={cost};policy={policy};fleet=f", unit="%"))
        rows.append(row("rdmsr-exit", "fleet", "overhead_pct", 1.25, f"rdmsr=proxy-rdpid;policy={policy};fleet=f",
                        unit="%", source="proxy"))
    rows += [row("rdmsr-exit", "break-even", "read_ticks_per_exit", v, "rdmsr=proxy-rdpid;from=loop", unit="ticks")
             for v in (30, 40, 50)]
    rows.append(row("rdmsr-exit", "cost-table", "cycles", 950, "item=round-trip;basis=model", note="used"))
    rows.append(row("rdmsr-exit", "cost-table", "cycles", 1200, "item=round-trip;basis=measured", note="x; not used"))
    data = answers.fleet_overhead_data(results.load(run_dir(rows)), ticks_per_cycle=0.5)
    assert data["lines"] == {"always-intercept": [(25.0, 0.07), (800.0, 0.09)],
                             "passthrough-at-cpuid": [(25.0, 5.5), (800.0, 20.0)]}
    assert data["standins"] == [("proxy-rdpid", 40.0, 80.0, {"always-intercept": 1.25, "passthrough-at-cpuid": 1.25})]
    assert data["exit_note"] == "; exit round trip 950 cycles (model)"
    assert data["fleet"] == "f"
    # Without a ticks-per-cycle estimate the stand-in sits at its tick count.
    assert answers.fleet_overhead_data(results.load(run_dir(rows)), None)["standins"][0][2] == 40.0


def test_fpstate_figures_memory_in_mib_and_latency_quantiles(run_dir):
    df = results.last_repetition(results.load(run_dir(fpstate_rows())))
    metric, series = fpstate_figures.memory_series(df)
    assert metric == "resident_bytes"
    assert sorted(series) == [0.0, 10.0]
    assert series[0.0]["lazy-on-trap"] == [(1.0, 2624 / 2**20), (1024.0, 2624 * 1024 / 2**20)]
    points = fpstate_figures.latency_points(df)
    assert list(points) == ["mmap", "malloc"]
    assert points["mmap"]["eager-at-create"]["destroy_ticks"] == (20003.0, 19998.0, 20010.0, 19994.0, 20014.0)


def test_harness_timer_and_add_chain(run_dir):
    rows = [row("harness", "timer", "empty_region", 52, "from=kernel", repetition=2, p5=26, p25=26, median=52,
                p75=52, p95=78, p99=104, source="measured", unit="ticks"),
            row("harness", "timer", "empty_region", 52, "from=kernel", repetition=1, p5=26, p25=52, median=52,
                p75=52, p95=52, p99=52, source="measured", unit="ticks"),
            row("harness", "timer", "empty_region", 40, "from=swift", repetition=1, p5=39, p25=40, median=40,
                p75=41, p95=42, p99=43, unit="ticks")]
    rows += [row("harness", "add-chain", "region", 10 + 0.5 * n, f"adds={n}", unit="ticks") for n in (100, 200)]
    rows += [row("harness", "add-chain", "ticks_per_add", 0.5, unit="ticks/add"),
             row("harness", "add-chain", "intercept", 10, unit="ticks"),
             row("harness", "add-chain", "r_squared", 0.99999, unit="")]
    written = read_rows(run_dir(rows), "harness")
    lines = harness.timer_lines(written)
    assert [rep for rep, _, _ in lines["kernel"]] == [1, 2]
    assert lines["kernel"][1][2] == [(0, 26.0), (1, 26.0), (2, 52.0), (3, 52.0), (4, 78.0), (5, 104.0)]
    assert lines["swift"][0][1] == "model"
    assert harness._grid([26, 52, 52, 78, None]) == 26
    assert harness._grid([52]) is None
    # Gaps of half a tick or less are arithmetic noise, not the read step.
    assert harness._grid([52, 52.3, 78]) == 78 - 52.3
    chains, fit = harness.add_chain_data(written)
    assert chains == [(100.0, 60.0), (200.0, 110.0)]
    assert fit == (0.5, 10.0, 0.99999)


def test_rdmsr_break_even_medians_and_sorting(run_dir):
    rows = [row("rdmsr-exit", "break-even", "writes_per_1k_exits", v, f"rdmsr={c};round_trip={t};from=formula",
                source="model", repetition=rep)
            for t in (500, 950) for c in (800, 25) for rep, v in ((1, c / t), (2, 3 * c / t), (3, 2 * c / t))]
    rows += [row("rdmsr-exit", "break-even", "writes_per_1k_exits", v, f"rdmsr={c};from=loop", source="simulated")
             for c, v in (("50", 3.0), ("25", 1.5), ("proxy-rdpid", 9.0), ("100", 0.0))]
    lines, loop = rdmsr_exit.break_even_data(read_rows(run_dir(rows), "rdmsr-exit"))
    assert list(lines) == [500, 950]
    assert lines[950] == ("model", [(25, 2 * 25 / 950), (800, 2 * 800 / 950)])
    assert loop == [(25, 1.5, "simulated"), (50, 3.0, "simulated")]


def test_rdmsr_share_panels_at_one_rate_last_repetition(run_dir):
    rows = [row("rdmsr-exit", "cpu-share", "vcpu_share_lost", rate / 1e5 * c + rep,
                f"rdmsr={c};policy=p;guest={g};exits_per_s={rate}", unit="%", repetition=rep)
            for g in ("legacy", "amx-active") for c in (25, 800) for rate in (1000, 100000) for rep in (1, 2)]
    rows += [row("rdmsr-exit", "fleet", "vcpu_share_lost", 7, f"rdmsr=25;policy=p;fleet=f;exits_per_s={rate}",
                 unit="%") for rate in (1000, 100000)]
    rate, panels = rdmsr_share.share_panels(results.load(run_dir(rows)))
    assert rate == 100000.0
    assert [t for t, _ in panels] == ["legacy", "amx-active", "fleet f"]
    legacy = panels[0][1]
    assert sorted(zip(legacy.rdmsr, legacy.value)) == [(25.0, 27.0), (800.0, 802.0)]
    assert list(panels[2][1].value) == [7.0]


@pytest.fixture(scope="module")
def xsave_rows():
    return read_rows(REFERENCE_QUICK, "xsave")


def test_xsave_size_bars_stack_components_to_the_total(xsave_rows):
    cpus, sources, bars = xsave.size_bars(xsave_rows)
    assert cpus[-1] == "host" and {"spr", "zen3"} <= set(cpus)
    assert sources["spr"] == "model"
    spr = {s: (total, segs) for cpu, s, total, segs in bars["standard_bytes"] if cpu == "spr"}
    total, segments = spr["+AMX_XTILEDATA"]
    assert total == 11008
    # Legacy area, then the AMX image's components at their sizes, then the
    # standard format's holes up to the total.
    assert [(c, h) for c, _, h in segments] == [("legacy+header", 576), (2, 256), (5, 64), (6, 512), (7, 1024),
                                                 (9, 8), (17, 64), (18, 8192), ("layout overhead", 312)]
    for _, _, total, segments in bars["standard_bytes"] + bars["compacted_bytes"]:
        bottoms = [b for _, b, _ in segments]
        assert bottoms == sorted(bottoms)
        assert segments[-1][1] + segments[-1][2] == total or segments[-1][0] != "layout overhead"
    compacted = {s: total for cpu, s, total, _ in bars["compacted_bytes"] if cpu == "spr"}
    assert compacted["+AMX_XTILEDATA"] == 10752


def test_xsave_size_bars_draw_the_first_repetition(run_dir):
    rows = []
    for rep, size in ((1, 256), (2, 999)):
        rows += [row("xsave", "size-component", "size", size, "cpu=c;component=2", repetition=rep),
                 row("xsave", "size-component", "enabled", 1, "cpu=c;component=2", repetition=rep),
                 row("xsave", "size-featureset", "standard_bytes", 576 + size, "cpu=c;set=+AVX", repetition=rep)]
    cpus, _, bars = xsave.size_bars(read_rows(run_dir(rows), "xsave"))
    assert cpus == ["c"]
    assert bars["standard_bytes"] == [("c", "+AVX", 832, [("legacy+header", 0, 576), (2, 576, 256)])]
    assert bars["compacted_bytes"] == []


def test_xsave_ticks_against_the_bytes_the_save_wrote(run_dir):
    rows = [row("xsave", "save-restore", "per_op", v, f"cpu=host;set=s;state=dirty;op={op}", source="measured",
                unit="ticks", p25=v - 1, p75=v + 2)
            for op, v in (("xsave", 95), ("xrstor", 218), ("xsavec+xrstor-compacted", 300), ("nosuch", 1))]
    rows += [row("xsave", "save-restore", "bytes_written", b, f"cpu=host;set=s;state=dirty;op={op}", source="measured")
             for op, b in (("xsave", 2440), ("xsavec", 840))]
    points = xsave_timing.ticks_vs_bytes_points(results.load(run_dir(rows)))
    assert points == {("dirty", "xsave"): [(2440.0, 95.0, 94.0, 97.0)],
                      ("dirty", "xrstor"): [(2440.0, 218.0, 217.0, 220.0)],
                      ("dirty", "xsavec+xrstor-compacted"): [(840.0, 300.0, 299.0, 302.0)]}


def test_reference_quick_figures_hold_what_the_rows_say():
    df = results.load(REFERENCE_QUICK)
    fp = answers.fpstate_policies_data(df)
    rows = df[(df.benchmark == "memory") & (df.metric == "resident_bytes_per_vcpu") & (df.status == "ok")]
    for policy, points in fp["per_vcpu"].items():
        for adoption, kib in points:
            sel = rows[(rows.policy == policy) & (rows.adoption == adoption)]
            assert kib * 1024 == sel.value.median()
    fleet = answers.fleet_overhead_data(df, results.environment(REFERENCE_QUICK).get("ticks_per_core_cycle"))
    assert {"always-intercept", "passthrough-on-first-write", "passthrough-at-cpuid"} <= set(fleet["lines"])
    for points in fleet["lines"].values():
        assert [c for c, _ in points] == sorted(c for c, _ in points)


def test_plot_py_draws_every_figure_of_a_reference_run(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(REFERENCE_QUICK, run)
    done = subprocess.run([sys.executable, str(TOOLS / "plot.py"), str(run)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    drawn = {p.name for p in run.glob("*.png")}
    assert drawn >= set(["answer-fleet-overhead.png", "answer-fpstate-policies.png", "fpstate-alloc-latency.png",
                            "fpstate-alloc-memory.png", "harness-add-chain.png", "harness-timer.png",
                            "rdmsr-exit-break-even.png", "rdmsr-exit-cpu-share.png", "xsave-sizes.png",
                            "xsave-ticks-vs-bytes.png"])
