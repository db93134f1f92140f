"""Compiling a tree's formulas in one go gives, bit for bit, the values of one lambdify call
per formula with the same printer (the engine's code before), and node names never reach the
compiled code's namespace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import sympy
from conftest import TREES
from treegen import generated_tree_yaml

import kpitree
from kpitree.engine import (
    _PRINTER_SETTINGS,
    Engine,
    _Formula,
    _Printer,
    compile_expression,
    compile_expressions,
)
from kpitree.formula import TIME, node_symbol


def lambdified(expr: Any, symbols: Sequence[sympy.Symbol]) -> Any:
    """The reference: one lambdify call with the engine's printer, as each formula was
    compiled before."""
    names = {symbol: f"_x{index}" for index, symbol in enumerate(symbols)}
    printer = _Printer(dict(_PRINTER_SETTINGS), names)
    placeholders = [sympy.Symbol(name) for name in names.values()]
    body = list(expr) if isinstance(expr, Sequence) else expr
    return sympy.lambdify(
        placeholders, body, modules="numpy", printer=printer, dummify=False, docstring_limit=0
    )


class PerFormulaEngine(Engine):
    """The engine with one lambdify call per formula."""

    def _compile(self, names: Sequence[str]) -> dict[str, _Formula]:
        formulas = {}
        for name in names:
            arguments = self._arguments(name)
            symbols = [
                node_symbol(a.node) if a.node else a.lag.symbol if a.lag else TIME
                for a in arguments
            ]
            function = lambdified(self.tree.formulas[name].expr, symbols)
            formulas[name] = _Formula(name, function, tuple(arguments))
        return formulas


def perturbed_inputs(tree: kpitree.Tree, samples: int) -> dict[str, np.ndarray]:
    """Every input's value times a seeded factor in [0.9, 1.1] per sample and period."""
    rng = np.random.default_rng(7)
    periods = tree.period_count
    return {
        name: np.broadcast_to(np.asarray(value, dtype=float), (samples, periods))
        * rng.uniform(0.9, 1.1, (samples, periods))
        for name, value in tree.input_values().items()
    }


FUNCTIONS = """
name: functions
kgi: y
time: {periods: 5, unit: month}
nodes:
  a: {value: [1.5, -2, 3, 0.25, 7]}
  b: {value: 2}
  c: {value: 1_000_000_000_000_000_000_000_000_001}
  d: {formula: "prev(d) + a / 3", initial: 0.1}
  e: {formula: "min(a, b, 1/3) + max(a, -b, 0.7) + clip(a, 0, b) + abs(a) + t"}
  f: {formula: "if(a > b, exp(b), log(b)) + (a <= 1) + (a != b) + floor(a) + ceil(a)"}
  g: {formula: "sqrt(b) ** 3 + 2 ^ b + delay(a, 2, 0.5) + c * 1e-27"}
  y: {formula: "d + e + f + g"}
"""


def bundled_and_generated() -> list[tuple[str, kpitree.Tree]]:
    """Every bundled tree, a generated 500-node tree (timed and static), the function tree."""
    trees = [(path.name, kpitree.load(path)) for path in sorted(TREES.glob("*.yaml"))]
    trees.append(("generated", kpitree.loads(generated_tree_yaml(500, seed=3), source="g")))
    static = generated_tree_yaml(500, seed=4, timed=False)
    trees.append(("static", kpitree.loads(static, source="s")))
    trees.append(("functions", kpitree.loads(FUNCTIONS, source="f")))
    return trees


@pytest.mark.parametrize(("label", "tree"), bundled_and_generated())
def test_engine_values_equal_per_formula_lambdify(label: str, tree: kpitree.Tree) -> None:
    """Every node's values (20 perturbed samples) equal those of one lambdify per formula."""
    inputs = perturbed_inputs(tree, 20)
    fast = Engine(tree).run(inputs, samples=20)
    reference = PerFormulaEngine(tree).run(inputs, samples=20)
    assert fast.keys() == reference.keys()
    for name in fast:
        np.testing.assert_array_equal(fast[name], reference[name], err_msg=f"{label}: {name}")
        assert fast[name].tobytes() == np.ascontiguousarray(reference[name]).tobytes()


def test_compile_expression_list_matches_lambdify() -> None:
    """A list of expressions (the derivatives' use) returns the same values as lambdify."""
    x, y = sympy.symbols("win_rate sql")
    parts = [x * y + sympy.Rational(1, 3), sympy.Max(x, y, 2), sympy.Heaviside(x - y), 1 / x]
    values = (np.array([0.2, 3.0, 5.0]), np.array([1.0, 3.0, 0.5]))
    fast = compile_expression(parts, [x, y])(*values)
    reference = lambdified(parts, [x, y])(*values)
    assert len(fast) == len(reference) == len(parts)
    for got, expected in zip(fast, reference, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_node_named_like_a_numpy_function_evaluates() -> None:
    """Nodes called minimum, select and nan are arguments, not numpy's functions (lambdify
    put node names in its namespace, so such a tree used to fail with a traceback)."""
    tree = kpitree.loads(
        """
name: names
kgi: y
nodes:
  minimum: {value: 3}
  select: {value: 2}
  nan: {value: 5}
  y: {formula: "min(minimum, nan) + max(select, 1) + if(select > 1, 1, 0)"}
""",
        source="names.yaml",
    )
    assert tree.evaluate().kgi_value == 3 + 2 + 1


def test_symbol_outside_the_arguments_is_refused() -> None:
    """An expression reading a symbol that is not an argument is refused, never printed."""
    x, y = sympy.symbols("x y")
    with pytest.raises(ValueError, match=r"\['y'\], not among its arguments"):
        compile_expressions([(x + y, [x])])


def test_functions_share_one_namespace() -> None:
    """All of a batch's functions are compiled into one namespace."""
    x, y = sympy.symbols("x y")
    first, second = compile_expressions([(x + 1, [x]), (sympy.Min(x, y), [x, y])])
    assert first.__globals__ is second.__globals__
    assert second(np.array([1.0, 4.0]), 2.0).tolist() == [1.0, 2.0]
