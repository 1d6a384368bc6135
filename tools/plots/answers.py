"""Headline figures: one per question of the XFD design discussion.

answer-fleet-overhead.png   (a) overhead of each XFD interception policy for
                            the default guest fleet against the cost of one
                            RDMSR(IA32_XFD), from rdmsr-exit's `fleet` rows
                            (model over the given costs; the RDPID/RDTSCP
                            stand-ins measured here marked on the axis, and
                            exit costs from a `kvm` suite when the run has one).
answer-fpstate-policies.png (b) memory per vCPU against AMX adoption, fleet
                            memory against vCPU count, and the latency each
                            allocation policy adds per vCPU, linear axes.
(c) XSAVE growth per CPU is xsave-sizes.png (tools/plots/xsave.py).

Called by tools/plot.py with the run's DataFrame (tools/results.py).
"""
from __future__ import annotations

import pathlib
import sys

import matplotlib.pyplot as plt
import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import results  # noqa: E402

POLICY_STYLE = {
    "always-intercept": ("tab:red", "o", "-"),
    "passthrough-on-first-write": ("tab:blue", "s", "-"),
    "passthrough-at-cpuid": ("tab:green", "^", "--"),
    "eager-at-create": ("tab:red", "o", "-"),
    "expand-at-cpuid": ("tab:blue", "s", "--"),
    "lazy-on-trap": ("tab:green", "^", "-"),
}


def _style(policy: str):
    return POLICY_STYLE.get(policy, ("tab:gray", "x", ":"))


def _source_note(frame: pd.DataFrame) -> str:
    sources = sorted(set(frame["source"].astype(str)))
    return "source: " + ", ".join(sources)


