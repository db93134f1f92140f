"""Translating a node's sympy expression into the text of an Excel formula.

The translator walks the expression tree and writes each construct as its spreadsheet
equivalent: ``+ - * / ^``, ``MIN``/``MAX``, ``IF`` for ``if()`` and comparisons, ``ABS``,
``EXP``, ``LN``, ``SQRT``, ``INT`` for floor and ``-INT(-x)`` for ceiling. Symbols (a node this
period, a read of an earlier period, the period number ``t``) become whatever text the caller's
``reference`` function gives: a cell address, or a number for a delay that reaches before
period 1. Anything else is refused with an error naming the node, never written as a cell that
would compute something else.

Excel's unary minus binds tighter than ``^`` (``-2^2`` is 4), so a negated power is always
parenthesised; otherwise parentheses appear only where precedence needs them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import sympy

from kpitree.cohort import NestedCohort
from kpitree.errors import FormulaError

Reference = Callable[[sympy.Symbol], str]
"""Maps a symbol of the expression to the text that stands for it in the cell."""

# Precedence of what a piece of text is, so the parent knows whether to parenthesise it.
_COMPARE, _SUM, _PRODUCT, _POWER, _ATOM = range(5)

_EXACT_INTEGER = 2**53
"""Integers up to this size are exact in a double; bigger ones are written as floats."""

_SLOT = re.compile("\x00([0-9]+)\x00")
"""Where a symbol's text goes in a formula template."""

MAX_FORMULA_LENGTH = 8192
"""Excel's longest formula, in characters."""
MAX_FUNCTION_DEPTH = 64
"""Excel's deepest nesting of functions."""

_COMPARISONS = {
    sympy.StrictLessThan: "<",
    sympy.LessThan: "<=",
    sympy.StrictGreaterThan: ">",
    sympy.GreaterThan: ">=",
    sympy.Equality: "=",
    sympy.Unequality: "<>",
}

_FUNCTIONS = {
    sympy.Abs: "ABS",
    sympy.exp: "EXP",
    sympy.floor: "INT",
    sympy.Mod: "MOD",
    sympy.sin: "SIN",
    sympy.cos: "COS",
}


def excel_formula(expr: sympy.Basic, reference: Reference, node: str) -> str:
    """The Excel formula (with its leading ``=``) that computes ``expr``.

    Parameters
    ----------
    expr : sympy.Basic
        A node's formula, as parsed by :mod:`kpitree.formula`.
    reference : callable
        Symbol -> the text standing for it: ``"H7"``, ``"'Tree'!H7"``, ``"25.0"``.
    node : str
        The node's name, for the error message.

    Returns
    -------
    str
        ``"=H7*H12"`` and the like.

    Raises
    ------
    FormulaError
        When the expression holds a construct with no spreadsheet equivalent here, or the
        formula is longer or nests deeper than Excel allows.
    """
    return FormulaTemplate(expr, node).fill(reference)


class FormulaTemplate:
    """A node's formula translated once, its symbols left as slots to fill per cell.

    A timed tree has one formula per period that differs only in the cells it reads, so the
    expression is walked once and each period only fills in its references.

    Parameters
    ----------
    expr : sympy.Basic
        A node's formula.
    node : str
        The node's name, for error messages.

    Raises
    ------
    FormulaError
        When the expression holds a construct with no spreadsheet equivalent here, or nests
        functions deeper than Excel allows.
    """

    def __init__(self, expr: sympy.Basic, node: str) -> None:
        self.node = node
        self.symbols: list[sympy.Symbol] = []
        slots: dict[sympy.Symbol, str] = {}

        def slot(symbol: sympy.Symbol) -> str:
            if symbol not in slots:
                slots[symbol] = f"\x00{len(self.symbols)}\x00"
                self.symbols.append(symbol)
            return slots[symbol]

        self.text = "=" + _Translator(slot, node).text(expr)
        self._parts = _SLOT.split(self.text)
        depth = _function_depth(self.text)
        if depth > MAX_FUNCTION_DEPTH:
            raise FormulaError(
                f"node '{node}': as a spreadsheet formula it nests {depth} functions deep, "
                f"and Excel takes at most {MAX_FUNCTION_DEPTH}: split it into nodes"
            )

    def fill(self, reference: Reference) -> str:
        """The formula with each symbol replaced by ``reference(symbol)``.

        Raises
        ------
        FormulaError
            When the result is longer than Excel allows.
        """
        texts = [reference(symbol) for symbol in self.symbols]
        parts = self._parts
        formula = "".join(
            part if index % 2 == 0 else texts[int(part)] for index, part in enumerate(parts)
        )
        if len(formula) > MAX_FORMULA_LENGTH:
            raise FormulaError(
                f"node '{self.node}': as a spreadsheet formula it is {len(formula):,} characters "
                f"long, and Excel takes at most {MAX_FORMULA_LENGTH:,}: split it into nodes"
            )
        return formula


