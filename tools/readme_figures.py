"""The README's table of reference figures, generated from Results/reference.

    .venv/bin/python tools/readme_figures.py            # rewrite the README block
    .venv/bin/python tools/readme_figures.py --check    # exit 1 if the README drifted

Every figure in the block is read from the committed reference run with its
source label; nothing is typed by hand, so the README cannot drift from the
run it cites.  `.ci/run` runs `--check`.
"""
from __future__ import annotations

import pathlib
import sys

import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import results  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN = "<!-- reference-figures:begin (tools/readme_figures.py writes this block) -->"
END = "<!-- reference-figures:end -->"


def num(v: float, digits: int = 0) -> str:
    if pd.isna(v):
        return "n/a"
    return f"{v:,.{digits}f}"


class Figures:
    def __init__(self, run_dir: pathlib.Path):
        self.df = results.last_repetition(results.load(run_dir))
        self.env = results.environment(run_dir)

    def rows(self, suite: str, benchmark: str, metric: str, **params) -> pd.DataFrame:
        d = self.df
        d = d[(d.suite == suite) & (d.benchmark == benchmark) & (d.metric == metric)]
        for k, v in params.items():
            d = d[d[k.replace("_", "-") if k.replace("_", "-") in d.columns else k] == v]
        return d

    def one(self, suite: str, benchmark: str, metric: str, **params):
        """(value, source) of the single ok row matching, or (nan, '?')."""
        d = self.rows(suite, benchmark, metric, **params)
        d = d[d.status == "ok"]
        if len(d) != 1:
            return float("nan"), "?"
        return float(d.value.iloc[0]), str(d.source.iloc[0])

    def lines(self) -> list[str]:
        env = self.env
        out = [
            f"From `Results/reference`: {env.get('cpu_brand', '?')} (family {env.get('cpu_family')} "
            f"model {env.get('cpu_model')}, XCR0 {env.get('xcr0')}), {env.get('online_cpus')} CPUs, "
            f"TSC {num(env.get('tsc_hz', float('nan')) / 1e6, 1)} MHz, kernel {env.get('kernel_identity')}, "
            f"KVM {env.get('kvm_platform', 'none')}, commit {env.get('git_commit')}. Your machine will "
            "differ, which is the point of running it there. Each figure's source label is in brackets.",
            "",
            "| question | figure |",
            "|---|---|",
        ]
        out += [self.timer(), self.growth(), self.xsave_cost(), self.amx(), self.exit_loop(),
                self.fleet(), self.break_even(), self.buffers(), self.kvm()]
        return out

    def timer(self) -> str:
        empty, s1 = self.one("harness", "timer", "empty_region", **{"from": "kernel"})
        over, s2 = self.one("harness", "timer", "kernel_path_overhead")
        step, _ = self.one("harness", "timer", "tsc_step")
        per_add, s3 = self.one("harness", "add-chain", "ticks_per_add")
        clock, s4 = self.one("harness", "add-chain", "core_clock_est")
        ratio, _ = self.one("harness", "add-chain-1000", "per_chain_over_slope")
        return (f"| timer | empty timed region {num(empty)} ticks, of which the timing path adds "
                f"{num(over, 1)} over a bare fenced pair [{s2}]; TSC step {num(step)} ticks [{s1}]; "
                f"{num(per_add, 3)} ticks per dependent add, 1,000-add chain / slope {num(ratio, 3)} [{s3}]; "
                f"core clock ~{num(clock)} MHz if one add retires per cycle [{s4}] |")

    def growth(self) -> str:
        sizes = []
        for s in ["+AVX", "+AVX-512", "+PKRU", "+AMX_XTILEDATA"]:
            v, src = self.one("xsave", "size-featureset", "standard_bytes", cpu="spr", set=s)
            sizes.append(f"{num(v)} B {s[1:]}")
        comp, _ = self.one("xsave", "size-featureset", "compacted_bytes", cpu="spr", set="+AMX_XTILEDATA")
        d, _ = self.one("xsave", "linux-buffer", "kernel_default_bytes", cpu="spr")
        e, _ = self.one("xsave", "linux-buffer", "kernel_expanded_bytes", cpu="spr")
        g, _ = self.one("xsave", "linux-buffer", "guest_create_bytes", cpu="spr")
        frame, _ = self.one("xsave", "signal-frame", "frame_expanded_bytes", cpu="spr")
        rows = self.rows("xsave", "linux-buffer", "user_default_bytes", cpu="spr")
        k = results.parse_params(rows.params.iloc[0]).get("kernel") if len(rows) else None
        k = f" (Linux {k} rules)" if k else ""
        return (f"| state growth, Sapphire Rapids | standard image {' → '.join(sizes)}; compacted "
                f"{num(comp)} B; Linux's fpstate register area {num(d)} → {num(e)} B when expanded; guest area at "
                f"vCPU creation {num(g)} B; signal frame {num(frame)} B{k} [{src}] |")

    def xsave_cost(self) -> str:
        d = self.rows("xsave", "save-restore", "per_op", cpu="host", state="dirty")
        d = d[d.status == "ok"]
        if d.empty:
            return "| XSAVE cost here | not measured (no XSAVE) |"
        mask = max(d["mask"].unique(), key=lambda m: int(m, 16))
        d = d[d["mask"] == mask]
        parts = []
        for op in ["xsave", "xrstor", "xsave+xrstor"]:
            r = d[d.op == op]
            if len(r):
                parts.append(f"{op.upper()} {num(float(r.value.iloc[0]))} ticks")
        return f"| XSAVE cost here (mask {mask}, dirty state) | {', '.join(parts)} [{d.source.iloc[0]}] |"

    def amx(self) -> str:
        v, src = self.one("xsave", "amx-estimate", "pair_ticks", cpu="spr", set="+AMX_XTILEDATA")
        return (f"| AMX save+restore | ~{num(v)} ticks for Sapphire Rapids' AMX image, scaled from this "
                f"host's bytes per tick: an estimate, not a measurement [{src}] |")

    def exit_loop(self) -> str:
        over, s1 = self.one("rdmsr-exit", "loop-overhead", "ticks_per_exit")
        fid = self.rows("rdmsr-exit", "loop-fidelity", "error_pct")
        fid = fid[fid.status == "ok"]
        lo, hi = (fid.value.min(), fid.value.max()) if len(fid) else (float("nan"),) * 2
        src = fid.source.iloc[0] if len(fid) else "?"
        return (f"| simulated exit loop | loop overhead {num(over, 1)} ticks per exit [{s1}]; the injected "
                f"RDMSR work is recovered within {num(lo, 1)} % to {num(hi, 1)} % (loop-fidelity check) [{src}] |")

    def fleet(self) -> str:
        d = self.rows("rdmsr-exit", "fleet", "overhead_pct")
        d = d[(d.status == "ok") & d.rdmsr.notna()]
        if d.empty:
            return "| fleet | no fleet rows |"
        fleet = d.fleet.iloc[0]
        winners, cheap, dear = set(), [], []
        for cost, g in d.groupby("rdmsr"):
            best = g.loc[g.value.idxmin()]
            winners.add(best.policy)
            worst = g.loc[g.value.idxmax()]
            cheap.append(f"{num(best.value, 2)} %")
            dear.append(f"{num(worst.value, 2)} %")
        costs = sorted(d.rdmsr.unique())
        who = ", ".join(sorted(winners))
        return (f"| XFD policy, default fleet ({fleet}) | cheapest at every injected RDMSR cost from "
                f"{num(costs[0])} to {num(costs[-1])} cycles: {who} ({cheap[0]} to {cheap[-1]} of exit time, "
                f"against {dear[0]} to {dear[-1]} for the dearest policy) [{d.source.iloc[0]}] |")

    def break_even(self) -> str:
        d = self.rows("rdmsr-exit", "break-even", "writes_per_1k_exits", round_trip=950.0)
        d = d[d["from"] == "formula"] if "from" in d.columns else d
        d = d[d.status == "ok"]
        if d.empty:
            return "| break-even | no formula rows |"
        lo = d.loc[d.rdmsr.idxmin()]
        hi = d.loc[d.rdmsr.idxmax()]
        return (f"| break-even | with a 950-cycle round trip, always-intercept costs more only above "
                f"{num(lo.value, 1)} guest XFD writes per 1,000 exits (RDMSR {num(lo.rdmsr)} cycles) to "
                f"{num(hi.value, 1)} ({num(hi.rdmsr)} cycles) [{lo.source}] |")

    def buffers(self) -> str:
        d = self.rows("fpstate-alloc", "memory", "resident_bytes_model", vcpus=1024.0)
        d = d[d.status == "ok"]
        if d.empty:
            return "| buffers | no 1,024-vCPU rows |"
        parts = []
        for policy, g in d.groupby("policy", sort=False):
            kib = " / ".join(num(v / 1024) for v in g.sort_values("adoption").value)
            parts.append(f"{policy} {kib} KiB")
        levels = " / ".join(num(a) for a in sorted(d.adoption.unique()))
        first, s2 = self.one("fpstate-alloc", "lifecycle", "first_use_ticks", allocator="mmap", policy="lazy-on-trap")
        return (f"| buffers, 1,024 vCPUs (SPR sizes) | at {levels} % AMX adoption: {'; '.join(parts)} "
                f"[{d.source.iloc[0]}]; lazy first use ~{num(first)} ticks per adopting vCPU with page-granular "
                f"memory [{s2}] plus the modelled #NM and XFD_ERR exits |")

    def kvm(self) -> str:
        d = self.rows("kvm", "exit", "round_trip")
        ok = d[d.status == "ok"]
        if ok.empty:
            return "| KVM exits | not measured here (no usable /dev/kvm) |"
        parts = [f"{r.exit} {num(r.value)}" for r in ok.itertuples()]
        bad = [r.exit for r in d[d.status != "ok"].itertuples()]
        platform = ok.platform.iloc[0]
        hw = "hardware exit costs" if self.env.get("kvm_hardware_figures") else "this platform's costs, not hardware exit costs"
        tail = f"; {', '.join(bad)}: error (see the row)" if bad else ""
        return (f"| KVM exits ({platform}) | guest-timed ticks per exit: {', '.join(parts)}{tail}; "
                f"{hw} [{ok.source.iloc[0]}] |")


def block(run_dir: pathlib.Path) -> str:
    return "\n".join([BEGIN, *Figures(run_dir).lines(), END])


def main(argv: list[str]) -> int:
    check = "--check" in argv
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        print("readme_figures: README.md has no reference-figures block", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    run = pathlib.Path(argv[argv.index("--run") + 1]) if "--run" in argv else ROOT / "Results" / "reference"
    new = head + block(run) + tail
    if check:
        if new != text:
            print("readme_figures: README.md's reference figures differ from Results/reference; "
                  "run .venv/bin/python tools/readme_figures.py", file=sys.stderr)
            return 1
        print("readme_figures: README.md agrees with Results/reference")
        return 0
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
