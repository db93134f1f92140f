"""The table of formula functions: every row parses, evaluates and differentiates as its
closed form says; sin, cos, pi, month and lookup; the ``kpitree functions`` command."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

import kpitree
from kpitree.errors import FormulaError, SpecError
from kpitree.formula import FUNCTIONS, parse_formula
from kpitree.functions import FUNCTION_TABLE, FUNCTIONS_BY_NAME, RESERVED, WORDS

RAMP = [[0, 0], [3, 0.5], [6, 1.0], [12, 1.2]]


def _static(formula: str, **inputs: float) -> kpitree.Tree:
    lines = ["name: f", "kgi: y", "nodes:"]
    lines += [f"  {name}: {{value: {value!r}}}" for name, value in inputs.items()]
    lines.append(f'  y: {{formula: "{formula}"}}')
    return kpitree.loads("\n".join(lines))


def _value(tree: kpitree.Tree) -> float:
    return float(tree.evaluate().values[tree.kgi])


def test_every_function_has_one_row_with_help_and_an_example_that_parses() -> None:
    """The parser's function list is the table's, and every row's example is a formula."""
    assert set(FUNCTIONS) == set(FUNCTIONS_BY_NAME)
    assert len(FUNCTIONS_BY_NAME) == len(FUNCTION_TABLE)
    month = sympy.Mod(sympy.Symbol("t"), 12) + 1
    for row in FUNCTION_TABLE:
        assert row.help
        assert row.usage.startswith(f"{row.name}(")
        formula = parse_formula(row.example, month, lambda name: (0.0, 6.0), 12)
        assert formula.expr.free_symbols or formula.lags


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("sin(x)", math.sin(0.7)),
        ("cos(x)", math.cos(0.7)),
        ("sin(pi / 6) + x", 0.5 + 0.7),
        ("cos(pi) * x", -0.7),
        ("sin(x) ** 2 + cos(x) ** 2", 1.0),
        ("pi * x", math.pi * 0.7),
    ],
)
def test_trigonometry_and_pi_evaluate_to_the_math_module(formula: str, expected: float) -> None:
    """sin, cos and pi give what Python's math module gives."""
    assert _value(_static(formula, x=0.7)) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("x", [-2.0, 0.0, 1.0, 3.0, 4.5, 11.0, 12.0, 20.0])
def test_lookup_equals_numpy_interp_flat_beyond_the_ends(x: float) -> None:
    """lookup() is linear between the table's points and flat beyond its ends (np.interp)."""
    table = str(RAMP).replace(" ", "")
    tree = _static(f"lookup(x, {table}) * 10", x=x)
    xs, ys = np.array(RAMP, dtype=float).T
    assert _value(tree) == pytest.approx(10 * np.interp(x, xs, ys), rel=1e-14, abs=1e-14)


def test_lookup_of_a_constant_is_computed_when_parsed() -> None:
    """A table read at a constant is a constant (no Piecewise reaches sympy)."""
    assert parse_formula("lookup(1.5, [[1, 10], [2, 20]])").expr == 15


@pytest.mark.parametrize(
    ("x", "slope"), [(-1.0, 0.0), (1.5, 0.5 / 3), (4.0, 0.5 / 3), (8.0, 0.2 / 6), (13.0, 0.0)]
)
def test_lookup_derivative_is_the_tables_slope(x: float, slope: float) -> None:
    """The exact sensitivity of lookup() is the slope of the segment x falls in, 0 beyond."""
    table = str(RAMP).replace(" ", "")
    result = _static(f"lookup(x, {table}) * 10", x=x).sensitivity()
    assert result["x"].derivative == pytest.approx(10 * slope, rel=1e-12, abs=1e-15)


def _central_difference_50_digits(expr: sympy.Expr, point: dict[str, float], name: str) -> float:
    """d expr / d name by a central difference with step 1e-20 computed with 50 digits: the
    truncation error (about 1e-40 times the third derivative) is far below float precision."""
    symbols = {symbol.name: symbol for symbol in expr.free_symbols}
    at = {symbols[key]: sympy.Float(value, 50) for key, value in point.items() if key in symbols}
    h = sympy.Float("1e-20", 50)
    x = symbols[name]
    up = expr.subs({**at, x: at[x] + h}).evalf(50)
    down = expr.subs({**at, x: at[x] - h}).evalf(50)
    return float((up - down) / (2 * h))


@pytest.mark.parametrize(
    "formula",
    [
        "a * sin(b) + cos(a * b)",
        "a * sin(2 * pi * b / 12) ** 2",
        "lookup(a, [[0, 1], [2, 3], [5, 4]]) * b + cos(b)",
        "exp(-a) * sin(b) + lookup(b * a, [[0, 0], [1, 2]])",
    ],
)
def test_sensitivity_of_new_functions_matches_50_digit_central_differences(formula: str) -> None:
    """Exact reverse-mode derivatives of sin, cos, pi and lookup agree with 50-digit central
    differences of the formula to 1e-12 relative."""
    point = {"a": 1.3, "b": 0.4}
    tree = _static(formula, **point)
    result = tree.sensitivity()
    expr = parse_formula(formula).expr
    for name in point:
        numeric = _central_difference_50_digits(expr, point, name)
        assert result[name].derivative == pytest.approx(numeric, rel=1e-12, abs=1e-14)


