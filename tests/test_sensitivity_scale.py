"""Sensitivity of min/max with many arguments and of large trees: exact against sympy,
compiled once per engine, memory bounded by nodes x periods (reverse mode)."""

from __future__ import annotations

import json
import time
import tracemalloc

import numpy as np
import pytest
import sympy
from treegen import generated_kinked_tree_yaml

import kpitree
from kpitree.analysis import derivatives
from kpitree.analysis.derivatives import differentiate
from kpitree.formula import node_symbol


def _exact_derivatives(tree: kpitree.Tree) -> dict[str, float]:
    """sympy's own derivative of the KGI's substituted expression, evaluated exactly."""
    expression = tree.expression(tree.kgi)
    exact = {tree.symbol(n): sympy.Rational(str(v)) for n, v in tree.input_values().items()}
    return {
        name: float(sympy.diff(expression, tree.symbol(name)).xreplace(exact))
        for name in tree.inputs
    }


def _kinked(values: list[float]) -> kpitree.Tree:
    """KGI = max(x...) * min(x...) + clip(x0, x1, x2 + x3) over the given inputs."""
    names = [f"x{index}" for index in range(len(values))]
    listed = ", ".join(names)
    nodes = "\n".join(
        f"  {name}: {{value: {value}}}" for name, value in zip(names, values, strict=True)
    )
    return kpitree.loads(
        f"name: kinked\nkgi: k\nnodes:\n{nodes}\n"
        f"  k: {{formula: 'max({listed}) * min({listed}) + clip(x0, x1, x2 + x3)'}}\n"
    )


@pytest.mark.parametrize(
    "values",
    [
        [1.5, 4.25, 0.75, 3, 2.5],
        [1.5, 4.25, 0.75, 3, 2.5, 0.5],
        [4.25, 4.25, 0.75, 0.75, 2.5, 0.75],  # ties at the max and at the min
        [2, 1, 3, 0.5, 7, 7],
    ],
)
def test_min_max_of_five_and_six_match_sympy(values: list[float]) -> None:
    """min/max of five and six arguments (with and without ties) give sympy's exact
    derivative, Heaviside(0) = 1/2 at a tie, to 1e-12."""
    tree = _kinked(values)
    exact = _exact_derivatives(tree)
    result = tree.sensitivity()
    for entry in result.inputs:
        assert entry.derivative == pytest.approx(exact[entry.name], rel=1e-12, abs=1e-300)
    assert any(entry.derivative != 0 for entry in result.inputs)


def test_tornado_and_bottleneck_run_on_six_argument_max() -> None:
    """tornado and bottleneck (which use sensitivity) work on a six-argument max."""
    tree = _kinked([1.5, 4.25, 0.75, 3, 2.5, 0.5])
    assert tree.tornado().to_frame().shape[0] == 6
    assert tree.bottlenecks().to_frame().shape[0] >= 1


def test_generated_static_tree_matches_exact_sympy() -> None:
    """A generated tree of sums, means, products and min/max up to six arguments: every
    derivative equals sympy's exact one to 1e-12."""
    tree = kpitree.loads(generated_kinked_tree_yaml(40, seed=4, periods=None))
    exact = _exact_derivatives(tree)
    result = tree.sensitivity()
    assert sum(entry.derivative != 0 for entry in result.inputs) >= 10
    for entry in result.inputs:
        assert entry.derivative == pytest.approx(exact[entry.name], rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    "text",
    [
        "Max(a, b, c, d, e, f) * a",
        "Min(a + b, c*d, e, f - a, 2*b)",
        "Max(Min(a, b), Min(c, d, e), f) + floor(a) * Max(b, ceiling(c))",
        "Min(Max(a, 1000), b) / 2 + Abs(a - f)",
    ],
)
def test_differentiate_equals_sympy_diff(text: str) -> None:
    """Our differentiation of min/max (unevaluated) and floor/ceiling equals sympy.diff
    exactly at points with and without ties (sympy's unevaluated d floor/dx taken as 0)."""
    names = "abcdef"
    symbols = {name: node_symbol(name) for name in names}
    expr = sympy.sympify(text, locals=symbols)  # test-only: a fixed expression, not input
    points = [
        dict(zip(names, (3, 5, 2, 7, 1, 4), strict=True)),
        dict(zip(names, (5, 5, 2, 5, 5, 1), strict=True)),
        dict(zip(names, (sympy.Rational(1, 3), 2, 2, 1, sympy.Rational(7, 2), 3), strict=True)),
    ]
    for point in points:
        at = {symbols[name]: sympy.nsimplify(value) for name, value in point.items()}
        for name in names:
            ours = differentiate(expr, symbols[name]).xreplace(at)
            theirs = sympy.diff(expr, symbols[name])
            theirs = theirs.replace(lambda e: isinstance(e, sympy.Derivative), lambda e: 0)
            assert ours == theirs.xreplace(at)


