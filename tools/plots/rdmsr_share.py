"""rdmsr-exit-cpu-share.png: share of one vCPU each XFD policy costs.

The model's share is proportional to the exit rate, so one rate is drawn
(100,000 exits/s when the run has it; the figure scales by 10 per decade)
against the RDMSR cost on a linear axis, one panel per guest kind plus the
fleet, policies in fixed colours, the legend beside the panels.
"""
from __future__ import annotations

import pathlib
import sys

import matplotlib.pyplot as plt

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import results  # noqa: E402
from answers import _style  # noqa: E402


def share_panels(df):
    """What rdmsr-exit-cpu-share.png draws: (exits/s drawn, [(panel title,
    rows)]) with each panel's rows at that rate, numeric RDMSR costs, last
    repetition; None when the run has no share rows."""
    if df.empty or "rdmsr" not in df:
        return None
    per_guest = results.ok(df, "cpu-share", "vcpu_share_lost")
    fleet = results.ok(df, "fleet", "vcpu_share_lost")
    data = per_guest if not per_guest.empty else fleet
    if data.empty:
        return None
    rates = sorted(set(data.exits_per_s.dropna()))
    rate = 100000.0 if 100000.0 in rates else rates[len(rates) // 2]
    panels = [(g, per_guest[per_guest.guest == g]) for g in per_guest.guest.dropna().unique()]
    if not fleet.empty:
        panels.append(("fleet " + str(fleet.fleet.dropna().iloc[0]), fleet))
    drawn = []
    for title, sub in panels:
        sub = sub[(sub.exits_per_s == rate) & sub.rdmsr.notna()]
        drawn.append((title, sub[sub.repetition == sub.repetition.max()]))
    return rate, drawn


def plot_cpu_share(run_dir: pathlib.Path) -> pathlib.Path | None:
    found = share_panels(results.load(run_dir, suites=["rdmsr-exit"]))
    if found is None:
        return None
    rate, panels = found
    cols = 3
    nrows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(13, 3.6 * nrows), sharey=True, squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    top = 0.0
    for ax, (title, sub) in zip(axes.flat, panels):
        for policy in sorted(set(sub.policy.dropna())):
            color, marker, line = _style(policy)
            g = sub[sub.policy == policy].groupby("rdmsr")["value"].median().sort_index()
            ax.plot(g.index, g.values, color=color, marker=marker, linestyle=line, label=policy)
        ax.set_title(f"{title} ({', '.join(sorted(set(sub.source.astype(str))))})", fontsize=9)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
        top = max(top, sub.value.max() if not sub.empty else 0)
        if not sub.empty and (sub.groupby("policy")["value"].max() == 0).sum() > 1:
            ax.annotate("policies at 0 coincide", (0.02, 0.92), xycoords="axes fraction", fontsize=8, color="0.3")
    axes.flat[0].set_ylim(0, top * 1.05 if top > 0 else 1)
    for ax in axes[-1]:
        ax.set_xlabel("RDMSR(IA32_XFD) cost, core cycles (injected)")
    for row in axes:
        row[0].set_ylabel(f"% of one vCPU at {rate:,.0f} exits/s")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower right", fontsize="small", title="policy")
    fig.suptitle("vCPU share lost to XFD handling: per-exit overhead (simulated) x exit rate (model; x10 per decade)")
    fig.tight_layout()
    out = run_dir / "rdmsr-exit-cpu-share.png"
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
