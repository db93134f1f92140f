"""Opening a generated 5,000-node tree: reading its YAML, building the tree, first evaluation.

Run from the repository root: ``python benchmarks/load_bench.py [--size 5000] [--runs 3]``.
The tree comes from tests/treegen.py (timed, 6 months, sums and products, some prev()). Each
phase is timed in this process, median of the runs:

- YAML: kpitree's reader (libyaml events, lines kept) against PyYAML's pure-Python safe
  composer on the same text, the reader kpitree used before (the baseline of the ratio);
- load: ``kpitree.loads`` (YAML, checks, formulas parsed into sympy, the graph);
- first evaluation: ``tree.evaluate()`` on the new tree (compiles the engine);
- load + first evaluation, the goal of issue 10: under 3 s for 5,000 nodes;
- compiling the engine alone, all formulas at once (one printer, one ``compile()``) against
  one ``sympy.lambdify`` call per formula with the same printer (the engine before), each on a
  freshly loaded tree, in alternating order, sympy's cache cleared before each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sympy  # noqa: E402
import yaml  # noqa: E402
from treegen import generated_tree_yaml  # noqa: E402

import kpitree  # noqa: E402
from kpitree.engine import _PRINTER_SETTINGS, Engine, _Formula, _Printer  # noqa: E402
from kpitree.formula import TIME, node_symbol  # noqa: E402
from kpitree.spec.yamlfile import read_yaml  # noqa: E402


class PerFormulaEngine(Engine):
    """The engine as it compiled before: one lambdify call per formula, same printer."""

    def _compile(self, names: Sequence[str]) -> dict[str, _Formula]:
        formulas = {}
        for name in names:
            arguments = self._arguments(name)
            symbols = [
                node_symbol(a.node) if a.node else a.lag.symbol if a.lag else TIME
                for a in arguments
            ]
            printer = _Printer(
                dict(_PRINTER_SETTINGS), {s: f"_x{i}" for i, s in enumerate(symbols)}
            )
            placeholders = [sympy.Symbol(f"_x{i}") for i in range(len(symbols))]
            function = sympy.lambdify(
                placeholders,
                self.tree.formulas[name].expr,
                modules="numpy",
                printer=printer,
                dummify=False,
                docstring_limit=0,
            )
            formulas[name] = _Formula(name, function, tuple(arguments))
        return formulas


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
        "compile, all formulas at once": [],
        "compile, one lambdify per formula": [],
    }
    for _ in range(options.runs):
        phases["YAML, PyYAML pure-Python composer"].append(
            seconds(lambda: yaml.SafeLoader(text).get_single_node())
        )
        phases["YAML, kpitree reader"].append(seconds(lambda: read_yaml(text, "generated")))
        # sympy keeps a cache of results (printing, ordering): each run starts without it,
        # as a new process would.
        sympy.core.cache.clear_cache()
        started = time.perf_counter()
        tree = kpitree.loads(text, source="generated")
        load = time.perf_counter() - started
        evaluate = seconds(tree.evaluate)
        phases["load (kpitree.loads)"].append(load)
        phases["first evaluation"].append(evaluate)
        phases["load + first evaluation"].append(load + evaluate)
        engines = {
            "compile, all formulas at once": Engine,
            "compile, one lambdify per formula": PerFormulaEngine,
        }
        for name in sorted(engines, reverse=len(phases["load + first evaluation"]) % 2 == 0):
            fresh = kpitree.loads(text, source="generated")
            sympy.core.cache.clear_cache()
            phases[name].append(seconds(lambda: engines[name](fresh)))  # noqa: B023
    medians = {name: statistics.median(values) for name, values in phases.items()}
    baselines = {
        "YAML": medians["YAML, PyYAML pure-Python composer"],
        "compile": medians["compile, one lambdify per formula"],
    }
    print(f"{options.size:,}-node tree ({len(text):,} bytes), median of {options.runs} runs")
    for name, median in medians.items():
        baseline = baselines.get(name.split(",")[0])
        ratio = f"{median / baseline:6.2f}x" if baseline else ""
        print(f"{name:36} {median:8.3f} s {ratio}")
    total = medians["load + first evaluation"]
    print(f"goal: load + first evaluation under 3 s: {'met' if total < 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
