"""Exact sensitivity of generated 36-period trees (1,000 and 5,000 nodes, min/max of up to six
arguments, sums, means, products, prev()) against one plain evaluation of the same tree.

Run from the repository root: ``python benchmarks/sensitivity_bench.py [--sizes 1000 5000]``.

Per size, the tree is parsed once and copied before anything is compiled, so the baseline
(the first evaluation of a copy: compiling every formula, then evaluating) and the first
sensitivity of another copy (compiling every formula, differentiating and compiling the
partials, the backward pass) both start cold; each is the median over ``--repeats`` copies.
Warm figures are medians of ``--repeats`` runs with everything compiled. Times are printed as
wall-clock and CPU seconds: on a shared machine the CPU time is what the code costs. Memory:
the peak traced by tracemalloc during a first and a warm sensitivity, and the peak resident
size of the whole process (Python, sympy, the parsed trees, every compiled function).
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

from sympy.core.cache import clear_cache  # noqa: E402
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


def ratios(seconds: tuple[float, float], baseline: tuple[float, float]) -> str:
    return f"{seconds[0] / baseline[0]:5.2f}x ({seconds[1] / baseline[1]:5.2f}x CPU)"


def peak_rss_gb() -> float:
    """Peak resident size of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def first_call(trees: list[kpitree.Tree], method: str) -> tuple[float, float]:
    """Median (wall, CPU) of ``method`` called once on each fresh copy, sympy's cache
    cleared before each so that no copy profits from the previous one's derivatives."""
    runs = []
    for tree in trees:
        clear_cache()
        runs.append(timed(getattr(tree, method)))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def traced_peak_mb(function: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def bench(size: int, seed: int, repeats: int) -> None:
    text = generated_kinked_tree_yaml(size, seed=seed, periods=PERIODS)
    arguments = [len(found.split(",")) for found in re.findall(r"m(?:ax|in)\(([^)]*)\)", text)]
    parsed: list[kpitree.Tree] = []
    parse = timed(lambda: parsed.append(kpitree.loads(text)))
    tree = parsed[0]
    # Copies made before any engine exists: each compiles its own (parsing once is enough).
    baselines = [copy.copy(tree) for _ in range(repeats)]
    subjects = [copy.copy(tree) for _ in range(repeats)]
    traced = copy.copy(tree)
    inputs = len(tree.inputs)
    print(
        f"\n{size} nodes x {PERIODS} periods: {inputs} inputs, {len(arguments)} min/max "
        f"({sum(a >= 5 for a in arguments)} of five or six arguments); "
        f"parsing the file: {shown(parse)}"
    )

    evaluate_cold = first_call(baselines, "evaluate")
    sensitivity_cold = first_call(subjects, "sensitivity")
    evaluate_warm = median_time(baselines[0].evaluate, repeats)
    sensitivity_warm = median_time(subjects[0].sensitivity, repeats)
    clear_cache()
    first_peak = traced_peak_mb(traced.sensitivity)
    warm_peak = traced_peak_mb(traced.sensitivity)
    rss = peak_rss_gb()

    seconds_goal, memory_goal = GOALS.get(size, (None, None))
    print(f"  medians of {repeats}; wall-clock (CPU) seconds; ratios to the baseline above them")
    print(f"  evaluation, first (compile + run)       {shown(evaluate_cold)}   baseline")
    line = f"  sensitivity, first (compile, diff, run) {shown(sensitivity_cold)}   "
    line += ratios(sensitivity_cold, evaluate_cold)
    if seconds_goal is not None:
        verdicts = ["met" if t < seconds_goal else "MISSED" for t in sensitivity_cold]
        line += f"   goal < {seconds_goal:.0f} s: {verdicts[0]} ({verdicts[1]} in CPU time)"
    print(line)
    print(f"  evaluation, warm                        {shown(evaluate_warm)}   baseline")
    warm = f"  sensitivity, warm                       {shown(sensitivity_warm)}"
    print(f"{warm}   {ratios(sensitivity_warm, evaluate_warm)}")
    forward = 2 * inputs * size * PERIODS * 8 / 1e9
    print(
        f"  memory traced: first sensitivity {first_peak:.0f} MB at peak (sympy and compiling "
        f"included), warm {warm_peak:.1f} MB (forward tangents would hold {forward:.1f} GB)"
    )
    line = f"  memory, whole process: peak RSS {rss:.2f} GB"
    if memory_goal is not None:
        line += f"   goal < {memory_goal:.0f} GB: {'met' if rss < memory_goal else 'MISSED'}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    print(f"sensitivity benchmark: generated trees, seed {options.seed}, {PERIODS} periods")
    for size in options.sizes:
        bench(size, options.seed, options.repeats)


if __name__ == "__main__":
    main()
