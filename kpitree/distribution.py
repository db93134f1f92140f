"""Uncertainty of an input: a checked distribution that maps to a ``scipy.stats`` law.

Parameters follow what planners know: the mean and standard deviation of the variable itself
(normal, lognormal, beta, gamma), low/mode/high (triangular, PERT), low/high (uniform), mu
(Poisson), or beta's shape parameters a/b.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kpitree.errors import did_you_mean

KINDS: dict[str, tuple[frozenset[str], ...]] = {
    "normal": (frozenset({"mean", "sd"}),),
    "lognormal": (frozenset({"mean", "sd"}),),
    "beta": (frozenset({"mean", "sd"}), frozenset({"a", "b"})),
    "gamma": (frozenset({"mean", "sd"}),),
    "triangular": (frozenset({"low", "mode", "high"}),),
    "pert": (frozenset({"low", "mode", "high"}),),
    "uniform": (frozenset({"low", "high"}),),
    "poisson": (frozenset({"mu"}),),
}
VARY = ("path", "period")


class DistributionError(ValueError):
    """A distribution whose parameters do not define a law; the caller adds the location."""


@dataclass(frozen=True)
class Distribution:
    """A validated distribution of an input.

    Attributes
    ----------
    dist : str
        One of ``KINDS``.
    params : Mapping[str, float]
        The parameters as given in the tree file.
    vary : str
        ``"path"`` (one draw per simulated path) or ``"period"`` (a fresh draw each period).
    """

    dist: str
    params: Mapping[str, float] = field(hash=False)
    vary: str = "path"

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Distribution:
        """Check ``raw`` (``{dist: ..., params..., vary: ...}``) and build the distribution.

        Raises
        ------
        DistributionError
            With a message that says which parameter is wrong and why.
        """
        if "dist" not in raw:
            raise DistributionError(f"distribution needs 'dist' (one of {', '.join(KINDS)})")
        dist = raw["dist"]
        if dist not in KINDS:
            raise DistributionError(
                f"unknown distribution '{dist}'{did_you_mean(str(dist), KINDS)}"
                f" (known: {', '.join(KINDS)})"
            )
        vary = raw.get("vary", "path")
        if vary not in VARY:
            raise DistributionError(f"vary must be 'path' or 'period', found '{vary}'")
        given = {key: value for key, value in raw.items() if key not in ("dist", "vary")}
        allowed = set().union(*KINDS[dist])
        for key in given:
            if key not in allowed:
                raise DistributionError(
                    f"{dist} has no parameter '{key}'{did_you_mean(key, allowed)}"
                    f" (it takes {_describe(dist)})"
                )
        if frozenset(given) not in KINDS[dist]:
            raise DistributionError(f"{dist} takes {_describe(dist)}, found {sorted(given)}")
        params: dict[str, float] = {}
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DistributionError(
                    f"{dist} parameter '{key}' must be a number, found {value!r}"
                )
            try:
                params[key] = float(value)
            except OverflowError:  # an int beyond a float's range
                params[key] = math.inf
            if not math.isfinite(params[key]):
                raise DistributionError(f"{dist} parameter '{key}' must be finite, found {value}")
        distribution = cls(dist, params, vary)
        distribution.check()
        return distribution

    def check(self) -> None:
        """Check that the law exists and can be drawn from: its 0.1 % to 99.9 % quantiles
        are finite numbers (parameters at the edge of a float's range can overflow).

        Raises
        ------
        DistributionError
            Naming the law and its parameters.
        """
        try:
            with np.errstate(all="ignore"):
                quantiles = self.ppf(np.array([0.001, 0.5, 0.999]))
                quantiles = np.append(quantiles, self.law().mean())
        except (ArithmeticError, ValueError) as error:
            if isinstance(error, DistributionError):
                raise
            quantiles = np.array([math.nan])
        if not np.isfinite(quantiles).all():
            given = ", ".join(f"{key} {value:g}" for key, value in self.params.items())
            raise DistributionError(
                f"{self.dist} with {given} cannot be drawn from: its quantiles overflow or are "
                "undefined (parameters too extreme)"
            )

    def law(self) -> Any:
        """The frozen ``scipy.stats`` distribution.

        Raises
        ------
        DistributionError
            When no distribution of this kind has these parameters.
        """
        from scipy import stats  # 1 s to import: only for trees that have a distribution

        p = self.params
        if self.dist in ("normal", "lognormal", "beta", "gamma") and "sd" in p:
            mean, sd = p["mean"], p["sd"]
            if sd < 0 or (sd == 0 and self.dist != "normal"):
                raise DistributionError(f"{self.dist} sd must be positive, found {sd:g}")
        if self.dist == "normal":
            return stats.norm(loc=p["mean"], scale=p["sd"])
        if self.dist == "lognormal":
            if mean <= 0:
                raise DistributionError(f"lognormal mean must be positive, found {mean:g}")
            sigma2 = math.log1p((sd / mean) ** 2)
            return stats.lognorm(s=math.sqrt(sigma2), scale=mean / math.sqrt(1 + (sd / mean) ** 2))
        if self.dist == "gamma":
            if mean <= 0:
                raise DistributionError(f"gamma mean must be positive, found {mean:g}")
            return stats.gamma(a=(mean / sd) ** 2, scale=sd**2 / mean)
        if self.dist == "beta":
            return stats.beta(*self._beta_shapes())
        if self.dist == "uniform":
            low, high = self._low_high()
            return stats.uniform(loc=low, scale=high - low)
        if self.dist in ("triangular", "pert"):
            low, high = self._low_high()
            mode = p["mode"]
            if not low <= mode <= high:
                raise DistributionError(
                    f"{self.dist} mode {mode:g} is outside [low, high] = [{low:g}, {high:g}]"
                )
            width = high - low
            if self.dist == "triangular":
                return stats.triang(c=(mode - low) / width, loc=low, scale=width)
            alpha = 1 + 4 * (mode - low) / width
            beta = 1 + 4 * (high - mode) / width
            return stats.beta(alpha, beta, loc=low, scale=width)
        mu = p["mu"]
        if mu < 0:
            raise DistributionError(f"poisson mu must not be negative, found {mu:g}")
        return stats.poisson(mu=mu)

    @property
    def mean(self) -> float:
        """The mean of the law."""
        with np.errstate(all="ignore"):
            return float(self.law().mean())

    def ppf(self, quantiles: np.ndarray) -> np.ndarray:
        """The values at ``quantiles`` (inverse CDF), for Monte Carlo and copulas."""
        return np.asarray(self.law().ppf(quantiles), dtype=float)

    def _beta_shapes(self) -> tuple[float, float]:
        p = self.params
        if "a" in p:
            if p["a"] <= 0 or p["b"] <= 0:
                raise DistributionError(
                    f"beta a and b must be positive, found a={p['a']:g}, b={p['b']:g}"
                )
            return p["a"], p["b"]
        mean, sd = p["mean"], p["sd"]
        if not 0 < mean < 1:
            raise DistributionError(f"beta mean must be inside (0, 1), found {mean:g}")
        limit = math.sqrt(mean * (1 - mean))
        if sd >= limit:
            raise DistributionError(
                f"beta with mean {mean:g} and sd {sd:g} does not exist: sd must be below "
                f"sqrt(mean * (1 - mean)) = {limit:.4g}"
            )
        common = mean * (1 - mean) / sd**2 - 1
        return mean * common, (1 - mean) * common

    def _low_high(self) -> tuple[float, float]:
        low, high = self.params["low"], self.params["high"]
        if not low < high:
            raise DistributionError(
                f"{self.dist} needs low < high, found low={low:g}, high={high:g}"
            )
        return low, high


def _describe(dist: str) -> str:
    return " or ".join("/".join(sorted(option)) for option in KINDS[dist])
