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
from kpitree.cohort import CURVES, Curve, cohort_of_ratios, cohort_of_weights
from kpitree.errors import FormulaError
from kpitree.excerpt import excerpt
from kpitree.formula_build import (
    Value,
    as_condition,
    as_number,
    extreme,
    to_sympy,
)
from kpitree.timeaxis import MAX_PERIODS

Bounds = Callable[[str], "tuple[float | None, float | None] | None"]
"""A node's ``(low, high)`` bounds by name, ``None`` for no such node."""

Ages = Callable[[str], "tuple[float, ...] | None"]
"""A node's curve by age (``value: {ages: [...]}``) by name, ``None`` for any other node."""

MAX_LOOK_BACK = 1_000
"""Most periods one delay() with a node as its k may read back (terms in its weighted sum)."""


@dataclass(frozen=True)
class PastReads:
    """What a function that reads earlier periods builds its value from."""

    read: Callable[[str, int, float | None], sympy.Expr]
    """``read(node, periods, default)``: the node that many periods back (a lag symbol; the
    node itself for 0); before period 1 ``default``, or the node's ``initial`` for ``None``."""
    bounds: Bounds
    periods: int | None = None
    """The number of periods on the axis (how many ages a cohort has); ``None`` if unknown."""


PastBuilder = Callable[[str, Sequence["Value | tuple[Value, ...]"], PastReads, str], Value]
"""Builds a past-reading call from the node read, the other arguments (a list is a tuple),
the reads, and the call as written."""

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
    read_past: PastBuilder | None = None
    """For a function that reads earlier periods: builds it from whole-period reads."""
    reads_past: bool = False
    """True when it reads a node in earlier periods (becomes a lag symbol)."""
    takes_table: bool = False
    """True when its last argument is a table of constant ``[x, y]`` pairs."""
    curve: bool = False
    """True for a retention curve, read only as cohort()'s curve (see :mod:`kpitree.cohort`)."""
    conditions: bool = False
    """True when its arguments may be conditions (``if``); otherwise each is a number."""
    by_age: bool = False
    """True when its list may be an input given by age (``value: {ages: [...]}``), read as
    that input's scale times each age's value."""

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


def _prev(node: str, args: Sequence[object], reads: PastReads, shown: str) -> Value:
    return reads.read(node, 1, None)


def _delay(node: str, args: Sequence[object], reads: PastReads, shown: str) -> Value:
    periods, default = args[0], args[1] if len(args) > 1 else Fraction(0)
    if not isinstance(default, Fraction):
        raise FormulaError(f"delay() default must be a constant number, found '{default}'")
    if isinstance(periods, Fraction):
        if not 0 <= periods <= MAX_PERIODS:
            raise FormulaError(
                f"{excerpt(shown, 40)}: delay() reads 0 to {MAX_PERIODS:,} periods back, found "
                f"{float(periods):g}"
            )
        return _interpolated(node, periods, float(default), reads, float(periods), float(periods))
    if isinstance(periods, sympy.Symbol) and periods.name != "t":
        low, high = reads.bounds(periods.name) or (None, None)
        if low is None or high is None or low < 0:
            raise FormulaError(
                f"{excerpt(shown, 40)}: a delay of '{periods.name}' periods needs bounds on node "
                f"'{periods.name}' from 0 or more to a finite high end (bounds: [1, 6]): the "
                "high end caps how far back it reads"
            )
        if math.ceil(high) - math.floor(low) + 1 > MAX_LOOK_BACK:
            raise FormulaError(
                f"{excerpt(shown, 40)}: the bounds of '{periods.name}' span more than "
                f"{MAX_LOOK_BACK:,} periods: narrow them"
            )
        return _interpolated(node, periods, float(default), reads, low, high)
    raise FormulaError(
        f"{excerpt(shown, 40)}: delay() takes a number of periods or a node as its second "
        "argument (give the expression a node of its own)"
    )


