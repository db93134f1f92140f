"""Bottlenecks: which lever, moved by a realistic amount, improves the KGI most.

The KGI is better higher (ARR, NRR) unless it says ``direction: lower`` (CAC, payback
months). For each input the KGI depends on, the sign of the exact derivative
(:mod:`kpitree.analysis.sensitivity`) times the KGI's sign says which way is better, and a
benchmark range is read as the range peers reach. The move (``to="near"``, the default):

- ``to_benchmark``: an input worse than its range moves to the range's near edge (a 1.2 % CVR
  against 2-5 % moves to 2 %, not to 5 %).
- ``step``: an input inside the range moves by a relative ``step`` (10 % of its value) toward
  the better end, but not past it; one at or beyond the better end, or with no benchmark, or
  whose better end is open (``null``), moves by ``step``.

``to="far"`` moves to the better end of the range (``far``; an input already at or past it
does not move), by ``step`` where there is no such end. An input given per period moves each
period by the rule.

Every move is capped by the input's bounds (``capped``). All moves are rows of one engine call.
Inputs with derivative 0 at the base values are not levers there (``flat``). The ``gain`` is
the improvement of the KGI: its rise, or its fall for a lower-is-better KGI.

``effort`` is the cost of a relative change, the same measure ``solve --mode min-effort``
minimises: moving an input from ``x`` to ``y`` costs ``effort x |ln(y / x)|`` (about effort x
the relative change for small moves), so ``gain_per_effort`` = gain / that cost and levers of
different units compare fairly.

The stalled funnel stage is the conversion rate furthest below its benchmark range, relatively:
a node (input or derived) with bounds inside [0, 1] and a benchmark with a lower end, whose
value at the analysed period is below that end; inputs whose rise worsens the KGI (a churn
rate) are not conversions and are left out. Shortfall = (benchmark low - value) / benchmark low.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpitree.analysis.alerts import AlertHit, check_alerts
from kpitree.analysis.batch import evaluate_rows, resolve_period
from kpitree.analysis.sensitivity import Sensitivity, sensitivity
from kpitree.errors import DataError
from kpitree.node import Node
from kpitree.results import Shown
from kpitree.tree import Overrides, Tree


@dataclass(frozen=True)
class Lever:
    """One input moved to a realistic better value, and what that does to the KGI."""

    name: str
    from_value: float
    to_value: float
    """Base and moved value (averaged over periods for an input given per period)."""
    move: str
    """``"to_benchmark"`` (to the near edge of the range), ``"step"`` or ``"far"`` (to the
    better end of the range, with ``to="far"``)."""
    capped: bool
    """True when the move was cut back to the input's bounds."""
    per_period: bool
    """True for an input given one value per period."""
    kgi_after: float
    gain: float
    """The KGI's improvement: after - before, or before - after for a lower-is-better KGI."""
    gain_pct: float
    """gain / |KGI before|, as a fraction (NaN when the KGI is 0)."""
    effort: float | None
    owner: str | None
    unit: str | None

    @property
    def effort_cost(self) -> float | None:
        """effort x |ln(to / from)|: the cost of this move, where the input has an effort and
        the move is a relative change (both values positive, not equal)."""
        if self.effort is None or self.from_value <= 0 or self.to_value <= 0:
            return None
        cost = self.effort * abs(math.log(self.to_value / self.from_value))
        return cost if cost > 0 else None

    @property
    def gain_per_effort(self) -> float | None:
        """gain / effort_cost, where the move has a cost."""
        cost = self.effort_cost
        return None if cost is None else self.gain / cost

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``from`` and ``to`` are the values; the input under ``input``
        as in the CSV and the frame)."""
        return {
            "input": self.name,
            "from": self.from_value,
            "to": self.to_value,
            "move": self.move,
            "capped": self.capped,
            "per_period": self.per_period,
            "kgi_after": self.kgi_after,
            "gain": self.gain,
            "gain_pct": self.gain_pct,
            "effort": self.effort,
            "effort_cost": self.effort_cost,
            "gain_per_effort": self.gain_per_effort,
            "owner": self.owner,
        }


@dataclass(frozen=True)
class Stage:
    """A conversion rate below its benchmark range."""

    name: str
    value: float
    benchmark_low: float
    owner: str | None

    @property
    def shortfall(self) -> float:
        """(benchmark low - value) / benchmark low."""
        return (self.benchmark_low - self.value) / self.benchmark_low

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "value": self.value,
            "benchmark_low": self.benchmark_low,
            "shortfall": self.shortfall,
            "owner": self.owner,
        }


@dataclass(frozen=True, repr=False)
class Bottleneck(Shown):
    """Levers ranked by KGI gain, the stalled stage, and the alerts firing at base values."""

    tree: str
    kgi: str
    period: str | None
    kgi_value: float
    kgi_unit: str | None
    step: float
    to: str
    """``"near"`` (default rule) or ``"far"`` (to the better end of a benchmark range)."""
    scenario: str | None
    ranking: tuple[Lever, ...]
    """Largest gain first."""
    stalled_stage: Stage | None
    alerts: tuple[AlertHit, ...]
    flat: tuple[str, ...]
    """Upstream inputs with derivative 0 at the base values (not levers there)."""
    direction: str = "higher"
    """Which way the KGI is better: ``"higher"`` or ``"lower"``."""

    @property
    def by_effort(self) -> tuple[Lever, ...]:
        """The levers whose move has an effort cost, largest gain per effort first."""
        levers = [lever for lever in self.ranking if lever.effort_cost is not None]
        return tuple(sorted(levers, key=lambda lever: -(lever.gain_per_effort or 0.0)))

    def __getitem__(self, name: str) -> Lever:
        """The lever of input ``name``."""
        for lever in self.ranking:
            if lever.name == name:
                return lever
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """One row per lever (index ``name``), largest gain first."""
        columns = ["name", "from", "to", "move", "capped", "per_period", "kgi_after", "gain"]
        columns += ["gain_pct"]
        columns += ["effort", "effort_cost", "gain_per_effort", "owner"]
        frame = pd.DataFrame([lever.to_dict() for lever in self.ranking], columns=columns)
        return frame.set_index("name").rename_axis("input")

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "period", "kgi_value", "direction", "step", "to", "scenario",
        "ranking", "by_effort", "stalled_stage", "alerts", "flat"}``."""
        return {
            "tree": self.tree,
            "kgi": self.kgi,
            "period": self.period,
            "kgi_value": self.kgi_value,
            "direction": self.direction,
            "step": self.step,
            "to": self.to,
            "scenario": self.scenario,
            "ranking": [lever.to_dict() for lever in self.ranking],
            "by_effort": [lever.name for lever in self.by_effort],
            "stalled_stage": None if self.stalled_stage is None else self.stalled_stage.to_dict(),
            "alerts": [hit.to_dict() for hit in self.alerts],
            "flat": list(self.flat),
        }

    _repr_fields = ("period", "scenario")


