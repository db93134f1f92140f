"""Tornado: each input swung to a low and a high value, one at a time, everything else at base.

Swings (``range``):

- ``"swing"`` (default): the base value times ``1 - swing`` and ``1 + swing``; an input given
  per period has every period scaled together.
- ``"benchmark"``: the two ends of the input's benchmark range. An open end (``null``) leaves
  that side at the base value, so the bar is one-sided. Inputs without a benchmark are skipped
  and listed in ``skipped``.
- ``"distribution"``: the 5th and 95th percentiles of the input's distribution
  (``Distribution.law().ppf``), the same in every period. Inputs without one are skipped.
  The law is the one forecast and Sobol draw from: truncated to the input's bounds when it
  reaches beyond them, so its percentiles lie inside them.

Every swing value is clipped to the input's bounds; a clipped bar says so (``clipped``). All
swings are rows of one engine call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kpitree.analysis.batch import evaluate_rows, resolve_period
from kpitree.errors import DataError
from kpitree.node import Node
from kpitree.results import Shown
from kpitree.tree import Overrides, Tree

if TYPE_CHECKING:
    from matplotlib.axes import Axes

RANGES = ("swing", "benchmark", "distribution")
QUANTILES = (0.05, 0.95)
"""The percentiles of ``range="distribution"``."""


@dataclass(frozen=True)
class TornadoBar:
    """One input swung low and high, and the KGI at each end."""

    name: str
    base_value: float
    """The base value (averaged over periods for an input given per period)."""
    low_value: float
    high_value: float
    """The swing's ends (averaged over periods for an input given per period)."""
    kgi_low: float
    kgi_high: float
    """The KGI with the input at its low and at its high value."""
    clipped: bool
    """True when a swing value was cut back to the input's bounds."""
    per_period: bool
    """True for an input given one value per period."""
    owner: str | None
    unit: str | None
    label: str | None = None
    """The input's label, for charts (None when the node has none)."""

    @property
    def spread(self) -> float:
        """|kgi_high - kgi_low|: the bar's length."""
        return abs(self.kgi_high - self.kgi_low)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, the input under ``input`` as in the CSV and the frame."""
        return {
            "input": self.name,
            "base_value": self.base_value,
            "low_value": self.low_value,
            "high_value": self.high_value,
            "kgi_low": self.kgi_low,
            "kgi_high": self.kgi_high,
            "spread": self.spread,
            "clipped": self.clipped,
            "per_period": self.per_period,
            "owner": self.owner,
        }


@dataclass(frozen=True, repr=False)
class Tornado(Shown):
    """Tornado bars sorted by spread, largest first."""

    tree: str
    kgi: str
    period: str | None
    kgi_value: float
    """The KGI at base values."""
    kgi_unit: str | None
    range: str
    swing: float | None
    """The relative swing when ``range`` is ``"swing"``."""
    scenario: str | None
    bars: tuple[TornadoBar, ...]
    skipped: tuple[str, ...]
    """Upstream inputs with no benchmark (or distribution) for the chosen range."""
    not_upstream: tuple[str, ...]
    """Inputs the KGI does not depend on (no bar: their spread is 0)."""
    truncated: dict[str, float] = field(default_factory=dict)
    """For ``range="distribution"``: the swung inputs whose law is truncated to their bounds,
    with the share of its probability cut (as forecast and Sobol draw them)."""
    kgi_label: str | None = None
    """The KGI's label, for charts (None when the node has none)."""
    direction: str = "higher"
    """Which way the KGI is better (``"lower"`` for a cost such as CAC): the chart colours a
    swing that improves it green, one that worsens it red."""

    def __getitem__(self, name: str) -> TornadoBar:
        """The bar of input ``name``."""
        for bar in self.bars:
            if bar.name == name:
                return bar
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """One row per bar (index ``name``), largest spread first."""
        columns = ["name", "base_value", "low_value", "high_value", "kgi_low", "kgi_high"]
        columns += ["spread", "clipped", "per_period", "owner"]
        frame = pd.DataFrame([bar.to_dict() for bar in self.bars], columns=columns)
        return frame.set_index("name").rename_axis("input")

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "period", "kgi_value", "direction", "range", "swing", "scenario",
        "bars", "skipped", "not_upstream", "truncated"}``."""
        return {
            "tree": self.tree,
            "kgi": self.kgi,
            "period": self.period,
            "kgi_value": self.kgi_value,
            "direction": self.direction,
            "range": self.range,
            "swing": self.swing,
            "scenario": self.scenario,
            "bars": [bar.to_dict() for bar in self.bars],
            "skipped": list(self.skipped),
            "not_upstream": list(self.not_upstream),
            "truncated": dict(self.truncated),
        }

    def plot(self, ax: Axes | None = None, **style: Any) -> Axes:
        """The tornado chart (see :func:`kpitree.plots.tornado.plot_tornado`)."""
        from kpitree.plots.tornado import plot_tornado

        return plot_tornado(self, ax=ax, **style)

    _repr_fields = ("period", "scenario")


def _ends(node: Node, base: np.ndarray, range_: str, swing: float) -> tuple[np.ndarray, ...] | None:
    """The low and high values of one input, per period, before clipping; ``None`` to skip."""
    if range_ == "swing":
        return base * (1 - swing), base * (1 + swing)
    if range_ == "benchmark":
        if node.benchmark is None:
            return None
        low, high = node.benchmark
        return (
            base if low is None else np.full_like(base, low),
            base if high is None else np.full_like(base, high),
        )
    if node.distribution is None:
        return None
    low, high = node.distribution.ppf(np.array(QUANTILES))
    return np.full_like(base, low), np.full_like(base, high)


def tornado(
    tree: Tree,
    *,
    swing: float = 0.1,
    range: str = "swing",
    period: str | int | None = None,
    overrides: Overrides | None = None,
    scenario: str | None = None,
) -> Tornado:
    """Swing each input the KGI depends on to a low and a high value, one at a time.

    Parameters
    ----------
    tree : Tree
    swing : float
        Relative swing for ``range="swing"`` (0.1: plus and minus 10 %).
    range : {"swing", "benchmark", "distribution"}
        Where the low and high values come from (see the module's docstring).
    period : str or int, optional
        The period of the KGI; default the last.
    overrides, scenario : optional
        Base values other than the tree's own.

    Returns
    -------
    Tornado

    Raises
    ------
    DataError
        For a swing outside (0, 1), an unknown range or period, or when no
        input has what the range needs.
    """
    if range not in RANGES:
        raise DataError(f"range must be one of {', '.join(RANGES)}, found '{range}'")
    if not 0 < swing < 1:
        # At 1 (100 %) the low end is 0 and beyond it changes sign: a rate or count that
        # divides (cost per lead) would make the KGI infinite, not the bar informative.
        raise DataError(f"swing must be a number > 0 and < 1 (100 %), found {swing:g}")
    index = resolve_period(tree, period)
    base = tree.input_values(overrides, scenario)
    periods = tree.period_count
    swung: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, bool]] = []
    skipped = []
    upstream = set(tree.inputs_of(tree.kgi))
    for name in tree.inputs_of(tree.kgi):
        node = tree.nodes[name]
        value = np.broadcast_to(np.asarray(base[name], dtype=float), (periods,))
        ends = _ends(node, value, range, swing)
        if ends is None:
            skipped.append(name)
            continue
        low_bound = -np.inf if node.bounds[0] is None else node.bounds[0]
        high_bound = np.inf if node.bounds[1] is None else node.bounds[1]
        low, high = (np.clip(end, low_bound, high_bound) for end in ends)
        clipped = not (np.array_equal(low, ends[0]) and np.array_equal(high, ends[1]))
        swung.append((name, value, low, high, clipped))
    if not swung:
        what = {"benchmark": "a benchmark", "distribution": "a distribution"}.get(range)
        detail = f" has {what}" if what else " is upstream of it"
        raise DataError(f"tree '{tree.name}': no input the KGI '{tree.kgi}' depends on{detail}")
    rows = 2 * len(swung) + 1  # the last row is the base
    changes = {}
    for number, (name, value, low, high, _) in enumerate(swung):
        matrix = np.tile(value, (rows, 1))
        matrix[2 * number], matrix[2 * number + 1] = low, high
        changes[name] = matrix
    kgi = evaluate_rows(tree, changes, rows, base=base)[tree.kgi][:, index]
    bars = [
        TornadoBar(
            name=name,
            base_value=_summary(value),
            low_value=_summary(low),
            high_value=_summary(high),
            kgi_low=float(kgi[2 * number]),
            kgi_high=float(kgi[2 * number + 1]),
            clipped=clipped,
            per_period=isinstance(base[name], tuple),
            owner=tree.nodes[name].owner,
            unit=tree.nodes[name].unit,
            label=tree.nodes[name].label,
        )
        for number, (name, value, low, high, clipped) in enumerate(swung)
    ]
    # Equal spreads (x and y in x * y) differ in the last bits; rounding keeps file order.
    bars.sort(key=lambda bar: -float(f"{bar.spread:.10g}"))
    labels = tree.periods
    return Tornado(
        tree=tree.name,
        kgi=tree.kgi,
        period=labels[index] if labels is not None else None,
        kgi_value=float(kgi[-1]),
        kgi_unit=tree.nodes[tree.kgi].unit,
        kgi_label=tree.nodes[tree.kgi].label,
        direction="lower" if tree.kgi_sign < 0 else "higher",
        range=range,
        swing=swing if range == "swing" else None,
        scenario=scenario,
        bars=tuple(bars),
        skipped=tuple(skipped),
        not_upstream=tuple(name for name in tree.inputs if name not in upstream),
        truncated={
            bar.name: law.cut
            for bar in bars
            if range == "distribution"
            and (law := tree.nodes[bar.name].distribution) is not None
            and law.truncation != (None, None)
        },
    )


def _summary(values: np.ndarray) -> float:
    """One number for a value per period: the value itself when every period has it (exactly,
    not a mean with rounding), else the mean."""
    return float(values[0]) if np.all(values == values[0]) else float(values.mean())
