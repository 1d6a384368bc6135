"""Tests of the numbers the fastpath-sweep plot draws (pytest)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "plots"))
import rdmsr_sweep  # noqa: E402


def row(bench, params, metric, value, status="ok"):
    return {"benchmark": bench, "params": params, "metric": metric, "value": str(value), "status": status}


ROWS = [
    row("break-even", "rdmsr=100;round_trip=950;kernel=6.18;from=formula-sweep;fastpath_share=0.00;point=swept", "writes_per_1k_exits", 74.07),
    row("break-even", "rdmsr=100;round_trip=950;kernel=6.18;from=formula-sweep;fastpath_share=1.00;point=swept", "writes_per_1k_exits", 0),
    row("break-even", "rdmsr=100;round_trip=950;kernel=6.18;from=formula-sweep;fastpath_share=0.30;point=mix", "writes_per_1k_exits", 51.85),
    row("break-even", "rdmsr=100;round_trip=950;kernel=6.18;from=formula", "writes_per_1k_exits", 51.85),
    row("fleet", "rdmsr=100;policy=always-intercept;fleet=x;kernel=6.18;fastpath_share=0.00;point=swept;exits=8192;seed=1", "injected_overhead_cycles", 9.0),
    row("fleet", "rdmsr=100;policy=always-intercept;fleet=x;kernel=6.18;fastpath_share=0.30;point=mix;exits=8192;seed=1", "injected_overhead_cycles", 8.5),
    row("fleet", "rdmsr=25;policy=always-intercept;fleet=x;kernel=6.18;fastpath_share=0.00;point=swept;exits=8192;seed=1", "injected_overhead_cycles", 3.0),
    row("fleet", "rdmsr=100;policy=passthrough-at-cpuid;fleet=x;kernel=6.18;fastpath_share=0.00;point=swept;exits=8192;seed=1", "injected_overhead_cycles", 100, status="error"),
]


def test_sweep_data_separates_the_marked_mix_from_the_swept_points():
    d = rdmsr_sweep.sweep_data(ROWS)
    assert d["break_even"] == {100: [(0.0, 74.07), (1.0, 0.0)]}
    assert d["mix_share"] == 0.3 and d["mix_break_even"] == {100: 51.85}
    assert d["fleet_rdmsr"] == 100
    assert d["fleet"] == {"always-intercept": [(0.0, 9.0)]}  # error rows and other costs left out
    assert d["mix_fleet"] == {"always-intercept": 8.5}
