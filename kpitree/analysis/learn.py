"""Conversion rates learned from counts: a Beta prior updated by the actual flows.

A rate ``r`` is learnable when a derived node is exactly ``D * r`` (``D`` possibly read earlier,
``delay(sql, 2) * win_rate``), ``r`` is an input bounded inside [0, 1] and ``D`` counts things:
the rule of :func:`kpitree.analysis.counts.binomial_flows`. The node is the successes, ``D`` (as
read by the formula) the trials. Both are evaluated from the actual inputs (the plan value
where an input has no actual), summed over the periods among the last ``window`` with actuals
in which the rate itself has an actual (a rate with none is not learned: its flow would be
the plan's).

Prior: the rate's ``distribution`` as a Beta: a beta as given, any other law moment-matched to
the Beta with the same mean and variance (and said so in ``notes``), no distribution the flat
Beta(1, 1). Posterior: Beta(a + successes, b + trials - successes), the conjugate update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from kpitree.analysis.counts import binomial_flows
from kpitree.errors import DataError
from kpitree.results import Shown

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.tree import Tree

FLAT = (1.0, 1.0)
"""The prior of a rate without a distribution: Beta(1, 1), uniform on [0, 1]."""


@dataclass(frozen=True)
class LearnedRate:
    """One rate's prior, data and posterior.

    Attributes
    ----------
    name : str
        The rate (an input).
    flow : str
        The derived node counting its successes.
    count : str
        The node counting its trials (read as the flow's formula reads it).
    prior, posterior : tuple of float
        Beta shapes ``(a, b)``.
    successes, trials : float
        Summed over the window (counts from a plan may be fractional).
    periods : tuple of int
        The 0-based periods summed.
    """

    name: str
    flow: str
    count: str
    prior: tuple[float, float]
    successes: float
    trials: float
    periods: tuple[int, ...]
    posterior: tuple[float, float]

    def law(self) -> Any:
        """The posterior as a frozen ``scipy.stats.beta``."""
        from scipy import stats

        return stats.beta(*self.posterior)

    def to_dict(self) -> dict[str, Any]:
        """``{"input", "flow", "count", "prior": {"a", "b", "mean"}, "successes", "trials",
        "posterior": {"a", "b", "mean", "p5", "p95"}}``; JSON-ready."""
        a, b = self.posterior
        p5, p95 = (float(v) for v in self.law().ppf([0.05, 0.95]))
        return {
            "input": self.name,
            "flow": self.flow,
            "count": self.count,
            "prior": {"a": self.prior[0], "b": self.prior[1], "mean": _mean(self.prior)},
            "successes": self.successes,
            "trials": self.trials,
            "posterior": {"a": a, "b": b, "mean": _mean(self.posterior), "p5": p5, "p95": p95},
        }


@dataclass(frozen=True, repr=False)
class Learning(Shown):
    """The rates of a tree learned from actuals.

    Attributes
    ----------
    tree : Tree
    rates : tuple of LearnedRate
        In file order of their flows.
    window : int or None
        Periods summed (``None``: every period with actuals).
    through : int
        The last 0-based period whose actuals were used.
    notes : tuple of str
        Priors moment-matched to a Beta; rates with no trials.
    """

    tree: Tree
    rates: tuple[LearnedRate, ...]
    window: int | None
    through: int
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """``{"tree", "kgi", "rates": [...], "window", "actual_through"}``; JSON-ready."""
        labels = self.tree.periods
        return {
            "tree": self.tree.name,
            "kgi": self.tree.kgi,
            "rates": [rate.to_dict() for rate in self.rates],
            "window": self.window,
            "actual_through": labels[self.through] if labels else None,
        }

    def to_frame(self) -> Any:
        """One row per rate (index ``input``, the rate's name): prior and posterior shapes
        and means, data."""
        import pandas as pd

        rows = []
        for rate in self.rates:
            data = rate.to_dict()
            rows.append(
                {
                    "input": rate.name,
                    "prior_a": rate.prior[0],
                    "prior_b": rate.prior[1],
                    "prior_mean": data["prior"]["mean"],
                    "successes": rate.successes,
                    "trials": rate.trials,
                    **{f"posterior_{k}": v for k, v in data["posterior"].items()},
                }
            )
        return pd.DataFrame(rows).set_index("input")


def _mean(shapes: tuple[float, float]) -> float:
    return shapes[0] / (shapes[0] + shapes[1])


def beta_prior(tree: Tree, name: str) -> tuple[tuple[float, float], str | None]:
    """The Beta shapes of input ``name``'s prior and a note when they were moment-matched.

    Raises
    ------
    DataError
        When the law's mean is outside (0, 1) or its variance too large for any Beta.
    """
    distribution = tree.nodes[name].distribution
    if distribution is None:
        return FLAT, None
    if distribution.dist == "beta" and distribution.truncation == (None, None):
        law = distribution.untruncated()
        a, b = law.args if law.args else (law.kwds["a"], law.kwds["b"])
        return (float(a), float(b)), None
    law = distribution.law()
    with np.errstate(all="ignore"):
        mean, variance = float(law.mean()), float(law.var())
    if not (0 < mean < 1 and 0 < variance < mean * (1 - mean)):
        raise DataError(
            f"node '{name}': its {distribution.dist} distribution (mean {mean:g}, variance "
            f"{variance:g}) has no Beta with the same mean and variance to learn from",
            tree.nodes[name].location,
        )
    common = mean * (1 - mean) / variance - 1
    shapes = (mean * common, (1 - mean) * common)
    note = (
        f"{name}: prior {distribution.dist} moment-matched to Beta({shapes[0]:.4g}, "
        f"{shapes[1]:.4g}) (same mean and variance)"
    )
    return shapes, note


def actual_run(tree: Tree, actuals: Actuals, through: int) -> dict[str, np.ndarray]:
    """Every node per period evaluated from the actual inputs up to ``through`` (plan values
    elsewhere): ``name -> (periods,)`` array."""
    plan = tree.input_values()
    run = tree.engine.run(actuals.apply(plan, through))
    return {name: np.asarray(values[0], dtype=float) for name, values in run.items()}


def learn(
    tree: Tree, actuals: Actuals, *, window: int | None = None, through: int | None = None
) -> Learning:
    """Learn every learnable rate of ``tree`` from ``actuals``.

    Parameters
    ----------
    tree : Tree
    actuals : Actuals
        The actuals (today: input actuals; the flows are evaluated from them).
    window : int, optional
        Sum the last ``window`` periods with actuals (default: all).
    through : int, optional
        The last 0-based period whose actuals count (default: the last with actuals).

    Returns
    -------
    Learning

    Raises
    ------
    DataError
        For a window below 1, no actuals up to ``through``, no learnable rate, or a prior
        with no matching Beta.
    """
    if window is not None and (
        isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 1
    ):
        raise DataError(f"window must be a whole number >= 1, found {window!r}")
    through = actuals.last if through is None else through
    periods = [p for p in actuals.periods if p <= through]
    if not periods:
        raise DataError("no actuals up to the cut-off: nothing to learn from")
    if window is not None:
        periods = periods[-window:]
    rules = binomial_flows(tree)
    if not rules:
        raise DataError(
            f"tree '{tree.name}' has no rate to learn: a rate is learned from a node whose "
            "formula is 'count * rate' (count: a node whose unit counts things, rate: an input "
            "with bounds inside [0, 1])"
        )
    values = actual_run(tree, actuals, through)
    rates, notes = [], []
    for rule in rules:
        # Only the periods where the rate itself is actual: elsewhere the flow is the plan's.
        measured = [p for p in periods if p in actuals.values.get(rule.rate, {})]
        if not measured:
            notes.append(f"{rule.rate}: no actual in the window, not learned")
            continue
        prior, note = beta_prior(tree, rule.rate)
        if note:
            notes.append(note)
        trials_series = _trials(tree, rule.node, rule.count_read, values)  # type: ignore[arg-type]
        successes = float(np.sum(values[rule.node][measured]))
        trials = float(np.sum(trials_series[measured]))
        # Fractional counts from a plan may round past the trials by a hair.
        successes = min(max(successes, 0.0), trials)
        posterior = (prior[0] + successes, prior[1] + trials - successes)
        rates.append(
            LearnedRate(
                rule.rate, rule.node, rule.count, prior, successes, trials, tuple(measured),
                posterior,
            )
        )  # fmt: skip
        if trials == 0:
            notes.append(f"{rule.rate}: no trials in the window, the posterior is the prior")
    if not rates:
        names = ", ".join(rule.rate for rule in rules)
        raise DataError(f"no rate to learn has an actual in the window (learnable: {names})")
    return Learning(tree, tuple(rates), window, through, tuple(notes))


def _trials(tree: Tree, node: str, read: str, values: dict[str, np.ndarray]) -> np.ndarray:
    """The count as ``node``'s formula reads it, per period (shifted for prev/delay)."""
    formula = tree.formulas[node]
    for lag in formula.lags:
        if lag.symbol.name == read:
            return tree.engine.lagged(lag, values[lag.node][None, :])[0]
    (name,) = (n for n in formula.names if n in values and _symbol(n) == read)
    return values[name]


def _symbol(name: str) -> str:
    from kpitree.formula import node_symbol

    return node_symbol(name).name
