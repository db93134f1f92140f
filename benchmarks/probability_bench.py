"""Probabilistic targets and sweeps on trees/saas_arr.yaml, as ratios measured in one run.

Run from the repository root: ``python benchmarks/probability_bench.py [--samples N]
[--repeat R] [--sweep-samples M] [--workers W]``.

1. ``solve --probability 0.8`` (one lever, win_rate; and two levers, uniform) against one
   forecast of the same tree at the same number of paths: the ratio is how many forecasts a
   probabilistic solve costs.
2. A sweep of 100 points (win_rate x sql_rate, 10 x 10) at ``--sweep-samples`` paths per
   point, in one process and on a local Dask cluster of ``--workers`` worker processes (the
   cluster's start-up timed apart): the ratio is one process / workers. The rows are checked
   to be identical.

Every figure is the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.analysis.probability import solve_probability  # noqa: E402
from kpitree.analysis.sweep import grid_values, sweep  # noqa: E402
from kpitree.parallel import DaskExecutor  # noqa: E402


def median_time(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the timings and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--sweep-samples", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tree = kpitree.load(ROOT / "trees" / "saas_arr.yaml")
    tree.forecast(samples=4096, seed=0)  # compile once, outside the timings
    n = args.samples

    forecast = median_time(lambda: tree.forecast(samples=n, seed=1), args.repeat)
    one = median_time(
        lambda: solve_probability(tree, ["win_rate"], 0.8, samples=n, seed=1), args.repeat
    )
    two = median_time(
        lambda: solve_probability(tree, ["win_rate", "sql_rate"], 0.8, samples=n, seed=1),
        args.repeat,
    )
    print(f"saas_arr, {n:,} paths, median of {args.repeat}")
    print(f"  forecast:                             {forecast:8.3f} s")
    print(f"  solve --probability 0.8, 1 lever:     {one:8.3f} s  ({one / forecast:.1f}x forecast)")
    print(f"  solve --probability 0.8, 2 levers:    {two:8.3f} s  ({two / forecast:.1f}x forecast)")

    grid = {"win_rate": grid_values(0.2, 0.35, 10), "sql_rate": grid_values(0.08, 0.16, 10)}
    m = args.sweep_samples
    rows = {}

    def local() -> None:
        rows["local"] = sweep(tree, grid, samples=m, seed=1).rows

    alone = median_time(local, args.repeat)
    start = time.perf_counter()
    with DaskExecutor(workers=args.workers) as executor:
        startup = time.perf_counter() - start

        def spread() -> None:
            rows["dask"] = sweep(tree, grid, samples=m, seed=1, executor=executor).rows

        spread()  # each worker rebuilds and compiles the tree once; not in the timing
        workers = median_time(spread, args.repeat)
    same = rows["local"] == rows["dask"]
    print(f"sweep of 100 points x {m:,} paths, median of {args.repeat}")
    print(f"  one process:                          {alone:8.3f} s")
    print(
        f"  {args.workers} local Dask workers:               {workers:8.3f} s  "
        f"({alone / workers:.2f}x faster; cluster start-up {startup:.1f} s, not included)"
    )
    print(f"  rows identical: {same}")


if __name__ == "__main__":
    main()
