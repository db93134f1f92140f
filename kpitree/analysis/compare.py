"""Actuals against plan: every node's plan and actual value per period, and whether it is on
track; the alerts that fire on actuals.

*Plan* is the tree evaluated on its own input values (or a scenario's). *Actual* is the tree
evaluated on the same inputs with the actuals put in place: an input without an actual in a
period keeps its plan value there, so a derived node's actual is what the tree makes of the
actual inputs. Only periods with a row of actuals are reported.

On track: each node has a *good direction*, the direction in which it helps the goal.

- A node's ``direction: higher|lower``, when given, wins.
- A node with an ``alert: {below: x}`` is better higher, ``{above: x}`` better lower.
- The KGI is better higher.
- Otherwise the direction is read from the tree at the plan values: every input is raised a
  little (one batch row each); a node is better higher when every input that moves it moves
  the KGI (at the last period) the same way, better lower when every one moves the KGI the
  other way, and has no direction when the inputs disagree (e.g. CAC: a bigger budget raises
  both CAC and ARR, a higher cost per lead raises CAC and lowers ARR) or none reaches the KGI.

A node is ``off track`` when an alert fires on its actual, or when its actual is worse than
plan in its good direction by more than ``tolerance`` (relative to ``|plan|``); ``ahead`` when
better by more than ``tolerance``; ``on track`` otherwise; ``-`` without a direction. The
relative gap is judged as shown, rounded to 0.1 %: +5.0 % is on track at a 5 % tolerance
whatever the float behind it.

The period holding the as-of date of measured actuals (:func:`kpitree.measure`) is *partial*.
Unless its flows were paced to the whole period (``--partial pace``), it is not judged: every
node's status there is ``partial``, its actual is the value measured to date, or NaN when the
period was left out of the actuals (``--partial skip``). Paced, it is judged as any period and
the comparison says it was paced.

A stock (:mod:`kpitree.analysis.stocks`: ARR, MRR, customers) is judged by its movement: its
change over the period (net new, ``value(p) - value(p - 1)``) against the plan's change, since
a level a few per cent short can hide a tenth of the net new missing. Its alert is still
checked on the level, and the level is reported as well.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpitree.analysis.alerts import AlertHit, check_alerts
from kpitree.analysis.batch import evaluate_rows, resolve_period
from kpitree.analysis.stocks import changes, level_before, stocks
from kpitree.errors import DataError
from kpitree.results import Shown

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.tree import Tree

ON_TRACK, OFF_TRACK, AHEAD, UNKNOWN = "on track", "off track", "ahead", "-"
PARTIAL = "partial"
"""The status of every node in a partial period that is not paced: measured to date, not
judged as a whole period."""
STATUS_ORDER = (UNKNOWN, PARTIAL, OFF_TRACK, ON_TRACK, AHEAD)

NOISE_ULPS = 8
"""A difference within this many units in the last place of the larger of the two values
compared is float noise (an implied rate recomputed as 0.1 * 2.5 / 2.5), shown as 0."""


def gap(plan: Any, actual: Any) -> np.ndarray:
    """``actual - plan``, with 0 where the difference is within :data:`NOISE_ULPS` of float
    noise relative to the values compared (``|d| <= 8 eps max(|plan|, |actual|)``)."""
    plan, actual = np.asarray(plan, dtype=float), np.asarray(actual, dtype=float)
    difference = actual - plan
    scale = np.maximum(np.abs(plan), np.abs(actual))
    noise = np.abs(difference) <= NOISE_ULPS * np.finfo(float).eps * scale
    return np.where(noise, 0.0, difference)


"""The order of the frame's ordered categorical status: no verdict, then worst to best."""


