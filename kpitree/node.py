"""A node of a KPI tree: an input with a value, or a KPI derived by a formula."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from kpitree.distribution import Distribution
from kpitree.errors import DistributionError, Location, SpecError
from kpitree.excerpt import excerpt
from kpitree.functions import RESERVED

Value = float | tuple[float, ...]
"""An input's value: one number, or one number per period in a timed tree."""

INDICATORS = ("leading", "coincident", "lagging")
DIRECTIONS = ("higher", "lower")
"""Which way is better for a node: a revenue KGI is higher, a cost KGI (CAC, payback) lower."""
AGGREGATES = ("sum", "last", "mean", "ratio")
"""How a node rolls up over a quarter or a year (``aggregate:``); inferred when not given."""
PERCENT_UNITS = ("%", "percent")
"""Units that mark a fraction (0.15) to be shown as a percentage (15 %)."""
MAX_NAME = 100
"""Characters in a node's name: names are read in formulas and shown in every table."""
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_name(name: str, location: Location | None = None) -> None:
    """Raise unless ``name`` can name a node: letters, digits and ``_``, not starting with a
    digit, at most :data:`MAX_NAME` characters, not a reserved word (``t``, ``month``, ``pi``)
    nor a formula function.

    Raises
    ------
    SpecError
        Naming what is wrong with the name.
    """
    if not isinstance(name, str):
        raise SpecError(f"a node name must be text, found {_shown(name)}", location)
    if len(name) > MAX_NAME:
        raise SpecError(
            f"node name '{excerpt(name)}' is longer than {MAX_NAME} characters",
            location,
            node=name,
        )
    if not _NAME.fullmatch(name) or name in RESERVED:
        reason = (
            "is reserved" if _NAME.fullmatch(name) else "is not a valid name (letters, digits, _)"
        )
        raise SpecError(f"node name '{excerpt(name)}' {reason}", location, node=name)


def _shown(raw: Any) -> str:
    """A found value for a message: its repr, cut short."""
    text = repr(raw)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _finite(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


@dataclass(frozen=True)
class Alert:
    """A threshold that raises an alert: fires when the value is below ``below`` or above
    ``above``."""

    below: float | None = None
    above: float | None = None

    def __post_init__(self) -> None:
        if self.below is None and self.above is None:
            raise SpecError(
                "alert must be {below: x} and/or {above: x}, found neither", key="alert"
            )
        for side in ("below", "above"):
            threshold = getattr(self, side)
            if threshold is not None and not _finite(threshold):
                raise SpecError(
                    f"alert {side} must be a finite number, found {_shown(threshold)}", key="alert"
                )
        if self.below is not None and self.above is not None and self.below > self.above:
            raise SpecError(
                f"alert below {self.below:g} and above {self.above:g} would fire on every value "
                "(below must not exceed above)",
                key="alert",
            )

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
    ages: tuple[float, ...] | None = None
    """A curve by age (``value: {ages: [1, 0.62, ...]}``): one value per age 0, 1, ..., read
    only as cohort()'s curve or lagged()'s weights; ``value`` is then the curve's scale
    factor (1 as written), the number every analysis moves (a new curve:
    :meth:`kpitree.tree.TreeModel.with_curves`)."""
    location: Location | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        check_name(self.name, self.location)
        # (low, high) given as a list, or a benchmark as one number, in Python as in YAML.
        if isinstance(self.bounds, list):
            object.__setattr__(self, "bounds", tuple(self.bounds))
        if isinstance(self.benchmark, list):
            object.__setattr__(self, "benchmark", tuple(self.benchmark))
        elif _finite(self.benchmark):
            object.__setattr__(self, "benchmark", (self.benchmark, self.benchmark))
        if self.formula is not None and self.value is not None:
            raise self._error(
                f"node '{self.name}' needs exactly one of 'value' or 'formula', found both"
            )
        for key in ("initial", "effort", "target"):
            number = getattr(self, key)
            if number is not None and not _finite(number):
                raise self._error(
                    f"node '{self.name}': {key} must be a finite number, found {_shown(number)}",
                    key,
                )
        if self.effort is not None and self.effort <= 0:
            raise self._error(
                f"node '{self.name}': effort must be positive, found {self.effort:g}", "effort"
            )
        for key in ("bounds", "benchmark"):
            pair = getattr(self, key)
            if pair is None:
                continue
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise self._error(
                    f"node '{self.name}': {key} must be (low, high), found {_shown(pair)}", key
                )
            low, high = pair
            for end in pair:
                if end is not None and not _finite(end):
                    raise self._error(
                        f"node '{self.name}': {key} must be numbers, found {_shown(end)}", key
                    )
            if low is not None and high is not None and low > high:
                raise self._error(
                    f"node '{self.name}': {key} [{low:g}, {high:g}] has low above high", key
                )
        if self.alert is not None and not isinstance(self.alert, Alert):
            raise self._error(
                f"node '{self.name}': alert must be an Alert, found {_shown(self.alert)}", "alert"
            )
        if self.indicator is not None and self.indicator not in INDICATORS:
            raise self._error(
                f"node '{self.name}': indicator must be one of {', '.join(INDICATORS)}, "
                f"found {_shown(self.indicator)}",
                "indicator",
            )
        if self.aggregate is not None and self.aggregate not in AGGREGATES:
            raise self._error(
                f"node '{self.name}': aggregate must be one of {', '.join(AGGREGATES)}, "
                f"found {self.aggregate!r}",
                "aggregate",
            )
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise self._error(
                f"node '{self.name}': direction must be one of {', '.join(DIRECTIONS)}, "
                f"found {self.direction!r}",
                "direction",
            )
        for label, value in self.targets:
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise self._error(
                    f"node '{self.name}': target {label} must be a finite number, found {value!r}",
                    "target",
                )
        if self.ages is not None:
            self._check_ages()
        # The distribution is drawn inside the bounds everywhere (forecast, Sobol, tornado):
        # truncated here, once, so no analysis can draw from the law as given.
        if self.distribution is not None:
            try:
                truncated = self.distribution.within(*self.bounds)
            except DistributionError as error:
                raise self._error(f"node '{self.name}': {error}", "distribution") from None
            object.__setattr__(self, "distribution", truncated)

    def _check_ages(self) -> None:
        ages = self.ages
        if self.formula is not None:
            raise self._error(f"node '{self.name}': a curve by age belongs on an input", "value")
        if not isinstance(ages, tuple) or not ages:
            raise self._error(
                f"node '{self.name}': ages must be a list of one or more numbers, found "
                f"{_shown(ages)}",
                "value",
            )
        for age, number in enumerate(ages):
            if not _finite(number) or number < 0:
                raise self._error(
                    f"node '{self.name}': the value at age {age} must be a finite number >= 0, "
                    f"found {_shown(number)}",
                    "value",
                )

    def _error(self, message: str, key: str | None = None) -> SpecError:
        """A SpecError about this node (and ``key``), at the node's location."""
        return SpecError(message, self.location, node=self.name, key=key)

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
