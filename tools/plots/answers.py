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


def fleet_overhead_data(df: pd.DataFrame, ticks_per_cycle: float | None) -> dict | None:
    """What answer-fleet-overhead.png draws, in its units: `lines` maps each
    policy to (rdmsr cycles, overhead %) sorted by cost; `standins` holds one
    (label, ticks, cycles, {policy: overhead %}) per measured stand-in whose
    read cost the run has, cycles = ticks / ticks_per_cycle (1 when unknown);
    `exit_note` names the exit round trip the model used; `fleet` and
    `sources` title the figure.  None when the run has no fleet rows."""
    rows = df[(df.suite == "rdmsr-exit") & (df.benchmark == "fleet") & (df.metric == "overhead_pct")
              & (df.status == "ok")]
    if rows.empty or "rdmsr" not in rows:
        return None
    rows = rows[rows.repetition == rows.repetition.max()]
    numeric = rows[rows["rdmsr"].notna()]
    lines = {}
    for policy, group in numeric.groupby("policy", observed=True, sort=True):
        g = group.sort_values("rdmsr")
        lines[policy] = list(zip(g["rdmsr"].astype(float), g["value"].astype(float)))
    # Stand-ins measured on this CPU: the model evaluated at their measured
    # cost, placed on the cycle axis through the run's ticks-per-cycle estimate.
    reads = df[(df.suite == "rdmsr-exit") & (df.benchmark == "break-even") & (df.metric == "read_ticks_per_exit")
               & (df.status == "ok")]
    ticks_per_cycle = ticks_per_cycle or 1.0
    standins = []
    if "rdmsr_label" in rows:
        proxies = rows[rows["rdmsr_label"].notna()].groupby("rdmsr_label", observed=True)
        for label, group in proxies:
            ticks = reads[(reads.get("rdmsr_label") == label)]["value"].median() if "rdmsr_label" in reads else None
            if ticks is None or pd.isna(ticks):
                continue
            standins.append((label, float(ticks), float(ticks) / ticks_per_cycle,
                             {r["policy"]: float(r["value"]) for _, r in group.iterrows()}))
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
    return {"lines": lines, "standins": standins, "exit_note": exit_note, "fleet": fleet,
            "sources": _source_note(rows)}


