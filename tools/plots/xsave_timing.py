"""xsave-ticks-vs-bytes.png: host XSAVE-family cost against the bytes moved.

Dirty and clean state in separate panels (same axes), one colour per
instruction (single instructions solid, save+restore pairs hollow), the
legend beside the panels, linear axes.  The AMX image estimates (a model
from the host's bytes per tick, not a measurement) sit in their own panel,
so the measured points keep a readable scale.
"""
from __future__ import annotations

import pathlib
import sys

import matplotlib.pyplot as plt

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import results  # noqa: E402

# The save whose written bytes a timed operation moves.
SAVE_OF = {"xsave": ("xsave", "xsave"), "xsaveopt": ("xsaveopt", "xsaveopt"), "xsavec": ("xsavec", "xsavec"),
           "xrstor": ("xsave", "xsave"), "xsave+xrstor": ("xsave", "xsave"),
           "xrstor-compacted": ("xsavec", "xsavec"), "xsavec+xrstor-compacted": ("xsavec", "xsavec"),
           "xsaveopt+xrstor": ("xsaveopt", "xsaveopt")}


def ticks_vs_bytes_points(df) -> dict[tuple[str, str], list[tuple[float, float, float, float]]]:
    """What xsave-ticks-vs-bytes.png draws in its measured panels: per
    (state, op) the (bytes the save wrote, median ticks, p25, p75) of each
    measured row whose save has a byte count in the same repetition and set."""
    if df.empty:
        return {}
    timing = results.ok(df, "save-restore", "per_op")
    timing = timing[timing.source == "measured"]
    written = results.ok(df, "save-restore", "bytes_written")
    size = {(r.repetition, r.set, r.state, r.op): r.value for r in written.itertuples()}
    out: dict[tuple[str, str], list] = {}
    for r in timing.itertuples():
        save = SAVE_OF.get(r.op)
        b = size.get((r.repetition, r.set, r.state, save[1])) if save else None
        if b is not None:
            out.setdefault((r.state, r.op), []).append((float(b), float(r.value), float(r.p25), float(r.p75)))
    return out


def plot_ticks_vs_bytes(run_dir: pathlib.Path) -> pathlib.Path | None:
    df = results.load(run_dir, suites=["xsave"])
    if df.empty:
        return None
    timing = results.ok(df, "save-restore", "per_op")
    timing = timing[timing.source == "measured"]
    if timing.empty:
        return None
    points = ticks_vs_bytes_points(df)
    ops = sorted(set(timing.op), key=lambda o: ("+" in o, o))
    cmap = plt.get_cmap("tab10")
    colors = {op: cmap(i % 10) for i, op in enumerate(ops)}
    estimates = df[(df.benchmark == "amx-estimate") & (df.status == "ok") & df.metric.str.endswith("_ticks")
                   & (df.metric != "pair_ticks")]
    panels = ["dirty", "clean"] + (["amx"] if not estimates.empty else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels) + 2.5, 4.8),
                             gridspec_kw={"width_ratios": [3, 3, 1.3][:len(panels)]})
    ymax = timing.p75.max() * 1.1
    for ax, state in zip(axes, ["dirty", "clean"]):
        for op in ops:
            drawn = points.get((state, op), [])
            xs = [b for b, _, _, _ in drawn]
            ys = [v for _, v, _, _ in drawn]
            lo = [v - p25 for _, v, p25, _ in drawn]
            hi = [p75 - v for _, v, _, p75 in drawn]
            if xs:
                pair = "+" in op
                ax.errorbar(xs, ys, yerr=[lo, hi], fmt="s" if pair else "o", color=colors[op], capsize=2,
                            markerfacecolor="white" if pair else colors[op], label=op, linestyle="none")
        ax.set_title(f"{state} state (measured)", fontsize=10)
        ax.set_xlabel("bytes the save wrote")
        ax.set_xlim(left=0)
        ax.set_ylim(0, ymax)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("median TSC ticks per operation (p25-p75)")
    if not estimates.empty:
        ax = axes[2]
        labels = [f"{r.cpu} {r.metric.replace('_ticks', '')}" for r in estimates.itertuples()]
        ax.barh(range(len(labels)), estimates.value, color="0.75", edgecolor="black", hatch="//")
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlabel("ticks")
        ax.set_title("AMX image\n(model estimate)", fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize="small", title="hollow: save+restore pair")
    fig.suptitle("Host XSAVE-family cost against bytes moved")
    fig.tight_layout(rect=(0, 0, 0.84, 1))
    out = run_dir / "xsave-ticks-vs-bytes.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
