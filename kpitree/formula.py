"""The formula language: a whitelist parser from text to sympy expressions.

A formula in a tree file is data. It is tokenised and parsed here by a small recursive-descent
parser that knows only numbers, node names, arithmetic, comparisons, the words ``t``, ``month``
and ``pi``, and the functions of the table in :mod:`kpitree.functions`; nothing from the file
reaches ``eval``, ``exec``, ``sympify`` or attribute access.

Grammar (lowest precedence first)::

    formula    := comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | power
    power      := atom (("**" | "^") unary)?        # right-associative, -x**2 == -(x**2)
    atom       := NUMBER | NAME | NAME "(" formula ("," formula)* ("," table)? ")"
                | "(" formula ")"
    table      := "[" point ("," point)* "]"          # lookup(x, [[0, 0], [3, 0.5]])
    point      := "[" sum "," sum "]"                  # constant numbers

Constant parts are computed by :mod:`kpitree.constants` before sympy sees them, and sympy
objects are built by :mod:`kpitree.formula_build`; sums and products are built once from all
their operands, so parsing takes time linear in the formula's length (``MAX_LENGTH`` and
``MAX_OPERANDS`` bound it).

``prev(x)``, ``delay(x, k[, default])`` and ``lagged(x, [w0, w1, ...])`` read node ``x`` in
earlier periods. Each read of a whole number of periods back becomes a :class:`Lag` symbol, so
a formula stays a plain expression of the current period and the engine decides how to feed
it; a fractional or variable delay is a weighted sum of such reads (see
:mod:`kpitree.functions`).
"""

from __future__ import annotations

import itertools
import math
import operator
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sympy

from kpitree import constants
from kpitree.cohort import Curve
from kpitree.errors import FormulaError, KpiTreeError, did_you_mean
from kpitree.excerpt import excerpt
from kpitree.formula_build import Value, as_number, check_atoms, to_sympy
from kpitree.functions import (
    FUNCTION_TABLE,
    FUNCTIONS_BY_NAME,
    RESERVED,
    Ages,
    Bounds,
    Function,
    PastReads,
    lookup_expression,
)
from kpitree.timeaxis import TimeAxis

TIME = sympy.Symbol("t", integer=True, positive=True)
"""The period number 1..periods in a timed tree."""

MAX_DEPTH = 100
"""Deepest nesting of parentheses, calls, signs and powers a formula may have: the parser and
sympy recurse once per level, and Python's stack is finite."""

MAX_LENGTH = 100_000
"""Longest formula, in characters."""

MAX_OPERANDS = 10_000
"""Most numbers and node names one formula may have (a sum of 10,000 inputs)."""

MAX_EXPONENT = 1_000
"""Largest constant exponent on a base that is not constant."""

