"""Cohorts and retention curves: ``cohort(flow, curve)`` and the curves it takes.

``cohort(flow, curve)`` at period t is the sum over ages a >= 0 of flow(t - a) x curve(a): the
customers (or MRR) still there from every earlier period's intake. On an axis of T periods the
ages run 0..T-1 and flow is 0 before period 1, so the sum is a finite weighted sum of
whole-period reads of ``flow``; each weight is an expression of the curve's parameters, which
keeps the cohort linear in the flow and differentiable in the curve in closed form.

A curve is a list of retention values by age (``[1, 0.8, 0.7, ...]``; ages past its end
retain 0) or a curve function: ``geometric_survival(churn)``, S(a) = (1 - churn)^a, or
``sbg_survival(alpha, beta)``, the shifted-beta-geometric retention of Fader and Hardie,
S(a) = B(alpha, beta + a) / B(alpha, beta) = prod_{i=1..a} (beta + i - 1) / (alpha + beta + i - 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from kpitree.formula_build import Value, to_sympy


@dataclass(frozen=True)
class Curve:
    """A retention curve as written: the curve function's name and its arguments."""

    name: str
    args: tuple[Value, ...]


def geometric_survival(args: Sequence[Value], ages: int) -> list[sympy.Expr]:
    """S(a) = (1 - churn)^a for a = 0..ages-1: a constant churn per period."""
    (churn,) = (to_sympy(arg) for arg in args)
    kept = 1 - churn
    return [kept**age for age in range(ages)]


def sbg_survival(args: Sequence[Value], ages: int) -> list[sympy.Expr]:
    """The shifted-beta-geometric survival S(a) for a = 0..ages-1, each the product of the
    one-period retention ratios (beta + i - 1) / (alpha + beta + i - 1) up to its age: exact
    rational functions of alpha and beta, so their derivatives are exact too."""
    alpha, beta = (to_sympy(arg) for arg in args)
    survival: list[sympy.Expr] = [sympy.Integer(1)]
    for age in range(1, ages):
        ratio = (beta + age - 1) / (alpha + beta + age - 1)
        survival.append(survival[-1] * ratio)
    return survival


CURVES: dict[str, Callable[[Sequence[Value], int], list[sympy.Expr]]] = {
    "geometric_survival": geometric_survival,
    "sbg_survival": sbg_survival,
}
"""Curve function name -> its retention by age."""


def cohort_expression(
    node: str,
    weights: Sequence[Value],
    read: Callable[[str, int, float | None], sympy.Expr],
) -> sympy.Expr:
    """Sum over ages a of ``weights[a]`` times ``node`` read a periods back (0 before period 1)."""
    terms = [
        to_sympy(weight) * read(node, age, 0.0)
        for age, weight in enumerate(weights)
        if not (isinstance(weight, sympy.Expr) and weight.is_zero) and weight != 0
    ]
    return sympy.Add(*terms)
