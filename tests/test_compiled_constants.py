"""Constants beyond float64's exact integers reach numpy as floats: compiled formulas and their
derivatives always return float64 arrays, never object arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

import kpitree
from kpitree.analysis.derivatives import differentiate
from kpitree.engine import compile_expression
from kpitree.errors import KpiTreeError
from kpitree.formula import node_symbol

A = node_symbol("a")
B = node_symbol("b")
BIG = sympy.Integer(10) ** 20
HUGE = sympy.Integer(10) ** 300

EXPRESSIONS = [
    sympy.Piecewise((BIG, A > 1), (A, True)),
    sympy.log(HUGE) * A,
    sympy.exp(HUGE) * A,
    sympy.Min(sympy.Max(sympy.Min(sympy.Max(A, 1000), B) / 2, sympy.Integer(2) ** 400), A),
    A + sympy.Integer(12345678901234567890123),
    sympy.Rational(10**400, 3) * A + B,
    A ** sympy.Rational(1, 3) + sympy.Rational(1, 10**30) * B,
    sympy.Piecewise((HUGE, sympy.Ne(B, 0)), (A, True)),
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
def test_formula_and_derivatives_compile_to_float64(expr: sympy.Expr) -> None:
    """A formula with large integer or rational constants, and each of its derivatives,
    returns float64 values equal to sympy's own evaluation (inf where it overflows)."""
    a = np.array([0.5, 2.0, 3e4])
    b = np.array([3e4, 0.0, 1.0])
    for function in [expr] + [differentiate(expr, symbol) for symbol in (A, B)]:
        compiled = compile_expression(function, [A, B])
        with np.errstate(all="ignore"):
            result = np.asarray(compiled(a, b))
        assert result.dtype == np.float64
        for index in range(3):
            at = {A: sympy.Float(a[index], 30), B: sympy.Float(b[index], 30)}
            expected = function.xreplace(at).evalf(30)
            got = float(np.broadcast_to(result, (3,))[index])
            if expected.is_finite and abs(expected) < 1e308:
                assert got == pytest.approx(float(expected), rel=1e-14)
            else:
                assert math.isinf(got) or math.isnan(got)


@pytest.mark.parametrize(
    ("formula", "value", "derivative"),
    [
        ("if(a > 1, 1e20, a)", 1e20, 0.0),
        ("if(a < 1, 1e20, a)", 2.0, 1.0),
        ("log(1e300) * a", 600 * math.log(10), 300 * math.log(10)),
        ("clip(clip(a, 1e3, b)/2, 2^400, a)", 2.0, 1.0),
        ("a + 12345678901234567890123", 12345678901234567890125.0, 1.0),
    ],
)
def test_large_constants_evaluate_and_differentiate(
    formula: str, value: float, derivative: float
) -> None:
    """Formulas with large constants evaluate and have sensitivities (once an object-array
    traceback)."""
    tree = kpitree.loads(
        f"name: c\nkgi: k\nnodes:\n  a: {{value: 2}}\n  b: {{value: 3e4}}\n"
        f"  k: {{formula: '{formula}'}}\n"
    )
    assert tree.evaluate().kgi_value == pytest.approx(value, rel=1e-15)
    assert tree.sensitivity()["a"].derivative == pytest.approx(derivative, rel=1e-15)


def test_large_constant_in_a_recurrence() -> None:
    """``if(b, 1e300, prev(k))`` steps through the periods as float64."""
    tree = kpitree.loads(
        """
        name: c
        kgi: k
        time: {periods: 3}
        nodes:
          b: {value: [0, 1, 0]}
          k: {formula: "if(b, 1e300, prev(k))", initial: 1}
        """
    )
    assert tree.evaluate().to_frame()["k"].tolist() == [1.0, 1e300, 1e300]
    assert tree.sensitivity()["b"].derivative == 0.0


def test_overflowing_constant_is_a_clear_error() -> None:
    """``exp(1e300) * a`` is refused with a KpiTreeError (at parse time or as an infinite
    result), not a numpy traceback."""
    text = "name: c\nkgi: k\nnodes:\n  a: {value: 2}\n  k: {formula: 'exp(1e300) * a'}\n"
    with pytest.raises(KpiTreeError, match=r"'k'|exp"):
        kpitree.loads(text).sensitivity()
