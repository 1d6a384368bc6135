"""Plots of the `rdmsr-exit` suite (called by tools/plot.py).

rdmsr-exit-cpu-share.png   share of one vCPU lost to each XFD policy's
                           per-exit overhead (over `none`) versus the exit
                           rate, one panel per guest kind plus the fleet.
                           A band spans the injected RDMSR costs of the
                           sweep, the line is its middle cost, dashed lines
                           are the stand-in instructions.  These are model
                           figures computed from the loop's measured
                           overheads; points at or below zero (overhead
                           lost in the noise) cannot be drawn on a log axis
                           and are left out.
rdmsr-exit-break-even.png  guest XFD writes per 1,000 exits above which
                           always-intercept costs more than a per-exit
                           RDMSR, versus the RDMSR cost: the analytic
                           formula for each exit round trip, and the
                           break-even computed from the loop's measured
                           costs.
"""
from __future__ import annotations

import pathlib
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from report_rows import num as _num, params as _params  # noqa: E402
import matplotlib.ticker  # noqa: E402

POLICIES = ["passthrough-at-cpuid", "passthrough-on-first-write", "always-intercept"]
COLORS = {"passthrough-at-cpuid": "tab:red", "passthrough-on-first-write": "tab:blue",
          "always-intercept": "tab:green"}
GUESTS = ["legacy", "linux-idle", "linux-some-amx", "amx-active"]




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


def plot_cpu_share(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    per_guest = _collect(rows, "cpu-share", "vcpu_share_lost")
    fleet = _collect(rows, "fleet", "vcpu_share_lost")
    if not per_guest and not fleet:
        return None
    panels = [(g, [(p, v, s) for p, v, s in per_guest if p.get("guest") == g]) for g in GUESTS]
    if fleet:
        name = next(iter(fleet))[0].get("fleet", "").replace(":", "=").replace("/", ", ")
        panels.append((f"fleet ({name})", fleet))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.6), sharey=True, squeeze=False)
    for ax, (title, data) in zip(axes[0], panels):
        for policy in POLICIES:
            mine = [(p, v, s) for p, v, s in data if p.get("policy") == policy]
            costs = sorted({p["rdmsr"] for p, _, _ in mine if _is_cycles(p.get("rdmsr", ""))}, key=int)
            rates = sorted({float(p["exits_per_s"]) for p, _, _ in mine})
            source = next((s for _, _, s in mine), "simulated")
            if costs:
                lo, mid, hi = costs[0], costs[len(costs) // 2], costs[-1]

                def series(cost: str) -> list[float | None]:
                    vals = {float(p["exits_per_s"]): v for p, v, _ in mine if p.get("rdmsr") == cost}
                    return [vals.get(r) if (vals.get(r) or 0) > 0 else None for r in rates]

                low, high = series(lo), series(hi)
                pts = [(r, a, b) for r, a, b in zip(rates, low, high) if a is not None and b is not None]
                if pts:
                    ax.fill_between([p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts],
                                    color=COLORS[policy], alpha=0.15)
                m = [(r, v) for r, v in zip(rates, series(mid)) if v is not None]
                if m:
                    ax.plot([p[0] for p in m], [p[1] for p in m], "o-", color=COLORS[policy],
                            label=f"{policy}: RDMSR {lo}-{hi} cycles, line {mid} ({source} overhead from the timed loop)")
            for proxy, style in (("proxy-rdpid", "--"), ("proxy-rdtscp", ":")):
                vals = {float(p["exits_per_s"]): v for p, v, _ in mine if p.get("rdmsr") == proxy and v > 0}
                if vals:
                    xs = sorted(vals)
                    ax.plot(xs, [vals[x] for x in xs], style, color=COLORS[policy],
                            label=f"{policy}: {proxy} (model from proxy measurement)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("vm-exits per second per vCPU")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("vCPU time lost to the XFD policy (% of one CPU)")
    handles, labels = axes[0][-1].get_legend_handles_labels()
    if not handles:
        handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle("rdmsr-exit: per-exit XFD overhead over `none` as CPU share (model from the simulated loop's measured overheads)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.16, 1, 0.95))
    out = run_dir / "rdmsr-exit-cpu-share.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_break_even(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    data = _collect(rows, "break-even", "writes_per_1k_exits")
    formula = [(p, v, s) for p, v, s in data if p.get("from") == "formula"]
    loop = [(p, v, s) for p, v, s in data if p.get("from") == "loop"]
    if not formula and not loop:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 5))
    trips = sorted({int(p["round_trip"]) for p, _, _ in formula})
    cmap = plt.get_cmap("viridis")
    for i, t in enumerate(trips):
        pts = sorted((int(p["rdmsr"]), v) for p, v, _ in formula if int(p["round_trip"]) == t)
        source = next(s for p, _, s in formula if int(p["round_trip"]) == t)
        ax.plot([x for x, _ in pts], [y for _, y in pts], "-", color=cmap(i / max(1, len(trips) - 1)),
                label=f"formula, exit round trip {t} cycles ({source})")
    lp = sorted((int(p["rdmsr"]), v, s) for p, v, s in loop if _is_cycles(p.get("rdmsr", "")) and v > 0)
    if lp:
        ax.plot([x for x, _, _ in lp], [y for _, y, _ in lp], "ks", fillstyle="none",
                label=f"from the loop's measured costs ({lp[0][2]}, from measured)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    costs = sorted({int(p["rdmsr"]) for p, _, _ in formula} | {x for x, _, _ in lp})
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
    return [p for p in (rdmsr_share.plot_cpu_share(run_dir), plot_break_even(run_dir, rows)) if p is not None]