TO_CHOICES = ("near", "far")


def _move(
    node: Node, value: np.ndarray, better: float, step: float, to: str
) -> tuple[np.ndarray, str]:
    """The moved value per period (before bounds) and the kind of move; ``better`` is +1 when
    a higher input improves the KGI, -1 when a lower one does."""
    stepped = value + better * step * np.abs(value)
    if node.benchmark is None:
        return stepped, "step"
    low, high = node.benchmark
    far, near = (high, low) if better > 0 else (low, high)
    if to == "far":
        if far is None:
            return stepped, "step"
        return (np.maximum(value, far) if better > 0 else np.minimum(value, far)), "far"
    # Signed so that "larger is better" on both sides: worse than the near edge is below it.
    signed = better * value
    moved = stepped.copy()
    if far is not None:
        short = signed < better * far
        # Inside the range a step stops at the better end; at or past it the step goes on.
        capped = better * np.minimum(better * stepped, better * far)
        moved = np.where(short, capped, stepped)
    if near is not None:
        below = signed < better * near
        moved = np.where(below, near, moved)
        if np.any(below):
            return moved, "to_benchmark"
    return moved, "step"


def _is_rate(node: Node) -> bool:
    low, high = node.bounds
    return low is not None and high is not None and low >= 0 and high <= 1


