"""Formula parsing: is it linear in the formula's length, and does min/max cost more than +?

Run from the repository root: ``python benchmarks/formula_bench.py [OTHER_CHECKOUT]``; with
another checkout's root (main, say), its parser is timed on the same formulas in the same run.
Prints medians of several runs and two ratios measured in the same run (the machines are
shared and noisy):

- the time to parse a sum of 4n inputs over the time for n inputs: about 4 when parsing is
  linear, about 16 when quadratic;
- the time to parse the formulas of a generated 5,000-node tree, a third of them min, max and
  clip calls, over the time for the same tree with every such call written as a sum: about 1
  when building min/max costs no more than building a sum (and the same for reading the
  whole tree, where YAML and the graph add the same time to both).
"""

from __future__ import annotations

import importlib.util
import re
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


def interleaved(works: dict[str, Callable[[], object]], runs: int = RUNS) -> dict[str, float]:
    """Median seconds of each work, run in turns so a burst of load hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(runs):
        for name, work in works.items():
            times[name].append(median_seconds(work, runs=1))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    print(f"parse a sum of n inputs (median of {RUNS} runs)")
    small = 1_000
    for label, term in (("distinct names", "x{}"), ("one name repeated", "a")):
        texts = {n: " + ".join(term.format(i) for i in range(n)) for n in (small, 4 * small)}
        seconds = interleaved(
            {str(n): lambda t=text: parse_formula(t) for n, text in texts.items()}
        )
        short, long = seconds[str(small)], seconds[str(4 * small)]
        print(
            f"  {label}: n={small:,} {short:.3f} s, n={4 * small:,} {long:.3f} s, "
            f"ratio {long / short:.1f} (linear 4, quadratic 16)"
        )
    texts = {
        "min/max/clip": tree_yaml(NODES, with_min_max=True),
        "sums instead": tree_yaml(NODES, with_min_max=False),
    }
    formulas = {name: re.findall(r"formula: '([^']*)'", text) for name, text in texts.items()}
    parse = interleaved(
        {
            name: lambda f=found: [parse_formula(text) for text in f]
            for name, found in formulas.items()
        }
    )
    print(
        f"parse the formulas of a {NODES:,}-node tree (median of {RUNS}): with min/max/clip "
        f"{parse['min/max/clip']:.2f} s, sums instead {parse['sums instead']:.2f} s, ratio "
        f"{parse['min/max/clip'] / parse['sums instead']:.2f}"
    )
    load = interleaved({name: lambda t=text: kpitree.loads(t) for name, text in texts.items()}, 3)
    print(
        f"read the whole tree (YAML, parse, graph; median of 3): with min/max/clip "
        f"{load['min/max/clip']:.2f} s, sums instead {load['sums instead']:.2f} s, ratio "
        f"{load['min/max/clip'] / load['sums instead']:.2f}"
    )

    if len(sys.argv) > 1:
        compare_with(Path(sys.argv[1]), formulas)


def compare_with(checkout: Path, formulas: dict[str, list[str]]) -> None:
    """Parse the same formulas with another checkout's parser, in the same run (its
    ``kpitree/formula.py`` loaded beside this one's)."""
    spec = importlib.util.spec_from_file_location(
        "baseline_formula", checkout / "kpitree" / "formula.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"no kpitree/formula.py under {checkout}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    sums = " + ".join(f"x{i}" for i in range(1_000))
    works: dict[str, Callable[[], object]] = {}
    for label, parse in (("this", parse_formula), ("baseline", module.parse_formula)):
        works[f"{label} sum"] = lambda p=parse: p(sums)
        for name, found in formulas.items():
            works[f"{label} {name}"] = lambda p=parse, f=found: [p(text) for text in f]
    seconds = interleaved(works, runs=3)
    print(f"against the parser in {checkout} (median of 3, same run):")
    for name in ("sum", *formulas):
        this, baseline = seconds[f"this {name}"], seconds[f"baseline {name}"]
        what = "a sum of 1,000 inputs" if name == "sum" else f"the tree's formulas, {name}"
        print(
            f"  {what}: this {this:.3f} s, baseline {baseline:.3f} s, {baseline / this:.1f}x faster"
        )


if __name__ == "__main__":
    main()
