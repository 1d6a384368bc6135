"""Plots of the `xsave` suite (called by tools/plot.py).

xsave-sizes.png           XSAVE image size per CPU and cumulative feature
                          set, stacked by state component, standard
                          (XSAVE) and compacted (XSAVEC) format side by
                          side.  The part of a bar not covered by
                          components is layout overhead: standard-format
                          holes, compacted 64-byte alignment padding.
xsave-ticks-vs-bytes.png  host: median ticks per operation against the
                          bytes the operation moves (bytes the probe save
                          wrote), dirty and clean state, p25-p75 bars;
                          the AMX estimates (model, not measured) at the
                          recorded AMX image size.
"""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from report_rows import num as _num, params as _params  # noqa: E402

# Components each cumulative step adds (XCR0 bit numbers), in the suite's order.
SET_COMPONENTS = {
    "x87+SSE": [0, 1],
    "+AVX": [2],
    "+AVX-512": [5, 6, 7],
    "+PKRU": [9],
    "+AMX_XTILECFG": [17],
    "+AMX_XTILEDATA": [18],
}
SET_ORDER = list(SET_COMPONENTS)
SHORT_SET = {"x87+SSE": "SSE", "+AVX": "AVX", "+AVX-512": "512", "+PKRU": "PKRU",
             "+AMX_XTILECFG": "TCFG", "+AMX_XTILEDATA": "AMX"}
COMPONENT_COLORS = {
    "legacy+header": "#9e9e9e", 2: "tab:blue", 5: "tab:cyan", 6: "tab:green", 7: "tab:olive",
    9: "tab:purple", 17: "tab:orange", 18: "tab:red", "layout overhead": "white",
}
COMPONENT_NAMES = {2: "AVX (YMM_Hi128)", 5: "AVX-512 opmask", 6: "AVX-512 ZMM_Hi256",
                   7: "AVX-512 Hi16_ZMM", 9: "PKRU", 17: "AMX XTILECFG", 18: "AMX XTILEDATA"}


def _ok(rows: list[dict], benchmark: str, metric: str | None = None) -> list[dict]:
    return [r for r in rows if r.get("benchmark") == benchmark
            and (metric is None or r.get("metric") == metric)
            and r.get("status") == "ok" and _num(r.get("value")) is not None]


def _first_rep(rows: list[dict]) -> list[dict]:
    reps = sorted({r.get("repetition") or "1" for r in rows})
    return [r for r in rows if (r.get("repetition") or "1") == reps[0]] if reps else rows


def size_bars(rows: list[dict]) -> tuple[list[str], dict[str, str], dict[str, list[tuple[str, str, int, list[tuple[object, int, int]]]]]]:
    """What xsave-sizes.png draws: the CPUs in drawing order, each CPU's
    source, and per format (`standard_bytes`, `compacted_bytes`) one bar
    (cpu, set, total bytes, [(segment, bottom, height)]) per recorded total:
    the 576-byte legacy area and header, each enabled component the set
    holds, then the layout overhead up to the total."""
    rows = _first_rep(rows)
    sizes: dict[str, dict[int, int]] = {}
    sources: dict[str, str] = {}
    for r in _ok(rows, "size-component", "size"):
        p = _params(r)
        sizes.setdefault(p["cpu"], {})[int(p["component"])] = int(float(r["value"]))
        sources[p["cpu"]] = r.get("source", "")
    enabled = {(_params(r)["cpu"], int(_params(r)["component"])): _num(r["value"]) == 1
               for r in _ok(rows, "size-component", "enabled")}
    totals: dict[tuple[str, str, str], int] = {}
    for fmt in ("standard_bytes", "compacted_bytes"):
        for r in _ok(rows, "size-featureset", fmt):
            p = _params(r)
            totals[(p["cpu"], p["set"], fmt)] = int(float(r["value"]))
    cpus = sorted((c for c in sizes if any(k[0] == c for k in totals)), key=lambda c: (c == "host", c))
    bars: dict[str, list] = {"standard_bytes": [], "compacted_bytes": []}
    for fmt in bars:
        for cpu in cpus:
            for s in SET_ORDER:
                total = totals.get((cpu, s, fmt))
                if total is None:
                    continue
                comps = [c for step in SET_ORDER[:SET_ORDER.index(s) + 1] for c in SET_COMPONENTS[step]
                         if c >= 2 and enabled.get((cpu, c))]
                segments: list[tuple[object, int, int]] = [("legacy+header", 0, 576)]
                bottom = 576
                for c in comps:
                    h = sizes[cpu].get(c, 0)
                    segments.append((c, bottom, h))
                    bottom += h
                if total > bottom:
                    segments.append(("layout overhead", bottom, total - bottom))
                bars[fmt].append((cpu, s, total, segments))
    return cpus, sources, bars


