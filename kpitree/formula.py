"""The formula language: a whitelist parser from text to sympy expressions.

A formula in a tree file is data. It is tokenised and parsed here by a small recursive-descent
parser that knows only numbers, node names, arithmetic, comparisons and the functions listed in
``FUNCTIONS``; nothing from the file reaches ``eval``, ``exec``, ``sympify`` or attribute access.

Grammar (lowest precedence first)::

    formula    := comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("+" | "-") unary | power
    power      := atom (("**" | "^") unary)?        # right-associative, -x**2 == -(x**2)
    atom       := NUMBER | NAME | NAME "(" formula ("," formula)* ")" | "(" formula ")"

``prev(x)`` and ``delay(x, k[, default])`` read node ``x`` in an earlier period. Each such read
becomes a :class:`Lag` symbol, so a formula stays a plain expression of the current period and
the engine decides how to feed it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy

from kpitree.errors import FormulaError

TIME = sympy.Symbol("t", integer=True, positive=True)
"""The period number 1..periods in a timed tree."""

MAX_DEPTH = 100
"""Deepest nesting of parentheses, calls, signs and powers a formula may have: the parser and
sympy recurse once per level, and Python's stack is finite."""

_LARGEST_EXPONENT = 400
"""A constant may be written up to 1e400 (and computed up to 10 ** 400) before it is refused:
beyond a float's range (1.8e308) it cannot be evaluated, and sympy would compute 10 ** 10 ** 10
exactly, digit by digit, for ever."""

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|<=|>=|==|!=|[-+*/^(),<>])
    """,
    re.VERBOSE,
)

_COMPARISONS: dict[str, Callable[[sympy.Expr, sympy.Expr], sympy.Basic]] = {
    "<": sympy.Lt,
    "<=": sympy.Le,
    ">": sympy.Gt,
    ">=": sympy.Ge,
    "==": sympy.Eq,
    "!=": sympy.Ne,
}

FUNCTIONS: dict[str, str] = {
    "min": "min(a, b, ...): the smallest argument",
    "max": "max(a, b, ...): the largest argument",
    "abs": "abs(x)",
    "exp": "exp(x)",
    "log": "log(x): natural logarithm",
    "sqrt": "sqrt(x)",
    "floor": "floor(x)",
    "ceil": "ceil(x)",
    "clip": "clip(x, low, high)",
    "if": "if(condition, then, else)",
    "prev": "prev(node): the node in the previous period (timed trees)",
    "delay": "delay(node, k[, default]): the node k periods earlier (timed trees)",
}


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


def parse_formula(text: str) -> Formula:
    """Parse ``text`` into a :class:`Formula`.

    Raises
    ------
    FormulaError
        When the text is not a formula of the language; the message gives the column.
    """
    parser = _Parser(text)
    expr = _as_number(parser.parse())
    _check_constants(expr)
    lags = tuple(sorted(parser.lags.values(), key=lambda lag: lag.symbol.name))
    return Formula(text, expr, frozenset(parser.names), lags, parser.uses_time)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            character = text[position]
            shown = character if character.isprintable() else f"U+{ord(character):04X}"
            raise FormulaError(f"unexpected character '{shown}' at column {position + 1}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _is_condition(value: sympy.Basic) -> bool:
    # A sympy Symbol is also a Boolean, so "not an Expr" is what marks a condition.
    return isinstance(value, sympy.logic.boolalg.Boolean) and not isinstance(value, sympy.Expr)


def _as_number(value: sympy.Basic) -> sympy.Expr:
    """A comparison used as a number is 1 when true and 0 when false."""
    if _is_condition(value):
        return sympy.Piecewise((sympy.Integer(1), value), (sympy.Integer(0), True))
    return value


def _as_condition(value: sympy.Basic) -> sympy.Basic:
    """A number used as a condition is true when it is not zero."""
    if _is_condition(value):
        return value
    return sympy.Ne(value, 0)


class _Parser:
    def __init__(self, text: str) -> None:
        if not text.strip():
            raise FormulaError("the formula is empty")
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
        found = "the end of the formula" if token.kind == "end" else f"'{token.text}'"
        return FormulaError(f"{what} at column {token.column}, found {found}")

    # -- grammar -----------------------------------------------------------------------------
    def parse(self) -> sympy.Basic:
        value = self.comparison()
        if self.current.kind != "end":
            raise self.error("expected an operator or the end of the formula")
        return value

    def comparison(self) -> sympy.Basic:
        self.nest()
        left = self.sum()
        if self.current.kind == "op" and self.current.text in _COMPARISONS:
            operator = _COMPARISONS[self.take().text]
            right = self.sum()
            if self.current.kind == "op" and self.current.text in _COMPARISONS:
                raise self.error(
                    "comparisons do not chain (a < b < c): write if(a < b, b < c, 0) or "
                    "(a < b) * (b < c)"
                )
            left = operator(_as_number(left), _as_number(right))
        self.depth -= 1
        return left

    def sum(self) -> sympy.Basic:
        value = self.product()
        while self.at("+", "-"):
            sign = self.take().text
            right = _as_number(self.product())
            value = _as_number(value) + (right if sign == "+" else -right)
        return value

    def product(self) -> sympy.Basic:
        value = self.unary()
        while self.at("*", "/"):
            operator = self.take().text
            right = _as_number(self.unary())
            value = _as_number(value) * (right if operator == "*" else 1 / right)
        return value

    def unary(self) -> sympy.Basic:
        if self.at("+", "-"):
            sign = self.take().text
            self.nest()
            operand = _as_number(self.unary())
            self.depth -= 1
            return operand if sign == "+" else -operand
        return self.power()

    def power(self) -> sympy.Basic:
        base = self.atom()
        if self.at("**", "^"):
            operator = self.take()
            self.nest()
            exponent = _as_number(self.unary())
            self.depth -= 1
            base = _as_number(base)
            if isinstance(base, sympy.Number) and isinstance(exponent, sympy.Number):
                _check_power(base, exponent, operator)
            return base**exponent
        return base

    def atom(self) -> sympy.Basic:
        token = self.current
        if token.kind == "number":
            self.take()
            return _number(token.text)
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
        if name in FUNCTIONS:
            raise FormulaError(f"'{name}' is a function: write {FUNCTIONS[name]}")
        self.names.add(name)
        return node_symbol(name)

    def call(self, function: _Token) -> sympy.Basic:
        name = function.text
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise FormulaError(
                f"unknown function '{name}' at column {function.column} (known: {known})"
            )
        self.expect("(")
        if name in ("prev", "delay"):
            return self.time_call(function)
        args = [self.comparison()]
        while self.at(","):
            self.take()
            args.append(self.comparison())
        self.expect(")")
        return _apply(function, args)

    def time_call(self, function: _Token) -> sympy.Expr:
        target = self.current
        if target.kind != "name" or target.text == "t" or target.text in FUNCTIONS:
            raise self.error(f"{function.text}() takes a node name as its first argument")
        self.take()
        if not self.at(")", ","):
            raise self.error(
                f"{function.text}() reads one node, not an expression (give the expression a node"
                " of its own)"
            )
        if function.text == "prev":
            self.expect(")")
            return self.lag(Lag(target.text, 1, None))
        self.expect(",")
        periods_token = self.current
        if periods_token.kind != "number" or not re.fullmatch(r"[\d_]+", periods_token.text):
            raise self.error("delay() takes a whole number of periods as its second argument")
        self.take()
        periods = int(periods_token.text.replace("_", ""))
        default = 0.0
        if self.at(","):
            self.take()
            value = _as_number(self.sum())
            if not value.is_number:
                raise FormulaError(f"delay() default must be a constant number, found '{value}'")
            _check_constants(value)
            default = float(value)
        self.expect(")")
        if periods == 0:
            self.names.add(target.text)
            return node_symbol(target.text)
        return self.lag(Lag(target.text, periods, default))

    def lag(self, lag: Lag) -> sympy.Expr:
        self.lags[lag.symbol] = lag
        return lag.symbol


def _number(text: str) -> sympy.Expr:
    clean = text.replace("_", "")
    mantissa, _, exponent = clean.lower().partition("e")
    digits = len(mantissa.lstrip("0").replace(".", ""))
    if (exponent and abs(int(exponent)) > _LARGEST_EXPONENT) or digits > _LARGEST_EXPONENT:
        shown = text if len(text) <= 20 else f"{text[:17]}..."
        raise FormulaError(
            f"the number {shown} is out of range (more than {_LARGEST_EXPONENT} digits or an "
            f"exponent beyond ±{_LARGEST_EXPONENT})"
        )
    if re.fullmatch(r"\d+", clean):
        return sympy.Integer(int(mantissa))
    # Rational of the decimal text keeps 0.1 exactly one tenth for symbolic work.
    return sympy.Rational(clean)


def _check_power(base: sympy.Number, exponent: sympy.Number, operator: _Token) -> None:
    """Refuse a constant power too large to compute exactly (sympy would try)."""
    if abs(base) in (0, 1):
        return
    magnitude = abs(float(exponent)) * math.log10(abs(float(base)))
    if magnitude > _LARGEST_EXPONENT:
        raise FormulaError(
            f"the constant {base}**{exponent} at column {operator.column} is out of range "
            f"(about 1e{magnitude:.0f}; at most 1e{_LARGEST_EXPONENT})"
        )


def _check_constants(expr: sympy.Basic) -> None:
    """Refuse a constant part that has no real, finite value (``1/0``, ``log(0)``,
    ``sqrt(-1)``) or that no float can hold: the numpy code would fail or, worse, drop an
    imaginary part and compute a wrong number."""
    for part in sympy.preorder_traversal(expr):
        if not isinstance(part, sympy.Expr) or not part.is_number:
            continue
        if part.has(sympy.zoo, sympy.oo, -sympy.oo):
            problem = "is infinite (a division by zero, or log(0))"
        elif part.has(sympy.nan):
            problem = "is undefined (0/0 or the like)"
        elif part.is_extended_real is False:
            problem = "is not a real number (a root or log of a negative number)"
        elif isinstance(part, sympy.Number) and not math.isfinite(_float(part)):
            problem = "is out of range (at most about 1.8e308, a float's limit)"
        else:
            continue
        raise FormulaError(f"the constant part '{_shown(part)}' {problem}")


def _float(number: sympy.Number) -> float:
    try:
        return float(number)
    except OverflowError:
        return math.inf


def _shown(part: sympy.Basic) -> str:
    text = str(sympy.N(part, 3)) if isinstance(part, sympy.Number) else str(part)
    text = text.replace("zoo", "1/0").replace("I", "sqrt(-1)")
    return text if len(text) <= 40 else text[:37] + "..."


def _apply(function: _Token, args: list[sympy.Basic]) -> sympy.Basic:
    name = function.text
    arity = {"abs": 1, "exp": 1, "log": 1, "sqrt": 1, "floor": 1, "ceil": 1, "clip": 3, "if": 3}
    if name in arity and len(args) != arity[name]:
        raise FormulaError(
            f"{name}() takes {arity[name]} argument{'s' * (arity[name] > 1)}, "
            f"found {len(args)} (write {FUNCTIONS[name]})"
        )
    if name == "if":
        condition, then, otherwise = args
        return sympy.Piecewise(
            (_as_number(then), _as_condition(condition)), (_as_number(otherwise), True)
        )
    numbers = [_as_number(arg) for arg in args]
    if name == "min":
        return sympy.Min(*numbers)
    if name == "max":
        return sympy.Max(*numbers)
    if name == "clip":
        value, low, high = numbers
        return sympy.Min(sympy.Max(value, low), high)
    single = {
        "abs": sympy.Abs,
        "exp": sympy.exp,
        "log": sympy.log,
        "sqrt": sympy.sqrt,
        "floor": sympy.floor,
        "ceil": sympy.ceiling,
    }
    return single[name](numbers[0])