def _timed(formula: str, time: str) -> kpitree.Tree:
    return kpitree.loads(
        f"""
        name: m
        kgi: y
        time: {time}
        nodes:
          base: {{value: 100}}
          y: {{formula: "{formula}"}}
        """
    )


def test_month_follows_a_monthly_axis_across_the_year_end() -> None:
    """month is 11, 12, 1, 2, ... on a monthly axis that starts in November."""
    tree = _timed("month + 0 * base", "{periods: 15, unit: month, start: 2027-11}")
    expected = [(10 + i) % 12 + 1 for i in range(15)]
    np.testing.assert_array_equal(tree.evaluate().values["y"], expected)


def test_month_is_the_first_month_of_each_quarter() -> None:
    """On a quarterly axis from 2027-Q3, month is 7, 10, 1, 4, 7."""
    tree = _timed("month + 0 * base", "{periods: 5, unit: quarter, start: 2027-Q3}")
    np.testing.assert_array_equal(tree.evaluate().values["y"], [7, 10, 1, 4, 7])


def test_seasonality_written_with_cos_of_month() -> None:
    """A cosine season peaks in January and bottoms in July whatever the axis's start."""
    tree = _timed(
        "base * (1 + 0.2 * cos(2 * pi * (month - 1) / 12))",
        "{periods: 12, unit: month, start: 2027-04}",
    )
    values = tree.evaluate().values["y"]
    months = [(3 + i) % 12 + 1 for i in range(12)]
    expected = [100 * (1 + 0.2 * math.cos(2 * math.pi * (m - 1) / 12)) for m in months]
    np.testing.assert_allclose(values, expected, rtol=1e-14)
    assert months[int(np.argmax(values))] == 1


@pytest.mark.parametrize(
    "time",
    ["{periods: 5}", "{periods: 5, unit: week, start: 2027-01-04}", "{periods: 5, unit: month}"],
)
def test_month_without_a_dated_monthly_or_quarterly_axis_is_refused(time: str) -> None:
    """month on an axis with no months (or no start) is a formula error naming the node."""
    with pytest.raises(FormulaError, match=r"node 'y'.*month needs a monthly or quarterly"):
        _timed("month * base", time)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("sin(a, b)", r"sin\(\) takes 1 argument, found 2 \(write sin\(x\)\)"),
        ("clip(a, 1)", r"clip\(\) takes 3 arguments, found 2"),
        ("delay(a, 1, 2, 3)", r"delay\(\) takes 2 to 3 arguments, found 4"),
        ("min()", r"expected a number, a node name"),
        ("lookup(a)", r"lookup\(\) takes 2 arguments, found 1"),
        ("lookup(a, 3)", r"lookup\(\) takes a table \[\[x0, y0\]"),
        ("lookup(a, [[0, 1], [0, 2]])", r"the x values must increase, found 0 then 0"),
        ("lookup(a, [[0, b]])", r"a point holds two constant numbers"),
        ("lookup(a, [[0, 1], [1]])", r"expected ','"),
        ("lookup(a, [[0, 1]]", r"expected '\)'"),
        ("a[0]", r"expected an operator or the end"),
        ("sin", r"'sin' is a function: write sin\(x\)"),
        ("prev(pi)", r"prev\(\) takes a node name"),
    ],
)
def test_bad_calls_say_what_is_wrong(formula: str, message: str) -> None:
    """Each misuse of a function is a FormulaError that says how to call it."""
    with pytest.raises(FormulaError, match=message):
        parse_formula(formula)


def test_lookup_table_size_is_bounded() -> None:
    """A table of more than 1,000 points is refused, not built."""
    points = ", ".join(f"[{i}, {i}]" for i in range(1_001))
    with pytest.raises(FormulaError, match="at most 1,000 points"):
        parse_formula(f"lookup(a, [{points}])")


@pytest.mark.parametrize("name", [*sorted(WORDS), "sin", "lookup"])
def test_words_and_function_names_cannot_name_a_node(name: str) -> None:
    """t, month, pi and every function name are reserved for the formula language."""
    assert name in RESERVED
    with pytest.raises(SpecError, match=f"node name '{name}' is reserved"):
        _static(f"{name}_x * 2", **{name: 1.0, f"{name}_x": 1.0})


def test_functions_command_lists_every_row_and_word(cli) -> None:
    """`kpitree functions` prints every function's usage, help and example, then the words."""
    status, out, _ = cli("functions")
    assert status == 0
    for row in FUNCTION_TABLE:
        assert row.usage in out
        assert row.help in out
        assert row.example in out
    for word in WORDS:
        assert f"\n{word} " in out
