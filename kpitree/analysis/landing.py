"""The landing forecast (着地見込み): paths that start from what has actually happened.

Every period up to the cut-off (the last period with actuals, or the last on or before
``as_of``) is evaluated from the actual inputs on every path: an input with an actual is held
at it in those periods, so stocks (customers, MRR) carry on from their actual values and a
``delay``/``prev`` reads the actual earlier periods. Later periods are drawn as in any
forecast. With ``learn``, each learned rate (:mod:`kpitree.analysis.learn`) is drawn once per
path from its posterior instead of its prior.

The pinning is applied to a block's drawn inputs after the ordinary draws and the posterior
draws come after the sampler's from the same block generator, so the per-block streams of
:mod:`kpitree.analysis.sampling` stay as they are. Where the actuals come from is the caller's
business: anything that gives an :class:`~kpitree.actuals.Actuals` plugs in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kpitree.analysis.learn import Learning, actual_run, learn
from kpitree.errors import DataError

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.node import Value
    from kpitree.tree import Tree


@dataclass(frozen=True)
class Landing:
    """What a landing forecast starts from.

    Attributes
    ----------
    actuals : Actuals
    through : int
        The last 0-based period taken from the actuals (the cut-off).
    learning : Learning or None
        The rates drawn from their posteriors, when learned.
    """

    actuals: Actuals
    through: int
    learning: Learning | None = None

    def pin(
        self,
        tree: Tree,
        plan: Mapping[str, Value],
        inputs: dict[str, Value | np.ndarray],
        generators: Sequence[np.random.Generator],
        sizes: Sequence[int],
        fixed: Collection[str] = (),
    ) -> None:
        """Put the posterior draws and the actuals into one chunk's ``inputs`` in place: up to
        the cut-off every input is its actual, or its ``plan`` value where it has none. A
        learned rate that is ``fixed`` (set by --set, or a solve's lever) keeps its value after
        the cut-off; its draws are still taken, so the other streams do not shift."""
        if self.learning is not None:
            for rate in self.learning.rates:
                law = rate.law()
                drawn = np.concatenate(
                    [
                        law.rvs(size=(size, 1), random_state=g)
                        for g, size in zip(generators, sizes, strict=True)
                    ]
                )
                if rate.name not in fixed:
                    inputs[rate.name] = drawn
        self.hold_past(tree, plan, inputs, tree.inputs)

    def hold_past(
        self,
        tree: Tree,
        plan: Mapping[str, Value],
        inputs: dict[str, Value | np.ndarray],
        names: Collection[str],
    ) -> None:
        """In place, the inputs ``names`` of ``inputs`` made ``(rows, periods)`` arrays whose
        periods up to the cut-off are their actuals (``plan`` values where there are none)."""
        periods = tree.period_count
        held = self.actuals.apply(plan, self.through)
        for name in names:
            current = np.asarray(inputs[name], dtype=float)
            if current.ndim < 2:
                current = current.reshape(1, -1) if current.ndim == 1 else current.reshape(1, 1)
            array = np.array(np.broadcast_to(current, (current.shape[0], periods)))
            past = np.broadcast_to(np.asarray(held[name], dtype=float), (periods,))
            array[:, : self.through + 1] = past[: self.through + 1]
            inputs[name] = array

    def planned(self, tree: Tree) -> list[str]:
        """The inputs with a blank or no actual in some period up to the cut-off (held at
        their plan value there)."""
        return [
            name
            for name in tree.inputs
            if any(p not in self.actuals.values.get(name, {}) for p in range(self.through + 1))
        ]

    def notes(self, tree: Tree) -> tuple[str, ...]:
        """What the forecast took from the plan up to the cut-off, and the learning's notes."""
        notes = []
        planned = self.planned(tree)
        if planned:
            notes.append(
                f"up to {_label(tree, self.through)} these inputs have no actual in some "
                f"period and are held at their plan value there: {', '.join(planned)}"
            )
        learned = {rate.name for rate in self.learning.rates} if self.learning else set()
        for correlation in tree.correlations:
            held = [n for n in (correlation.first, correlation.second) if n in learned]
            if held:
                notes.append(
                    f"correlation {correlation.first}-{correlation.second} dropped after "
                    f"{_label(tree, self.through)}: {' and '.join(held)} drawn from "
                    "the posterior learned from counts"
                )
        return tuple(notes) + (self.learning.notes if self.learning else ())

    def actual(self, tree: Tree, node: str) -> np.ndarray:
        """``node``'s actual values, evaluated from the actual inputs, up to the cut-off."""
        return actual_run(tree, self.actuals, self.through)[node][: self.through + 1]


def cut_off(tree: Tree, actuals: Actuals, as_of: str | int | None = None) -> int:
    """The last 0-based period with actuals, on or before ``as_of`` (a period label, its
    number as text, a date such as ``2027-03-31`` read as the period containing it, or a
    0-based index).

    Raises
    ------
    DataError
        When ``as_of`` is not a period of the tree or no actuals are that early.
    """
    if as_of is None:
        return actuals.last
    if isinstance(as_of, str):
        index = tree.time.index_of(as_of.strip()) if tree.time is not None else None
        if index is None:
            index = _period_of_date(tree, as_of.strip())
        if index is None:
            labels = tree.periods or ("1",)
            raise DataError(
                f"--as-of: '{as_of}' is not a period of tree '{tree.name}' (periods "
                f"{labels[0]} .. {labels[-1]})"
            )
    else:
        index = int(as_of)
    earlier = [p for p in actuals.periods if p <= index]
    if not earlier:
        raise DataError(
            "no actuals on or before the cut-off (first actual: "
            f"{_label(tree, actuals.periods[0])})"
        )
    return earlier[-1]


_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def _period_of_date(tree: Tree, text: str) -> int | None:
    """The period containing the date ``text`` (2027-03-31 or 2027/3/31), or ``None``."""
    match = _DATE.fullmatch(text)
    time = tree.time
    if match is None or time is None or time.start is None:
        return None
    try:
        date = dt.date(*(int(group) for group in match.groups()))
    except ValueError:
        return None
    return time.index_of_date(date)


def _label(tree: Tree, index: int) -> str:
    return tree.periods[index] if tree.periods else "value"


def landing(
    tree: Tree,
    actuals: Actuals,
    *,
    as_of: str | int | None = None,
    learned: bool = False,
    window: int | None = None,
) -> Landing:
    """The start of a landing forecast from ``actuals`` (up to ``as_of``), with the rates
    learned from them when ``learned``.

    Raises
    ------
    DataError
        For a bad ``as_of`` or ``window``, or ``learned`` on a tree with no learnable rate.
    """
    if actuals.tree != tree.name:
        raise DataError(f"the actuals were read for tree '{actuals.tree}', not '{tree.name}'")
    through = cut_off(tree, actuals, as_of)
    learning = learn(tree, actuals, window=window, through=through) if learned else None
    return Landing(actuals, through, learning)
