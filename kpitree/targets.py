"""Targets over time: one number (the last period), one per period, or per period label.

A node's ``targets`` are ``(label, value)`` pairs. A label names a period of the tree (its
label, or its number ``1..n``), or on a monthly tree a quarter (``2027-Q1``) or year
(``2027``), and on a quarterly tree a year: such a target is that span's roll-up, judged at the
span's last period. Resolving labels needs the time axis, so it lives here and not on
:class:`~kpitree.node.Node`; the YAML reader calls :func:`milestones` so a bad label is an
error with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpitree.errors import TargetError  # re-exported: every error class lives in errors.py
from kpitree.node import Node
from kpitree.timeaxis import TimeAxis


@dataclass(frozen=True)
class Milestone:
    """A target over the periods ``first..last`` (0-based, ends included), judged at ``last``.

    ``since`` is where a stock's movement towards it is counted from (the level before that
    period): ``first``, or period 1 for the one ``target`` number of the whole horizon.
    """

    label: str
    value: float
    first: int
    last: int
    since: int = -1

    def __post_init__(self) -> None:
        if self.since < 0:
            object.__setattr__(self, "since", self.first)

    @property
    def is_span(self) -> bool:
        """True for a quarter or year on a finer axis (judged by the roll-up of the span)."""
        return self.first != self.last


def milestones(node: Node, time: TimeAxis | None) -> tuple[Milestone, ...]:
    """Every target of ``node`` as a :class:`Milestone`, by the period it is judged at.

    ``node.target`` alone is the target at the last period, over the whole horizon (for a
    stock, the movement from the start to the end).

    Raises
    ------
    TargetError
        For a label that is not a period, quarter or year of the tree, or two targets judged
        at the same period.
    """
    last = (time.periods - 1) if time is not None else 0
    if not node.targets:
        if node.target is None:
            return ()
        return (Milestone("", float(node.target), last, last, since=0),)
    if time is None:
        raise TargetError("targets by period need a timed tree (a 'time:' block)")
    found: dict[int, Milestone] = {}
    for label, value in node.targets:
        first, end = _span(str(label), time)
        if end in found:
            raise TargetError(
                f"targets '{found[end].label}' and '{label}' are both judged at "
                f"{time.labels[end]}: give one"
            )
        found[end] = Milestone(str(label), float(value), first, end)
    return tuple(found[index] for index in sorted(found))


def target_at(node: Node, time: TimeAxis | None, index: int) -> Milestone | None:
    """The target judged at the 0-based period ``index``, or ``None``."""
    for milestone in milestones(node, time):
        if milestone.last == index:
            return milestone
    return None


def span_of(label: str, time: TimeAxis) -> tuple[int, int]:
    """The 0-based ``(first, last)`` periods of a period, quarter or year label (as a target's).

    Raises
    ------
    TargetError
        For a label that is none of them.
    """
    return _span(label, time)


def _span(label: str, time: TimeAxis) -> tuple[int, int]:
    index = time.index_of(label)
    if index is not None:
        return index, index
    labels = time.labels
    members: list[int] = []
    if time.start is not None and time.unit == "month":
        quarter = re.fullmatch(r"(\d{4})-Q([1-4])", label)
        if quarter:
            first = int(quarter.group(2)) * 3 - 2
            months = [f"{quarter.group(1)}-{month:02d}" for month in range(first, first + 3)]
        elif re.fullmatch(r"\d{4}", label):
            months = [f"{label}-{month:02d}" for month in range(1, 13)]
        else:
            months = []
        members = [labels.index(m) for m in months if m in labels]
        if len(members) != len(months):
            raise TargetError(
                f"target '{label}' covers {len(months)} months, {len(members)} of them in "
                f"the tree ({labels[0]} .. {labels[-1]})"
            )
    elif time.start is not None and time.unit == "quarter" and re.fullmatch(r"\d{4}", label):
        quarters = [f"{label}-Q{q}" for q in range(1, 5)]
        members = [labels.index(q) for q in quarters if q in labels]
        if len(members) != 4:
            raise TargetError(
                f"target '{label}' covers 4 quarters, {len(members)} of them in the tree "
                f"({labels[0]} .. {labels[-1]})"
            )
    if not members:
        raise TargetError(
            f"target '{label}' is not a period of the tree ({labels[0]} .. {labels[-1]})"
            + (" nor a quarter or year of it" if time.unit in ("month", "quarter") else "")
        )
    return members[0], members[-1]
