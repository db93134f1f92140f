"""Goal seek with one lever, in process: the median of 100 solves of a bundled static tree
(sales_velocity, win rate for the 40 M JPY target) and of a timed one (saas_arr, win rate for
the 1.4 billion JPY ARR target), against one plain ``tree.evaluate()`` of the same tree timed in
the same loop (the runs alternate, so both see the same machine load), as wall time and as
processor time (``time.process_time``; on a shared machine the wall time also counts the time
other work held the processor). Then the trees of
issue 17, which one substituted expression could not handle: the doubling tree
``n_i = min(n_{i-1}, a + i) + max(n_{i-1}, b)`` at 16 and 20 levels (solve and attribute
--previous, median of 5) and, with ``--chain``, a 2,000-formula ``log(1 + x)`` chain (one solve;
reading and compiling its tree takes several seconds and is not timed).

Run from the repository root: ``python benchmarks/solve_bench.py [--runs 100] [--chain]``.
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

GOAL_MS = 1.0


def timed(function: Callable[[], object]) -> float:
    """Seconds one call of ``function`` takes."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def cpu(function: Callable[[], object]) -> float:
    """Processor seconds one call of ``function`` takes (not the time other work took it off
    the processor, which on a shared machine is most of the noise)."""
    started = time.process_time()
    function()
    return time.process_time() - started


def alternate(first: Callable[[], object], second: Callable[[], object], runs: int) -> tuple:
    """Median wall and processor seconds of ``first`` and of ``second``, runs interleaved."""
    first(), second()  # compile and fill the caches outside the timing
    walls: tuple[list[float], list[float]] = ([], [])
    cpus: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for index, function in enumerate((first, second)):
            walls[index].append(timed(function))
            cpus[index].append(cpu(function))
    return tuple(statistics.median(times) for times in (*walls, *cpus))


def one_lever(path: Path, lever: str, runs: int) -> None:
    tree = kpitree.load(path)
    solution = tree.solve([lever])
    evaluate, solve, evaluate_cpu, solve_cpu = alternate(
        tree.evaluate, lambda: tree.solve([lever]), runs
    )
    print(f"{path.name} solve({lever}): {solution.plan.method}")
    for what, ours, baseline in (("wall", solve, evaluate), ("cpu", solve_cpu, evaluate_cpu)):
        print(
            f"  {what:4} solve {ours * 1e3:6.3f} ms, one evaluate() {baseline * 1e3:6.3f} ms, "
            f"ratio {ours / baseline:4.1f}x; goal < {GOAL_MS:g} ms: "
            f"{'met' if ours * 1e3 < GOAL_MS else 'not met'}"
        )


def doubling(levels: int) -> str:
    """The doubling tree of issue 17, timed (3 periods) so that attribute --previous applies."""
    lines = [
        "name: doubling",
        f"kgi: n{levels}",
        "time: {periods: 3}",
        "nodes:",
        "  a: {value: [1, 2, 4], bounds: [0, null]}",
        "  b: {value: [2, 3, 1], bounds: [0, null]}",
        "  n0: {formula: a + b + prev(n0) / 2, initial: 1}",
    ]
    lines += [
        f'  n{i}: {{formula: "min(n{i - 1}, a + {i}) + max(n{i - 1}, b)"}}'
        for i in range(1, levels + 1)
    ]
    return "\n".join(lines) + "\n"


def issue_17(chain: bool) -> None:
    for levels in (16, 20):
        tree = kpitree.loads(doubling(levels))
        target = float(tree.evaluate().kgi_value) * 1.3
        solve = statistics.median(
            timed(lambda tree=tree, target=target: tree.solve(["a"], target=target))
            for _ in range(5)
        )
        previous = statistics.median(
            timed(lambda tree=tree: tree.attribute(previous=True)) for _ in range(5)
        )
        print(
            f"doubling, {levels} levels: solve {solve:.3f} s, attribute --previous "
            f"{previous:.3f} s (the first attribute includes building its function)"
        )
    if chain:
        lines = [
            "name: chain",
            "kgi: c2000",
            "nodes:",
            "  x: {value: 1.0e-5}",
            "  c0: {formula: x}",
        ]
        lines += [f"  c{i}: {{formula: log(1 + c{i - 1})}}" for i in range(1, 2001)]
        tree = kpitree.loads("\n".join(lines) + "\n")
        tree.evaluate()
        seconds = timed(lambda: tree.solve(["x"], target=1.9e-5))
        print(f"log(1 + x) chain, 2,000 formulas: solve {seconds:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--chain", action="store_true", help="also the 2,000-formula chain")
    options = parser.parse_args()
    print(f"median of {options.runs} in-process runs each; goal: one lever in < {GOAL_MS:g} ms")
    one_lever(ROOT / "trees" / "sales_velocity.yaml", "win_rate", options.runs)
    one_lever(ROOT / "trees" / "saas_arr.yaml", "win_rate", options.runs)
    issue_17(options.chain)


if __name__ == "__main__":
    main()