def _interpolated(
    node: str, periods: Value, default: float, reads: PastReads, low: float, high: float
) -> Value:
    """Node read ``periods`` back, linear between whole periods: sum over j of
    max(0, 1 - |k - j|) x(t - j), with k held within [low, high]."""
    if isinstance(periods, Fraction):
        whole = math.floor(periods)
        part = periods - whole
        value = reads.read(node, whole, default)
        if part == 0:
            return value
        later = reads.read(node, whole + 1, default)
        return constants.to_sympy(1 - part) * value + constants.to_sympy(part) * later
    held = extreme(sympy.Min, [extreme(sympy.Max, [periods, Fraction(low)]), Fraction(high)])
    terms = [
        sympy.Max(0, 1 - sympy.Abs(held - j)) * reads.read(node, j, default)
        for j in range(math.floor(low), math.ceil(high) + 1)
    ]
    return sympy.Add(*terms)


def _cohort(node: str, args: Sequence[object], reads: PastReads, shown: str) -> Value:
    (curve,) = args
    if reads.periods is None:
        raise FormulaError(f"{excerpt(shown, 40)}: cohort() needs a timed tree")
    if isinstance(curve, tuple):
        return cohort_of_weights(node, curve[: reads.periods], reads.read)
    if isinstance(curve, Curve):
        return cohort_of_ratios(node, CURVES[curve.name](curve.args, reads.periods), reads.read)
    raise FormulaError(
        f"{excerpt(shown, 40)}: cohort() takes a curve: a list of retention by age "
        "[1, 0.8, ...], an input given as {ages: [1, 0.8, ...]} or a curve function such as "
        "sbg_survival(alpha, beta)"
    )


def _lagged(node: str, args: Sequence[object], reads: PastReads, shown: str) -> Value:
    (weights,) = args
    if not isinstance(weights, tuple):
        raise FormulaError(
            f"{excerpt(shown, 40)}: lagged() takes a list of weights [w0, w1, ...] or an input "
            "given as {ages: [w0, w1, ...]}"
        )
    terms = [
        to_sympy(weight) * reads.read(node, j, 0.0)
        for j, weight in enumerate(weights)
        if weight != 0
    ]
    return sympy.Add(*terms)


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
        read_past=_prev,
    ),
    Function(
        "delay",
        "delay(node, k[, default])",
        "the node k periods earlier, default (0) before period 1; a fractional k or a node "
        "with bounds (a sales cycle lever) interpolates between whole periods (timed trees)",
        "delay(sql, sales_cycle) * win_rate",
        (2, 3),
        reads_past=True,
        read_past=_delay,
    ),
    Function(
        "cohort",
        "cohort(flow, curve)",
        "the sum over ages a >= 0 of flow a periods earlier times curve(a): what is still "
        "there of every period's intake; curve is a list of retention by age (ages past its "
        "end retain 0), an input given as {ages: [1, 0.62, ...]} (the same, scaled by the input's "
        "value) or a curve function (timed trees)",
        "cohort(new_customers, sbg_survival(alpha, beta))",
        (2, 2),
        reads_past=True,
        read_past=_cohort,
        by_age=True,
    ),
    Function(
        "sbg_survival",
        "sbg_survival(alpha, beta)",
        "the shifted-beta-geometric retention curve B(alpha, beta + a) / B(alpha, beta): "
        "churn that falls with age (inside cohort())",
        "cohort(new_mrr, sbg_survival(0.7, 3.5))",
        (2, 2),
        curve=True,
    ),
    Function(
        "geometric_survival",
        "geometric_survival(churn)",
        "the retention curve (1 - churn)^a of a constant churn per period (inside cohort())",
        "cohort(new_customers, geometric_survival(churn))",
        (1, 1),
        curve=True,
    ),
    Function(
        "lagged",
        "lagged(node, [w0, w1, ...])",
        "w0 times the node this period plus w1 times it a period earlier and so on: a "
        "distributed lag, 0 before period 1; the weights may be an input given as "
        "{ages: [w0, w1, ...]} (timed trees)",
        "lagged(sql, [0.2, 0.5, 0.3]) * win_rate",
        (2, 2),
        reads_past=True,
        read_past=_lagged,
        by_age=True,
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