_LARGEST_EXPONENT = 400
"""A number may be written with up to 400 digits or an exponent up to ±400 before it is refused
unread; within that, it must still be at most a float's 1.8e308."""

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:[0-9]|\.[0-9])[0-9_.]*(?:[eE][+-]?[0-9_]*)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|<=|>=|==|!=|[-+*/^(),<>\[\]])
    """,
    re.VERBOSE,
)
_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_NUMBER = re.compile(rf"(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?[0-9]+)?")
"""A number as a person means it: ASCII digits, single underscores between digits."""

_COMPARISONS: dict[str, Callable[[sympy.Expr, sympy.Expr], sympy.Basic]] = {
    "<": sympy.Lt,
    "<=": sympy.Le,
    ">": sympy.Gt,
    ">=": sympy.Ge,
    "==": sympy.Eq,
    "!=": sympy.Ne,
}
_CONSTANT_COMPARISONS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

FUNCTIONS: dict[str, str] = {function.name: function.usage for function in FUNCTION_TABLE}
"""Function name -> how to call it (the rows themselves are in :mod:`kpitree.functions`)."""

MAX_TABLE_POINTS = 1_000
"""Most points in a lookup() table."""


def month_of_period(time: TimeAxis | None) -> sympy.Expr | None:
    """The month of year (1-12) of period ``t`` on ``time``: the period's own month on a
    monthly axis, its first month on a quarterly one; ``None`` on any other axis or one with
    no start (``month`` in a formula is then refused)."""
    if time is None or time.start is None or time.unit not in ("month", "quarter"):
        return None
    first = int(time.labels[0][5:7]) if time.unit == "month" else 3 * int(time.labels[0][-1]) - 2
    if time.unit == "month":
        return sympy.Mod(TIME + (first - 2), 12) + 1
    return 3 * sympy.Mod(TIME + (first - 1) // 3 - 1, 4) + 1


def node_symbol(name: str) -> sympy.Symbol:
    """The sympy symbol that stands for node ``name`` in the current period."""
    return sympy.Symbol(name, real=True)


@dataclass(frozen=True)
class Lag:
    """A read of ``node`` ``periods`` periods back.

    ``default`` is the value before period 1: ``None`` means the node's ``initial`` (prev),
    a number is delay's default.
    """

    node: str
    periods: int
    default: float | None

    @property
    def symbol(self) -> sympy.Symbol:
        """A symbol unique to this read; its name cannot clash with a node name."""
        if self.default is None:
            return sympy.Symbol(f"prev({self.node})", real=True)
        return sympy.Symbol(f"delay({self.node},{self.periods},{self.default!r})", real=True)


@dataclass(frozen=True)
class Formula:
    """A parsed formula: the expression and what it reads."""

    text: str
    expr: sympy.Expr
    names: frozenset[str]
    """Nodes read in the same period."""
    lags: tuple[Lag, ...]
    """Nodes read in earlier periods."""
    uses_time: bool


def parse_formula(
    text: str,
    month: sympy.Expr | None = None,
    bounds: Bounds | None = None,
    periods: int | None = None,
    ages: Ages | None = None,
) -> Formula:
    """Parse ``text`` into a :class:`Formula`.

    ``month`` is the month of year (1-12) as an expression of the period number ``t`` (see
    :func:`month_of_period`); without it a formula that reads ``month`` is refused.
    ``bounds`` gives a node's ``(low, high)`` bounds (or ``None``): ``delay(x, k)`` with a node
    ``k`` reads as far back as k's upper bound allows, and is refused without bounds.
    ``periods`` is the number of periods on the time axis: a cohort sums over that many ages.
    ``ages`` gives a node's curve by age (or ``None``): such a node is read only as cohort()'s
    curve or lagged()'s weights, as its scale times each age's value.

    Constant parts are computed here (see :mod:`kpitree.constants`), so sympy never folds
    a constant exactly; sums, products and min/max are built once from all their operands, so
    parsing takes time linear in the formula's length.

    Raises
    ------
    FormulaError
        When the text is not a formula of the language, is longer than ``MAX_LENGTH``
        characters or has more than ``MAX_OPERANDS`` numbers and names, or a constant part
        has no finite real value; the message gives the column where it can.
    """
    parser = _Parser(text, month, bounds, periods, ages)
    try:
        expr = to_sympy(as_number(parser.parse()))
        check_atoms(expr)
    except KpiTreeError:
        raise
    except (TypeError, ValueError, ArithmeticError, RecursionError) as error:
        # sympy raises these on parts it cannot decide; the user gets our error, no traceback.
        raise FormulaError(
            "the formula cannot be computed as written: a part of it is infinite or not a real "
            f"number for some values (sympy: {excerpt(str(error), 80)})"
        ) from None
    lags = tuple(sorted(parser.lags.values(), key=lambda lag: lag.symbol.name))
    return Formula(text, expr, frozenset(parser.names), lags, parser.uses_time)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    """0-based offset of the first character."""

    @property
    def column(self) -> int:
        return self.start + 1

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def _tokenize(text: str) -> list[_Token]:
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is {len(text):,} characters long, more than {MAX_LENGTH:,}: split it "
            "into nodes of their own"
        )
    tokens = []
    operands = 0
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _unexpected(text[position], position)
        kind = match.lastgroup or ""
        if kind == "number" and not _NUMBER.fullmatch(match.group()):
            raise FormulaError(
                f"the number '{excerpt(match.group(), 20)}' at column {position + 1} is not "
                "written as a number: digits 0-9, grouped by single underscores between digits "
                "(1_000), with an optional exponent (2.5e6)"
            )
        if kind in ("number", "name"):
            operands += 1
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    if operands > MAX_OPERANDS:
        raise FormulaError(
            f"the formula has {operands:,} numbers and names, more than {MAX_OPERANDS:,}: split "
            "it into nodes of their own"
        )
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _unexpected(character: str, position: int) -> FormulaError:
    shown = character if character.isprintable() else f"U+{ord(character):04X}"
    if unicodedata.numeric(character, None) is not None:
        return FormulaError(
            f"the character '{shown}' at column {position + 1} is not an ASCII digit: write "
            "numbers with the digits 0-9"
        )
    return FormulaError(f"unexpected character '{shown}' at column {position + 1}")


def _shown(value: Fraction) -> str:
    if value.denominator == 1 and value >= 0:
        return excerpt(str(value.numerator), 20)
    if value.denominator == 1:
        return f"({excerpt(str(value.numerator), 20)})"
    return f"({float(value):.6g})"


class _Parser:
    def __init__(
        self,
        text: str,
        month: sympy.Expr | None = None,
        bounds: Bounds | None = None,
        periods: int | None = None,
        ages: Ages | None = None,
    ) -> None:
        self.month = month
        self.periods = periods
        self.bounds = bounds or (lambda name: None)
        self.ages: Ages = ages or (lambda name: None)
        if not text.strip():
            raise FormulaError("the formula is empty")
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.names: set[str] = set()
        self.lags: dict[sympy.Symbol, Lag] = {}
        self.uses_time = False
        self.depth = 0

    # -- token helpers -----------------------------------------------------------------------
    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.current
        return token.kind == "op" and token.text in texts

    def expect(self, text: str) -> None:
        if not self.at(text):
            raise self.error(f"expected '{text}'")
        self.take()

    def nest(self) -> None:
        """Enter one more level of nesting; refuse a formula nested deeper than MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the formula nests more than {MAX_DEPTH} levels deep")

    def error(self, what: str) -> FormulaError:
        token = self.current
        found = "the end of the formula" if token.kind == "end" else f"'{excerpt(token.text, 20)}'"
        return FormulaError(f"{what} at column {token.column}, found {found}")

    def since(self, start: int) -> str:
        """The source text from offset ``start`` to the last token taken."""
        return self.text[start : self.tokens[self.index - 1].end]

    # -- grammar -----------------------------------------------------------------------------
    def parse(self) -> Value:
        value = self.comparison()
        if self.current.kind != "end":
            raise self.error("expected an operator or the end of the formula")
        return value

    def comparison(self) -> Value:
        self.nest()
        left = self.sum()
        if self.current.kind == "op" and self.current.text in _COMPARISONS:
            symbol = self.take().text
            right = self.sum()
            if self.current.kind == "op" and self.current.text in _COMPARISONS:
                raise self.error(
                    "comparisons do not chain (a < b < c): write if(a < b, b < c, 0) or "
                    "(a < b) * (b < c)"
                )
            left, right = as_number(left), as_number(right)
            if isinstance(left, Fraction) and isinstance(right, Fraction):
                left = Fraction(int(_CONSTANT_COMPARISONS[symbol](left, right)))
            else:
                # sympy decides a comparison when it can, and fails on an infinite part.
                check_atoms(left)
                check_atoms(right)
                left = _COMPARISONS[symbol](to_sympy(left), to_sympy(right))
        self.depth -= 1
        return left

    def sum(self) -> Value:
        value = self.product()
        if not self.at("+", "-"):
            return value
        constant = Fraction(0)
        terms: list[sympy.Basic] = []
        negative = False
        while True:
            value = as_number(value)
            if isinstance(value, Fraction):
                constant = constants.settle(constant - value if negative else constant + value)
            else:
                terms.append(-value if negative else value)
            if not self.at("+", "-"):
                break
            negative = self.take().text == "-"
            value = self.product()
        if not terms:
            return constant
        if constant:
            terms.append(constants.to_sympy(constant))
        # One Add of every term: adding them one by one rebuilds the sum each time (quadratic).
        return sympy.Add(*terms)

    def product(self) -> Value:
        value = self.unary()
        if not self.at("*", "/"):
            return value
        constant = Fraction(1)
        factors: list[sympy.Basic] = []
        divide = False
        while True:
            value = as_number(value)
            if isinstance(value, Fraction):
                constant = (
                    constants.divide(constant, value)
                    if divide
                    else constants.settle(constant * value)
                )
            else:
                factors.append(sympy.Pow(value, -1) if divide else value)
            if not self.at("*", "/"):
                break
            divide = self.take().text == "/"
            value = self.unary()
        if not factors:
            return constant
        if constant != 1:
            factors.append(constants.to_sympy(constant))
        return sympy.Mul(*factors)

    def unary(self) -> Value:
        if self.at("+", "-"):
            sign = self.take().text
            self.nest()
            operand = as_number(self.unary())
            self.depth -= 1
            return operand if sign == "+" else -operand
        return self.power()

    def power(self) -> Value:
        base = self.atom()
        if not self.at("**", "^"):
            return base
        operator = self.take()
        self.nest()
        exponent = as_number(self.unary())
        self.depth -= 1
        base = as_number(base)
        if isinstance(exponent, Fraction):
            if isinstance(base, Fraction):
                return constants.power(
                    base, exponent, f"{_shown(base)}**{_shown(exponent)}", operator.column
                )
            if abs(exponent) > MAX_EXPONENT:
                # sympy expands (2*a)**n into 2**n * a**n, exactly: a huge n never finishes.
                raise FormulaError(
                    f"the exponent {_shown(exponent)} at column {operator.column} is too large: "
                    f"a constant power of a node's value is at most {MAX_EXPONENT:,} in size"
                )
        return sympy.Pow(to_sympy(base), to_sympy(exponent))

    def atom(self) -> Value:
        token = self.current
        if token.kind == "number":
            self.take()
            return _number(token)
        if token.kind == "name":
            self.take()
            if self.at("("):
                return self.call(token)
            return self.name(token.text)
        if self.at("("):
            self.take()
            value = self.comparison()
            self.expect(")")
            return value
        raise self.error("expected a number, a node name or '('")

    def name(self, name: str) -> sympy.Expr:
        if name == "t":
            self.uses_time = True
            return TIME
        if name == "pi":
            return constants.settle(Fraction(math.pi))
        if name == "month":
            if self.month is None:
                raise FormulaError(
                    "month needs a monthly or quarterly time axis with a start (time: "
                    "{periods: 12, unit: month, start: 2027-01})"
                )
            self.uses_time = True
            return self.month
        if name in FUNCTIONS:
            raise FormulaError(f"'{name}' is a function: write {FUNCTIONS[name]}")
        if self.ages(name) is not None:
            raise _curve_misused(name)
        self.names.add(name)
        return node_symbol(name)

    def call(self, function: _Token) -> Value:
        name = function.text
        if name not in FUNCTIONS:
            # A 5,000-character name is not worth comparing with the table.
            hint = did_you_mean(name, FUNCTIONS) if len(name) <= 40 else ""
            raise FormulaError(
                f"unknown function '{excerpt(name, 20)}' at column {function.column}{hint} "
                "('kpitree functions' lists them)"
            )
        row = FUNCTIONS_BY_NAME[name]
        if row.curve:
            raise FormulaError(
                f"{name}() at column {function.column} is a retention curve: use it as "
                f"cohort(flow, {row.usage})"
            )
        self.expect("(")
        if row.reads_past:
            return self.time_call(row, function)
        args = [self.comparison()]
        while self.at(","):
            self.take()
            if row.takes_table and len(args) == row.arity[0] - 1:
                return self.table_call(row, function, args)
            args.append(self.comparison())
        self.expect(")")
        row.check_arity(len(args))
        if row.build is None:  # a table function whose table is missing
            raise FormulaError(f"{name}() takes a table: write {row.usage}")
        if not row.conditions:
            args = [as_number(arg) for arg in args]
        return row.build(args, self.since(function.start))

    def table_call(self, row: Function, function: _Token, args: list[Value]) -> Value:
        """The rest of a call whose last argument is a table ``[[x0, y0], [x1, y1], ...]``."""
        if not self.at("["):
            raise self.error(f"{row.name}() takes a table [[x0, y0], [x1, y1], ...] here")
        self.take()
        points: list[tuple[Fraction, Fraction]] = []
        while True:
            points.append(self.table_point(row))
            if len(points) > MAX_TABLE_POINTS:
                raise self.error(f"a {row.name}() table has at most {MAX_TABLE_POINTS:,} points")
            if not self.at(","):
                break
            self.take()
        self.expect("]")
        self.expect(")")
        for (x0, _), (x1, _) in itertools.pairwise(points):
            if x1 <= x0:
                raise FormulaError(
                    f"{row.name}() table at column {function.column}: the x values must "
                    f"increase, found {float(x0):g} then {float(x1):g}"
                )
        return lookup_expression(as_number(args[0]), points)

    def table_point(self, row: Function) -> tuple[Fraction, Fraction]:
        if not self.at("["):
            raise self.error(f"{row.name}() table: expected a point [x, y]")
        self.take()
        pair = []
        for index in range(2):
            value = as_number(self.sum())
            if not isinstance(value, Fraction):
                raise self.error(f"{row.name}() table: a point holds two constant numbers")
            pair.append(value)
            if index == 0:
                self.expect(",")
        self.expect("]")
        return pair[0], pair[1]

    def time_call(self, row: Function, function: _Token) -> Value:
        """A call that reads node ``target`` in earlier periods: the row builds it from reads."""
        target = self.current
        if target.kind != "name" or target.text in RESERVED:
            raise self.error(f"{function.text}() takes a node name as its first argument")
        if self.ages(target.text) is not None:
            raise _curve_misused(target.text)
        self.take()
        if not self.at(")", ","):
            raise self.error(
                f"{function.text}() reads one node, not an expression (give the expression a node"
                " of its own)"
            )
        args: list[Value | tuple[Value, ...]] = []
        while self.at(","):
            self.take()
            args.append(self.past_argument(row))
        self.expect(")")
        row.check_arity(len(args) + 1)
        if row.read_past is None:  # a bug in the table, not bad input
            raise ValueError(f"row '{row.name}' reads earlier periods but has no read_past")
        reads = PastReads(self.read, self.bounds, self.periods)
        return row.read_past(target.text, args, reads, self.since(function.start))

    def past_argument(self, row: Function) -> Value | tuple[Value, ...] | Curve:
        """An argument of a function that reads earlier periods: a list, a curve or a number."""
        if self.at("["):
            return self.list_items(row)
        token = self.current
        following = self.tokens[self.index + 1]
        ages = self.ages(token.text) if token.kind == "name" else None
        if ages is not None and following.text in (",", ")") and row.by_age:
            self.take()
            self.names.add(token.text)
            scale = node_symbol(token.text)
            return tuple(scale * constants.to_sympy(Fraction(value)) for value in ages)
        curve = FUNCTIONS_BY_NAME.get(token.text) if token.kind == "name" else None
        if curve is None or not curve.curve or following.text != "(":
            return as_number(self.comparison())
        self.take()
        self.take()
        args = [as_number(self.comparison())]
        while self.at(","):
            self.take()
            args.append(as_number(self.comparison()))
        self.expect(")")
        curve.check_arity(len(args))
        return Curve(curve.name, tuple(args))

    def list_items(self, row: Function) -> tuple[Value, ...]:
        """A list ``[a, b, ...]`` of numbers or expressions."""
        self.take()
        items = [as_number(self.comparison())]
        while self.at(","):
            self.take()
            items.append(as_number(self.comparison()))
            if len(items) > MAX_TABLE_POINTS:
                raise self.error(f"a {row.name}() list has at most {MAX_TABLE_POINTS:,} items")
        self.expect("]")
        return tuple(items)

    def read(self, node: str, periods: int, default: float | None) -> sympy.Expr:
        """Node ``node`` ``periods`` periods back (this period when 0)."""
        if periods == 0:
            self.names.add(node)
            return node_symbol(node)
        return self.lag(Lag(node, periods, default))

    def lag(self, lag: Lag) -> sympy.Expr:
        self.lags[lag.symbol] = lag
        return lag.symbol


def _curve_misused(name: str) -> FormulaError:
    return FormulaError(
        f"node '{name}' is a curve by age ({{ages: [...]}}): it is read only as the curve of "
        f"cohort(flow, {name}) or the weights of lagged(node, {name})"
    )


def _number(token: _Token) -> Fraction:
    clean = token.text.replace("_", "")
    mantissa, _, exponent = clean.lower().partition("e")
    digits = len(mantissa.lstrip("0").replace(".", ""))
    exponent_digits = exponent.lstrip("+-").lstrip("0")
    if (
        len(exponent_digits) > 4
        or (exponent_digits and int(exponent_digits) > _LARGEST_EXPONENT)
        or digits > _LARGEST_EXPONENT
    ):
        raise FormulaError(
            f"the number {excerpt(token.text, 20)} is out of range (more than "
            f"{_LARGEST_EXPONENT} digits or an exponent beyond ±{_LARGEST_EXPONENT})"
        )
    value = Fraction(clean)
    if value > constants.FLOAT_MAX:
        raise FormulaError(
            f"the number {excerpt(token.text, 20)} at column {token.column} "
            f"{constants.OUT_OF_RANGE}"
        )
    return constants.settle(value)