def fleet_overhead(run_dir: pathlib.Path, df: pd.DataFrame) -> pathlib.Path | None:
    data = fleet_overhead_data(df, results.environment(run_dir).get("ticks_per_core_cycle"))
    if data is None:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 5))
    for policy, points in data["lines"].items():
        color, marker, line = _style(policy)
        ax.plot([x for x, _ in points], [y for _, y in points], color=color, marker=marker, linestyle=line,
                label=policy)
    for k, (label, ticks, cost, by_policy) in enumerate(data["standins"]):
        ax.axvline(cost, color="0.6", linestyle=":", linewidth=1)
        ax.annotate(f"{label}: {ticks:.0f} ticks = {cost:.0f} cycles (measured stand-in)", (cost, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(6, 150 - 14 * k), textcoords="offset points", fontsize=8, color="0.3",
                    arrowprops={"arrowstyle": "-", "color": "0.6", "linewidth": 0.6})
        for policy, value in by_policy.items():
            color, marker, _ = _style(policy)
            ax.plot([cost], [value], marker=marker, color=color, markerfacecolor="white")
    ax.set_xlabel("cost of one RDMSR(IA32_XFD), core cycles (injected; swept model input)")
    ax.set_ylabel("fleet overhead, % of exit-handling time")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    # Three short lines: the subtitle is wider than the axes on its own.
    ax.set_title(f"Which XFD policy costs the fleet least?\nfleet {data['fleet']}\n{data['sources']}{data['exit_note']}",
                 fontsize=10)
    ax.legend(title="policy", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    fig.tight_layout()
    out = run_dir / "answer-fleet-overhead.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


LIFECYCLE_EVENTS = ["create_ticks", "set_cpuid_ticks", "first_use_ticks", "destroy_ticks"]


def fpstate_policies_data(df: pd.DataFrame) -> dict | None:
    """What answer-fpstate-policies.png draws, in its units: `per_vcpu` maps
    each policy to (adoption %, KiB resident per vCPU), medians of the last
    repetition; `fleet` maps each policy to (vCPUs, MiB resident) at
    `fleet_adoption` % (10 when the run has it); `latency` maps each policy
    to {event: (median, p25, p75)} in ticks for `allocator` (malloc when the
    run has it); `sources` the source labels of each panel.  None when the
    run has no memory or lifecycle rows."""
    fp = df[(df.suite == "fpstate-alloc") & (df.status == "ok")]
    mem = fp[(fp.benchmark == "memory") & (fp.metric == "resident_bytes_per_vcpu")]
    fleet = fp[(fp.benchmark == "memory") & (fp.metric == "resident_bytes")]
    life = fp[(fp.benchmark == "lifecycle") & fp.metric.str.endswith("_ticks")]
    if mem.empty and life.empty:
        return None
    out: dict = {"per_vcpu": {}, "fleet": {}, "fleet_adoption": None, "latency": {}, "allocator": None,
                 "sources": {}}
    last = mem[mem.repetition == mem.repetition.max()]
    policies = sorted(set(last["policy"].dropna()))
    out["policies"] = policies
    for policy in policies:
        g = last[last.policy == policy].groupby("adoption")["value"].median().sort_index()
        out["per_vcpu"][policy] = [(float(a), float(v) / 1024) for a, v in g.items()]
    out["sources"]["per_vcpu"] = _source_note(last)
    fl = fleet[fleet.repetition == fleet.repetition.max()]
    if not fl.empty:
        adoption = 10.0 if (fl.adoption == 10).any() else fl.adoption.min()
        fl = fl[fl.adoption == adoption]
        out["fleet_adoption"] = float(adoption)
        for policy in sorted(set(fl["policy"].dropna())):
            g = fl[fl.policy == policy].groupby("vcpus")["value"].median().sort_index()
            out["fleet"][policy] = [(float(n), float(v) / 2**20) for n, v in g.items()]
        out["sources"]["fleet"] = _source_note(fl)
    if not life.empty:
        allocator = "malloc" if (life.allocator == "malloc").any() else life.allocator.dropna().iloc[0]
        lf = life[life.allocator == allocator]
        out["allocator"] = allocator
        for policy in policies:
            for event in LIFECYCLE_EVENTS:
                r = lf[(lf.policy == policy) & (lf.metric == event)]
                if not r.empty:
                    out["latency"].setdefault(policy, {})[event] = (
                        float(r["value"].median()), float(r["p25"].median()), float(r["p75"].median()))
        out["sources"]["latency"] = _source_note(lf)
    models = sorted(set(fp["cpu-model"].dropna().astype(str))) if "cpu-model" in fp else []
    out["cpu_models"] = ", ".join(models) or "?"
    return out


def fpstate_policies(run_dir: pathlib.Path, df: pd.DataFrame) -> pathlib.Path | None:
    data = fpstate_policies_data(df)
    if data is None:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    ax = axes[0]
    for i, (policy, points) in enumerate(data["per_vcpu"].items()):
        color, marker, line = _style(policy)
        # Overlapping policies stay visible: drawn thinner on top, offset markers.
        ax.plot([a for a, _ in points], [k for _, k in points], color=color, marker=marker, linestyle=line,
                linewidth=3 - i, markersize=9 - 2 * i, label=policy)
    ax.set_xlabel("guests using AMX, %")
    ax.set_ylabel("resident fpstate per vCPU, KiB")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Memory per vCPU ({data['sources']['per_vcpu']})", fontsize=10)
    ax.grid(True, alpha=0.3)

    ax = axes[1]
    if data["fleet_adoption"] is not None:
        for i, (policy, points) in enumerate(data["fleet"].items()):
            color, marker, line = _style(policy)
            ax.plot([n for n, _ in points], [m for _, m in points], color=color, marker=marker, linestyle=line,
                    linewidth=3 - i, markersize=9 - 2 * i, label=policy)
        ax.set_title(f"Fleet memory at {data['fleet_adoption']:g}% AMX adoption ({data['sources']['fleet']})",
                     fontsize=10)
    ax.set_xlabel("vCPUs")
    ax.set_ylabel("resident fpstate, MiB")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)

    ax = axes[2]
    if data["allocator"] is not None:
        width = 0.25
        for i, policy in enumerate(data["policies"]):
            color, marker, _ = _style(policy)
            for j, event in enumerate(LIFECYCLE_EVENTS):
                if event not in data["latency"].get(policy, {}):
                    continue
                med, lo, hi = data["latency"][policy][event]
                ax.errorbar([j + (i - 1) * width], [med], yerr=[[med - lo], [hi - med]], color=color,
                            marker=marker, capsize=3, linestyle="none", label=policy)
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), fontsize="small", loc="upper left")
        ax.set_xticks(range(len(LIFECYCLE_EVENTS)), [e.replace("_ticks", "") for e in LIFECYCLE_EVENTS])
        ax.set_ylabel("TSC ticks per event (median, p25-p75)")
        ax.set_ylim(bottom=0)
        ax.set_title(f"Latency per vCPU event, allocator {data['allocator']} ({data['sources']['latency']})",
                     fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(fontsize="small", loc="lower right")
    for ax in axes[:2]:
        ax.annotate("eager-at-create and expand-at-cpuid coincide:\nboth hold the expanded buffer once CPUID offers AMX",
                    (0.03, 0.62), xycoords="axes fraction", va="top", fontsize=7.5, color="0.3")
    fig.suptitle("Which fpstate allocation policy: memory saved against latency added (cpu model "
                 f"{data['cpu_models']})")
    fig.tight_layout()
    out = run_dir / "answer-fpstate-policies.png"
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot(run_dir: pathlib.Path, df: pd.DataFrame) -> list[pathlib.Path]:
    return [p for p in (fleet_overhead(run_dir, df), fpstate_policies(run_dir, df)) if p is not None]
