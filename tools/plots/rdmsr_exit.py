"""Plots of the `rdmsr-exit` suite (called by tools/plot.py).

rdmsr-exit-cpu-share.png   share of one vCPU lost to each XFD policy at
                           100,000 exits/s against the injected RDMSR cost,
                           one panel per guest kind plus the fleet (drawn
                           by rdmsr_share.py from tools/results.py).
rdmsr-exit-break-even.png  guest XFD writes per 1,000 exits above which
                           always-intercept costs more than a per-exit
                           RDMSR, versus the RDMSR cost: the analytic
                           formula for each exit round trip, and the
                           break-even computed from the loop's measured
                           costs.
rdmsr-exit-fastpath-sweep.png  the break-even and the fleet over the share of
                           exits on the fastpath, the run's mix marked
                           (rdmsr_sweep.py).
"""
from __future__ import annotations

import pathlib
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from report_rows import num as _num, params as _params  # noqa: E402
import matplotlib.ticker  # noqa: E402

def _collect(rows: list[dict], benchmark: str, metric: str) -> list[tuple[dict, float, str]]:
    """(params, median over repetitions, source) per distinct params."""
    groups: dict[str, list[float]] = {}
    meta: dict[str, tuple[dict, str]] = {}
    for r in rows:
        if r.get("benchmark") != benchmark or r.get("metric") != metric or r.get("status") != "ok":
            continue
        v = _num(r.get("value"))
        if v is None:
            continue
        key = r.get("params") or ""
        groups.setdefault(key, []).append(v)
        meta[key] = (_params(r), r.get("source") or "?")
    return [(meta[k][0], statistics.median(v), meta[k][1]) for k, v in groups.items()]


def _is_cycles(label: str) -> bool:
    return label.isdigit()


def break_even_data(rows: list[dict]) -> tuple[dict[int, tuple[str, list[tuple[int, float]]]],
                                               list[tuple[int, float, str]]]:
    """What rdmsr-exit-break-even.png draws: per exit round trip (cycles)
    the formula's source and (RDMSR cycles, writes per 1,000 exits) sorted
    by cost; and the loop's (RDMSR cycles, writes, source) points, numeric
    costs with a positive break-even only (medians over repetitions)."""
    data = _collect(rows, "break-even", "writes_per_1k_exits")
    formula = [(p, v, s) for p, v, s in data if p.get("from") == "formula"]
    loop = [(p, v, s) for p, v, s in data if p.get("from") == "loop"]
    lines = {}
    for t in sorted({int(float(p["round_trip"])) for p, _, _ in formula}):
        pts = sorted((int(p["rdmsr"]), v) for p, v, _ in formula if int(float(p["round_trip"])) == t)
        source = next(s for p, _, s in formula if int(float(p["round_trip"])) == t)
        lines[t] = (source, pts)
    lp = sorted((int(p["rdmsr"]), v, s) for p, v, s in loop if _is_cycles(p.get("rdmsr", "")) and v > 0)
    return lines, lp


def plot_break_even(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    lines, lp = break_even_data(rows)
    if not lines and not lp:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 5))
    cmap = plt.get_cmap("viridis")
    for i, (t, (source, pts)) in enumerate(lines.items()):
        ax.plot([x for x, _ in pts], [y for _, y in pts], "-", color=cmap(i / max(1, len(lines) - 1)),
                label=f"formula, exit round trip {t} cycles ({source})")
    if lp:
        ax.plot([x for x, _, _ in lp], [y for _, y, _ in lp], "ks", fillstyle="none",
                label=f"from the loop's measured costs ({lp[0][2]}, from measured)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    costs = sorted({x for _, pts in lines.values() for x, _ in pts} | {x for x, _, _ in lp})
    if costs:
        ax.set_xticks(costs)
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("RDMSR(IA32_XFD) cost (core cycles)")
    ax.set_ylabel("break-even guest XFD writes per 1,000 vm-exits")
    ax.set_title("Above the line always-intercept costs more than a per-exit RDMSR", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    out = run_dir / "rdmsr-exit-break-even.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot(run_dir: pathlib.Path, rows: list[dict]) -> list[pathlib.Path]:
    import rdmsr_share  # the share figure, drawn from tools/results.py
    import rdmsr_sweep
    return [p for p in (rdmsr_share.plot_cpu_share(run_dir), plot_break_even(run_dir, rows),
                        rdmsr_sweep.plot_sweep(run_dir, rows)) if p is not None]