def fleet_overhead(run_dir: pathlib.Path, df: pd.DataFrame) -> pathlib.Path | None:
    rows = df[(df.suite == "rdmsr-exit") & (df.benchmark == "fleet") & (df.metric == "overhead_pct")
              & (df.status == "ok")]
    if rows.empty or "rdmsr" not in rows:
        return None
    rows = rows[rows.repetition == rows.repetition.max()]
    fig, ax = plt.subplots(figsize=(8.5, 5))
    numeric = rows[rows["rdmsr"].notna()]
    for policy, group in numeric.groupby("policy", observed=True, sort=True):
        color, marker, line = _style(policy)
        g = group.sort_values("rdmsr")
        ax.plot(g["rdmsr"], g["value"], color=color, marker=marker, linestyle=line, label=policy)
    # Stand-ins measured on this CPU: the model evaluated at their measured
    # cost, placed on the cycle axis through the run's ticks-per-cycle estimate.
    reads = df[(df.suite == "rdmsr-exit") & (df.benchmark == "break-even") & (df.metric == "read_ticks_per_exit")
               & (df.status == "ok")]
    ticks_per_cycle = results.environment(run_dir).get("ticks_per_core_cycle") or 1.0
    if "rdmsr_label" in rows:
        proxies = rows[rows["rdmsr_label"].notna()].groupby("rdmsr_label", observed=True)
        for k, (label, group) in enumerate(proxies):
            ticks = reads[(reads.get("rdmsr_label") == label)]["value"].median() if "rdmsr_label" in reads else None
            if ticks is None or pd.isna(ticks):
                continue
            cost = ticks / ticks_per_cycle
            ax.axvline(cost, color="0.6", linestyle=":", linewidth=1)
            ax.annotate(f"{label}: {ticks:.0f} ticks = {cost:.0f} cycles (measured stand-in)", (cost, 0),
                        xycoords=("data", "axes fraction"),
                        xytext=(6, 150 - 14 * k), textcoords="offset points", fontsize=8, color="0.3",
                        arrowprops={"arrowstyle": "-", "color": "0.6", "linewidth": 0.6})
            for _, r in group.iterrows():
                color, marker, _ = _style(r["policy"])
                ax.plot([cost], [r["value"]], marker=marker, color=color, markerfacecolor="white")
    # Which exit costs the model used: the cost table's round trip, measured
    # through /dev/kvm on hardware KVM, else the model constant.
    table = df[(df.suite == "rdmsr-exit") & (df.benchmark == "cost-table") & (df.status == "ok")]
    used = table[table["params"].astype(str).str.contains("item=round-trip")]
    used = used[~used["note"].astype(str).str.endswith("; not used")] if "note" in used else used
    exit_note = ""
    if not used.empty:
        r = used.iloc[-1]
        exit_note = f"; exit round trip {r['value']:.0f} cycles ({r['source']})"
    fleet = rows["fleet"].dropna().iloc[0] if "fleet" in rows and rows["fleet"].notna().any() else "default"
    ax.set_xlabel("cost of one RDMSR(IA32_XFD), core cycles (injected; swept model input)")
    ax.set_ylabel("fleet overhead, % of exit-handling time")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"Which XFD policy costs the fleet least?\nfleet {fleet}; {_source_note(rows)}{exit_note}",
                 fontsize=11)
    ax.legend(title="policy", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    out = run_dir / "answer-fleet-overhead.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def fpstate_policies(run_dir: pathlib.Path, df: pd.DataFrame) -> pathlib.Path | None:
    fp = df[(df.suite == "fpstate-alloc") & (df.status == "ok")]
    mem = fp[(fp.benchmark == "memory") & (fp.metric == "resident_bytes_per_vcpu")]
    fleet = fp[(fp.benchmark == "memory") & (fp.metric == "resident_bytes")]
    life = fp[(fp.benchmark == "lifecycle") & fp.metric.str.endswith("_ticks")]
    if mem.empty and life.empty:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    ax = axes[0]
    last = mem[mem.repetition == mem.repetition.max()]
    policies = sorted(set(last["policy"].dropna()))
    for i, policy in enumerate(policies):
        g = last[last.policy == policy].groupby("adoption")["value"].median().sort_index()
        color, marker, line = _style(policy)
        # Overlapping policies stay visible: drawn thinner on top, offset markers.
        ax.plot(g.index, g.values / 1024, color=color, marker=marker, linestyle=line,
                linewidth=3 - i, markersize=9 - 2 * i, label=policy)
    ax.set_xlabel("guests using AMX, %")
    ax.set_ylabel("resident fpstate per vCPU, KiB")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Memory per vCPU ({_source_note(last)})", fontsize=10)
    ax.grid(True, alpha=0.3)

    ax = axes[1]
    fl = fleet[fleet.repetition == fleet.repetition.max()]
    if not fl.empty:
        adoption = 10.0 if (fl.adoption == 10).any() else fl.adoption.min()
        fl = fl[fl.adoption == adoption]
        for i, policy in enumerate(sorted(set(fl["policy"].dropna()))):
            g = fl[fl.policy == policy].groupby("vcpus")["value"].median().sort_index()
            color, marker, line = _style(policy)
            ax.plot(g.index, g.values / 2**20, color=color, marker=marker, linestyle=line,
                    linewidth=3 - i, markersize=9 - 2 * i, label=policy)
        ax.set_title(f"Fleet memory at {adoption:g}% AMX adoption ({_source_note(fl)})", fontsize=10)
    ax.set_xlabel("vCPUs")
    ax.set_ylabel("resident fpstate, MiB")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)

    ax = axes[2]
    if not life.empty:
        events = ["create_ticks", "set_cpuid_ticks", "first_use_ticks", "destroy_ticks"]
        allocator = "malloc" if (life.allocator == "malloc").any() else life.allocator.dropna().iloc[0]
        lf = life[life.allocator == allocator]
        width = 0.25
        for i, policy in enumerate(policies):
            color, marker, _ = _style(policy)
            for j, event in enumerate(events):
                r = lf[(lf.policy == policy) & (lf.metric == event)]
                if r.empty:
                    continue
                med = r["value"].median()
                lo, hi = r["p25"].median(), r["p75"].median()
                ax.errorbar([j + (i - 1) * width], [med], yerr=[[med - lo], [hi - med]], color=color,
                            marker=marker, capsize=3, linestyle="none", label=policy)
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), fontsize="small", loc="upper left")
        ax.set_xticks(range(len(events)), [e.replace("_ticks", "") for e in events])
        ax.set_ylabel("TSC ticks per event (median, p25-p75)")
        ax.set_ylim(bottom=0)
        ax.set_title(f"Latency per vCPU event, allocator {allocator} ({_source_note(lf)})", fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(fontsize="small", loc="lower right")
    for ax in axes[:2]:
        ax.annotate("eager-at-create and expand-at-cpuid coincide:\nboth hold the expanded buffer once CPUID offers AMX",
                    (0.03, 0.62), xycoords="axes fraction", va="top", fontsize=7.5, color="0.3")
    fig.suptitle("Which fpstate allocation policy: memory saved against latency added (cpu model "
                 f"{', '.join(sorted(set(fp['cpu-model'].dropna().astype(str)))) or '?'})")
    fig.tight_layout()
    out = run_dir / "answer-fpstate-policies.png"
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot(run_dir: pathlib.Path, df: pd.DataFrame) -> list[pathlib.Path]:
    return [p for p in (fleet_overhead(run_dir, df), fpstate_policies(run_dir, df)) if p is not None]
