"""Local sensitivity: the exact derivative and the elasticity of the KGI to every input.

For an input given one value per period, "the input" moves as a whole:

- ``derivative`` is dKGI/ds for a uniform additive shift ``x_t + s`` of every period (for a
  single-valued input, plainly dKGI/dx), in KGI units per input unit;
- ``elasticity`` is dln(KGI)/dln(λ) for scaling every period ``λ x_t`` (for a single-valued
  input, dKGI/dx * x / KGI): the % change of the KGI per 1 % change of the input.

Inputs the KGI does not depend on are listed with derivative 0 and ``upstream`` False.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpitree.analysis.batch import resolve_period
from kpitree.analysis.derivatives import kgi_gradient
from kpitree.node import Value
from kpitree.results import Shown
from kpitree.tree import Overrides, Tree


@dataclass(frozen=True)
class InputSensitivity:
    """How the KGI responds to one input at the base values."""

    name: str
    value: Value
    """The input's base value: a number, or one per period."""
    derivative: float
    """dKGI/dx (per period: for a shift of every period by the same amount)."""
    elasticity: float
    """% change of the KGI per 1 % change of the input (every period scaled together); NaN
    when the KGI is 0."""
    upstream: bool
    """False when the KGI does not depend on the input at all."""
    owner: str | None
    unit: str | None

    @property
    def mean_value(self) -> float:
        """The value, averaged over periods for an input given per period."""
        return float(np.mean(self.value))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, the input under ``input`` as in the CSV and the frame."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {
            "input": self.name,
            "value": value,
            "derivative": self.derivative,
            "elasticity": self.elasticity,
            "upstream": self.upstream,
            "owner": self.owner,
        }


@dataclass(frozen=True, repr=False)
class Sensitivity(Shown):
    """Derivatives and elasticities of the KGI, sorted by |elasticity| (not-upstream last)."""

    tree: str
    kgi: str
    period: str | None
    """The period of the KGI analysed (``None`` for a static tree)."""
    kgi_value: float
    kgi_unit: str | None
    scenario: str | None
    inputs: tuple[InputSensitivity, ...]

    def __getitem__(self, name: str) -> InputSensitivity:
        """The entry of input ``name``."""
        for entry in self.inputs:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """One row per input (index ``name``): value (mean over periods for a per-period
        input), derivative, elasticity, upstream, owner."""
        rows = [
            {
                "name": entry.name,
                "value": entry.mean_value,
                "derivative": entry.derivative,
                "elasticity": entry.elasticity,
                "upstream": entry.upstream,
                "owner": entry.owner,
            }
            for entry in self.inputs
        ]
        columns = ["name", "value", "derivative", "elasticity", "upstream", "owner"]
        return pd.DataFrame(rows, columns=columns).set_index("name").rename_axis("input")

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "period", "kgi_value", "scenario", "inputs": [...]}``."""
        return {
            "tree": self.tree,
            "kgi": self.kgi,
            "period": self.period,
            "kgi_value": self.kgi_value,
            "scenario": self.scenario,
            "inputs": [entry.to_dict() for entry in self.inputs],
        }

    _repr_fields = ("period", "scenario")


def sensitivity(
    tree: Tree,
    *,
    period: str | int | None = None,
    overrides: Overrides | None = None,
    scenario: str | None = None,
) -> Sensitivity:
    """Exact derivative and elasticity of the KGI with respect to every input.

    Parameters
    ----------
    tree : Tree
    period : str or int, optional
        The period of the KGI (label or 1-based number); default the last. Static trees: none.
    overrides, scenario : optional
        Base values other than the tree's own, as for :meth:`Tree.evaluate`.

    Returns
    -------
    Sensitivity

    Raises
    ------
    DataError
        For an unknown period, scenario or override.
    """
    index = resolve_period(tree, period)
    base = tree.input_values(overrides, scenario)
    values, gradient = kgi_gradient(tree, base, index)
    kgi_value = float(values[tree.kgi][index])
    upstream = set(tree.inputs_of(tree.kgi))
    entries = []
    for name in tree.inputs:
        # Shifting every period by one unit moves the KGI by the sum of its per-period
        # derivatives; scaling every period (d/dλ of λ x_t at λ = 1) by their sum weighted by
        # the input's own values, the elasticity's numerator. A period where the input is 0
        # does not move when scaled, even where its derivative is infinite (sqrt at 0).
        slope = gradient[name]
        series = np.broadcast_to(np.asarray(base[name], dtype=float), (tree.period_count,))
        series = series[: index + 1]
        with np.errstate(all="ignore"):
            derivative = float(slope.sum())
            scaled = float(np.where(series != 0, slope, 0.0) @ series)
        elasticity = scaled / kgi_value if kgi_value != 0 else math.nan
        node = tree.nodes[name]
        entries.append(
            InputSensitivity(
                name=name,
                value=base[name],
                derivative=derivative if name in upstream else 0.0,
                elasticity=elasticity if name in upstream else 0.0,
                upstream=name in upstream,
                owner=node.owner,
                unit=node.unit,
            )
        )
    # Equal elasticities (x and y in x * y) differ in the last bits: rounded to 10 digits,
    # ties keep file order (sort is stable). With a KGI of 0 (no elasticity) |derivative|
    # orders instead.
    entries.sort(
        key=lambda e: (
            not e.upstream,
            -_rounded(abs(e.elasticity)),
            -_rounded(abs(e.derivative)) if math.isnan(e.elasticity) else 0.0,
        )
    )
    labels = tree.periods
    return Sensitivity(
        tree=tree.name,
        kgi=tree.kgi,
        period=labels[index] if labels is not None else None,
        kgi_value=kgi_value,
        kgi_unit=tree.nodes[tree.kgi].unit,
        scenario=scenario,
        inputs=tuple(entries),
    )


def _rounded(value: float) -> float:
    """``value`` to 10 significant digits; 0 for NaN (sorted after every number)."""
    return float(f"{value:.10g}") if math.isfinite(value) else 0.0
