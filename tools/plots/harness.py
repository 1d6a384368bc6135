"""Plots of the `harness` suite (called by tools/plot.py).

harness-timer.png      the timer floor: the bare fenced pair and the timing
                       kernel's region around an empty closure, one box per
                       repetition (p5, p25, median, p75, p95), in TSC ticks
                       and nanoseconds.
harness-add-chain.png  dependent-add chains: region ticks versus chain
                       length (medians, every repetition) with the
                       least-squares fit line the suite reported (fitted
                       to the means within the Tukey fences).
"""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from report_rows import num as _num, tsc_hz as _tsc_hz  # noqa: E402




def _ok(rows: list[dict], benchmark: str, metric: str) -> list[dict]:
    return [r for r in rows if r.get("benchmark") == benchmark and r.get("metric") == metric
            and r.get("status") == "ok" and _num(r.get("value")) is not None]


def _param(row: dict, key: str) -> str | None:
    for part in (row.get("params") or "").split(";"):
        k, _, v = part.partition("=")
        if k == key:
            return v
    return None


def _add_ns_axis(ax, tsc_hz: float | None) -> None:
    if tsc_hz:
        scale = 1e9 / tsc_hz
        sec = ax.secondary_yaxis("right", functions=(lambda t: t * scale, lambda n: n / scale))
        sec.set_ylabel("nanoseconds (at the TSC rate)")


def plot_timer(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    timer = _ok(rows, "timer", "empty_region")
    if not timer:
        return None
    stats, colors = [], []
    palette = {"swift": "tab:blue", "kernel": "tab:orange"}
    for origin in ("swift", "kernel"):
        for r in sorted((r for r in timer if _param(r, "from") == origin), key=lambda r: int(r["repetition"])):
            med = _num(r["value"])
            stats.append({
                "label": f"{origin}\nrep {r['repetition']}",
                "med": med,
                "q1": _num(r.get("p25")) or med, "q3": _num(r.get("p75")) or med,
                "whislo": _num(r.get("p5")) or med, "whishi": _num(r.get("p95")) or med,
                "fliers": [],
            })
            colors.append(palette[origin])
    if not stats:
        return None
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(stats) + 2), 4.5))
    boxes = ax.bxp(stats, showfliers=False, patch_artist=True)
    for patch, color in zip(boxes["boxes"], colors):
        patch.set_facecolor(color)
        patch.set_alpha(0.5)
    handles = [plt.Rectangle((0, 0), 1, 1, color=palette["swift"], alpha=0.5),
               plt.Rectangle((0, 0), 1, 1, color=palette["kernel"], alpha=0.5)]
    labels = ["bare fenced pair (measured)", "kernel region, empty closure (measured)"]
    step = _ok(rows, "timer", "tsc_step")
    if step:
        # The step is far below the floor: stated, not drawn, so the boxes keep their scale.
        handles.append(plt.Line2D([], [], linestyle="none"))
        labels.append(f"TSC step <= {_num(step[-1]['value']):g} ticks (measured)")
    ax.legend(handles, labels, loc="best", fontsize="small")
    ax.set_ylabel("empty fenced region, TSC ticks")
    lo = min(s["whislo"] for s in stats)
    hi = max(s["whishi"] for s in stats)
    pad = max(1.0, 0.25 * (hi - lo))
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_title("Timer floor: lfence;rdtsc;lfence pairs\n(box p25-p75, whiskers p5-p95)")
    _add_ns_axis(ax, _tsc_hz(run_dir))
    fig.tight_layout()
    out = run_dir / "harness-timer.png"
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_add_chain(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    chains = [(float(_param(r, "adds") or "nan"), _num(r["value"]), r["repetition"])
              for r in _ok(rows, "add-chain", "region")]
    chains = [c for c in chains if c[0] == c[0]]
    if not chains:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter([c[0] for c in chains], [c[1] for c in chains], s=18, color="tab:blue",
               label="region median per repetition (measured)", zorder=3)
    slope_rows, icpt_rows = _ok(rows, "add-chain", "ticks_per_add"), _ok(rows, "add-chain", "intercept")
    if slope_rows and icpt_rows:
        slope, icpt = _num(slope_rows[-1]["value"]), _num(icpt_rows[-1]["value"])
        r2 = _ok(rows, "add-chain", "r_squared")
        xs = [0, max(c[0] for c in chains) * 1.05]
        label = f"fit, last repetition: {slope:.4f} ticks/add + {icpt:.1f} ticks"
        if r2:
            label += f" (R² {_num(r2[-1]['value']):.5f})"
        ax.plot(xs, [icpt + slope * x for x in xs], color="tab:red", linewidth=1, label=label + " (measured)")
    ax.set_xlabel("dependent adds per timed region")
    ax.set_ylabel("region time, TSC ticks")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_title("Dependent-add chains (one add per core cycle):\nslope = TSC ticks per core cycle")
    ax.legend(loc="upper left", fontsize="small")
    _add_ns_axis(ax, _tsc_hz(run_dir))
    fig.tight_layout()
    out = run_dir / "harness-add-chain.png"
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot(run_dir: pathlib.Path, rows: list[dict]) -> list[pathlib.Path]:
    return [p for p in (plot_timer(run_dir, rows), plot_add_chain(run_dir, rows)) if p is not None]
