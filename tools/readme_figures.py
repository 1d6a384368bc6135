"""The README's table of reference figures, generated from Results/reference.

    .venv/bin/python tools/readme_figures.py            # rewrite the README block
    .venv/bin/python tools/readme_figures.py --check    # exit 1 if the README drifted
    (--run DIR reads another reference run, --readme FILE another README)

Every figure in the block is read from the committed reference run with its
source label; nothing is typed by hand, so the README cannot drift from the
run it cites.  `--check` also reads every number in the README's prose
(outside the block, code blocks and `code` spans) and rejects one that no
row of Results/reference or Results/reference-quick supports and that is
not in ALLOWED.  A number written with a unit (ticks, cycles, bytes, B,
KiB, MiB, GiB, %, MHz, ns) is supported by an ok exact row (a size or
model output, the same in every regenerated reference) of that unit whose
value rounds to it at the precision written, or by a row's note that
states it with the unit; a bare number by any number in a row's params or
note.  `.ci/run` runs `--check`.
"""
from __future__ import annotations

import pathlib
import re
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
                self.fleet(), self.break_even(), self.buffers(), self.kvm(), self.kvm_loop()]
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
        exits = self.rows("kvm", "exit", "exits_verified")
        unverified = exits[exits.note.astype(str).str.startswith("unverified")]
        caveat = (f"; KVM itself counted exits only for {', '.join(sorted(set(exits[exits.status == 'ok'].exit)))}, "
                  f"the others are unverified on this platform (see `exits_verified`)") if not unverified.empty else ""
        return (f"| KVM exits ({platform}) | guest-timed ticks per exit: {', '.join(parts)}{tail}; "
                f"{hw} [{ok.source.iloc[0]}]{caveat} |")

    def kvm_loop(self) -> str:
        """The port write against the independent minimal loop (`exit-minimal`)."""
        loop = self.rows("kvm", "exit-minimal", "loop_per_exit", exit="port-write", mode="long", cpuid="supported")
        instr = self.rows("kvm", "exit-minimal", "per_instruction_between_exits", exit="port-write")
        host = self.rows("kvm", "exit", "kvm_run_host", exit="port-write")
        if loop.empty or instr.empty or host.empty or (loop.status != "ok").any() or (host.status != "ok").any():
            return "| KVM port write vs a minimal loop | not measured here |"
        l, i, h = float(loop.value.iloc[0]), float(instr.value.iloc[0]), float(host.value.iloc[0])
        return (f"| KVM port write vs a minimal loop | the suite's host-timed KVM_RUN {num(h)} ticks against "
                f"{num(l)} for a loop of KVM_RUNs on a guest doing only the exit; each guest instruction between "
                f"exits costs {num(i)} ticks here and the suite's loop runs two more, {num(l + 2 * i)} in all "
                f"({100 * (h - l - 2 * i) / h:+.1f} % left over) [{loop.source.iloc[0]}] |")


# Numbers the README states that no row holds, each with the reason it
# needs none.  Keyed by the number as `numbers()` reads it: digits as
# written, then the k/M suffix and the unit when present.
ALLOWED = {
    "0.008": "2/252: the smallest Mann-Whitney p with 5 repetitions a side, worked out in the sentence",
    "252": "C(10, 5), the count of orderings in the same sentence",
    "130": "exit code of an interrupted run (the exit-code table)",
    "4180": "RFC 4180, the CSV format",
    "6.12": "Linux version of the x2APIC ICR fastpath rule",
    "6.16": "Linux version of the TDX rule",
    "72": "the width of `benchmark summary`, in columns",
    "1 GiB": "the fpstate-alloc memory budget's cap (MemoryBudget.swift)",
    "1,060 cycle": "the cost table's exit round trip plus CPUID, 950 + 110 cycles (its note states the sum)",
    "15 %": "the loop-fidelity tolerance, a constant of the suite",
    "3 ticks": "the loop-fidelity tolerance, a constant of the suite",
    "95 %": "the confidence level of the median's interval",
    "100 %": "the top of the AMX adoption range, a parameter range",
    "5 %": "compare's default threshold",
    "10 %": "the speed-state warning's margin and tools/prove-gate.sh's injected slowdown",
    "50 %": "the fault the self-checks section's example injects (XFD_BENCH_SLOWDOWN=...=0.50)",
    "5.19": "Linux version from which KVM offers IPI virtualisation (the ipiv rule)",
    "2021": "the year of the mailing-list thread the project answers",
    "2023": "the year of the Hunter paper (ICPE 2023) the history gate follows",
    "2,528 cycles": "M. Roth's published KVM_RUN figure (LKML, Dec 2020), quoted with its source",
    "0.001": "history --gate's default --max-pvalue",
}

UNITS = {"tick": "ticks", "ticks": "ticks", "cycle": "cycles", "cycles": "cycles", "B": "bytes",
         "byte": "bytes", "bytes": "bytes", "KiB": "bytes", "MiB": "bytes", "GiB": "bytes",
         "%": "%", "MHz": "MHz", "ns": "ns"}
SCALE = {"k": 1e3, "M": 1e6, "KiB": 1024, "MiB": 2**20, "GiB": 2**30}
# A number, an optional k/M suffix, an optional unit after a space or hyphen.
NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)([kM])?(?![A-Za-z0-9])"
                    r"(?:[ -]?(ticks?|cycles?|B(?![\w])|bytes?|KiB|MiB|GiB|%|MHz|ns)(?![A-Za-z]))?")


