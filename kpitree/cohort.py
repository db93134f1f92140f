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
the cohort nests them (Horner's rule, :class:`NestedCohort`) so its size grows linearly with
the ages; it is compiled to one matrix product of the per-path curves and the intake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
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
    ``ratios``: x(t) + r1 (x(t-1) + r2 (x(t-2) + ...)), as one :class:`NestedCohort`."""
    reads = [read(node, age, 0.0) for age in range(len(ratios) + 1)]
    return nested_cohort(reads, list(ratios))


def nested_cohort(reads: Sequence[sympy.Expr], ratios: Sequence[sympy.Expr]) -> sympy.Expr:
    """x0 + r1 (x1 + r2 (x2 + ...)) of ``reads`` x and ``ratios`` r (one fewer)."""
    if not ratios:
        return reads[0]
    return NestedCohort(*reads, *ratios)


class NestedCohort(sympy.Function):
    """x0 + r1 (x1 + r2 (x2 + ... + r_n x_n)): arguments the n + 1 reads, then the n ratios.

    Mathematically the nested sum, and differentiated as such (:meth:`fdiff`); compiled to
    one call of :func:`nested_sum`, which takes the running products of the ratios (cheap
    when they are one value per path) and, when the reads are one row for every path, a
    single matrix product: the nested sum written out would make two passes over the
    (paths x periods) array per age.
    """

    is_real = True

    @classmethod
    def eval(cls, *args: sympy.Expr) -> None:
        return None  # stays as written: its value is the nested sum

    def parts(self) -> tuple[tuple[sympy.Expr, ...], tuple[sympy.Expr, ...]]:
        """The reads and the ratios."""
        count = (len(self.args) + 1) // 2
        return self.args[:count], self.args[count:]

    def written_out(self) -> sympy.Expr:
        """The nested sum as a plain expression."""
        reads, ratios = self.parts()
        value = reads[-1]
        for age in range(len(ratios), 0, -1):
            value = reads[age - 1] + ratios[age - 1] * value
        return value

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        reads, ratios = self.parts()
        index = argindex - 1
        if index < len(reads):  # d / d x_a = S(a)
            return sympy.Mul(*ratios[:index])
        # d / d r_j = r_1 ... r_{j-1} (x_j + r_{j+1} (x_{j+1} + ...))
        j = index - len(reads)
        return sympy.Mul(*ratios[:j]) * nested_cohort(reads[j + 1 :], ratios[j + 1 :])

    def _eval_evalf(self, prec: int) -> sympy.Expr:
        return self.written_out().evalf(prec)

    def _eval_is_real(self) -> bool | None:
        return self.written_out().is_real

    def _numpycode(self, printer: Any) -> str:
        reads, ratios = self.parts()
        name = printer._module_format("kpitree.cohort.nested_sum")
        shown_reads = ", ".join(printer._print(read) for read in reads)
        shown_ratios = ", ".join(printer._print(ratio) for ratio in ratios)
        return f"{name}(({shown_reads},), ({shown_ratios},))"


def nested_sum(reads: Sequence[Any], ratios: Sequence[Any]) -> np.ndarray:
    """The value of :class:`NestedCohort` on numbers or numpy arrays that broadcast."""
    reads = [np.asarray(read, dtype=float) for read in reads]
    ratios = [np.asarray(ratio, dtype=float) for ratio in ratios]
    rows = all(read.ndim == 2 and read.shape[0] == 1 for read in reads)
    columns = all(ratio.ndim == 2 and ratio.shape[1] == 1 for ratio in ratios)
    if rows and columns and len({read.shape for read in reads}) == 1:
        # Curves per path (a column each), intake the same on every path (a row each):
        # S (paths x ages) @ X (ages x periods), one pass.
        paths = max(ratio.shape[0] for ratio in ratios)
        survival = np.ones((paths, len(reads)))
        survival[:, 1:] = np.hstack([np.broadcast_to(r, (paths, 1)) for r in ratios])
        np.cumprod(survival, axis=1, out=survival)
        return survival @ np.vstack(reads)
    value = reads[-1]
    for age in range(len(ratios), 0, -1):
        value = reads[age - 1] + ratios[age - 1] * value
    return value
