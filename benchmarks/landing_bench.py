"""Cost of a landing forecast: saas_arr (12 months) forecast from the plan against the same
forecast from the bundled actuals (three months), with and without learned rates, and one
backtest cut-off.

Run from the repository root: ``python benchmarks/landing_bench.py [--samples N] [--runs R]``.
Each case is timed ``R`` times in turn; the medians and their ratios are from this one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.actuals import read_actuals  # noqa: E402
from kpitree.analysis.backtest import backtest  # noqa: E402
from kpitree.analysis.landing import landing  # noqa: E402


def main() -> None:
    """Time each case ``--runs`` times, interleaved, and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tree = kpitree.load(ROOT / "trees" / "saas_arr.yaml")
    actuals = read_actuals(ROOT / "trees" / "saas_arr_actuals.csv", tree)
    n = args.samples
    cases = {
        "forecast (plan)": lambda: tree.forecast(samples=n, seed=1),
        "forecast --actuals": lambda: tree.forecast(
            samples=n, seed=1, landing=landing(tree, actuals)
        ),
        "forecast --actuals --learn": lambda: tree.forecast(
            samples=n, seed=1, landing=landing(tree, actuals, learned=True)
        ),
        "backtest, 1 cut-off": lambda: backtest(tree, actuals, "2027-02", samples=n, seed=1),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, case in cases.items():
            start = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median["forecast (plan)"]
    print(f"saas_arr x 12 months, {n:,} paths, median of {args.runs} runs")
    for name, seconds in median.items():
        print(f"  {name:28s} {seconds * 1000:9.1f} ms  {seconds / base:5.2f}x the plan's")


if __name__ == "__main__":
    main()
