"""The table of formula functions: one row per function.

A row says how a function is called (its name and arity), how it builds its sympy expression
from the parsed arguments, whether it reads earlier periods, and the help text that
``kpitree functions`` prints. The parser (:mod:`kpitree.formula`) knows functions only through
this table; adding a function of the current period's values (``sin``) is one row here.

A function that reads earlier periods (``prev``, ``delay``) has ``reads_past`` set: the parser
turns each such read into a :class:`kpitree.formula.Lag` symbol and the engine feeds it, so
such a function is one row plus the engine's handling of its lag.

Names that are not functions but words of the language (``t``, ``month``, ``pi``) are listed
in :data:`WORDS`, so a node cannot take them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from kpitree import constants
from kpitree.errors import FormulaError
from kpitree.formula_build import (
    Value,
    as_condition,
    as_number,
    extreme,
    to_sympy,
)

Builder = Callable[[Sequence[Value], str], Value]
"""Builds a call's value from its arguments (numbers, never conditions, unless the row says
otherwise) and the call as written (for messages)."""


@dataclass(frozen=True)
class Function:
    """One formula function."""

    name: str
    usage: str
    """How to call it, as shown in messages: ``clip(x, low, high)``."""
    help: str
    """One sentence on what it gives."""
    example: str
    """A formula that uses it, as a tree file would."""
    arity: tuple[int, int | None]
    """Fewest and most arguments (``None``: any number)."""
    build: Builder | None = None
    """``None`` for a function the parser reads itself (a lag or a table)."""
    reads_past: bool = False
    """True when it reads a node in earlier periods (becomes a lag symbol)."""
    takes_table: bool = False
    """True when its last argument is a table of constant ``[x, y]`` pairs."""
    conditions: bool = False
    """True when its arguments may be conditions (``if``); otherwise each is a number."""

    def check_arity(self, count: int) -> None:
        """Refuse a call with the wrong number of arguments.

        Raises
        ------
        FormulaError
            Saying how many arguments the function takes and how to call it.
        """
        low, high = self.arity
        if low <= count and (high is None or count <= high):
            return
        if high is None:
            wanted = f"at least {low}"
        elif low == high:
            wanted = str(low)
        else:
            wanted = f"{low} to {high}"
        plural = "s" * (wanted != "1")
        raise FormulaError(
            f"{self.name}() takes {wanted} argument{plural}, found {count} (write {self.usage})"
        )


def _single(name: str, make: Callable[[sympy.Basic], sympy.Basic]) -> Builder:
    def build(args: Sequence[Value], shown: str) -> Value:
        (value,) = args
        if isinstance(value, Fraction):
            return constants.function(name, value, shown)
        return make(value)

    return build


def _if(args: Sequence[Value], shown: str) -> Value:
    condition, then, otherwise = args
    if isinstance(condition, Fraction):
        return as_number(then if condition != 0 else otherwise)
    return sympy.Piecewise(
        (to_sympy(as_number(then)), as_condition(condition)),
        (to_sympy(as_number(otherwise)), True),
    )


def _clip(args: Sequence[Value], shown: str) -> Value:
    value, low, high = args
    return extreme(sympy.Min, [extreme(sympy.Max, [value, low]), high])


def lookup_expression(value: Value, points: Sequence[tuple[Fraction, Fraction]]) -> Value:
    """The piecewise-linear function through ``points`` (x increasing), flat beyond the ends.

    Parameters
    ----------
    value : Fraction or sympy.Expr
        Where the table is read.
    points : sequence of (x, y)
        At least one point, x strictly increasing (checked by the parser).

    Returns
    -------
    Fraction or sympy.Expr
        A constant when ``value`` is one, else a ``Piecewise`` whose derivative is the slope
        of the segment ``value`` falls in (zero beyond the ends).
    """
    if isinstance(value, Fraction):
        return _lookup_constant(value, points)
    first_x, first_y = points[0]
    pieces = [(constants.to_sympy(first_y), value <= constants.to_sympy(first_x))]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        slope = constants.divide(y1 - y0, x1 - x0)
        segment = constants.to_sympy(y0) + constants.to_sympy(slope) * (
            value - constants.to_sympy(x0)
        )
        pieces.append((segment, value <= constants.to_sympy(x1)))
    pieces.append((constants.to_sympy(points[-1][1]), True))
    return sympy.Piecewise(*pieces)


def _lookup_constant(value: Fraction, points: Sequence[tuple[Fraction, Fraction]]) -> Fraction:
    if value <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if value <= x1:
            return constants.settle(y0 + (y1 - y0) * (value - x0) / (x1 - x0))
    return points[-1][1]


FUNCTION_TABLE: tuple[Function, ...] = (
    Function(
        "min",
        "min(a, b, ...)",
        "the smallest argument",
        "min(leads * cvr, capacity)",
        (1, None),
        lambda args, shown: extreme(sympy.Min, list(args)),
    ),
    Function(
        "max",
        "max(a, b, ...)",
        "the largest argument",
        "max(mrr - churned, 0)",
        (1, None),
        lambda args, shown: extreme(sympy.Max, list(args)),
    ),
    Function(
        "abs",
        "abs(x)",
        "the absolute value",
        "abs(plan - actual)",
        (1, 1),
        _single("abs", sympy.Abs),
    ),
    Function(
        "exp", "exp(x)", "e to the power x", "exp(-churn * t)", (1, 1), _single("exp", sympy.exp)
    ),
    Function(
        "log",
        "log(x)",
        "the natural logarithm",
        "log(1 + growth)",
        (1, 1),
        _single("log", sympy.log),
    ),
    Function(
        "sqrt", "sqrt(x)", "the square root", "sqrt(reach)", (1, 1), _single("sqrt", sympy.sqrt)
    ),
    Function(
        "floor",
        "floor(x)",
        "x rounded down",
        "floor(budget / rep_cost)",
        (1, 1),
        _single("floor", sympy.floor),
    ),
    Function(
        "ceil",
        "ceil(x)",
        "x rounded up",
        "ceil(pipeline / capacity)",
        (1, 1),
        _single("ceil", sympy.ceiling),
    ),
    Function(
        "sin",
        "sin(x)",
        "the sine of x (radians)",
        "1 + 0.1 * sin(2 * pi * month / 12)",
        (1, 1),
        _single("sin", sympy.sin),
    ),
    Function(
        "cos",
        "cos(x)",
        "the cosine of x (radians)",
        "1 + 0.1 * cos(2 * pi * (month - 1) / 12)",
        (1, 1),
        _single("cos", sympy.cos),
    ),
    Function(
        "clip",
        "clip(x, low, high)",
        "x held within [low, high]",
        "clip(win_rate * uplift, 0, 1)",
        (3, 3),
        _clip,
    ),
    Function(
        "if",
        "if(condition, then, else)",
        "then where the condition holds (or is not 0), else otherwise",
        "if(opp_rate >= 0.15, bonus, 0)",
        (3, 3),
        _if,
        conditions=True,
    ),
    Function(
        "lookup",
        "lookup(x, [[x0, y0], [x1, y1], ...])",
        "the table's y at x, linear between its points and flat beyond its ends",
        "lookup(tenure, [[0, 0], [3, 0.5], [6, 1]]) * quota",
        (2, 2),
        takes_table=True,
    ),
    Function(
        "prev",
        "prev(node)",
        "the node in the previous period, its 'initial' before period 1 (timed trees)",
        "prev(mrr) + new_mrr - churned_mrr",
        (1, 1),
        reads_past=True,
    ),
    Function(
        "delay",
        "delay(node, k[, default])",
        "the node k whole periods earlier, default (0) before period 1 (timed trees)",
        "delay(sql, 2) * win_rate",
        (2, 3),
        reads_past=True,
    ),
)
"""Every formula function, in the order ``kpitree functions`` lists them."""

FUNCTIONS_BY_NAME: dict[str, Function] = {function.name: function for function in FUNCTION_TABLE}
"""Name -> row."""

WORDS: dict[str, str] = {
    "t": "the period number 1, 2, ... (timed trees)",
    "month": "the month of year 1-12 of the period (monthly or quarterly axis with a start)",
    "pi": f"the constant pi = {math.pi!r}",
}
"""Names the formula language gives a meaning of its own; no node may take them."""

RESERVED: frozenset[str] = frozenset(FUNCTIONS_BY_NAME) | frozenset(WORDS)
"""Every name a node may not have."""
