"""Formula parsing: is it linear in the formula's length, and does min/max cost more than +?

Run from the repository root: ``python benchmarks/formula_bench.py``. Prints medians of
several runs and two ratios measured in the same run (the machines are shared and noisy):

- the time to parse a sum of 4n inputs over the time for n inputs: about 4 when parsing is
  linear, about 16 when quadratic;
- the time to read a generated 5,000-node tree whose formulas use min, max and clip over the
  time for the same tree with every such call written as a sum: about 1 when building min/max
  costs no more than building a sum.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sympy.core.cache import clear_cache

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.formula import parse_formula  # noqa: E402

RUNS = 5
NODES = 5_000


def median_seconds(work: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        # sympy caches what it built: without a clear, every run after the first is a lookup.
        clear_cache()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def tree_yaml(nodes: int, *, with_min_max: bool, seed: int = 0) -> str:
    """A tree where each derived node reads two or three later nodes; a third of the formulas
    are min/max/clip calls (or, without them, the same operands summed)."""
    rng = np.random.default_rng(seed)
    lines = ["name: generated", "kgi: n0", "nodes:"]
    next_child = 1
    for node in range(nodes):
        arity = int(rng.integers(2, 4))
        if next_child + arity > nodes:
            lines.append(f"  n{node}: {{value: {float(rng.uniform(0.1, 0.9)):.3f}}}")
            continue
        args = [f"n{child}" for child in range(next_child, next_child + arity)]
        next_child += arity
        kind = rng.choice(["sum", "product", "min", "max", "clip"])
        if kind == "product":
            formula = " * ".join(args)
        elif kind == "sum" or not with_min_max:
            formula = " + ".join(args)
        elif kind == "clip":
            formula = f"clip({args[0]}, 0.2, {' + '.join(args[1:])})"
        else:
            formula = f"{kind}({', '.join(args)})"
        lines.append(f"  n{node}: {{formula: '{formula}'}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    print("parse a sum of n distinct inputs (median of", RUNS, "runs)")
    small = 1_000
    for label, term in (("distinct names", "x{}"), ("one name repeated", "a")):
        texts = {n: " + ".join(term.format(i) for i in range(n)) for n in (small, 4 * small)}
        seconds = {n: median_seconds(lambda t=text: parse_formula(t)) for n, text in texts.items()}
        print(
            f"  {label}: n={small:,} {seconds[small]:.3f} s, n={4 * small:,} "
            f"{seconds[4 * small]:.3f} s, ratio {seconds[4 * small] / seconds[small]:.1f} "
            "(linear 4, quadratic 16)"
        )
    with_calls = tree_yaml(NODES, with_min_max=True)
    sums_only = tree_yaml(NODES, with_min_max=False)
    calls = median_seconds(lambda: kpitree.loads(with_calls), runs=3)
    sums = median_seconds(lambda: kpitree.loads(sums_only), runs=3)
    print(
        f"read a {NODES:,}-node tree (median of 3): with min/max/clip {calls:.2f} s, "
        f"sums instead {sums:.2f} s, ratio {calls / sums:.2f}"
    )


if __name__ == "__main__":
    main()
