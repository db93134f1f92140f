"""A 36-month cohort forecast at 100,000 paths with a per-path shifted-beta-geometric
retention curve: kpitree's forecast against the same model hand-written in numpy.

Run from the repository root: ``python benchmarks/cohort_bench.py [--samples N] [--repeat R]``.
Both versions draw alpha and beta per path (whole curves per path), build customers as the
sum over ages of new customers times S(a), and summarise ARR per period (mean, sd, quantiles,
P(target)). The two are timed in turn, ``--repeat`` times; the printed ratios are the median
kpitree time over the median numpy time and the median of the per-pair ratios, all from this
one run (goal: within 1.5x).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402

PERIODS = 36
QUANTILES = (5, 10, 25, 50, 75, 90, 95)
NEW = [round(40 + 1.5 * t) for t in range(PERIODS)]
ARPU = 900.0
TARGET = 40_000_000.0


def cohort_tree() -> kpitree.Tree:
    return kpitree.loads(
        f"""
        name: cohort bench
        kgi: arr
        time: {{periods: {PERIODS}, unit: month, start: 2027-01}}
        nodes:
          new_customers: {{value: {NEW}}}
          alpha: {{value: 0.75, bounds: [0.01, 100],
                   distribution: {{dist: uniform, low: 0.5, high: 1.0}}}}
          beta: {{value: 3.5, bounds: [0.01, 100],
                  distribution: {{dist: uniform, low: 2.5, high: 4.5}}}}
          arpu: {{value: {ARPU}}}
          customers: {{formula: "cohort(new_customers, sbg_survival(alpha, beta))"}}
          arr: {{formula: "customers * arpu * 12", target: {TARGET}}}
        """
    )


def numpy_forecast(samples: int, seed: int) -> tuple:
    """The model by hand: per-path curves by a cumulative product, then one matrix product
    with the new customers laid out by age and period."""
    rng = np.random.default_rng(seed)
    alpha = rng.uniform(0.5, 1.0, (samples, 1))
    beta = rng.uniform(2.5, 4.5, (samples, 1))
    ages = np.arange(1, PERIODS)
    survival = np.ones((samples, PERIODS))
    survival[:, 1:] = np.cumprod((beta + ages - 1) / (alpha + beta + ages - 1), axis=1)
    new = np.asarray(NEW, dtype=float)
    by_age = np.zeros((PERIODS, PERIODS))  # [age, period] = new customers of period - age
    for age in range(PERIODS):
        by_age[age, age:] = new[: PERIODS - age]
    arr = survival @ by_age * ARPU * 12
    return (
        arr.mean(axis=0),
        arr.std(axis=0, ddof=1),
        np.percentile(arr, QUANTILES, axis=0),
        float(np.mean(arr[:, -1] >= TARGET)),
    )


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tree = cohort_tree()
    tree.forecast(samples=1_000, seed=0)  # compile once, as a session would before its runs
    # Interleaved, so that a burst of load on the shared machine falls on both versions.
    ours_times, theirs_times = [], []
    for _ in range(args.repeat):
        ours_times.append(timed(lambda: tree.forecast(samples=args.samples, seed=1)))
        theirs_times.append(timed(lambda: numpy_forecast(args.samples, 1)))
    ours, theirs = statistics.median(ours_times), statistics.median(theirs_times)
    pairs = statistics.median(a / b for a, b in zip(ours_times, theirs_times, strict=True))
    check = tree.forecast(samples=args.samples, seed=1).to_frame()
    mean_ours = float(check["mean"].iloc[-1])
    mean_theirs = float(numpy_forecast(args.samples, 1)[0][-1])
    print(f"{args.samples:,} paths x {PERIODS} months, per-path sBG curve")
    print(f"  last-period mean ARR: kpitree {mean_ours:,.0f}, numpy {mean_theirs:,.0f}")
    print(f"  kpitree forecast  median {ours * 1e3:8.1f} ms")
    print(f"  numpy by hand     median {theirs * 1e3:8.1f} ms")
    print(f"  ratio kpitree / numpy: {ours / theirs:.2f}x of the medians, {pairs:.2f}x median of")
    print(f"  the {args.repeat} interleaved pairs (goal <= 1.5x)")


if __name__ == "__main__":
    main()