def bottlenecks(
    tree: Tree,
    *,
    step: float = 0.1,
    to: str = "near",
    period: str | int | None = None,
    overrides: Overrides | None = None,
    scenario: str | None = None,
) -> Bottleneck:
    """Rank the inputs by the KGI gain from a realistic move (see the module's docstring).

    Parameters
    ----------
    tree : Tree
    step : float
        Relative step toward the better side (0.1: 10 %) for an input inside or beyond its
        benchmark range, or without one.
    to : {"near", "far"}
        ``near``: an input worse than its benchmark range moves to the range's near edge;
        ``far``: every input with a better end moves to it (see the module's docstring).
    period : str or int, optional
        The period of the KGI; default the last.
    overrides, scenario : optional
        Base values other than the tree's own.

    Returns
    -------
    Bottleneck

    Raises
    ------
    DataError
        For a step that is not a positive number, an unknown ``to``, period or scenario.
    """
    if not step > 0 or not math.isfinite(step):
        raise DataError(f"step must be a number > 0, found {step:g}")
    if to not in TO_CHOICES:
        raise DataError(f"to must be one of {', '.join(TO_CHOICES)}, found {to!r}")
    sign = tree.kgi_sign
    index = resolve_period(tree, period)
    base = tree.input_values(overrides, scenario)
    local = sensitivity(tree, period=period, overrides=overrides, scenario=scenario)
    periods = tree.period_count
    moves: list[tuple[str, np.ndarray, np.ndarray, str, bool]] = []
    flat = []
    for entry in local.inputs:
        if not entry.upstream:
            continue
        # An infinite derivative (sqrt at 0) still says which way helps; NaN does not.
        if entry.derivative == 0 or math.isnan(entry.derivative):
            flat.append(entry.name)
            continue
        node = tree.nodes[entry.name]
        value = np.broadcast_to(np.asarray(base[entry.name], dtype=float), (periods,))
        better = sign * math.copysign(1.0, entry.derivative)
        moved, basis = _move(node, value, better, step, to)
        low = -np.inf if node.bounds[0] is None else node.bounds[0]
        high = np.inf if node.bounds[1] is None else node.bounds[1]
        capped_value = np.clip(moved, low, high)
        moves.append(
            (entry.name, value, capped_value, basis, not np.array_equal(capped_value, moved))
        )
    rows = len(moves) + 1  # the last row is the base
    changes = {}
    for number, (name, value, moved, _, _) in enumerate(moves):
        matrix = np.tile(value, (rows, 1))
        matrix[number] = moved
        changes[name] = matrix
    kgi = evaluate_rows(tree, changes, rows, base=base)[tree.kgi][:, index]
    before = float(kgi[-1])
    levers = []
    for number, (name, value, moved, basis, capped) in enumerate(moves):
        after = float(kgi[number])
        gain = sign * (after - before)
        node = tree.nodes[name]
        levers.append(
            Lever(
                name=name,
                from_value=_summary(value),
                to_value=_summary(moved),
                move=basis,
                capped=capped,
                per_period=isinstance(base[name], tuple),
                kgi_after=after,
                gain=gain,
                gain_pct=gain / abs(before) if before != 0 else math.nan,
                effort=node.effort,
                owner=node.owner,
                unit=node.unit,
            )
        )
    # Equal gains (x and y in x * y) differ in the last bits; rounding keeps file order.
    levers.sort(key=lambda lever: -float(f"{lever.gain:.10g}"))
    evaluation = tree.evaluate(overrides, scenario)
    labels = tree.periods
    return Bottleneck(
        tree=tree.name,
        kgi=tree.kgi,
        period=labels[index] if labels is not None else None,
        kgi_value=before,
        kgi_unit=tree.nodes[tree.kgi].unit,
        step=step,
        to=to,
        scenario=scenario,
        ranking=tuple(levers),
        stalled_stage=_stalled_stage(tree, evaluation.values, index, local),
        alerts=tuple(check_alerts(evaluation)),
        flat=tuple(flat),
        direction="lower" if sign < 0 else "higher",
    )


def _stalled_stage(
    tree: Tree, values: dict[str, np.ndarray], index: int, local: Sensitivity
) -> Stage | None:
    """The conversion rate furthest below its benchmark range, relatively, or ``None``."""
    stages = []
    for name, node in tree.nodes.items():
        if node.benchmark is None or node.benchmark[0] is None or not _is_rate(node):
            continue
        if node.is_input and tree.kgi_sign * local[name].derivative < 0:
            continue  # the KGI worsens as it rises: not a conversion rate
        low = node.benchmark[0]
        value = float(np.atleast_1d(values[name])[index])
        if value < low and low > 0:
            stages.append(Stage(name, value, low, node.owner))
    return max(stages, key=lambda stage: stage.shortfall, default=None)


def _summary(values: np.ndarray) -> float:
    """One number for a value per period: the value itself when every period has it (exactly,
    not a mean with rounding), else the mean."""
    return float(values[0]) if np.all(values == values[0]) else float(values.mean())
