"""Cohorts and retention curves: ``cohort(flow, curve)`` and the curves it takes.

``cohort(flow, curve)`` at period t is the sum over ages a >= 0 of flow(t - a) x curve(a): the
customers (or MRR) still there from every earlier period's intake. On an axis of T periods the
ages run 0..T-1 and flow is 0 before period 1, so the sum is a finite weighted sum of
whole-period reads of ``flow``; each weight is an expression of the curve's parameters, which
keeps the cohort linear in the flow and differentiable in the curve in closed form.

A curve is a list of retention values by age (``[1, 0.8, 0.7, ...]``; ages past its end
retain 0) or a curve function: ``geometric_survival(churn)``, S(a) = (1 - churn)^a, or
``sbg_survival(alpha, beta)``, the shifted-beta-geometric retention of Fader and Hardie,
S(a) = B(alpha, beta + a) / B(alpha, beta), the product over i = 1..a of
(beta + i - 1) / (alpha + beta + i - 1). A curve function gives those one-period ratios, and
the cohort nests them (Horner's rule) so its cost grows linearly with the ages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from kpitree.formula_build import Value, to_sympy


@dataclass(frozen=True)
class Curve:
    """A retention curve as written: the curve function's name and its arguments."""

    name: str
    args: tuple[Value, ...]


def geometric_survival(args: Sequence[Value], ages: int) -> list[sympy.Expr]:
    """The one-period retention 1 - churn from each age to the next: S(a) = (1 - churn)^a."""
    (churn,) = (to_sympy(arg) for arg in args)
    return [1 - churn] * (ages - 1)


def sbg_survival(args: Sequence[Value], ages: int) -> list[sympy.Expr]:
    """The shifted-beta-geometric retention from age a - 1 to age a, for a = 1..ages-1:
    (beta + a - 1) / (alpha + beta + a - 1), whose running product is S(a), an exact
    rational function of alpha and beta (so are its derivatives)."""
    alpha, beta = (to_sympy(arg) for arg in args)
    return [(beta + age - 1) / (alpha + beta + age - 1) for age in range(1, ages)]


CURVES: dict[str, Callable[[Sequence[Value], int], list[sympy.Expr]]] = {
    "geometric_survival": geometric_survival,
    "sbg_survival": sbg_survival,
}
"""Curve function name -> its one-period retention ratios S(a) / S(a - 1), a = 1..ages-1."""


def cohort_of_weights(
    node: str,
    weights: Sequence[Value],
    read: Callable[[str, int, float | None], sympy.Expr],
) -> sympy.Expr:
    """Sum over ages a of ``weights[a]`` times ``node`` read a periods back (0 before period 1)."""
    terms = [
        to_sympy(weight) * read(node, age, 0.0)
        for age, weight in enumerate(weights)
        if not (isinstance(weight, Fraction) and weight == 0)
    ]
    return sympy.Add(*terms)


def cohort_of_ratios(
    node: str,
    ratios: Sequence[sympy.Expr],
    read: Callable[[str, int, float | None], sympy.Expr],
) -> sympy.Expr:
    """Sum over ages of S(a) times ``node`` a periods back, S(a) the running product of
    ``ratios``, nested as x(t) + r1 (x(t-1) + r2 (x(t-2) + ...)): a multiply and an add per
    age on the full arrays, where the sum of products would take one multiply per factor of
    every S(a), quadratic in the number of ages."""
    value = read(node, len(ratios), 0.0)
    for age in range(len(ratios), 0, -1):
        value = read(node, age - 1, 0.0) + ratios[age - 1] * value
    return value
