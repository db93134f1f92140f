"""The formula language: what parses to which sympy expression, and what is refused."""

from __future__ import annotations

import pytest
import sympy

from kpitree.errors import FormulaError
from kpitree.formula import TIME, Lag, node_symbol, parse_formula

a, b, c, x = (node_symbol(name) for name in "abcx")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b * c", a + b * c),
        ("(a + b) * c", (a + b) * c),
        ("a - b - c", a - b - c),
        ("a / b / c", a / b / c),
        ("-a ** 2", -(a**2)),
        ("2 ** 3 ** 2", sympy.Integer(512)),
        ("2 ^ 3", sympy.Integer(8)),
        ("1_000 * a", 1000 * a),
        ("1.5e3 + .25", sympy.Rational(6001, 4)),
        ("0.1 * a", sympy.Rational(1, 10) * a),
        ("min(a, b, 3)", sympy.Min(a, b, 3)),
        ("max(a, b)", sympy.Max(a, b)),
        ("clip(x, 0, 1)", sympy.Min(sympy.Max(x, 0), 1)),
        (
            "abs(a) + sqrt(b) + exp(c) + log(x)",
            sympy.Abs(a) + sympy.sqrt(b) + sympy.exp(c) + sympy.log(x),
        ),
        ("floor(a) + ceil(b)", sympy.floor(a) + sympy.ceiling(b)),
        ("if(a > 0.15, a, 0)", sympy.Piecewise((a, a > sympy.Rational(15, 100)), (0, True))),
        ("if(a, b, c)", sympy.Piecewise((b, sympy.Ne(a, 0)), (c, True))),
        ("(a >= b) * 10", 10 * sympy.Piecewise((1, a >= b), (0, True))),
    ],
)
def test_parses_to_the_expected_expression(text: str, expected: sympy.Expr) -> None:
    """Each formula parses to the sympy expression written by hand, with ordinary precedence."""
    assert sympy.simplify(parse_formula(text).expr - expected) == 0


def test_records_names_lags_and_time() -> None:
    """A formula reports the nodes it reads now, the ones it reads earlier, and use of t."""
    formula = parse_formula("prev(mrr) + delay(sql, 2) * win + delay(x, 3, 7) + t + delay(y, 0)")
    assert formula.names == {"win", "y"}
    assert set(formula.lags) == {Lag("mrr", 1, None), Lag("sql", 2, 0.0), Lag("x", 3, 7.0)}
    assert formula.uses_time
    assert TIME in formula.expr.free_symbols


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('touch /tmp/kpitree-pwned')", "unexpected character '''"),
        ("__import__(os)", "unknown function '__import__'"),
        ("a.__class__", "unexpected character '.'"),
        ("eval(a)", "unknown function 'eval'"),
        ("lambda: 1", "unexpected character ':'"),
        ("a; b", "unexpected character ';'"),
        ("a +", "found the end of the formula"),
        ("(a", "expected ')'"),
        ("a b", "expected an operator"),
        ("", "the formula is empty"),
        ("min", "'min' is a function"),
        ("abs(a, b)", "abs() takes 1 argument, found 2"),
        ("clip(a, 1)", "clip() takes 3 arguments, found 2"),
        ("prev(a * b)", "prev() reads one node, not an expression"),
        ("delay(a, -1)", "delay() reads 0 to 10,000 periods back, found -1"),
        ("delay(a, 2, b)", "delay() default must be a constant number"),
        ("prev(t)", "prev() takes a node name"),
    ],
)
def test_refuses_what_is_not_in_the_language(text: str, message: str) -> None:
    """Text outside the whitelist raises FormulaError naming the problem; nothing is run."""
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert message in str(caught.value)
