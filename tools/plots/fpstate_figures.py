"""fpstate-alloc figures drawn from tools/results.py.

fpstate-alloc-memory.png   fleet resident memory (MiB, linear) against vCPU
                           count, one panel per AMX adoption level; policies
                           in fixed colours and line styles, the ones that
                           coincide drawn thicker underneath and said so.
fpstate-alloc-latency.png  per lifecycle event: the five quantiles p5, p25,
                           median, p75, p95 (bar p25-p75, thin line with end
                           ticks p5-p95), policies side by side, one panel
                           per allocator, linear ticks; heap allocators also
                           show the expanded buffer's creation on a cold heap
                           (`cold-heap`, first-touch page faults) next to the
                           lifecycle's warm heap.
"""
from __future__ import annotations

import pathlib
from types import SimpleNamespace
import sys

import matplotlib.pyplot as plt

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import results  # noqa: E402
from answers import _style  # noqa: E402

EVENTS = [("create_ticks", "create"), ("set_cpuid_ticks", "KVM_SET_CPUID2"),
          ("first_use_ticks", "first use (#NM)"), ("destroy_ticks", "destroy")]
COLD = "create, cold heap\n(expanded size)"


def _quantiles(ax, x: float, r, color: str, marker: str, label: str) -> None:
    """p5, p25, median, p75, p95 of one row at x: a bar p25-p75 around the
    median's marker, a thin line p5-p95 with a tick at each end."""
    ax.errorbar([x], [r.value], yerr=[[r.value - r.p25], [r.p75 - r.value]], color=color,
                marker=marker, capsize=3, linestyle="none", label=label)
    ax.plot([x, x], [r.p5, r.p95], color=color, linewidth=0.8, alpha=0.5)
    ax.plot([x, x], [r.p5, r.p95], color=color, marker="_", markersize=7, linestyle="none", alpha=0.8)


def memory_series(df) -> tuple[str, dict[float, dict[str, list[tuple[float, float]]]]] | None:
    """What fpstate-alloc-memory.png draws: the metric used and, per AMX
    adoption level, each policy's (vCPUs, MiB) medians; None without rows."""
    if df.empty:
        return None
    for metric in ("resident_bytes", "resident_bytes_model", "requested_bytes"):
        mem = results.ok(df, "memory", metric)
        if not mem.empty:
            break
    else:
        return None
    out: dict[float, dict[str, list[tuple[float, float]]]] = {}
    for level in sorted(set(mem.adoption.dropna())):
        sub = mem[mem.adoption == level]
        for policy in sorted(set(sub.policy.dropna())):
            g = sub[sub.policy == policy].groupby("vcpus")["value"].median().sort_index()
            out.setdefault(float(level), {})[policy] = [(float(n), float(v) / 2**20) for n, v in g.items()]
    return metric, out


