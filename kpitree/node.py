"""A node of a KPI tree: an input with a value, or a KPI derived by a formula."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from kpitree.distribution import Distribution, DistributionError
from kpitree.errors import Location, SpecError

Value = float | tuple[float, ...]
"""An input's value: one number, or one number per period in a timed tree."""

INDICATORS = ("leading", "coincident", "lagging")
DIRECTIONS = ("higher", "lower")
"""Which way is better for a node: a revenue KGI is higher, a cost KGI (CAC, payback) lower."""
AGGREGATES = ("sum", "last", "mean", "ratio")
"""How a node rolls up over a quarter or a year (``aggregate:``); inferred when not given."""
PERCENT_UNITS = ("%", "percent")
"""Units that mark a fraction (0.15) to be shown as a percentage (15 %)."""


@dataclass(frozen=True)
class Alert:
    """A threshold that raises an alert: fires when the value is below ``below`` or above
    ``above``."""

    below: float | None = None
    above: float | None = None

    def fires(self, value: float) -> bool:
        """True when ``value`` crosses the threshold."""
        return (self.below is not None and value < self.below) or (
            self.above is not None and value > self.above
        )

    def describe(self) -> str:
        """``below 0.15`` or ``above 0.05``, as written in the tree file."""
        parts = []
        if self.below is not None:
            parts.append(f"below {self.below:g}")
        if self.above is not None:
            parts.append(f"above {self.above:g}")
        return " or ".join(parts)


@dataclass(frozen=True)
class Node:
    """One node of the tree, as declared (checked against the other nodes by ``Tree``).

    Exactly one of ``formula`` (a derived KPI) and ``value`` (an input) is set.
    """

    name: str
    formula: str | None = None
    value: Value | None = None
    initial: float | None = None
    label: str | None = None
    description: str | None = None
    unit: str | None = None
    owner: str | None = None
    target: float | None = None
    """The target at the last period (of a timed tree)."""
    bounds: tuple[float | None, float | None] = (None, None)
    benchmark: tuple[float | None, float | None] | None = None
    alert: Alert | None = None
    indicator: str | None = None
    effort: float | None = None
    distribution: Distribution | None = None
    direction: str | None = None
    """``higher`` or ``lower`` is better; ``None``: higher for the KGI, else as it moves the KGI."""
    aggregate: str | None = None
    measure: Any = field(default=None, compare=False)
    """How the node is measured from record data (a ``kpitree.measurement.spec.Measure``)."""
    calibrates: str | None = None
    """The input a measured value of this node pins when its formula reads several inputs
    without an actual (see :mod:`kpitree.measurement.implied`)."""
    targets: tuple[tuple[str, float], ...] = ()
    """Targets by period label (``("2027-Q1", 1.0e9)``): see :mod:`kpitree.targets`. ``target``
    is then the one judged at the last period, if any."""
    location: Location | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.aggregate is not None and self.aggregate not in AGGREGATES:
            raise SpecError(
                f"node '{self.name}': aggregate must be one of {', '.join(AGGREGATES)}, "
                f"found {self.aggregate!r}",
                self.location,
            )
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise SpecError(
                f"node '{self.name}': direction must be one of {', '.join(DIRECTIONS)}, "
                f"found {self.direction!r}",
                self.location,
            )
        for label, value in self.targets:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise SpecError(
                    f"node '{self.name}': target {label} must be a finite number, found {value!r}",
                    self.location,
                )
        # The distribution is drawn inside the bounds everywhere (forecast, Sobol, tornado):
        # truncated here, once, so no analysis can draw from the law as given.
        if self.distribution is not None:
            try:
                truncated = self.distribution.within(*self.bounds)
            except DistributionError as error:
                raise SpecError(f"node '{self.name}': {error}", self.location) from None
            object.__setattr__(self, "distribution", truncated)

    @property
    def is_input(self) -> bool:
        """True for an input (a value), False for a derived KPI (a formula)."""
        return self.formula is None

    @property
    def title(self) -> str:
        """The label if there is one, else the name."""
        return self.label or self.name

    def within_bounds(self, value: float) -> bool:
        """True when ``value`` lies inside ``bounds`` (ends included)."""
        low, high = self.bounds
        return (low is None or value >= low) and (high is None or value <= high)

    def describe_bounds(self) -> str:
        """``[0, 1]``, with ``-inf``/``inf`` for an open end."""
        low, high = self.bounds
        return (
            f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
        )
