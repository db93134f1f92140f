"""Backtest: does the landing forecast deserve trust?

For each cut-off period from ``start`` on (every period with actuals but the last), the tree is
forecast from the actuals up to the cut-off (:mod:`kpitree.analysis.landing`) and each later
period's actual is scored against the forecast paths: whether it falls in the central 50 %
band (p25-p75) and 90 % band (p5-p95), and its CRPS (continuous ranked probability score, in
the node's unit; lower is better, 0 for a point forecast that is exactly right).

Scored nodes: the KGI and every input with an actual that the forecast draws (a distribution,
or a learned rate); an input held at its plan value is a point forecast and says nothing about
calibration. Actual values of the KGI are evaluated from the actual inputs (plan values where
an input has none).

A calibrated model covers about 50 % and 90 %. Rows of one node at one period share their
actual across cut-offs, so the judgement uses a binomial standard error over the effective
number of distinct actuals (each weighted by how often it is scored: ``(sum w)^2 / sum w^2``):
coverage more than two such errors from nominal is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.analysis.forecast import simulate
from kpitree.analysis.landing import landing
from kpitree.analysis.learn import actual_run
from kpitree.errors import DataError
from kpitree.present.numbers import format_share
from kpitree.results import Shown

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.actuals import Actuals
    from kpitree.tree import Tree

BANDS = {"p50": (25.0, 75.0), "p90": (5.0, 95.0)}
"""Central bands scored, by nominal coverage: their percentiles."""
NOMINAL = {"p50": 0.5, "p90": 0.9}


def crps(paths: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """The empirical CRPS of each column of ``paths`` (samples down the rows) at ``observed``.

    ``E|X - y| - E|X - X'| / 2`` over the sample's empirical distribution, the second term from
    the sorted sample as ``sum_i (2 i - n - 1) x_(i) / n^2`` (i from 1): O(n log n).

    Parameters
    ----------
    paths : numpy.ndarray
        ``(samples,)`` or ``(samples, columns)``.
    observed : numpy.ndarray
        A number, or one per column.

    Returns
    -------
    numpy.ndarray
        One score per column (a 0-d array for a 1-d ``paths``).
    """
    x = np.sort(np.asarray(paths, dtype=float), axis=0)
    n = x.shape[0]
    weights = (2 * np.arange(1, n + 1) - n - 1).reshape((n,) + (1,) * (x.ndim - 1))
    spread = np.sum(weights * x, axis=0) / n**2
    return np.mean(np.abs(x - observed), axis=0) - spread


@dataclass(frozen=True, repr=False)
class Backtest(Shown):
    """Coverage and CRPS of landing forecasts made at past cut-offs.

    Attributes
    ----------
    tree : Tree
    cutoffs : tuple of str
        The cut-off periods' labels.
    rows : pandas.DataFrame
        One row per (cut-off, node, later period with actuals): ``cutoff``, ``node``,
        ``period``, ``horizon`` (periods after the cut-off), ``actual``, ``p5`` .. ``p95``,
        ``in_p50``, ``in_p90``, ``crps``.
    coverage : dict[str, float]
        ``{"p50": share, "p90": share}`` over all rows.
    crps : float
        The KGI's mean CRPS (in its unit).
    by_node : dict[str, dict[str, float]]
        Per node scored: ``{"p50", "p90", "crps"}``.
    samples, seed : int
    learned : bool
    notes : tuple of str
        A verdict per band when the coverage is off its nominal rate.
    """

    tree: Tree
    cutoffs: tuple[str, ...]
    rows: pd.DataFrame
    coverage: dict[str, float]
    crps: float
    by_node: dict[str, dict[str, float]]
    samples: int
    seed: int
    learned: bool
    notes: tuple[str, ...] = field(default=())

    @property
    def calibrated(self) -> bool:
        """Whether both bands cover about their nominal share (no verdict note)."""
        return not self.notes

    _repr_fields = ("samples", "seed")

    def to_frame(self) -> pd.DataFrame:
        """The rows (see ``rows``), ``cutoff`` and ``period`` as ``pandas.Period`` values with
        the axis' frequency (``set_index("period")`` gives a ``PeriodIndex``)."""
        from kpitree.periods import period_columns

        return period_columns(self.rows, self.tree.time, ("cutoff", "period"))

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "cutoffs", "coverage": {"p50", "p90"}, "crps", "by_node", "samples",
        "seed", "learned", "calibrated", "notes", "rows": [...]}``; JSON-ready."""
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "cutoffs": list(self.cutoffs),
            "coverage": dict(self.coverage),
            "crps": self.crps,
            "by_node": {name: dict(scores) for name, scores in self.by_node.items()},
            "samples": self.samples,
            "seed": self.seed,
            "learned": self.learned,
            "calibrated": self.calibrated,
            "notes": list(self.notes),
            "rows": [
                {key: _plain(value) for key, value in row.items()}
                for row in self.rows.to_dict(orient="records")
            ],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def backtest(
    tree: Tree,
    actuals: Actuals,
    start: str | int,
    *,
    learned: bool = False,
    window: int | None = None,
    samples: int = 2_000,
    seed: int | None = None,
) -> Backtest:
    """Forecast from each past cut-off and score the later actuals.

    Parameters
    ----------
    tree : Tree
    actuals : Actuals
    start : str or int
        The first cut-off: a period label, its number as text, or a 0-based index.
    learned : bool
        Draw learnable rates from their posteriors given the actuals up to each cut-off.
    window : int, optional
        Periods of counts the rates learn from (default: all up to the cut-off).
    samples : int
        Paths per cut-off.
    seed : int, optional
        One seed for every cut-off (drawn once when not given; reported).

    Returns
    -------
    Backtest

    Raises
    ------
    DataError
        When ``start`` is not a period, or no period with actuals follows a cut-off.
    """
    import pandas as pd

    from kpitree.analysis.landing import cut_off
    from kpitree.analysis.sampling import seed_entropy

    first = _index(tree, start)
    cutoffs = [p for p in actuals.periods if first <= p < actuals.last]
    if not cutoffs:
        raise DataError(
            f"--from: no period with actuals from {_label(tree, first)} on is followed by "
            f"another with actuals (actuals end at {_label(tree, actuals.last)})"
        )
    cut_off(tree, actuals, cutoffs[0])  # checks that actuals exist that early
    entropy = seed_entropy(seed)
    observed = actual_run(tree, actuals, actuals.last)
    rows = []
    for cutoff in cutoffs:
        start_from = landing(tree, actuals, as_of=cutoff, learned=learned, window=window)
        drawn = (
            set() if start_from.learning is None else {r.name for r in start_from.learning.rates}
        )
        scored = [tree.kgi] + [
            name
            for name in actuals.values
            if name != tree.kgi and (tree.nodes[name].distribution is not None or name in drawn)
        ]
        later = [p for p in actuals.periods if p > cutoff]
        paths = simulate(tree, samples, entropy, nodes=tuple(scored), landing=start_from)
        for name in scored:
            periods = [p for p in later if name == tree.kgi or p in actuals.values[name]]
            if not periods:
                continue
            values = paths[name][:, periods]
            truth = np.array([_actual(actuals, observed, name, p) for p in periods])
            percentiles = np.percentile(values, (5, 25, 50, 75, 95), axis=0)
            scores = crps(values, truth)
            for column, period in enumerate(periods):
                p5, p25, p50, p75, p95 = percentiles[:, column]
                y = truth[column]
                rows.append(
                    {
                        "cutoff": _label(tree, cutoff), "node": name,
                        "period": _label(tree, period), "horizon": period - cutoff,
                        "actual": y, "p5": p5, "p25": p25, "p50": p50, "p75": p75, "p95": p95,
                        "in_p50": bool(p25 <= y <= p75), "in_p90": bool(p5 <= y <= p95),
                        "crps": float(scores[column]),
                    }
                )  # fmt: skip
    frame = pd.DataFrame(rows)
    coverage = {band: float(frame[f"in_{band}"].mean()) for band in BANDS}
    by_node = {
        name: {
            "p50": float(group["in_p50"].mean()),
            "p90": float(group["in_p90"].mean()),
            "crps": float(group["crps"].mean()),
        }
        for name, group in frame.groupby("node", sort=False)
    }
    # An actual scored at several cut-offs counts by its weight: the effective sample size.
    weights = frame.groupby(["node", "period"]).size().to_numpy(dtype=float)
    effective = weights.sum() ** 2 / np.sum(weights**2)
    return Backtest(
        tree=tree,
        cutoffs=tuple(_label(tree, c) for c in cutoffs),
        rows=frame,
        coverage=coverage,
        crps=by_node[tree.kgi]["crps"],
        by_node=by_node,
        samples=samples,
        seed=entropy,
        learned=learned,
        notes=verdicts(coverage, effective),
    )


def verdicts(coverage: dict[str, float], effective: float) -> tuple[str, ...]:
    """A note per band whose coverage is more than two binomial standard errors (over
    ``effective`` independent actuals) from its nominal share, saying which way the bands
    are wrong."""
    notes = []
    for band, share in coverage.items():
        nominal = NOMINAL[band]
        error = np.sqrt(nominal * (1 - nominal) / max(effective, 1.0))
        if abs(share - nominal) <= 2 * error:
            continue
        way = (
            "too narrow: the forecast is overconfident"
            if share < nominal
            else "too wide: the forecast is underconfident"
        )
        notes.append(
            f"the {format_share(nominal, 0)} band covers {format_share(share, 0)} of the actuals "
            f"(a calibrated model covers about {format_share(nominal, 0)}, +/- "
            f"{format_share(2 * error, 0)} here): the bands are {way}"
        )
    return tuple(notes)


def _actual(actuals: Actuals, observed: dict[str, np.ndarray], name: str, period: int) -> float:
    given = actuals.values.get(name, {})
    return float(given[period]) if period in given else float(observed[name][period])


def _index(tree: Tree, start: str | int) -> int:
    if not isinstance(start, str):
        return int(start)
    index = tree.time.index_of(start.strip()) if tree.time is not None else None
    if index is None:
        labels = tree.periods or ("value",)
        raise DataError(
            f"--from: '{start}' is not a period of tree '{tree.name}' (periods {labels[0]} .. "
            f"{labels[-1]})"
        )
    return index


def _label(tree: Tree, index: int) -> str:
    return tree.periods[index] if tree.periods else "value"
