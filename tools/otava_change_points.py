#!/usr/bin/env python3
"""Change points of series by Apache Otava, the reference the Swift gate mirrors.

Reads one JSON object on stdin: {"window": 50, "max_pvalue": 0.001,
"min_magnitude": 0.0, "series": [[...], [...]]} and prints one JSON list per
series: [[index, pvalue, forward_change], ...].  Needs `apache-otava` in the
tools venv (tools/install-deps.sh installs it without its server clients).
"""
import json
import sys

from otava.analysis import compute_change_points


def main() -> None:
    request = json.load(sys.stdin)
    out = []
    for series in request["series"]:
        # A list, not an ndarray: Otava's window slicing expects a sequence.
        points, _ = compute_change_points(
            [float(v) for v in series],
            window_len=request.get("window", 50),
            max_pvalue=request.get("max_pvalue", 0.001),
            min_magnitude=request.get("min_magnitude", 0.0),
        )
        out.append([[int(p.index), float(p.stats.pvalue), float(p.stats.forward_rel_change())] for p in points])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
