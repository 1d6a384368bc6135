"""Plots of the `fpstate-alloc` suite (called by tools/plot.py).

fpstate-alloc-memory.png    fleet resident memory (KiB, log scale) versus vCPU count,
                            one panel per AMX adoption level, one line per
                            policy (mincore page count of the mmap stand-in
                            for vzalloc, else the page-rounding model);
                            last repetition.
fpstate-alloc-latency.png   latency distribution of each lifecycle event
                            (create, expansion at KVM_SET_CPUID2, expansion
                            in the first-use trap) per policy, as p5 / p50 /
                            p95 / p99 bars, one panel per allocator; last
                            repetition.  Units: TSC ticks, with ns on the
                            right axis when environment.json gives the rate.
"""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from report_rows import num as _num, params as _params, tsc_hz as _tsc_hz  # noqa: E402

POLICIES = ["eager-at-create", "expand-at-cpuid", "lazy-on-trap"]
COLORS = {"eager-at-create": "tab:red", "expand-at-cpuid": "tab:blue", "lazy-on-trap": "tab:green"}
EVENTS = [("create_ticks", "create"), ("set_cpuid_ticks", "KVM_SET_CPUID2"), ("first_use_ticks", "first use")]
QUANTILES = [("p5", 1.0), ("median", 0.7), ("p95", 0.45), ("p99", 0.25)]
STYLES = {"eager-at-create": ("--", "s"), "expand-at-cpuid": ("-", "o"), "lazy-on-trap": ("-", "^")}





def _last_rep(rows: list[dict], benchmark: str) -> list[dict]:
    mine = [r for r in rows if r.get("benchmark") == benchmark and r.get("status") == "ok"
            and _num(r.get("value")) is not None]
    if not mine:
        return []
    last = max(int(r.get("repetition") or 1) for r in mine)
    return [r for r in mine if int(r.get("repetition") or 1) == last]


def _pct_key(text: str) -> float:
    return _num(text) or 0.0


def plot_memory(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    mem = _last_rep(rows, "memory")
    # Prefer the mincore count; fall back to the model, then to requested bytes.
    for metric in ("resident_bytes", "resident_bytes_model", "requested_bytes"):
        chosen = [r for r in mem if r["metric"] == metric]
        if chosen:
            break
    else:
        return None
    levels = sorted({_params(r).get("adoption", "") for r in chosen}, key=_pct_key)
    fig, axes = plt.subplots(1, len(levels), figsize=(4.2 * len(levels), 4.2), sharey=True, squeeze=False)
    label_by_metric = {"resident_bytes": "resident", "resident_bytes_model": "resident (page model)",
                       "requested_bytes": "requested"}
    for ax, level in zip(axes[0], levels):
        for policy in POLICIES:
            pts = sorted((int(_params(r)["vcpus"]), _num(r["value"]) / 2**10, r["source"])
                         for r in chosen if _params(r).get("policy") == policy
                         and _params(r).get("adoption") == level)
            if not pts:
                continue
            # eager and expand-at-cpuid coincide when every CPUID has AMX: dashed over solid.
            ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=STYLES[policy][0],
                    marker=STYLES[policy][1], markersize=4, color=COLORS[policy],
                    label=f"{policy} ({pts[0][2]})", zorder=3 if policy == "eager-at-create" else 2)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("vCPUs in the fleet")
        ax.set_title(f"AMX adoption {level}%")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel(f"fleet {label_by_metric[metric]} memory, KiB")
    axes[0][-1].legend(loc="upper left", fontsize="small")
    cpu = _params(chosen[0]).get("cpu-model", "?")
    fig.suptitle(f"Register-state buffer memory per policy (cpu-model {cpu}; "
                 f"source: mincore of mmap, the vzalloc stand-in = proxy)")
    fig.tight_layout()
    out = run_dir / "fpstate-alloc-memory.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_latency(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    lat = [r for r in _last_rep(rows, "lifecycle") if r["metric"] in dict(EVENTS)]
    if not lat:
        return None
    allocators = []
    for r in lat:
        a = _params(r).get("allocator")
        if a not in allocators:
            allocators.append(a)
    fig, axes = plt.subplots(len(allocators), 1, figsize=(10, 3.4 * len(allocators)), squeeze=False)
    tsc_hz = _tsc_hz(run_dir)
    for ax, alloc in zip(axes[:, 0], allocators):
        labels, x = [], 0
        seen = set()
        for metric, event in EVENTS:
            for policy in POLICIES:
                row = next((r for r in lat if r["metric"] == metric and _params(r).get("allocator") == alloc
                            and _params(r).get("policy") == policy), None)
                if row is None:
                    continue
                # Tallest first so the shorter quantiles stay visible in front.
                for q, alpha in reversed(QUANTILES):
                    v = _num(row.get(q))
                    if v is None:
                        continue
                    key = (policy, q)
                    label = f"{policy} ({row['source']})" if key not in seen and q == "median" else None
                    seen.add(key)
                    ax.bar(x, v, width=0.8, color=COLORS[policy], alpha=alpha, label=label,
                           edgecolor="black" if q == "median" else "none", linewidth=0.5)
                labels.append((x, f"{event}\n{policy.split('-')[0]}"))
                x += 1
            x += 0.6
        ax.set_xticks([p for p, _ in labels], [t for _, t in labels], fontsize="x-small")
        ax.set_ylabel("TSC ticks per event")
        ax.set_title(f"{alloc}: overlaid bars p5 (darkest) / p50 (outlined) / p95 / p99 (lightest)", fontsize="small")
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize="x-small", loc="upper left")
        if tsc_hz:
            scale = 1e9 / tsc_hz
            sec = ax.secondary_yaxis("right", functions=(lambda t, s=scale: t * s, lambda n, s=scale: n / s))
            sec.set_ylabel("ns")
    fig.suptitle("fpstate buffer lifecycle latency per event (mmap = vzalloc stand-in: proxy)")
    fig.tight_layout()
    out = run_dir / "fpstate-alloc-latency.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot(run_dir: pathlib.Path, rows: list[dict]) -> list[pathlib.Path]:
    import fpstate_figures  # memory and latency figures, drawn from tools/results.py
    return [p for p in (fpstate_figures.plot_memory(run_dir), fpstate_figures.plot_latency(run_dir)) if p is not None]
