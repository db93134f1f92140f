"""Exact sensitivity of generated 36-period trees (1,000 and 5,000 nodes, min/max of up to six
arguments, sums, means, products, prev()) against one plain evaluation of the same tree.

Run from the repository root: ``python benchmarks/sensitivity_bench.py [--sizes 1000 5000]``.

Per size, the tree is parsed once and copied before anything is compiled, so the baseline
(the first evaluation of one copy: compiling every formula, then evaluating) and the first
sensitivity of the other copy (compiling every formula, differentiating and compiling the
partials, the backward pass) both start cold. Warm figures are medians of ``--repeats`` runs
with everything compiled. Memory: the peak traced by tracemalloc during a warm sensitivity
(what grows with nodes x periods), and the peak resident size of the whole process (Python,
sympy, the parsed tree, every compiled function) at the end of each size.
"""

from __future__ import annotations

import argparse
import copy
import re
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from treegen import generated_kinked_tree_yaml  # noqa: E402

import kpitree  # noqa: E402

PERIODS = 36
GOALS = {1000: (5.0, 1.0), 5000: (30.0, None)}  # size -> (seconds, GB) for a first call


def timed(function: Callable[[], object]) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one call: on a shared machine the CPU time is what the
    code costs, the wall-clock time what a user waits."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def median_time(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    runs = [timed(function) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def shown(seconds: tuple[float, float]) -> str:
    return f"{seconds[0]:7.3f} s ({seconds[1]:7.3f} s CPU)"


def peak_rss_gb() -> float:
    """Peak resident size of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def bench(size: int, seed: int, repeats: int) -> None:
    text = generated_kinked_tree_yaml(size, seed=seed, periods=PERIODS)
    arguments = [len(found.split(",")) for found in re.findall(r"m(?:ax|in)\(([^)]*)\)", text)]
    parse = timed(lambda: kpitree.loads(text))
    tree = kpitree.loads(text)
    twin = copy.copy(tree)  # before any engine exists: each copy compiles its own
    inputs = len(tree.inputs)
    print(
        f"\n{size} nodes x {PERIODS} periods: {inputs} inputs, {len(arguments)} min/max "
        f"({sum(a >= 5 for a in arguments)} of five or six arguments); "
        f"parsing the file: {shown(parse)}"
    )

    evaluate_cold = timed(tree.evaluate)
    evaluate_warm = median_time(tree.evaluate, repeats)
    sensitivity_cold = timed(twin.sensitivity)
    sensitivity_warm = median_time(twin.sensitivity, repeats)
    tracemalloc.start()
    twin.sensitivity()
    traced_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    rss = peak_rss_gb()

    seconds_goal, memory_goal = GOALS.get(size, (None, None))
    print(f"  evaluation, first (compile + run)       {shown(evaluate_cold)}   baseline")
    print(f"  evaluation, warm (median of {repeats})          {shown(evaluate_warm)}   baseline")
    ratio = sensitivity_cold[0] / evaluate_cold[0]
    line = f"  sensitivity, first (compile, diff, run) {shown(sensitivity_cold)}   {ratio:5.2f}x"
    if seconds_goal is not None:
        verdict = "met" if sensitivity_cold[0] < seconds_goal else "MISSED"
        line += f"   goal < {seconds_goal:.0f} s wall-clock: {verdict}"
    print(line)
    ratio = sensitivity_warm[0] / evaluate_warm[0]
    warm = f"  sensitivity, warm (median of {repeats})         {shown(sensitivity_warm)}"
    print(f"{warm}   {ratio:5.2f}x")
    forward = 2 * inputs * size * PERIODS * 8 / 1e9
    line = (
        f"  memory: warm sensitivity peak {traced_peak:.1f} MB traced (forward tangents "
        f"would hold {forward:.1f} GB); process peak RSS {rss:.2f} GB"
    )
    if memory_goal is not None:
        line += f"   goal < {memory_goal:.0f} GB: {'met' if rss < memory_goal else 'MISSED'}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    print(f"sensitivity benchmark: generated trees, seed {options.seed}, {PERIODS} periods")
    for size in options.sizes:
        bench(size, options.seed, options.repeats)


if __name__ == "__main__":
    main()