def plot_sizes(run_dir: pathlib.Path, rows: list[dict]) -> pathlib.Path | None:
    cpus, sources, drawn = size_bars(rows)
    if not cpus:
        return None

    bars = max(len(drawn["standard_bytes"]), len(drawn["compacted_bytes"]))
    fig, axes = plt.subplots(2, 1, figsize=(max(9.0, 0.32 * bars + 3), 10), sharey=True)
    used: set = set()
    for ax, fmt, title in zip(axes, ("standard_bytes", "compacted_bytes"),
                              ("standard format (XSAVE / XSAVEOPT)", "compacted format (XSAVEC)")):
        x, ticks, labels = 0.0, [], []
        for cpu in cpus:
            mine = [b for b in drawn[fmt] if b[0] == cpu]
            for _, s, total, segments in mine:
                for segment, bottom, h in segments:
                    if segment == "layout overhead":
                        ax.bar(x, h, bottom=bottom, color="white", edgecolor="black", hatch="//", linewidth=0.3)
                    else:
                        ax.bar(x, h, bottom=bottom, color=COMPONENT_COLORS.get(segment, "tab:brown"),
                               edgecolor="black", linewidth=0.3)
                    used.add(segment)
                ticks.append(x)
                labels.append(SHORT_SET[s])
                x += 1
            ax.text(x - 0.5 - len(mine) / 2, -0.13,
                    f"{cpu}\n[{sources.get(cpu, '?')}]", transform=ax.get_xaxis_transform(),
                    ha="center", va="top", fontsize=9)
            x += 0.8
        ax.set_xticks(ticks)
        ax.set_xticklabels(labels, rotation=90, fontsize=7)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes:
        ax.set_ylabel("XSAVE image size (bytes)")
    handles = []
    for key in ["legacy+header", 2, 5, 6, 7, 9, 17, 18, "layout overhead"]:
        if key in used:
            label = COMPONENT_NAMES.get(key, key) if not isinstance(key, str) else \
                ("x87+SSE legacy area + header" if key == "legacy+header"
                 else "layout overhead (holes, alignment)")
            handles.append(plt.Rectangle((0, 0), 1, 1, facecolor=COMPONENT_COLORS[key], edgecolor="black",
                                         hatch="//" if key == "layout overhead" else None, label=label))
    handles.append(plt.Rectangle((0, 0), 0, 0, color="none",
                                 label="source: model (recorded CPUs; host from its own CPUID)"))
    fig.legend(handles=handles, loc="upper center", ncol=4, fontsize=8, frameon=False)
    fig.subplots_adjust(top=0.88, bottom=0.1, hspace=0.45)
    out = run_dir / "xsave-sizes.png"
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot(run_dir: pathlib.Path, rows: list[dict]) -> list[pathlib.Path]:
    """Draws the suite's plots into `run_dir`; returns the files written."""
    import xsave_timing  # the timing figure, drawn from tools/results.py
    return [p for p in (plot_sizes(run_dir, rows), xsave_timing.plot_ticks_vs_bytes(run_dir)) if p is not None]
