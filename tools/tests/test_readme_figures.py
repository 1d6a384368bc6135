"""tools/readme_figures.py: the README table's lines computed from rows, and
`--check` rejecting a number no row supports."""
from __future__ import annotations

import math
import shutil

import pytest

import readme_figures
from conftest import REFERENCE, REFERENCE_QUICK, ROOT, row

FLEET = "fleet=legacy:30/linux:70"


def fleet_rows():
    # Overhead % per (RDMSR cost, policy): the cheapest and dearest policy
    # differ at each cost, so min and max pick different rows.
    table = {25: {"always-intercept": 0.07, "passthrough-on-first-write": 1.18, "passthrough-at-cpuid": 5.5},
             800: {"always-intercept": 0.09, "passthrough-on-first-write": 37.94, "passthrough-at-cpuid": 20.0}}
    rows = [row("rdmsr-exit", "fleet", "overhead_pct", v, f"rdmsr={cost};policy={p};{FLEET}", unit="%",
                source="simulated")
            for cost, by in table.items() for p, v in by.items()]
    # A stand-in cost (a word in the numeric parameter) is not a cost on the axis.
    rows.append(row("rdmsr-exit", "fleet", "overhead_pct", 0.01, f"rdmsr=proxy-rdpid;policy=x;{FLEET}", unit="%"))
    return rows


def test_fleet_names_the_cheapest_policy_at_every_cost(run_dir):
    line = readme_figures.Figures(run_dir(fleet_rows())).fleet()
    assert line == ("| XFD policy, default fleet (legacy:30/linux:70) | cheapest at every injected RDMSR cost from "
                    "25 to 800 cycles: always-intercept (0.07 % to 0.09 % of exit time, against 5.50 % to "
                    "37.94 % for the dearest policy) [simulated] |")


def test_break_even_reads_the_lowest_and_highest_cost(run_dir):
    rows = [row("rdmsr-exit", "break-even", "writes_per_1k_exits", v, f"rdmsr={c};round_trip=950;from=formula",
                unit="writes/1k exits")
            for c, v in [(50, 26.0), (25, 13.04), (800, 414.8)]]
    rows.append(row("rdmsr-exit", "break-even", "writes_per_1k_exits", 1.0, "rdmsr=10;round_trip=500;from=formula"))
    rows.append(row("rdmsr-exit", "break-even", "writes_per_1k_exits", 2.0, "rdmsr=5;round_trip=950;from=loop"))
    line = readme_figures.Figures(run_dir(rows)).break_even()
    assert "above 13.0 guest XFD writes per 1,000 exits (RDMSR 25 cycles) to 414.8 (800 cycles) [model]" in line


def test_buffers_are_kib_of_the_1024_vcpu_rows(run_dir):
    rows = [row("fpstate-alloc", "memory", "resident_bytes_model", b, f"policy={p};vcpus={n};adoption={a}")
            for p, by in {"eager-at-create": {0: 12582912, 100: 12582912},
                          "lazy-on-trap": {0: 4194304, 100: 12582912}}.items()
            for a, b in by.items() for n in (1024,)]
    rows.append(row("fpstate-alloc", "memory", "resident_bytes_model", 1, "policy=lazy-on-trap;vcpus=16;adoption=0"))
    rows.append(row("fpstate-alloc", "lifecycle", "first_use_ticks", 24726, "allocator=mmap;policy=lazy-on-trap",
                    source="proxy", unit="ticks"))
    line = readme_figures.Figures(run_dir(rows)).buffers()
    assert ("at 0 / 100 % AMX adoption: eager-at-create 12,288 / 12,288 KiB; lazy-on-trap 4,096 / 12,288 KiB "
            "[model]; lazy first use ~24,726 ticks") in line


def test_one_refuses_an_ambiguous_selection(run_dir):
    f = readme_figures.Figures(run_dir([row("s", "b", "m", 1, "k=1"), row("s", "b", "m", 2, "k=2")]))
    value, source = f.one("s", "b", "m")
    assert math.isnan(value) and source == "?"
    assert f.one("s", "b", "m", k=2) == (2.0, "model")


def test_the_readme_block_is_what_the_reference_gives():
    text = (ROOT / "README.md").read_text()
    inside = text.split(readme_figures.BEGIN, 1)[1].split(readme_figures.END, 1)[0]
    assert readme_figures.block(REFERENCE) == readme_figures.BEGIN + inside + readme_figures.END


@pytest.fixture(scope="module")
def support():
    return readme_figures.Support([REFERENCE, REFERENCE_QUICK])


def test_every_number_in_the_readme_is_supported(support):
    assert readme_figures.unsupported((ROOT / "README.md").read_text(), support) == []


@pytest.mark.parametrize("sentence", [
    "munmap with a TLB flush (~13.9k and ~8.7k ticks on a Zen 4 VM)",   # the figures the README had
    "costs far below the TSC's step (about 24 ticks on some VMs)",
    "an exit costs 31,337 cycles here",
    "the buffer grows to 10,817 B",
    "lazy saves 61.5 % of the memory",
    "a figure of 123456 without a unit",
])
def test_an_unsupported_number_is_rejected(support, sentence):
    problems = readme_figures.unsupported(f"# t\n\nSome prose.\n{sentence}\n", support)
    assert problems and all(p.startswith("README.md:4: ") for p in problems), problems


@pytest.mark.parametrize("sentence", [
    "expanded 10816 B",                      # an exact size row
    "expected 0 ± 25 ticks",                 # a tolerance a row's note states
    "Linux 5.17 merged it",                  # a kernel version in the rows' params
    "identifiers such as AVX-512, x86-64 and IA32_XFD are not figures",
    "code like `--set samples=123457` is an example, not a figure",
    "exit code 130",                         # allowed, with its reason
])
def test_a_supported_or_allowed_number_passes(support, sentence):
    assert readme_figures.unsupported(f"{sentence}\n", support) == []


def test_check_exits_1_on_an_injected_number(tmp_path, capsys):
    readme = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text()
    readme.write_text(text)
    assert readme_figures.main(["--check", "--readme", str(readme)]) == 0
    readme.write_text(text.replace("## How timing works", "## How timing works\n\nA step of 24 ticks.", 1))
    assert readme_figures.main(["--check", "--readme", str(readme)]) == 1
    assert "'24 ticks' is in no row" in capsys.readouterr().err


def test_allowed_entries_are_each_needed(support):
    # An allow-list entry that a row supports, or that the README no longer
    # says, hides nothing and only widens the list.
    said = {key for _, key, _, _ in readme_figures.numbers((ROOT / "README.md").read_text())}
    for key in readme_figures.ALLOWED:
        assert key in said, f"{key} is allowed but the README does not say it"
        value = [v for _, k, v, u in readme_figures.numbers(key + "\n") if k == key]
        unit = readme_figures.UNITS.get(key.split(" ")[1]) if " " in key else None
        assert value and not support.supports(key, value[0], unit), f"{key} is supported by a row"
