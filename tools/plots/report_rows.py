"""Reading rows of a <suite>.csv (as csv.DictReader gives them) for the plot modules.

tools/plot.py puts this folder on sys.path, so a plot module imports these
helpers with `from report_rows import ...`.
"""
from __future__ import annotations

import json
import pathlib


def num(text: str | None) -> float | None:
    """The number in a CSV field, or None when it is empty or not a number."""
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def params(row: dict) -> dict[str, str]:
    """The row's `params` column (`key=value;key=value`) as a dict."""
    out = {}
    for part in (row.get("params") or "").split(";"):
        k, _, v = part.partition("=")
        if k:
            out[k] = v
    return out


def tsc_hz(run_dir: pathlib.Path) -> float | None:
    """TSC ticks per second from the run's environment.json, or None."""
    try:
        return float(json.loads((run_dir / "environment.json").read_text())["tsc_hz"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