def _function_depth(text: str) -> int:
    """How deep function calls nest in formula ``text`` (parentheses of grouping excluded)."""
    stack: list[bool] = []
    calls = deepest = 0
    for index, character in enumerate(text):
        if character == "(":
            is_call = index > 0 and (text[index - 1].isalpha() or text[index - 1] == ".")
            stack.append(is_call)
            calls += is_call
            deepest = max(deepest, calls)
        elif character == ")" and stack:
            calls -= stack.pop()
    return deepest


def excel_number(value: float | int | sympy.Number) -> str:
    """A number as formula text with nothing lost: integers as digits, fractions of small
    integers as a division (as exact as numpy's), other numbers by their shortest repr."""
    if isinstance(value, int | sympy.Integer):
        whole = int(value)
        if abs(whole) <= _EXACT_INTEGER:
            return _signed(str(whole))
        return _float_text(float(whole))
    if isinstance(value, sympy.Rational):
        p, q = int(value.p), int(value.q)
        if abs(p) <= _EXACT_INTEGER and q <= _EXACT_INTEGER:
            # numpy computes p/q for a sympy Rational: the same division here gives the same
            # double, where a decimal of 17 digits might be read differently.
            return f"({p}/{q})"
        return _float_text(float(value))
    return _float_text(float(value))


def _float_text(number: float) -> str:
    if not math.isfinite(number):
        raise FormulaError(f"the number {number} has no spreadsheet form")
    if number == int(number) and abs(number) <= _EXACT_INTEGER:
        return _signed(str(int(number)))
    return _signed(repr(number).upper())


def _signed(text: str) -> str:
    """A negative number in parentheses, so no operator before it can misread the sign."""
    return f"({text})" if text.startswith("-") else text


