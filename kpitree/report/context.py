"""What every section of the report draws on, and the shape of a section."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kpitree.evaluation import Evaluation
from kpitree.facade import Tree

if TYPE_CHECKING:
    from kpitree.actuals import Actuals

SAMPLES = 2000
"""Forecast paths in a report by default: enough for a smooth fan chart, quick to draw."""
SEED = 1
"""The forecast's seed in a report by default, so the same tree gives the same report."""


@dataclass(frozen=True)
class Report:
    """What every section draws on: the tree, the values it was evaluated with, and the
    evaluation (computed once by :func:`kpitree.report.build_report`); the actuals, if any;
    the forecast's number of paths and seed; ``by``, the roll-up of the periods table."""

    tree: Tree
    evaluation: Evaluation
    overrides: Mapping[str, Any] = field(default_factory=dict)
    scenario: str | None = None
    actuals: Actuals | None = None
    samples: int = SAMPLES
    seed: int = SEED
    by: str | None = None


Section = Callable[[Report], str]
"""A section: the report in, an HTML fragment out (``""`` leaves the section out)."""