def plot_memory(run_dir: pathlib.Path) -> pathlib.Path | None:
    df = results.last_repetition(results.load(run_dir, suites=["fpstate-alloc"]))
    drawn = memory_series(df)
    if drawn is None:
        return None
    metric, series_by_level = drawn
    mem = results.ok(df, "memory", metric)
    levels = list(series_by_level)
    fig, axes = plt.subplots(1, len(levels), figsize=(3.8 * len(levels) + 2, 4.2), sharey=True, squeeze=False)
    top = mem.value.max() / 2**20 * 1.05
    for ax, level in zip(axes[0], levels):
        series = {}
        for i, (policy, points) in enumerate(series_by_level[level].items()):
            series[policy] = tuple(points)
            color, marker, line = _style(policy)
            ax.plot([n for n, _ in points], [m for _, m in points], color=color, marker=marker, linestyle=line,
                    linewidth=3.5 - 1.2 * i, markersize=8 - 2 * i, label=f"{policy}")
        same = [p for p in series if list(series.values()).count(series[p]) > 1]
        if same:
            ax.annotate("coincide: " + " = ".join(same), (0.03, 0.95), xycoords="axes fraction",
                        va="top", fontsize=7.5, color="0.3")
        ax.set_title(f"{level:g}% of guests use AMX", fontsize=10)
        ax.set_xlabel("vCPUs in the fleet")
        ax.set_xlim(left=0)
        ax.set_ylim(0, top)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"fleet {metric.replace('_', ' ')}, MiB")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize="small", title="policy")
    cpu = ", ".join(sorted(set(mem["cpu-model"].dropna().astype(str)))) if "cpu-model" in mem else "?"
    fig.suptitle(f"fpstate memory per policy (cpu-model {cpu}; source: "
                 f"{', '.join(sorted(set(mem.source.astype(str))))})")
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    out = run_dir / "fpstate-alloc-memory.png"
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def latency_points(df) -> dict[str, dict[str, dict[str, tuple[float, float, float, float, float]]]]:
    """What fpstate-alloc-latency.png draws: allocator -> policy -> event
    metric -> (median, p25, p75, p5, p95) in ticks, first matching row."""
    life = df[(df.benchmark == "lifecycle") & (df.status == "ok") & df.metric.isin([m for m, _ in EVENTS])]
    out: dict = {}
    for r in life.itertuples():
        out.setdefault(r.allocator, {}).setdefault(r.policy, {}).setdefault(
            r.metric, (float(r.value), float(r.p25), float(r.p75), float(r.p5), float(r.p95)))
    return out


def plot_latency(run_dir: pathlib.Path) -> pathlib.Path | None:
    df = results.last_repetition(results.load(run_dir, suites=["fpstate-alloc"]))
    points = latency_points(df)
    if not points:
        return None
    life = df[(df.benchmark == "lifecycle") & (df.status == "ok") & df.metric.isin([m for m, _ in EVENTS])]
    cold = df[(df.benchmark == "cold-heap") & (df.status == "ok") & (df.metric == "create_ticks")]
    allocators = list(dict.fromkeys(life.allocator.dropna()))
    policies = sorted(set(life.policy.dropna()))
    cols = 2
    nrows = (len(allocators) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(13, 3.8 * nrows), squeeze=False)
    for ax in axes.flat[len(allocators):]:
        ax.set_visible(False)
    width = 0.8 / max(1, len(policies))
    for ax, allocator in zip(axes.flat, allocators):
        sub = life[life.allocator == allocator]
        for i, policy in enumerate(policies):
            color, marker, _ = _style(policy)
            for j, (metric, _) in enumerate(EVENTS):
                if metric not in points[allocator].get(policy, {}):
                    continue
                med, p25, p75, p5, p95 = points[allocator][policy][metric]
                x = j + (i - (len(policies) - 1) / 2) * width
                _quantiles(ax, x, SimpleNamespace(value=med, p25=p25, p75=p75, p5=p5, p95=p95), color, marker, policy)
        labels = [e for _, e in EVENTS]
        c = cold[cold.allocator == allocator] if not cold.empty else cold
        if not c.empty:
            _quantiles(ax, len(EVENTS), c.iloc[0], "0.25", "D", "cold heap (any policy's expanded buffer)")
            labels.append(COLD)
        ax.set_xticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylim(bottom=0)
        ax.set_title(f"allocator {allocator} ({', '.join(sorted(set(sub.source.astype(str))))})", fontsize=10)
        ax.set_ylabel("TSC ticks per event")
        ax.grid(alpha=0.3, axis="y")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    fig.legend(unique.values(), unique.keys(), loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=len(unique),
               fontsize="small", title="marker median, bar p25-p75, thin line p5-p95 (ticks at p5 and p95)")
    fig.suptitle("fpstate buffer lifecycle latency per event (mmap = vzalloc stand-in: proxy; "
                 "malloc and posix-memalign: warm heap, and a cold one)")
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    out = run_dir / "fpstate-alloc-latency.png"
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