def prose(text: str) -> str:
    """`text` without the generated block, code blocks, `code` spans, link
    targets, numbered-list markers, identifiers holding digits (AVX-512,
    x86-64, IA32_XFD, add-chain-1000) and hex literals: what is left are
    the numbers a person reads as figures.  Line breaks are kept, so line
    numbers still match the file."""
    def blank(m: re.Match) -> str:
        return "\n" * m.group(0).count("\n")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        inside, tail = rest.split(END, 1)
        text = head + "\n" * inside.count("\n") + tail
    text = re.sub(r"```.*?```", blank, text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"^(\s*)\d+\.\s", r"\1", text, flags=re.M)
    text = re.sub(r"\b[A-Za-z_]\w*(?:[-/][\w.]+)+", "", text)
    text = re.sub(r"\b[A-Za-z_]+\d\w*", "", text)
    text = re.sub(r"\b\d+\.\d+\.\d+\b", lambda m: "" if m.group(0) in rule_releases() else m.group(0), text)
    return re.sub(r"\b0x[0-9A-Fa-f]+\b", "", text)


def rule_releases() -> set[str]:
    """Linux stable releases (N.N.N) the kernel rules declare in the Swift
    sources (`LinuxKernelVersion(6, 1, 133)`): a release the README names
    must be one a rule holds, not a figure."""
    found: set[str] = set()
    for path in list((ROOT / "Sources").rglob("*.swift")) + list((ROOT / "Benchmarks").rglob("*.swift")):
        for m in re.finditer(r"LinuxKernelVersion\((\d+), (\d+), (\d+)\)", path.read_text()):
            found.add(".".join(m.groups()))
    return found


def numbers(text: str) -> list[tuple[int, str, float, str | None]]:
    """(line, key, value, unit class) of every number in the README's prose;
    `key` is how ALLOWED names it, value the number with its suffix and
    unit scale applied (13.9k -> 13900, 8 KiB -> 8192)."""
    out = []
    for n, line in enumerate(prose(text).split("\n"), start=1):
        for m in NUMBER.finditer(line):
            digits, suffix, unit = m.group(1).rstrip(","), m.group(2), m.group(3)
            key = digits + (suffix or "") + (f" {unit}" if unit else "")
            value = float(digits.replace(",", "")) * SCALE.get(suffix, 1) * SCALE.get(unit, 1)
            out.append((n, key, value, UNITS[unit] if unit else None))
    return out


class Support:
    """What the reference runs hold: ok values with their units, numbers
    stated with a unit in notes, and every number of params and notes."""

    def __init__(self, run_dirs: list[pathlib.Path]):
        self.values: dict[str, list[float]] = {}
        self.stated: set[tuple[float, str]] = set()
        self.bare: set[float] = set()
        for run_dir in run_dirs:
            df = results.load(run_dir)
            if df.empty:
                continue
            # Exact rows only: sizes and model outputs are the same in every
            # regenerated reference, a timing that happens to match is not.
            ok = df[(df.status == "ok") & df.value.notna() & (df.gate == "exact")]
            for unit, g in ok.groupby(ok.unit.astype(str), observed=True):
                self.values.setdefault(unit, []).extend(float(v) for v in g.value.unique())
            texts = set(df.note.astype(str)) | set(df.params.astype(str))
            for text in texts:
                for m in NUMBER.finditer(text):
                    digits, suffix, unit = m.group(1).rstrip(","), m.group(2), m.group(3)
                    value = float(digits.replace(",", "")) * SCALE.get(suffix, 1) * SCALE.get(unit, 1)
                    self.bare.add(value)
                    if unit:
                        self.stated.add((value, UNITS[unit]))

    def supports(self, key: str, value: float, unit: str | None) -> bool:
        if unit is None:
            return value in self.bare
        if (value, unit) in self.stated:
            return True
        digits = key.split(" ")[0].rstrip("kM").replace(",", "")
        places = len(digits.split(".")[1]) if "." in digits else 0
        scale = value / float(digits) if float(digits) else 1.0
        return any(f"{v / scale:.{places}f}" == digits for v in self.values.get(unit, []))


def unsupported(text: str, support: Support) -> list[str]:
    """One line per number of the README that no row supports and ALLOWED
    does not list."""
    return [f"README.md:{line}: '{key}' is in no row of the reference runs and not in ALLOWED"
            for line, key, value, unit in numbers(text)
            if key not in ALLOWED and not support.supports(key, value, unit)]


def block(run_dir: pathlib.Path) -> str:
    return "\n".join([BEGIN, *Figures(run_dir).lines(), END])


def main(argv: list[str]) -> int:
    check = "--check" in argv
    readme = pathlib.Path(argv[argv.index("--readme") + 1]) if "--readme" in argv else ROOT / "README.md"
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
        problems = unsupported(text, Support([run, ROOT / "Results" / "reference-quick"]))
        for problem in problems:
            print(f"readme_figures: {problem}", file=sys.stderr)
        if problems:
            return 1
        print("readme_figures: README.md agrees with Results/reference; every number in it is supported")
        return 0
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
