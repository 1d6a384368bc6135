"""The rdmsr-exit answers as a function of the exit mix (called by rdmsr_exit.py).

rdmsr-exit-fastpath-sweep.png  left: break-even guest XFD writes per 1,000
                               exits against the share of exits that
                               re-enter on the fastpath (and never read
                               XFD), one line per RDMSR cost, at the run's
                               exit round trip; right: the fleet's injected
                               overhead per exit of each policy against the
                               same share, at one RDMSR cost.  The run's own
                               exit mix is marked on both (the default mix is
                               illustrative, not a measured workload).
"""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from report_rows import num as _num, params as _params  # noqa: E402


def sweep_data(rows: list[dict]) -> dict:
    """The figures the sweep plot draws, from the rows of one run (last
    repetition wins): {"break_even": {rdmsr: [(share, value)]},
    "fleet": {policy: [(share, value)]}, "fleet_rdmsr": cost,
    "mix_share": share of the run's mix or None, "mix_break_even":
    {rdmsr: value}, "mix_fleet": {policy: value}}."""
    be: dict[int, dict[float, float]] = {}
    fl: dict[int, dict[str, dict[float, float]]] = {}
    mix_be: dict[int, float] = {}
    mix_fl: dict[int, dict[str, float]] = {}
    mix_share = None
    for r in rows:
        if r.get("status") != "ok":
            continue
        p = _params(r)
        v = _num(r.get("value"))
        share = _num(p.get("fastpath_share"))
        if v is None or share is None or not str(p.get("rdmsr", "")).isdigit():
            continue
        cost = int(p["rdmsr"])
        point = p.get("point")
        if r.get("benchmark") == "break-even" and p.get("from") == "formula-sweep" and r.get("metric") == "writes_per_1k_exits":
            if point == "mix":
                mix_be[cost] = v
                mix_share = share
            else:
                be.setdefault(cost, {})[share] = v
        elif r.get("benchmark") == "fleet" and r.get("metric") == "injected_overhead_cycles" and point is not None:
            policy = p.get("policy", "?")
            if point == "mix":
                mix_fl.setdefault(cost, {})[policy] = v
                mix_share = share
            else:
                fl.setdefault(cost, {}).setdefault(policy, {})[share] = v
    costs = sorted(fl)
    fleet_cost = 100 if 100 in fl else (costs[len(costs) // 2] if costs else None)
    return {
        "break_even": {c: sorted(d.items()) for c, d in sorted(be.items())},
        "fleet": {pol: sorted(d.items()) for pol, d in sorted(fl.get(fleet_cost, {}).items())},
        "fleet_rdmsr": fleet_cost,
        "mix_share": mix_share,
        "mix_break_even": mix_be,
        "mix_fleet": mix_fl.get(fleet_cost, {}),
    }


def plot_sweep(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    d = sweep_data(rows)
    if not d["break_even"] and not d["fleet"]:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    cmap = plt.get_cmap("viridis")
    costs = list(d["break_even"])
    for i, c in enumerate(costs):
        pts = [(x, y) for x, y in d["break_even"][c] if y > 0]  # a log axis: 0 (all on the fastpath) is left out
        left.plot([s for s, _ in pts], [v for _, v in pts], "-", color=cmap(i / max(1, len(costs) - 1)), label=f"RDMSR {c} cycles")
        if c in d["mix_break_even"]:
            left.plot([d["mix_share"]], [d["mix_break_even"][c]], "*", color="crimson", markersize=10,
                      label="this run's exit mix" if i == 0 else None)
    left.set_xlabel("share of exits re-entering on the fastpath (no XFD read)")
    left.set_ylabel("break-even guest XFD writes per 1,000 exits")
    left.set_yscale("log")
    left.set_title("Always-intercept is dearer above the line [model]", fontsize=9)
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7)
    for i, (pol, pts) in enumerate(d["fleet"].items()):
        right.plot([s for s, _ in pts], [v for _, v in pts], "-o", markersize=3, label=pol)
        if pol in d["mix_fleet"]:
            right.plot([d["mix_share"]], [d["mix_fleet"][pol]], "*", color="crimson", markersize=10,
                       label="this run's exit mix" if i == 0 else None)
    right.set_xlabel("share of exits re-entering on the fastpath (no XFD read)")
    right.set_ylabel(f"fleet injected overhead per exit (cycles), RDMSR {d['fleet_rdmsr']} cycles")
    right.set_title("Fleet overhead per policy, from the exit plans [model]", fontsize=9)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=7)
    if d["mix_share"] is not None:
        for ax in (left, right):
            ax.axvline(d["mix_share"], color="crimson", alpha=0.3, linestyle="--")
    fig.suptitle("The exit mix is an assumption: the answer over the fastpath share (star: this run's mix)", fontsize=10)
    fig.tight_layout()
    out = run_dir / "rdmsr-exit-fastpath-sweep.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
