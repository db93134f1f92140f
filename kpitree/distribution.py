"""Uncertainty of an input: a checked distribution that maps to a ``scipy.stats`` law.

Parameters follow what planners know: the mean and standard deviation of the variable itself
(normal, lognormal, beta, gamma), low/mode/high (triangular, PERT), low/high (uniform), mu
(Poisson), or beta's shape parameters a/b.

Bounds: an input's draws never leave its ``bounds``. A law whose values lie in a stated interval
(uniform, triangular, PERT, beta) must lie inside the bounds, or the tree is refused: its author
wrote the interval, so one that crosses the bounds is a mistake to fix, not to guess at. A law
with an open tail (normal, lognormal, gamma, Poisson) is *truncated* to the bounds: it keeps its
shape inside them and the probability beyond them is cut (:attr:`Distribution.cut`), and a
law almost entirely outside them (more than :data:`MAX_CUT` cut) is refused. Quantiles of the
truncated law are ``F^-1(F(lo) + u (F(hi) - F(lo)))``, so Monte Carlo draws, the copula's and
Sobol's uniforms and the tornado's percentiles all come from the same law.

Reading a tree checks its laws without ``scipy.stats`` (a second to import): parameters in the
ranges trees use are checked by closed forms, and the share a truncation cuts comes from the
``scipy.special`` functions ``scipy.stats`` itself calls, so both give the same numbers. Only
parameters near a float's limits, and the first draw, load the ``scipy.stats`` law.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from kpitree.errors import (
    DistributionError,  # re-exported: every error class lives in errors.py
    did_you_mean,
)

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
INTERVAL_KINDS = frozenset({"uniform", "triangular", "pert", "beta"})
"""Laws whose values lie in an interval the tree states: refused when it leaves the bounds."""
MAX_CUT = 0.999
"""The largest share of a law's probability that truncation to the bounds may cut."""
POSITIONAL = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high")}
POSITIONAL["pert"] = POSITIONAL["triangular"]


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
    truncation : tuple of float or None
        The bounds the law is truncated to (``None``: an open end); ``(None, None)`` when
        nothing is cut. Set by :meth:`within`, which a :class:`~kpitree.node.Node` calls
        with its bounds.
    """

    dist: str
    params: Mapping[str, float] = field(hash=False)
    vary: str = "path"
    truncation: tuple[float | None, float | None] = (None, None)

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

        Parameters in the ranges trees use are checked by closed forms
        (:func:`_plain_support`), without importing ``scipy.stats``; extreme ones by the law.

        Raises
        ------
        DistributionError
            Naming the law and its parameters.
        """
        try:
            if self.truncation == (None, None) and _plain_support(*self._law_arguments()):
                return
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

    def describe(self) -> str:
        """The law as written: ``uniform(-0.5, 1.5)``, ``normal(mean=0.9, sd=0.2)``."""
        names = POSITIONAL.get(self.dist)
        if names is not None and set(names) == set(self.params):
            inside = ", ".join(f"{self.params[name]:g}" for name in names)
        else:
            inside = ", ".join(f"{key}={value:g}" for key, value in self.params.items())
        return f"{self.dist}({inside})"

    def check_bounds(self, low: float | None, high: float | None) -> None:
        """Check that this law can be drawn inside ``[low, high]`` (``None``: an open end).

        Raises
        ------
        DistributionError
            For a law with a stated interval (uniform, triangular, PERT, beta) that leaves the
            bounds, or an open-tailed law with more than :data:`MAX_CUT` of its probability
            beyond them.
        """
        lo = -math.inf if low is None else low
        hi = math.inf if high is None else high
        first, last = self._support()
        if first >= lo and last <= hi:
            return
        bounds = f"[{_end(low, '-inf')}, {_end(high, 'inf')}]"
        if self.dist in INTERVAL_KINDS:
            raise DistributionError(
                f"distribution {self.describe()} leaves bounds {bounds}: its values run from "
                f"{first:g} to {last:g} (narrow the distribution or widen the bounds)"
            )
        cut = sum(self._tails(lo, hi))
        if not cut <= MAX_CUT:
            raise DistributionError(
                f"distribution {self.describe()} lies almost entirely outside bounds {bounds}: "
                f"{100 * cut:.4g} % of its probability is beyond them (at most "
                f"{100 * MAX_CUT:g} % may be cut); centre it inside the bounds"
            )

    def within(self, low: float | None, high: float | None) -> Distribution:
        """This law truncated to ``[low, high]``: itself when nothing lies beyond them.

        Raises
        ------
        DistributionError
            As :meth:`check_bounds`.
        """
        plain = replace(self, truncation=(None, None))
        if low is None and high is None:
            return plain
        self.check_bounds(low, high)
        lo = -math.inf if low is None else low
        hi = math.inf if high is None else high
        if self.dist in INTERVAL_KINDS or self._inside(lo, hi):
            return plain
        if sum(plain._tails(lo, hi)) == 0:
            return plain
        return replace(self, truncation=(low, high))

    @property
    def cut(self) -> float:
        """The share of the untruncated law's probability that the bounds cut (0 when the law
        is not truncated)."""
        if self.truncation == (None, None):
            return 0.0
        low, high = self.truncation
        lo = -math.inf if low is None else low
        hi = math.inf if high is None else high
        return sum(self._tails(lo, hi))

    def law(self) -> Any:
        """The law drawn from: the ``scipy.stats`` distribution, truncated to the bounds when
        :meth:`within` set a truncation (an object with the same ``ppf``, ``isf``, ``cdf``,
        ``rvs``, ``mean`` and ``support``).

        Raises
        ------
        DistributionError
            When no distribution of this kind has these parameters.
        """
        law = self.untruncated()
        if self.truncation == (None, None):
            return law
        low, high = self.truncation
        return TruncatedLaw(
            law,
            -math.inf if low is None else low,
            math.inf if high is None else high,
            discrete=self.dist == "poisson",
        )

    def untruncated(self) -> Any:
        """The frozen ``scipy.stats`` distribution of the parameters, before any truncation.

        Raises
        ------
        DistributionError
            When no distribution of this kind has these parameters.
        """
        name, arguments = self._law_arguments()
        from scipy import stats  # 1 s to import: only once a tree is drawn from

        return getattr(stats, name)(**arguments)

    def _law_arguments(self) -> tuple[str, dict[str, float]]:
        """The name of the ``scipy.stats`` law and its keyword arguments, from the tree's
        parameters (pure Python: reading a tree need not import scipy).

        Raises
        ------
        DistributionError
            When no distribution of this kind has these parameters.
        """
        p = self.params
        if self.dist in ("normal", "lognormal", "beta", "gamma") and "sd" in p:
            mean, sd = p["mean"], p["sd"]
            if sd < 0 or (sd == 0 and self.dist != "normal"):
                raise DistributionError(f"{self.dist} sd must be positive, found {sd:g}")
        if self.dist == "normal":
            return "norm", {"loc": p["mean"], "scale": p["sd"]}
        if self.dist == "lognormal":
            if mean <= 0:
                raise DistributionError(f"lognormal mean must be positive, found {mean:g}")
            sigma2 = math.log1p((sd / mean) ** 2)
            return "lognorm", {
                "s": math.sqrt(sigma2),
                "scale": mean / math.sqrt(1 + (sd / mean) ** 2),
            }
        if self.dist == "gamma":
            if mean <= 0:
                raise DistributionError(f"gamma mean must be positive, found {mean:g}")
            return "gamma", {"a": (mean / sd) ** 2, "scale": sd**2 / mean}
        if self.dist == "beta":
            a, b = self._beta_shapes()
            return "beta", {"a": a, "b": b}
        if self.dist == "uniform":
            low, high = self._low_high()
            return "uniform", {"loc": low, "scale": high - low}
        if self.dist in ("triangular", "pert"):
            low, high = self._low_high()
            mode = p["mode"]
            if not low <= mode <= high:
                raise DistributionError(
                    f"{self.dist} mode {mode:g} is outside [low, high] = [{low:g}, {high:g}]"
                )
            width = high - low
            if self.dist == "triangular":
                return "triang", {"c": (mode - low) / width, "loc": low, "scale": width}
            alpha = 1 + 4 * (mode - low) / width
            beta = 1 + 4 * (high - mode) / width
            return "beta", {"a": alpha, "b": beta, "loc": low, "scale": width}
        mu = p["mu"]
        if mu < 0:
            raise DistributionError(f"poisson mu must not be negative, found {mu:g}")
        return "poisson", {"mu": mu}

    def _support(self) -> tuple[float, float]:
        """The ends of the untruncated law's values: by closed form when the parameters are
        plain, else from ``scipy.stats``."""
        plain = _plain_support(*self._law_arguments())
        if plain is not None:
            return plain
        first, last = self.untruncated().support()
        return float(first), float(last)

    def _tails(self, lo: float, hi: float) -> tuple[float, float]:
        """``P(X < lo)`` and ``P(X > hi)`` of the untruncated law: by closed forms through
        ``scipy.special`` when the parameters are plain (as ``scipy.stats`` computes them,
        without its second of import), else from the law."""
        arguments = self._law_arguments()
        plain = _plain_support(*arguments) is not None and self.dist not in INTERVAL_KINDS
        if plain and _exact_integers(lo, hi):
            return _plain_tails(*arguments, lo, hi)
        return _tails(self.untruncated(), lo, hi, self.dist == "poisson")

    def _inside(self, lo: float, hi: float) -> bool:
        """True when the untruncated law has no probability outside ``[lo, hi]``."""
        first, last = self._support()
        return first >= lo and last <= hi

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