@dataclass(frozen=True, repr=False)
class Comparison(Shown):
    """Plan and actual of every node, per reported period.

    Attributes
    ----------
    tree : Tree
    periods : tuple[str, ...] or None
        Labels of the reported periods (``None`` for a static tree).
    plan, actual : dict[str, numpy.ndarray]
        Per node, one value per reported period.
    direction : dict[str, int]
        Per node: +1 better higher, -1 better lower, 0 no direction.
    status : dict[str, tuple[str, ...]]
        Per node and period: ``on track``, ``off track``, ``ahead`` or ``-``.
    tolerance : float
    scenario : str or None
        The scenario used as the plan.
    partial : str or None
        The label of the partial period among ``periods`` (see the module), if any.
    elapsed : float or None
        The share of the partial period elapsed by the as-of date.
    paced : bool
        Whether the partial period's flows were paced (and it is judged).
    """

    tree: Tree
    periods: tuple[str, ...] | None
    plan: dict[str, np.ndarray]
    actual: dict[str, np.ndarray]
    direction: dict[str, int]
    status: dict[str, tuple[str, ...]]
    tolerance: float
    scenario: str | None = None
    change_plan: dict[str, np.ndarray] = field(default_factory=dict)
    """Per stock node: the plan's change over each reported period (net new)."""
    change_actual: dict[str, np.ndarray] = field(default_factory=dict)
    """Per stock node: the actual change over each reported period."""
    partial: str | None = None
    elapsed: float | None = None
    paced: bool = False
    by: str | None = None
    """``quarter``, ``year`` or ``fiscal-year`` when the periods are roll-up buckets."""

    def only(self, periods: Sequence[str]) -> Comparison:
        """The comparison of the given reported periods alone (itself for a static tree)."""
        if self.periods is None:
            return self
        keep = [self.periods.index(label) for label in periods]

        def pick(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {name: values[keep] for name, values in found.items()}

        partial = self.partial if self.partial in periods else None
        return dataclasses.replace(
            self, periods=tuple(periods), plan=pick(self.plan), actual=pick(self.actual),
            status={name: tuple(s[i] for i in keep) for name, s in self.status.items()},
            change_plan=pick(self.change_plan), change_actual=pick(self.change_actual),
            partial=partial, elapsed=self.elapsed if partial else None,
            paced=self.paced and partial is not None,
        )  # fmt: skip

    def row_periods(self) -> list[str | None]:
        """The period label of each row of :meth:`to_frame`, as the tree writes it."""
        return [period for period in self.periods or (None,) for _ in self.tree.nodes]

    @property
    def judged_periods(self) -> list[str]:
        """The reported periods that are judged: all but a partial one that is not paced."""
        return [p for p in self.periods or () if p != self.partial or self.paced]

    def judged_relative(self, name: str) -> np.ndarray:
        """The relative gap the status is judged on: of the change for a stock (actual change
        minus plan change, over ``|plan change|``), of the value otherwise."""
        if name not in self.change_plan:
            return self.relative(name)
        plan = self.change_plan[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            difference = gap(plan, self.change_actual[name])
            return np.where(plan != 0, difference / np.abs(plan), np.nan)

    def difference(self, name: str) -> np.ndarray:
        """Actual minus plan, per reported period (0 within float noise: :func:`gap`)."""
        return gap(self.plan[name], self.actual[name])

    def relative(self, name: str) -> np.ndarray:
        """(actual - plan) / |plan| per reported period, NaN where the plan is 0."""
        plan = self.plan[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(plan != 0, self.difference(name) / np.abs(plan), np.nan)

    @property
    def off_track(self) -> list[tuple[str, str | None]]:
        """(node, period) pairs that are off track."""
        labels = self.periods or (None,)
        return [
            (name, labels[index])
            for name, statuses in self.status.items()
            for index, status in enumerate(statuses)
            if status == OFF_TRACK
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per period and node: plan, actual, difference, relative, status (an
        ordered categorical), partial (whether the period is the partial one); for a stock also
        change_plan and change_actual (NaN for other nodes; no such columns when the tree has
        no stock). ``period`` holds ``pandas.Period`` values where the axis has dates
        (``frame.set_index("period")`` is a ``PeriodIndex``), labels otherwise."""
        rows = []
        labels = self.periods or (None,)
        for index, period in enumerate(labels):
            for name in self.tree.nodes:
                rows.append(
                    {
                        "period": period,
                        "node": name,
                        "plan": float(self.plan[name][index]),
                        "actual": float(self.actual[name][index]),
                        "difference": float(self.difference(name)[index]),
                        "relative": float(self.relative(name)[index]),
                        "status": self.status[name][index],
                        "partial": period is not None and period == self.partial,
                        "change_plan": float(self.change_plan[name][index])
                        if name in self.change_plan
                        else np.nan,
                        "change_actual": float(self.change_actual[name][index])
                        if name in self.change_actual
                        else np.nan,
                    }
                )
        frame = pd.DataFrame(rows)
        if self.periods is not None:
            from kpitree.periods import bucket_index, period_index

            time, names = self.tree.time, [str(label) for label in frame["period"]]
            found = (
                period_index(time, names) if self.by is None else bucket_index(time, self.by, names)
            )
            frame["period"] = found.to_numpy() if isinstance(found, pd.PeriodIndex) else names
        frame["status"] = pd.Categorical(frame["status"], categories=STATUS_ORDER, ordered=True)
        return frame if self.change_plan else frame.drop(columns=["change_plan", "change_actual"])

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "scenario", "tolerance", "periods", "partial",
        "partial_elapsed", "partial_paced", "rows"}``, JSON-ready; rows of stocks add
        ``change_plan`` and ``change_actual``."""
        frame = self.to_frame()
        frame["period"] = self.row_periods()  # the labels, not pandas' names of the periods
        rows = frame.to_dict(orient="records")
        for row in rows:
            if self.change_plan and row["node"] not in self.change_plan:
                del row["change_plan"], row["change_actual"]
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "scenario": self.scenario,
            "tolerance": self.tolerance,
            "periods": list(self.periods) if self.periods is not None else None,
            "partial": self.partial,
            "partial_elapsed": self.elapsed,
            "partial_paced": self.paced,
            "rows": rows,
        }

    _repr_fields = ("plan",)


def actual_inputs(tree: Tree, actuals: Actuals, plan: str | None = None) -> dict[str, Any]:
    """Every input's value with the actuals in place of the plan's (``plan``: a scenario)."""
    if actuals.tree != tree.name:
        raise DataError(f"the actuals were read for tree '{actuals.tree}', not '{tree.name}'")
    return actuals.apply(tree.input_values(scenario=plan))


def compare(
    tree: Tree,
    actuals: Actuals,
    plan: str | None = None,
    period: str | int | None = None,
    tolerance: float = 0.05,
) -> Comparison:
    """Compare actuals with the plan for every node.

    Parameters
    ----------
    tree : Tree
    actuals : Actuals
        From :func:`kpitree.read_actuals`.
    plan : str, optional
        A scenario to use as the plan (default: the tree's own values).
    period : str or int, optional
        Report the periods with actuals up to this one (default: all of them).
    tolerance : float
        How far (relative to the plan) a node may be worse than plan and still be on track.

    Returns
    -------
    Comparison
    """
    if not tolerance >= 0:
        raise DataError(f"tolerance must be 0 or more, found {tolerance:g}")
    plan_inputs = tree.input_values(scenario=plan)
    rows = evaluate_rows(
        tree, {}, 2, base=_stack(tree, plan_inputs, actual_inputs(tree, actuals, plan))
    )
    partial = actuals.partial
    if not actuals.periods:
        raise DataError(f"no actuals to compare for tree '{tree.name}' (no period measured)")
    last = resolve_period(tree, period) if period is not None else max(actuals.last, partial or 0)
    # A skipped partial period has no actuals, but is shown (not judged) all the same.
    shown = {*actuals.periods, *((partial,) if partial is not None else ())}
    reported = sorted(index for index in shown if index <= last)
    if not reported:
        raise DataError(
            f"no actuals up to period {period} (the first period with actuals is "
            f"{(actuals.period_labels or ['?'])[0]})"
        )
    plan_values = {name: values[0, reported] for name, values in rows.items()}
    actual_values = {name: values[1, reported] for name, values in rows.items()}
    judged = partial not in reported or actuals.paced
    at = reported.index(partial) if partial in reported else None
    if at is not None and partial not in actuals.periods:
        for values in actual_values.values():
            values[at] = np.nan
    direction = good_directions(tree, plan_inputs)
    stock_names = stocks(tree)
    change_plan, change_actual = {}, {}  # type: ignore[var-annotated]
    for name in stock_names:
        for row, found in ((0, change_plan), (1, change_actual)):
            series = {key: values[row] for key, values in rows.items()}
            before = level_before(tree, name, series, stock_names)
            found[name] = changes(series[name], before)[reported]
            if row == 1 and at is not None and partial not in actuals.periods:
                found[name][at] = np.nan
    status = {}
    for name in tree.nodes:
        pairs = (
            zip(change_plan[name], change_actual[name], strict=True)
            if name in stock_names
            else zip(plan_values[name], actual_values[name], strict=True)
        )
        status[name] = tuple(
            PARTIAL
            if index == at and not judged
            else _status(tree, name, p, a, level, direction[name], tolerance)
            for index, ((p, a), level) in enumerate(zip(pairs, actual_values[name], strict=True))
        )
    labels = tuple(tree.periods[i] for i in reported) if tree.periods is not None else None
    partial_label = labels[at] if labels is not None and at is not None else None
    return Comparison(
        tree, labels, plan_values, actual_values, direction, status, tolerance, plan,
        change_plan, change_actual, partial_label,
        actuals.elapsed if partial_label else None, actuals.paced and partial_label is not None,
    )  # fmt: skip


def check_actuals(tree: Tree, actuals: Actuals, plan: str | None = None) -> list[AlertHit]:
    """Every alert that fires on the actual values, in the periods that have actuals.

    Periods after the last row of actuals hold plan values, not actuals: they are not checked;
    nor is a partial period measured to date and not paced (a month's flows to its 10th day
    are not a month's).
    """
    evaluation = tree.evaluate(overrides=actual_inputs(tree, actuals, plan))
    reported = set(actuals.period_labels or [None])  # type: ignore[list-item]
    if actuals.partial is not None and not actuals.paced and actuals.labels is not None:
        reported.discard(actuals.labels[actuals.partial])
    return [hit for hit in check_alerts(evaluation) if hit.period in reported]


def good_directions(tree: Tree, inputs: dict[str, Any]) -> dict[str, int]:
    """Per node: +1 when higher helps the KGI, -1 when lower does, 0 when it cannot be told
    (see the module's description)."""
    names = tree.inputs
    samples = len(names) + 1
    changes = {}
    for row, name in enumerate(names, start=1):
        value = np.broadcast_to(np.asarray(inputs[name], dtype=float), (tree.engine.periods,))
        column = np.broadcast_to(value, (samples, value.shape[0])).copy()
        # A small relative step; inputs at 0 get a small absolute one.
        column[row] = value + np.where(value != 0, 1e-4 * np.abs(value), 1e-4)
        changes[name] = column
    rows = evaluate_rows(tree, changes, samples, base=inputs)
    with np.errstate(invalid="ignore"):
        kgi_moves = np.sign(rows[tree.kgi][1:, -1] - rows[tree.kgi][0, -1])
    directions: dict[str, int] = {}
    for name, node in tree.nodes.items():
        if node.direction is not None:
            directions[name] = 1 if node.direction == "higher" else -1
            continue
        if node.alert is not None and (node.alert.below is None) != (node.alert.above is None):
            directions[name] = 1 if node.alert.below is not None else -1
            continue
        if name == tree.kgi:
            directions[name] = 1
            continue
        moves = np.sign((rows[name][1:] - rows[name][0]).sum(axis=1))
        agree = {int(m * k) for m, k in zip(moves, kgi_moves, strict=True) if m != 0 and k != 0}
        directions[name] = agree.pop() if len(agree) == 1 else 0
    return directions


def _status(
    tree: Tree, name: str, plan: float, actual: float, level: float, direction: int, tol: float
) -> str:
    """``plan`` and ``actual`` are what is judged (a stock's changes); ``level`` is the actual
    value its alert reads."""
    alert = tree.nodes[name].alert
    if alert is not None and alert.fires(float(level)):
        return OFF_TRACK
    if direction == 0:
        return UNKNOWN
    gain = direction * (actual - plan)
    scale = abs(plan) if plan != 0 else 1.0
    # Judged as shown (rounded to 0.1 %), so +5.0 % reads the same every time.
    shown = round(gain / scale, 3)
    if shown < -tol:
        return OFF_TRACK
    if shown > tol:
        return AHEAD
    return ON_TRACK


def _stack(tree: Tree, first: dict[str, Any], second: dict[str, Any]) -> dict[str, np.ndarray]:
    """Two input sets as the two rows of one batch."""
    periods = tree.engine.periods
    return {
        name: np.stack(
            [
                np.broadcast_to(np.asarray(v, dtype=float), (periods,))
                for v in (first[name], second[name])
            ]
        )
        for name in tree.inputs
    }
