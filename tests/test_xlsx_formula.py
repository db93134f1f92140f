"""The translation of formulas into Excel formula text (the numbers are checked by recomputing
in LibreOffice, in test_xlsx_libreoffice.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sympy

from kpitree.errors import FormulaError, KpiTreeError
from kpitree.formula import TIME, node_symbol
from kpitree.xlsx.formula import excel_formula, excel_number


def _upper(symbol: sympy.Symbol) -> str:
    return "T1" if symbol == TIME else symbol.name.upper()


def _excel(build: Callable[..., sympy.Expr]) -> str:
    # Expressions are built with sympy's own operators, so the text does not depend on how
    # the parser happens to arrange (or leave unevaluated) its sums and products.
    return excel_formula(build(*(node_symbol(name) for name in "abcd")), _upper, "x")


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda a, b, c, d: a * b + c, "=C+A*B"),
        (lambda a, b, c, d: a - b * c, "=A-B*C"),
        (lambda a, b, c, d: a / b / c, "=A/(B*C)"),
        (lambda a, b, c, d: (a + b) / (c - d), "=(A+B)/(C-D)"),
        (lambda a, b, c, d: a - (b + c), "=A-B-C"),
        (lambda a, b, c, d: a**-2, "=1/A^2"),
        (lambda a, b, c, d: 2**-a, "=2^(-A)"),
        (lambda a, b, c, d: sympy.sqrt(a), "=SQRT(A)"),
        (lambda a, b, c, d: 1 / sympy.sqrt(a), "=1/SQRT(A)"),
        (lambda a, b, c, d: a ** (b**c), "=A^(B^C)"),
        (lambda a, b, c, d: (1 + a - b) ** 12, "=(1+A-B)^12"),
        (lambda a, b, c, d: sympy.Min(a, b, -c), "=MIN(A,B,-C)"),
        (lambda a, b, c, d: sympy.Min(sympy.Max(a, 0), 1), "=MIN(1,MAX(0,A))"),
        (lambda a, b, c, d: sympy.Abs(a - b), "=ABS(A-B)"),
        (lambda a, b, c, d: sympy.exp(a) * sympy.log(b), "=EXP(A)*LN(B)"),
        (lambda a, b, c, d: sympy.floor(a), "=INT(A)"),
        (lambda a, b, c, d: sympy.ceiling(a), "=-INT(-A)"),
        (lambda a, b, c, d: sympy.Piecewise((a, a > b), (-b, True)), "=IF(A>B,A,-B)"),
        (lambda a, b, c, d: sympy.Piecewise((b, sympy.Ne(a, 0)), (c, True)), "=IF(A<>0,B,C)"),
        (lambda a, b, c, d: c * sympy.Piecewise((1, a >= b), (0, True)), "=C*IF(A>=B,1,0)"),
        (lambda a, b, c, d: sympy.Piecewise((1, sympy.Eq(a, b)), (0, True)), "=IF(A=B,1,0)"),
        (lambda a, b, c, d: sympy.Piecewise((1, sympy.Ne(a, b)), (0, True)), "=IF(A<>B,1,0)"),
        (lambda a, b, c, d: sympy.Piecewise((1, a <= b), (0, True)), "=IF(A<=B,1,0)"),
        (lambda a, b, c, d: sympy.Piecewise((1, a < b), (0, True)), "=IF(A<B,1,0)"),
        (lambda a, b, c, d: TIME * a, "=A*T1"),
        (lambda a, b, c, d: sympy.Rational(1, 10) * a, "=A/10"),
        (lambda a, b, c, d: sympy.Integer(10**20) * a, "=1E+20*A"),
        (lambda a, b, c, d: sympy.exp(1) * a, "=2.718281828459045*A"),
    ],
)
def test_constructs_become_their_excel_equivalents(build, expected) -> None:
    """Each construct of the formula language is written as its Excel equivalent."""
    assert _excel(build) == expected


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda a, b, c, d: -(a**2), "=-(A^2)"),
        (lambda a, b, c, d: -((a**b) ** c), "=-((A^B)^C)"),
        (lambda a, b, c, d: -a * b, "=-(A*B)"),
        (lambda a, b, c, d: a * -2, "=-(2*A)"),
        (lambda a, b, c, d: a - sympy.ceiling(b), "=A-(-INT(-B))"),
    ],
)
def test_a_negated_power_is_parenthesised(build, expected) -> None:
    """Excel's unary minus binds tighter than ^ (-2^2 is 4), so a negation is written around
    its operand in parentheses."""
    assert _excel(build) == expected


def test_n_ary_unevaluated_sums_and_products_are_written_whole() -> None:
    """An unevaluated Add or Mul of any arity (nested or not) keeps every term."""
    a, b, c, d = (node_symbol(name) for name in "abcd")
    total = sympy.Add(a, b, sympy.Add(c, -d, evaluate=False), evaluate=False)
    product = sympy.Mul(a, b, sympy.Mul(c, d, evaluate=False), evaluate=False)
    assert excel_formula(total, _upper, "x") == "=A+B+(C-D)"
    assert excel_formula(product, _upper, "x") == "=A*B*C*D"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (sympy.Integer(1_400_000_000), "1400000000"),
        (sympy.Integer(-3), "(-3)"),
        (sympy.Rational(1, 3), "(1/3)"),
        (sympy.Rational(-1, 40), "(-1/40)"),
        (sympy.Integer(10**30), "1E+30"),
        (0.1, "0.1"),
        (1 / 3, "0.3333333333333333"),
        (2.5e-12, "2.5E-12"),
        (-7.0, "(-7)"),
    ],
)
def test_numbers_keep_full_precision(number, expected) -> None:
    """Numbers are written with nothing lost: fractions as an exact division, floats by
    their shortest round-tripping repr, negatives in parentheses."""
    assert excel_number(number) == expected


def test_a_float_repr_reads_back_to_the_same_double() -> None:
    """The text of a float is read back (by any correct parser) as exactly the same double."""
    for value in (0.1, 1 / 3, 2.0**-40, 1.7976931348623157e308, 123456.789e-300):
        assert float(excel_number(value).strip("()")) == value


def test_heaviside_is_written_with_its_value_at_zero() -> None:
    """Heaviside(x) (which a derivative may contain) is 0 below zero, 1 above, its second
    argument at zero."""
    a = node_symbol("a")
    assert excel_formula(sympy.Heaviside(a), _upper, "x") == "=IF(A>0,1,IF(A<0,0,(1/2)))"


def test_an_unsupported_function_is_a_clear_error_naming_the_node() -> None:
    """A construct with no spreadsheet equivalent raises a KpiTreeError naming the node."""
    with pytest.raises(FormulaError, match=r"node 'won': cannot write 'gamma' \(gamma\(a\)\)"):
        excel_formula(sympy.gamma(node_symbol("a")), _upper, "won")


def test_a_choice_without_else_is_refused() -> None:
    """A Piecewise with no final 'else' has no IF() equivalent and is refused."""
    a = node_symbol("a")
    choice = sympy.Piecewise((a, a > 0))
    with pytest.raises(KpiTreeError, match="node 'x': cannot write a choice with no 'else'"):
        excel_formula(choice, _upper, "x")


def test_a_formula_longer_than_excel_takes_is_refused() -> None:
    """A formula beyond Excel's 8,192 characters is an error naming the node."""
    total = sympy.Add(*(node_symbol(f"kpi_{index}") for index in range(2000)))
    with pytest.raises(
        FormulaError, match=r"node 'big': .* characters long, and Excel takes at most 8,192"
    ):
        excel_formula(total, _upper, "big")


def test_functions_nested_deeper_than_excel_takes_are_refused() -> None:
    """Functions nested beyond Excel's 64 levels are an error naming the node; 64 pass."""

    def nested(depth: int) -> sympy.Expr:
        expr: sympy.Expr = node_symbol("a")
        for _ in range(depth):
            expr = sympy.exp(expr)
        return expr

    assert excel_formula(nested(64), _upper, "deep").count("EXP(") == 64
    with pytest.raises(FormulaError, match=r"node 'deep': .* nests 65 functions deep"):
        excel_formula(nested(65), _upper, "deep")


def test_xor_is_written_without_excel_2013_functions() -> None:
    """Xor (which sympy may make of nested if()) is an odd count of true conditions."""
    a, b = node_symbol("a"), node_symbol("b")
    xor = sympy.Piecewise((1, sympy.Xor(a > 0, b > 0)), (0, True))
    assert excel_formula(xor, _upper, "x") == "=IF(MOD((A>0)+(B>0),2)=1,1,0)"
