"""Plots of the `fpstate-alloc` suite (called by tools/plot.py).

fpstate-alloc-memory.png    fleet resident memory (MiB, linear) versus vCPU
                            count, one panel per AMX adoption level, one line
                            per policy, policies that coincide named on the
                            plot; last repetition.
fpstate-alloc-latency.png   per-event latency (create, expansion at
                            KVM_SET_CPUID2, expansion in the first-use trap,
                            destroy) per policy: median with p25-p75 bars and
                            p5-p95 lines, one panel per allocator.

Both are drawn by fpstate_figures.py from tools/results.py's DataFrame.
"""
from __future__ import annotations

import pathlib


def plot(run_dir: pathlib.Path, rows: list[dict]) -> list[pathlib.Path]:
    import fpstate_figures
    return [p for p in (fpstate_figures.plot_memory(run_dir), fpstate_figures.plot_latency(run_dir)) if p is not None]
