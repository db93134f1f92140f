"""Cost of ``--by``: kpitree's forecast of saas_arr (36 months) per period against the same
forecast rolled up by quarter, for the KGI (a stock: its own paths) and for the SQL rate (a
ratio: SQL and MQL paths simulated alongside), and ``eval --by`` against ``eval``.

Run from the repository root: ``python benchmarks/rollup_bench.py [--samples N] [--runs R]``.
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
sys.path.insert(0, str(ROOT / "benchmarks"))

from forecast_bench import tree_36  # noqa: E402


def main() -> None:
    """Time each case ``--runs`` times, interleaved, and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tree = tree_36()
    evaluation = tree.evaluate()
    cases = {
        "forecast arr": lambda: tree.forecast(samples=args.samples, seed=1),
        "forecast arr --by quarter": lambda: tree.forecast(
            samples=args.samples, seed=1, by="quarter"
        ),
        "forecast sql_rate": lambda: tree.forecast(samples=args.samples, seed=1, node="sql_rate"),
        "forecast sql_rate --by quarter": lambda: tree.forecast(
            samples=args.samples, seed=1, node="sql_rate", by="quarter"
        ),
        "eval": lambda: tree.evaluate().to_frame(),
        "eval --by quarter": lambda: evaluation.rollup("quarter").to_frame(),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, case in cases.items():
            start = time.perf_counter()
            case()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"saas_arr x 36 months, {args.samples:,} paths, median of {args.runs} runs")
    for name, seconds in median.items():
        print(f"  {name:32s} {seconds * 1000:9.1f} ms")
    for base in ("forecast arr", "forecast sql_rate", "eval"):
        rolled = f"{base} --by quarter"
        print(f"  {rolled} / {base}: {median[rolled] / median[base]:.2f}x")


if __name__ == "__main__":
    main()
