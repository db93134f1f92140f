"""Opening a generated 5,000-node tree: reading its YAML, building the tree, first evaluation.

Run from the repository root: ``python benchmarks/load_bench.py [--size 5000] [--runs 3]``.
The tree comes from tests/treegen.py (timed, 6 months, sums and products, some prev()). Each
phase is timed in this process, median of the runs:

- YAML: kpitree's reader (libyaml events, lines kept) against PyYAML's pure-Python safe
  composer on the same text, the reader kpitree used before (the baseline of the ratio);
- load: ``kpitree.loads`` (YAML, checks, formulas parsed into sympy, the graph);
- first evaluation: ``tree.evaluate()`` on the new tree (compiles the engine);
- load + first evaluation, the goal of issue 10: under 3 s for 5,000 nodes.
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
sys.path.insert(0, str(ROOT / "tests"))

import yaml  # noqa: E402
from treegen import generated_tree_yaml  # noqa: E402

import kpitree  # noqa: E402
from kpitree.spec.yamlfile import read_yaml  # noqa: E402


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="nodes (default: 5000)")
    parser.add_argument("--runs", type=int, default=3, help="runs (default: 3)")
    options = parser.parse_args()
    text = generated_tree_yaml(options.size, seed=0)
    phases: dict[str, list[float]] = {
        "YAML, PyYAML pure-Python composer": [],
        "YAML, kpitree reader": [],
        "load (kpitree.loads)": [],
        "first evaluation": [],
        "load + first evaluation": [],
    }
    for _ in range(options.runs):
        phases["YAML, PyYAML pure-Python composer"].append(
            seconds(lambda: yaml.SafeLoader(text).get_single_node())
        )
        phases["YAML, kpitree reader"].append(seconds(lambda: read_yaml(text, "generated")))
        started = time.perf_counter()
        tree = kpitree.loads(text, source="generated")
        load = time.perf_counter() - started
        evaluate = seconds(tree.evaluate)
        phases["load (kpitree.loads)"].append(load)
        phases["first evaluation"].append(evaluate)
        phases["load + first evaluation"].append(load + evaluate)
    medians = {name: statistics.median(values) for name, values in phases.items()}
    baseline = medians["YAML, PyYAML pure-Python composer"]
    print(f"{options.size:,}-node tree ({len(text):,} bytes), median of {options.runs} runs")
    for name, median in medians.items():
        ratio = f"{median / baseline:6.2f}x" if name.startswith("YAML") else ""
        print(f"{name:36} {median:8.3f} s {ratio}")
    total = medians["load + first evaluation"]
    print(f"goal: load + first evaluation under 3 s: {'met' if total < 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