class _Translator:
    def __init__(self, reference: Reference, node: str) -> None:
        self.reference = reference
        self.node = node

    def text(self, expr: sympy.Basic) -> str:
        return self.piece(expr)[0]

    def wrapped(self, expr: sympy.Basic, at_least: int) -> str:
        """``expr``'s text, parenthesised when it binds looser than ``at_least``."""
        text, precedence = self.piece(expr)
        return text if precedence >= at_least else f"({text})"

    def piece(self, expr: sympy.Basic) -> tuple[str, int]:
        if isinstance(expr, NestedCohort):  # a cohort: its nested sum, written out
            return self.piece(expr.written_out())
        if isinstance(expr, sympy.Symbol):
            return self.reference(expr), _ATOM
        if isinstance(expr, sympy.Number):
            return excel_number(expr), _ATOM
        if isinstance(expr, sympy.NumberSymbol):  # E, from exp(1)
            return excel_number(float(expr)), _ATOM
        if isinstance(expr, sympy.Add):
            return self.sum(expr), _SUM
        if isinstance(expr, sympy.Mul):
            return self.product(expr)
        if isinstance(expr, sympy.Pow):
            return self.power(expr)
        if isinstance(expr, sympy.Min | sympy.Max):
            name = "MIN" if isinstance(expr, sympy.Min) else "MAX"
            return self.call(name, expr.args), _ATOM
        if type(expr) in _FUNCTIONS:
            return self.call(_FUNCTIONS[type(expr)], expr.args), _ATOM
        if isinstance(expr, sympy.log) and len(expr.args) == 1:
            return self.call("LN", expr.args), _ATOM
        if isinstance(expr, sympy.ceiling):
            return f"-INT(-{self.wrapped(expr.args[0], _ATOM)})", _SUM
        if isinstance(expr, sympy.Piecewise):
            return self.piecewise(expr), _ATOM
        if isinstance(expr, sympy.Heaviside):
            return self.heaviside(expr), _ATOM
        return self.condition(expr), _COMPARE

    def call(self, name: str, args: tuple[sympy.Basic, ...]) -> str:
        return f"{name}({','.join(self.text(arg) for arg in args)})"

    def sum(self, expr: sympy.Add) -> str:
        text = ""
        for index, term in enumerate(expr.args):
            if index and term.could_extract_minus_sign():
                text += "-" + self.wrapped(-term, _PRODUCT)
            elif index:
                text += "+" + self.wrapped(term, _PRODUCT)
            else:
                text = self.wrapped(term, _SUM)
        return text

    def product(self, expr: sympy.Mul) -> tuple[str, int]:
        negative = False
        numerator: list[sympy.Basic] = []
        denominator: list[sympy.Basic] = []
        for factor in expr.args:
            if isinstance(factor, sympy.Rational):
                negative ^= bool(factor < 0)
                p, q = abs(int(factor.p)), int(factor.q)
                if p != 1:
                    numerator.append(sympy.Integer(p))
                if q != 1:
                    denominator.append(sympy.Integer(q))
            elif isinstance(factor, sympy.Number) and factor < 0:
                negative = not negative
                numerator.append(-factor)
            elif _is_reciprocal(factor):
                denominator.append(sympy.Pow(factor.base, -factor.exp))
            else:
                numerator.append(factor)
        if len(numerator) == 1 and not denominator:
            text, precedence = self.piece(numerator[0])
        else:
            text = "*".join(self.wrapped(f, _PRODUCT) for f in numerator) or "1"
            precedence = _PRODUCT if denominator or len(numerator) > 1 else _ATOM
        if denominator:
            below = "*".join(self.wrapped(f, _PRODUCT) for f in denominator)
            # a/(b*c): a product below the line needs parentheses, a single power does not.
            text += "/" + (
                self.wrapped(denominator[0], _POWER) if len(denominator) == 1 else f"({below})"
            )
        if negative:
            return "-" + (text if precedence == _ATOM else f"({text})"), _SUM
        return text, precedence

    def power(self, expr: sympy.Pow) -> tuple[str, int]:
        base, exponent = expr.args
        if _is_reciprocal(expr):
            return "1/" + self.wrapped(sympy.Pow(base, -exponent), _POWER), _PRODUCT
        if exponent == sympy.Rational(1, 2):
            return f"SQRT({self.text(base)})", _ATOM
        return f"{self.wrapped(base, _ATOM)}^{self.wrapped(exponent, _ATOM)}", _POWER

    def piecewise(self, expr: sympy.Piecewise) -> str:
        *branches, (otherwise, last) = expr.args
        if last is not sympy.true:
            raise self.unsupported(expr, "a choice with no 'else' branch")
        text = self.text(otherwise)
        for value, condition in reversed(branches):
            text = f"IF({self.text(condition)},{self.text(value)},{text})"
        return text

    def heaviside(self, expr: sympy.Heaviside) -> str:
        # H(x): 0 below zero, 1 above, and its second argument (1/2 by default) at zero.
        x = self.text(expr.args[0])
        at_zero = expr.args[1] if len(expr.args) > 1 else sympy.Rational(1, 2)
        return f"IF({x}>0,1,IF({x}<0,0,{self.text(at_zero)}))"

    def condition(self, expr: sympy.Basic) -> str:
        if type(expr) in _COMPARISONS:
            left, right = expr.args
            return (
                f"{self.wrapped(left, _SUM)}{_COMPARISONS[type(expr)]}{self.wrapped(right, _SUM)}"
            )
        if isinstance(expr, sympy.And | sympy.Or):
            name = "AND" if isinstance(expr, sympy.And) else "OR"
            return self.call(name, expr.args)
        if isinstance(expr, sympy.Not):
            return self.call("NOT", expr.args)
        # sympy rewrites the conditions of nested if() into these when it simplifies them.
        if isinstance(expr, sympy.ITE):
            return self.call("IF", expr.args)
        if isinstance(expr, sympy.Xor):
            # XOR() is not in Excel before 2013: an odd count of true arguments says the same.
            count = "+".join(f"({self.text(arg)})" for arg in expr.args)
            return f"MOD({count},2)=1"
        if isinstance(expr, sympy.Implies):
            condition, consequence = expr.args
            return f"OR(NOT({self.text(condition)}),{self.text(consequence)})"
        if isinstance(expr, sympy.Nand | sympy.Nor):
            return f"NOT({self.call('AND' if isinstance(expr, sympy.Nand) else 'OR', expr.args)})"
        if isinstance(expr, sympy.Equivalent):
            parts = ",".join(self.text(arg) for arg in expr.args)
            return f"OR(AND({parts}),NOT(OR({parts})))"
        if expr is sympy.true or expr is sympy.false:
            return "TRUE()" if expr is sympy.true else "FALSE()"
        raise self.unsupported(expr, f"'{type(expr).__name__}'")

    def unsupported(self, expr: sympy.Basic, what: str) -> FormulaError:
        shown = str(expr)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return FormulaError(
            f"node '{self.node}': cannot write {what} ({shown}) as a spreadsheet formula"
        )


def _is_reciprocal(expr: sympy.Basic) -> bool:
    """True for ``x**-n`` with a negative number as the exponent: written as a division."""
    return (
        isinstance(expr, sympy.Pow)
        and isinstance(expr.exp, sympy.Number)
        and bool(expr.exp < 0)
        and not isinstance(expr.base, sympy.Number)
    )