def test_compiled_partials_are_cached_with_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second sensitivity of a tree (and a bottleneck ranking after it) compiles no
    derivative; a new tree of the same file compiles its own."""
    calls: list[int] = []
    compile_expression = derivatives.compile_expression

    def counted(*args: object) -> object:
        calls.append(1)
        return compile_expression(*args)

    monkeypatch.setattr(derivatives, "compile_expression", counted)
    text = generated_kinked_tree_yaml(60, seed=2, periods=12)
    tree = kpitree.loads(text)
    first = tree.sensitivity()
    compiled = len(calls)
    assert compiled > 0
    second = tree.sensitivity(period=6)
    tree.bottlenecks()
    assert len(calls) == compiled
    assert first.kgi_value != second.kgi_value
    kpitree.loads(text).sensitivity()
    assert len(calls) == 2 * compiled


def test_branch_the_kgi_ignores_is_never_differentiated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only nodes the KGI depends on are differentiated and evaluated: a branch beside it
    (here one that would divide by zero) costs nothing and breaks nothing."""
    compiled: list[str] = []
    compile_partials = derivatives._compile_partials

    def recorded(tree: kpitree.Tree, name: str) -> object:
        compiled.append(name)
        return compile_partials(tree, name)

    monkeypatch.setattr(derivatives, "_compile_partials", recorded)
    tree = kpitree.loads(
        """
        name: branch
        kgi: arr
        time: {periods: 4}
        nodes:
          new_mrr: {value: 10}
          churn: {value: 0.1}
          mrr: {formula: "prev(mrr) * (1 - churn) + new_mrr", initial: 100}
          arr: {formula: mrr * 12}
          cost: {value: 50}
          zero: {value: 0}
          ratio: {formula: cost / zero}
          side: {formula: "max(ratio, cost, zero, 1, 2)"}
        """
    )
    result = tree.sensitivity()
    assert sorted(compiled) == ["arr", "mrr"]
    assert result["cost"].derivative == 0
    assert not result["cost"].upstream
    # arr_4 = 12 (100 q^4 + 10 (1 + q + q^2 + q^3)), q = 1 - churn
    q = 0.9
    assert result["new_mrr"].derivative == pytest.approx(12 * (1 + q + q**2 + q**3), rel=1e-12)
    assert result["churn"].derivative == pytest.approx(
        -12 * (400 * q**3 + 10 * (1 + 2 * q + 3 * q**2)), rel=1e-12
    )


def test_memory_grows_with_nodes_times_periods() -> None:
    """A warm sensitivity of 200 inputs x 36 periods allocates under 2 MB at peak: forward
    tangents would hold 2 x 200 rows x 200 nodes x 36 periods (23 MB)."""
    count = 200
    inputs = "\n".join(f"  x{i}: {{value: {1 + i % 7}}}" for i in range(count))
    half = count // 2
    tree = kpitree.loads(
        "name: wide\nkgi: k\ntime: {periods: 36}\nnodes:\n"
        f"{inputs}\n"
        f"  a: {{formula: '{' + '.join(f'x{i}' for i in range(half))}'}}\n"
        f"  b: {{formula: 'max({', '.join(f'x{i}' for i in range(half, half + 6))})'}}\n"
        "  k: {formula: 'prev(k) + a * b', initial: 0}\n"
    )
    tree.sensitivity()  # compile outside the measurement
    tracemalloc.start()
    try:
        result = tree.sensitivity()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2e6
    # k_36 = 36 a b with b = max(x100..x105) = x104 (value 7)
    assert result["x0"].derivative == pytest.approx(36 * 7)
    a = sum(1 + i % 7 for i in range(half))
    assert result["x104"].derivative == pytest.approx(36 * a)
    assert result["x105"].derivative == 0


def test_six_argument_max_compiles_quickly() -> None:
    """Regression: differentiating and compiling a node with a six-argument max and min
    takes well under a few seconds (it took seconds per node through Piecewise)."""
    tree = _kinked([1.5, 4.25, 0.75, 3, 2.5, 0.5])
    tree.evaluate()  # the formulas' own compilation is not what is timed
    start = time.perf_counter()
    tree.sensitivity()
    assert time.perf_counter() - start < 3.0


def test_gradient_is_per_period() -> None:
    """kgi_gradient gives d KGI_T / d x_t per period: for cumulative customers it is the
    rate in every period up to T, and nothing after T is computed."""
    tree = kpitree.loads(
        """
        name: cumulative
        kgi: customers
        time: {periods: 5}
        nodes:
          leads: {value: [10, 20, 30, 40, 50]}
          rate: {value: 0.5}
          customers: {formula: prev(customers) + leads * rate, initial: 100}
        """
    )
    values, gradient = derivatives.kgi_gradient(tree, tree.input_values(), 2)
    assert values["customers"] == pytest.approx([105, 115, 130])
    np.testing.assert_array_equal(gradient["leads"], [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(gradient["rate"], [10, 20, 30])


def test_cli_sensitivity_of_six_argument_max(write_tree, cli) -> None:
    """``kpitree sensitivity`` on a tree with max() of six arguments exits 0 and lists the
    arg-max input first (it used to end in a numpy traceback)."""
    path = write_tree(
        """
        name: six
        kgi: best
        nodes:
          a: {value: 1}
          b: {value: 2}
          c: {value: 6}
          d: {value: 4}
          e: {value: 5}
          f: {value: 3}
          best: {formula: "max(a, b, c, d, e, f) * 10"}
        """
    )
    status, out, err = cli("sensitivity", path, "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["inputs"][0]["input"] == "c"
    assert data["inputs"][0]["derivative"] == 10.0
    assert [entry["derivative"] for entry in data["inputs"][1:]] == [0.0] * 5
