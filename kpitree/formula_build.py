"""From parsed parts to sympy: conditions as numbers, constants that sympy makes, and min/max
built without sympy's pairwise search (the functions themselves are in :mod:`kpitree.functions`).

The parser in :mod:`kpitree.formula` hands over a :data:`Value`: a constant it computed itself
(a :class:`fractions.Fraction`, see :mod:`kpitree.constants`) or a sympy expression.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import TypeAlias

import sympy

from kpitree import constants

Value: TypeAlias = Fraction | sympy.Basic
"""What the parser passes around: a constant, computed exactly or as the nearest float, or a
sympy expression (a number, or a condition from a comparison)."""


def is_condition(value: Value) -> bool:
    """True for a comparison or other truth value, False for a number."""
    # A sympy Symbol is also a Boolean, so "not an Expr" is what marks a condition.
    return isinstance(value, sympy.logic.boolalg.Boolean) and not isinstance(value, sympy.Expr)


def as_number(value: Value) -> Value:
    """A comparison used as a number is 1 when true and 0 when false; a constant that sympy
    made itself (``a - a + 3``, ``sqrt(2*a)/sqrt(a)``) becomes one of ours, checked."""
    if is_condition(value):
        value = sympy.Piecewise((sympy.Integer(1), value), (sympy.Integer(0), True))
    if isinstance(value, sympy.Expr) and value.is_number:
        return _constant_of(value)
    return value


def _constant_of(expr: sympy.Expr) -> Fraction:
    if isinstance(expr, sympy.Rational):
        return constants.settle(Fraction(int(expr.p), int(expr.q)))
    check_atoms(expr)
    # evalf works with arbitrary exponents, so exp(exp(50)) is quick here where floor() of
    # it would make sympy compute every digit of the integer part.
    number = expr.evalf(30)
    if not number.is_extended_real:
        raise constants.constant_error(str(expr), constants.NOT_REAL)
    value = float(number)
    if not math.isfinite(value):
        raise constants.constant_error(str(expr), constants.OUT_OF_RANGE)
    return constants.settle(Fraction(value))


def as_condition(value: sympy.Basic) -> sympy.Basic:
    """A number used as a condition is true when it is not zero."""
    if is_condition(value):
        return value
    return sympy.Ne(value, 0)


def to_sympy(value: Value) -> sympy.Basic:
    """``value`` as a sympy expression."""
    return constants.to_sympy(value) if isinstance(value, Fraction) else value


def check_atoms(expr: Value) -> None:
    """Refuse a part with no real, finite value that sympy made itself (the log of a
    comparison that can be 0, say): the numpy code would fail or drop an imaginary part."""
    if isinstance(expr, Fraction):
        return
    for part in sympy.preorder_traversal(expr):
        if part in (sympy.zoo, sympy.oo, -sympy.oo):
            raise constants.constant_error("1/0", constants.INFINITE)
        if part is sympy.nan:
            raise constants.constant_error("nan", "is undefined (0/0 or the like)")
        if part is sympy.I:
            raise constants.constant_error("sqrt(-1)", constants.NOT_REAL)
        if isinstance(part, sympy.Float) and not math.isfinite(float(part)):
            raise constants.constant_error(str(part), constants.OUT_OF_RANGE)
        if isinstance(part, sympy.Rational) and abs(part) > constants.FLOAT_MAX:
            # sympy's own exact work, as in (3*a)**1000 = 3**1000 * a**1000.
            value = Fraction(int(part.p), int(part.q))
            raise constants.constant_error(constants.scientific(value), constants.OUT_OF_RANGE)


_CANONICAL = functools.cmp_to_key(sympy.Basic.compare)


def extreme(kind: type[sympy.Min] | type[sympy.Max], args: list[Value]) -> Value:
    """``Min`` or ``Max`` of ``args`` without sympy's search for redundant arguments.

    That search compares every pair of arguments symbolically (the bulk of reading a large
    tree); the value is the same with the redundant arguments kept. Constants are folded into
    one, nested calls of the same kind flattened and repeated arguments dropped.
    """
    pick = min if kind is sympy.Min else max
    numbers = [arg for arg in args if isinstance(arg, Fraction)]
    symbolic: dict[sympy.Basic, None] = {}
    for arg in args:
        if isinstance(arg, Fraction):
            continue
        for part in arg.args if isinstance(arg, kind) else (arg,):
            if isinstance(part, sympy.Rational):
                numbers.append(Fraction(int(part.p), int(part.q)))
            elif isinstance(part, sympy.Float):
                numbers.append(Fraction(float(part)))
            else:
                symbolic[part] = None
    if not symbolic:
        return pick(numbers)
    if numbers:
        symbolic[constants.to_sympy(pick(numbers))] = None
    if len(symbolic) == 1:
        return next(iter(symbolic))
    # What Min(*args, evaluate=False) builds, in sympy's canonical argument order, minus its
    # slower ordering by node count (a fifth of the time of reading a large tree).
    ordered = sorted(symbolic, key=_CANONICAL)
    built = sympy.Expr.__new__(kind, *ordered)
    built._argset = frozenset(ordered)
    return built