def _end(value: float | None, open_end: str) -> str:
    return open_end if value is None else f"{value:g}"


def _tails(law: Any, lo: float, hi: float, discrete: bool) -> tuple[float, float]:
    """``P(X < lo)`` and ``P(X > hi)``; a count below ``lo`` is at most ``ceil(lo) - 1``."""
    with np.errstate(all="ignore"):
        if discrete:
            below = float(law.cdf(math.ceil(lo) - 1)) if math.isfinite(lo) else 0.0
            above = float(law.sf(math.floor(hi))) if math.isfinite(hi) else 0.0
        else:
            below = float(law.cdf(lo))
            above = float(law.sf(hi))
    return below, above


class TruncatedLaw:
    """A ``scipy.stats`` law restricted to ``[lo, hi]`` (renormalised inside).

    Quantiles map into the kept probability: ``ppf(u) = F^-1(F(lo) + u (F(hi) - F(lo)))``;
    the upper half goes through the survival function (``isf``) so that quantiles near 1 keep
    their precision, as the copula needs. Results are clipped to ``[lo, hi]`` against
    rounding at the ends (and a count's ``ppf(0)``, which is one below its support).
    """

    def __init__(self, law: Any, lo: float, hi: float, *, discrete: bool = False) -> None:
        self.base = law
        self.lo = lo
        self.hi = hi
        self.discrete = discrete
        self.below, self.above = _tails(law, lo, hi, discrete)
        self.kept = 1.0 - self.below - self.above

    def ppf(self, quantiles: Any) -> np.ndarray:
        """Values at ``quantiles`` of the truncated law."""
        u = np.asarray(quantiles, dtype=float)
        return self._inverse(self.below + u * self.kept, self.above + (1 - u) * self.kept)

    def isf(self, tails: Any) -> np.ndarray:
        """Values with probability ``tails`` above them in the truncated law."""
        v = np.asarray(tails, dtype=float)
        return self._inverse(self.below + (1 - v) * self.kept, self.above + v * self.kept)

    def _inverse(self, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """The base law's value with ``lower`` below and ``upper`` above it (``lower + upper``
        is 1): through ``ppf`` in the lower half and ``isf`` in the upper, so that neither
        reads a probability rounded near 1."""
        with np.errstate(all="ignore"):
            if self.discrete:
                # scipy's discrete isf gives nan for tiny tails; a count's steps are coarse
                # enough for ppf alone.
                values = self.base.ppf(lower)
            else:
                values = np.where(lower <= 0.5, self.base.ppf(lower), self.base.isf(upper))
        return np.clip(values, self.lo, self.hi)

    def cdf(self, values: Any) -> np.ndarray:
        """``P(X <= x)`` in the truncated law."""
        with np.errstate(all="ignore"):
            inside = (np.asarray(self.base.cdf(values), dtype=float) - self.below) / self.kept
        return np.clip(inside, 0.0, 1.0)

    def rvs(self, size: Any = None, random_state: np.random.Generator | None = None) -> Any:
        """Draws by inversion of uniforms from ``random_state``."""
        generator = random_state if random_state is not None else np.random.default_rng()
        return self.ppf(generator.random(size))

    def mean(self) -> float:
        """The mean of the truncated law."""
        lb = math.ceil(self.lo) if self.discrete and math.isfinite(self.lo) else self.lo
        with np.errstate(all="ignore"):
            return float(self.base.expect(lb=lb, ub=self.hi, conditional=True))

    def support(self) -> tuple[float, float]:
        """The ends of the truncated law's values."""
        first, last = (float(end) for end in self.base.support())
        return max(first, self.lo), min(last, self.hi)


LARGE = 1e200
"""Parameters up to this size leave every closed-form quantile and mean far from overflow."""
SHAPES = (1e-6, 1e12)
"""Gamma and beta shapes in this range have finite quantiles (scipy checked on a fine grid in
the tests); beyond it, ``scipy.stats`` is asked."""
POISSON_MU = 1e9
"""The largest Poisson mean checked by closed form (scipy's quantiles fail beyond about 3e10)."""


def _plain_support(name: str, arguments: Mapping[str, float]) -> tuple[float, float] | None:
    """The support of the ``scipy.stats`` law ``name(**arguments)`` when its parameters are
    plain enough that it certainly exists and its quantiles and mean are finite; ``None`` when
    only the law itself can tell (parameters near a float's limits), without importing scipy.

    The support is computed as scipy does (``a * scale + loc``), so both agree exactly.
    """
    loc = arguments.get("loc", 0.0)
    scale = arguments.get("scale", 1.0)
    if not (abs(loc) <= LARGE and 0 < scale <= LARGE):
        return None
    low, high = SHAPES
    if name == "norm":
        # ppf(q) = ndtri(q) * scale + loc: |ndtri| < 4 at the quantiles checked.
        return -math.inf, math.inf
    if name == "lognorm":
        # ppf(q) = exp(s * ndtri(q)) * scale, mean exp(s^2 / 2) * scale: at most e^200 * scale.
        plain = 0 < arguments["s"] <= 20 and loc == 0
        return (0.0, math.inf) if plain else None
    if name == "gamma":
        # The 99.9 % quantile is below a + 4 sqrt(a) + 10 < 2 a + 50, the mean is a.
        a = arguments["a"]
        plain = low <= a <= high and (2 * a + 50) * scale <= LARGE
        return (0.0, math.inf) if plain else None
    if name == "beta":
        plain = low <= arguments["a"] <= high and low <= arguments["b"] <= high
        return (0.0 * scale + loc, 1.0 * scale + loc) if plain else None
    if name == "triang":
        plain = 0 <= arguments["c"] <= 1
        return (0.0 * scale + loc, 1.0 * scale + loc) if plain else None
    if name == "uniform":
        return 0.0 * scale + loc, 1.0 * scale + loc
    mu = arguments["mu"]
    return (0.0, math.inf) if mu == 0 or low <= mu <= POISSON_MU else None


def _exact_integers(lo: float, hi: float) -> bool:
    """True when the counts next to ``lo`` and ``hi`` are exact in a float (below 2^53), as
    scipy then reads them; larger bounds are left to scipy itself."""
    return all(not math.isfinite(end) or abs(end) < 2.0**53 for end in (lo, hi))


def _plain_tails(
    name: str, arguments: Mapping[str, float], lo: float, hi: float
) -> tuple[float, float]:
    """``P(X < lo)`` and ``P(X > hi)`` of a plain law (see :func:`_plain_support`) as
    ``scipy.stats`` computes them: the same ``scipy.special`` function on the same standardised
    value, 0 or 1 outside the support, a count below ``lo`` at most ``ceil(lo) - 1``."""
    from scipy import special  # a fraction of scipy.stats' import

    if name == "poisson":
        mu = arguments["mu"]
        below = 0.0
        if math.isfinite(lo) and math.ceil(lo) - 1 >= 0:
            below = float(np.clip(special.pdtr(float(math.ceil(lo) - 1), mu), 0, 1))
        above = 0.0
        if math.isfinite(hi):
            above = (
                float(np.clip(special.pdtrc(float(math.floor(hi)), mu), 0, 1)) if hi >= 0 else 1.0
            )
        return below, above
    loc = arguments.get("loc", 0.0)
    scale = arguments["scale"]
    low, high = (lo - loc) / scale, (hi - loc) / scale
    with np.errstate(all="ignore"):
        if name == "norm":
            first = -math.inf
            cdf = special.ndtr(low) if math.isfinite(low) else float(low > 0)
            sf = special.ndtr(-high) if math.isfinite(high) else float(high < 0)
        else:
            # lognorm and gamma: values from 0 up.
            first = 0.0
            if name == "lognorm":
                cdf = special.ndtr(np.log(low) / arguments["s"])
                sf = special.ndtr(-(np.log(high) / arguments["s"]))
            else:
                cdf = special.gammainc(arguments["a"], low)
                sf = special.gammaincc(arguments["a"], high)
        below = 1.0 if low == math.inf else float(cdf) if low > first else 0.0
        above = 1.0 if high <= first else float(sf) if high < math.inf else 0.0
    return below, above
