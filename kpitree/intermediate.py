"""Non-finite values inside a formula that the formula then hides.

``min(spend / customers, 5000)`` with no customers is 5000, ``if(won / leads > 0.5, 100, 200)``
with no leads is 200 and ``1 / (1 + won / leads)`` is 0: the node's value is finite although a
part of its formula was not. numpy raises a floating-point flag (divide, invalid, overflow) when
that happens; the engine watches the flags, and only when one fired for a formula does it ask
:class:`Guard` which parts were non-finite, for which rows and periods.

A part counts only where it is *reached*: ``if(customers > 0, spend / customers, 0)`` divides
by zero for numpy (every branch is computed) but the branch is not taken, so it is not reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

Compile = Callable[[sympy.Basic, list[sympy.Symbol]], Callable[..., Any]]


@dataclass(frozen=True)
class Part:
    """A sub-expression of a formula and the branch conditions under which it is reached
    (each with the truth value it must have)."""

    expr: sympy.Expr
    function: Callable[..., Any]
    conditions: tuple[tuple[Callable[..., Any], bool], ...]


@dataclass(frozen=True)
class Finding:
    """The non-finite part met first, and where: ``rows`` is a boolean mask over rows."""

    text: str
    value: float
    rows: np.ndarray
    column: int


class Guard:
    """Finds the reached sub-expressions of a compiled formula that are not finite.

    Parameters
    ----------
    expr : sympy.Expr
        The formula.
    symbols : list of sympy.Symbol
        Its arguments, in call order.
    compile_expression : callable
        How the engine compiles an expression of ``symbols`` (so both agree).
    """

    def __init__(
        self, expr: sympy.Expr, symbols: list[sympy.Symbol], compile_expression: Compile
    ) -> None:
        self.parts: list[Part] = []
        self._compile = lambda e: compile_expression(e, symbols)
        self._walk(expr, ())

    def _walk(self, expr: sympy.Basic, conditions: tuple[tuple[Any, bool], ...]) -> None:
        if expr.is_Atom:
            return
        if isinstance(expr, sympy.Piecewise):
            reached = conditions
            for value, condition in expr.args:
                self._walk(condition, reached)
                if condition is sympy.true:
                    self._walk(value, reached)
                    break
                test = self._compile(condition)
                self._walk(value, (*reached, (test, True)))
                reached = (*reached, (test, False))
            return
        if isinstance(expr, sympy.Expr):
            self.parts.append(Part(expr, self._compile(expr), conditions))
        for argument in expr.args:
            self._walk(argument, conditions)

    def find(self, arguments: Sequence[Any], shape: tuple[int, ...]) -> Finding | None:
        """The first reached part that is not finite for the given arguments (the engine's
        call), as a row mask over ``shape`` (``(rows,)`` or ``(rows, periods)``)."""
        with np.errstate(all="ignore"):
            for part in self.parts:
                value = np.broadcast_to(np.asarray(part.function(*arguments), float), shape)
                bad = ~np.isfinite(value)
                for test, truth in part.conditions:
                    bad = bad & (np.broadcast_to(np.asarray(test(*arguments)), shape) == truth)
                if not bad.any():
                    continue
                where = np.argwhere(bad)[0]
                column = int(where[1]) if len(shape) == 2 else 0
                rows = bad.any(axis=1) if len(shape) == 2 else bad
                return Finding(str(part.expr), float(value[tuple(where)]), rows, column)
        return None
