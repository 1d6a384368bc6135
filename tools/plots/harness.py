"""Plots of the `harness` suite (called by tools/plot.py).

harness-timer.png      the timer floor: quantiles (p5 ... p99) of the bare
                       fenced pair and of the timing kernel's region around
                       an empty closure, one line per repetition, in TSC
                       ticks and nanoseconds; the grid the values fall on and
                       the TSC read step stated.
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


QUANTILES = [("p5", 0), ("p25", 1), ("median", 2), ("p75", 3), ("p95", 4), ("p99", 5)]  # evenly spaced


def _grid(values: list[float]) -> float | None:
    """The smallest non-zero gap between distinct values: the step the
    timed region is read on (None with fewer than two distinct values)."""
    distinct = sorted(set(v for v in values if v is not None))
    gaps = [b - a for a, b in zip(distinct, distinct[1:]) if b - a > 0.5]
    return min(gaps) if gaps else None


def timer_lines(rows: list[dict]) -> dict[str, list[tuple[int, str, list[tuple[int, float]]]]]:
    """What harness-timer.png draws: per origin (`swift`, `kernel`) one
    (repetition, source, [(quantile position, ticks)]) per repetition."""
    timer = _ok(rows, "timer", "empty_region")
    out: dict[str, list] = {}
    for origin in ("swift", "kernel"):
        reps = sorted((r for r in timer if _param(r, "from") == origin), key=lambda r: int(r["repetition"]))
        for r in reps:
            points = [(q, _num(r.get(col))) for col, q in QUANTILES if _num(r.get(col)) is not None]
            if points:
                out.setdefault(origin, []).append((int(r["repetition"]), r.get("source", "measured"), points))
    return out


def plot_timer(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    """Quantiles of the empty fenced region, one line per origin and
    repetition: a quantised distribution stays visible as steps, where
    boxes collapse onto one value."""
    lines_by_origin = timer_lines(rows)
    if not lines_by_origin:
        return None
    palette = {"swift": "tab:blue", "kernel": "tab:orange"}
    names = {"swift": "bare fenced pair", "kernel": "kernel region, empty closure"}
    fig, ax = plt.subplots(figsize=(9, 4.8))
    seen: list[float] = []
    for origin, reps in lines_by_origin.items():
        for i, (_, source, points) in enumerate(reps):
            xs, ys = zip(*points)
            seen += ys
            # Origins side by side at each quantile, so equal values do not hide each other.
            shift = -0.04 if origin == "swift" else 0.04
            ax.plot([x + shift for x in xs], ys, drawstyle="steps-mid", marker="o", color=palette[origin],
                    alpha=0.9 if i == 0 else 0.45,
                    label=f"{names[origin]} ({source})" if i == 0 else None)
    if not seen:
        plt.close(fig)
        return None
    grid = _grid(seen)
    step = _ok(rows, "timer", "tsc_step")
    lines = []
    distinct = sorted(set(seen))
    if len(distinct) <= 8:
        lines.append("the region reads only " + ", ".join(f"{v:g}" for v in distinct)
                     + " ticks at these quantiles: the timer is quantised")
    if step:
        lines.append(f"consecutive unfenced RDTSC reads differ by as little as {_num(step[-1]['value']):g} "
                     "tick(s) (tsc_step, measured)")
    ax.set_xticks([q for _, q in QUANTILES], [c for c, _ in QUANTILES])
    ax.set_xlabel("quantile of the samples (each repetition one line)")
    ax.set_ylabel("empty fenced region, TSC ticks")
    lo, hi = min(seen), max(seen)
    pad = max(grid or 1.0, 0.15 * (hi - lo))
    ax.set_ylim(max(0, lo - pad), hi + pad)
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title("Timer floor: lfence;rdtsc;lfence pairs,\nbare and around an empty closure", fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.14, 1), fontsize="small", borderaxespad=0)
    if lines:
        fig.text(0.01, 0.01, "\n".join(lines), fontsize=8, color="0.3", va="bottom")
    _add_ns_axis(ax, _tsc_hz(run_dir))
    fig.tight_layout(rect=(0, 0.08 if lines else 0, 1, 1))
    out = run_dir / "harness-timer.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def add_chain_data(rows: list[dict]) -> tuple[list[tuple[float, float]], tuple[float, float, float | None] | None]:
    """What harness-add-chain.png draws: (adds, region ticks) per row and
    repetition, and the fit of the last repetition (ticks per add,
    intercept, R² or None), None without fit rows."""
    chains = [(float(_param(r, "adds") or "nan"), _num(r["value"])) for r in _ok(rows, "add-chain", "region")]
    chains = [c for c in chains if c[0] == c[0]]
    slope_rows, icpt_rows = _ok(rows, "add-chain", "ticks_per_add"), _ok(rows, "add-chain", "intercept")
    fit = None
    if slope_rows and icpt_rows:
        r2 = _ok(rows, "add-chain", "r_squared")
        fit = (_num(slope_rows[-1]["value"]), _num(icpt_rows[-1]["value"]), _num(r2[-1]["value"]) if r2 else None)
    return chains, fit


def plot_add_chain(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    chains, fit = add_chain_data(rows)
    if not chains:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter([c[0] for c in chains], [c[1] for c in chains], s=18, color="tab:blue",
               label="region median per repetition (measured)", zorder=3)
    if fit:
        slope, icpt, r2 = fit
        xs = [0, max(c[0] for c in chains) * 1.05]
        label = f"fit, last repetition: {slope:.4f} ticks/add + {icpt:.1f} ticks"
        if r2 is not None:
            label += f" (R² {r2:.5f})"
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
