"""A grammar fuzzer over formulas: whatever the text, parsing finishes fast with our own error
or an expression whose numbers are finite floats; a constant formula has the value a plain
Python float evaluation gives, where that evaluation is well-conditioned."""

from __future__ import annotations

import math
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpitree.errors import FormulaError
from kpitree.formula import parse_formula

Tree = tuple[Any, ...]
"""A generated formula as a small syntax tree: ("num", text), ("name", text), (op, *args)."""

NUMBERS = st.sampled_from(
    ["0", "1", "2", "3", "10", "0.5", "0.1", "1.5", "1_000", "2.5e6", "1e-3", ".25", "7."]
)
HOSTILE_NUMBERS = st.sampled_from(
    ["1e300", "1e-300", "1.0000001", "1e400", "9" * 60, "1e10", "0.9999999", "1e308", "2e-308"]
)
NAMES = st.sampled_from(["a", "b", "c", "t"])
BINARY = ["+", "-", "*", "/", "**", "^", "<", "<=", ">", ">=", "==", "!="]
SINGLE = ["abs", "exp", "log", "sqrt", "floor", "ceil"]


def leaves(constant: bool) -> st.SearchStrategy[Tree]:
    numbers = st.one_of(NUMBERS, HOSTILE_NUMBERS).map(lambda text: ("num", text))
    if constant:
        return numbers
    # (a - a) is a constant only sympy sees: it must be computed and checked as written ones are.
    names = st.one_of(NAMES.map(lambda name: ("name", name)), st.just(("name", "(a - a)")))
    lags = st.one_of(
        NAMES.filter(lambda n: n != "t").map(lambda n: ("name", f"prev({n})")),
        st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["1", "2", "10_000", "10001"])).map(
            lambda pair: ("name", f"delay({pair[0]}, {pair[1]})")
        ),
    )
    return st.one_of(numbers, names, lags)


def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    return st.one_of(
        st.tuples(st.sampled_from(BINARY), children, children),
        st.tuples(st.just("neg"), children),
        st.tuples(st.sampled_from(SINGLE), children),
        st.tuples(st.just("clip"), children, children, children),
        st.tuples(st.just("if"), children, children, children),
        st.lists(children, min_size=1, max_size=4).flatmap(
            lambda args: st.sampled_from(["min", "max"]).map(lambda f: (f, *args))
        ),
    )


def formulas(constant: bool) -> st.SearchStrategy[Tree]:
    return st.recursive(leaves(constant), extend, max_leaves=12)


def text_of(tree: Tree) -> str:
    """The formula text, fully parenthesised so the tree is what is parsed."""
    kind, *args = tree
    if kind in ("num", "name"):
        return args[0]
    if kind == "neg":
        return f"-({text_of(args[0])})"
    if kind in BINARY:
        return f"({text_of(args[0])}) {kind} ({text_of(args[1])})"
    return f"{kind}({', '.join(text_of(arg) for arg in args)})"


class IllConditionedError(Exception):
    """The float evaluation left the range where its rounding is small and known."""


def reference(tree: Tree, magnitudes: list[float]) -> float:
    """The value of a constant formula in plain Python floats (math module), independent of
    kpitree; records every intermediate magnitude; raises ValueError, ZeroDivisionError or
    IllConditionedError."""
    kind, *args = tree
    if kind == "num":
        value = float(args[0].replace("_", ""))
    else:
        values = [reference(arg, magnitudes) for arg in args]
        value = _apply(kind, values)
    if isinstance(value, complex):
        raise ValueError("complex")
    if not math.isfinite(value) or (value != 0 and not 1e-200 < abs(value) < 1e200):
        raise IllConditionedError
    magnitudes.append(abs(value))
    return value


def _apply(kind: str, values: list[float]) -> float:
    comparisons = {
        "<": lambda x, y: x < y, "<=": lambda x, y: x <= y, ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y, "==": lambda x, y: x == y, "!=": lambda x, y: x != y,
    }  # fmt: skip
    if kind in comparisons:
        return float(comparisons[kind](*values))
    if kind in ("**", "^"):
        base, exponent = values
        if abs(exponent) > 10:  # a float power magnifies the base's rounding by the exponent
            raise IllConditionedError
        try:
            return base**exponent
        except OverflowError:
            raise IllConditionedError from None
    simple = {
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
        "/": lambda x, y: x / y, "neg": lambda x: -x, "abs": abs,
        "floor": lambda x: float(math.floor(x)), "ceil": lambda x: float(math.ceil(x)),
        "log": math.log, "sqrt": math.sqrt,
        "clip": lambda x, low, high: min(max(x, low), high),
        "if": lambda c, x, y: x if c != 0 else y,
    }  # fmt: skip
    if kind == "exp":
        if values[0] > 700:
            raise IllConditionedError
        return math.exp(values[0])
    if kind in ("min", "max"):
        return (min if kind == "min" else max)(values)
    return simple[kind](*values)


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: an alarm interrupts Python code that runs too long."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"parsing ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def parse_quickly(text: str) -> sympy.Expr | None:
    """The parsed expression, or None when refused with FormulaError; within 5 s."""
    with time_limit(5):
        try:
            return parse_formula(text).expr
        except FormulaError as error:
            message = str(error)
    assert "Traceback" not in message
    assert len(message) < 400
    return None


def assert_finite_numbers(expr: sympy.Expr) -> None:
    for part in sympy.preorder_traversal(expr):
        assert part not in (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan, sympy.I), part
        if isinstance(part, sympy.Number):
            assert math.isfinite(float(part)), part
            assert abs(float(part)) <= sys.float_info.max, part


pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGALRM"), reason="the time limit needs SIGALRM (POSIX)"
)


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(formulas(constant=False))
def test_any_formula_parses_fast_to_finite_numbers_or_our_error(tree: Tree) -> None:
    """Any formula of the grammar, hostile numbers included, parses within the time limit to an
    expression whose numbers are finite floats, or is refused with a FormulaError."""
    expr = parse_quickly(text_of(tree))
    if expr is not None:
        assert_finite_numbers(expr)


@settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(formulas(constant=True))
def test_constant_formula_has_the_float_value(tree: Tree) -> None:
    """A formula of numbers alone is one finite number, equal to the plain float evaluation
    within rounding (relative to its largest intermediate value); where that evaluation fails
    for a domain reason (1/0, log(-1), a complex power) the formula is refused."""
    text = text_of(tree)
    expr = parse_quickly(text)
    if expr is not None:
        assert expr.is_Number, expr
        assert math.isfinite(float(expr))
    magnitudes: list[float] = []
    try:
        expected = reference(tree, magnitudes)
    except IllConditionedError:
        return
    except (ValueError, ZeroDivisionError):
        assert expr is None, f"{text} gave {expr}, the float evaluation fails"
        return
    assert expr is not None, f"{text} was refused; the float evaluation gives {expected}"
    scale = max(magnitudes, default=1.0)
    # Floor and ceil jump at integers: a rounding difference may move them by one.
    steps = sum(1 for _ in _kinds(tree, ("floor", "ceil", "<", "<=", ">", ">=", "==", "!=")))
    tolerance = 1e-9 * scale + 1e-300 + (1.0 + scale) * steps
    assert abs(float(expr) - expected) <= tolerance, (text, float(expr), expected)


def _kinds(tree: Tree, kinds: tuple[str, ...]) -> Iterator[str]:
    if tree[0] in kinds:
        yield tree[0]
    if tree[0] not in ("num", "name"):
        for arg in tree[1:]:
            yield from _kinds(arg, kinds)
