"""Period labels, and distribution parameters mapped to scipy laws with the stated moments."""

from __future__ import annotations

import math

import pytest

from kpitree.distribution import Distribution, DistributionError
from kpitree.timeaxis import TimeAxis, TimeAxisError


@pytest.mark.parametrize(
    ("axis", "first", "last"),
    [
        (TimeAxis(12, "month", "2027-01"), "2027-01", "2027-12"),
        (TimeAxis(14, "month", "2027-11"), "2027-11", "2028-12"),
        (TimeAxis(5, "quarter", "2027-Q3"), "2027-Q3", "2028-Q3"),
        (TimeAxis(3, "year", "2027"), "2027", "2029"),
        (TimeAxis(3, "week", "2027-01-04"), "2027-01-04", "2027-01-18"),
        (TimeAxis(3, "day", "2027-02-27"), "2027-02-27", "2027-03-01"),
        (TimeAxis(4), "1", "4"),
    ],
)
def test_period_labels_follow_start_and_unit(axis, first, last) -> None:
    """Labels count on from start in the axis' unit; without start they are 1..periods."""
    assert axis.labels[0] == first
    assert axis.labels[-1] == last
    assert len(axis.labels) == axis.periods
    assert axis.index_of(last) == axis.periods - 1


@pytest.mark.parametrize(
    ("axis", "message"),
    [
        (lambda: TimeAxis(0), "periods must be a whole number >= 1"),
        (lambda: TimeAxis(3, "quarter", "2027-01"), "a quarterly start is YYYY-Qn"),
        (lambda: TimeAxis(3, "month", "2027-13"), "a monthly start is YYYY-MM"),
        (lambda: TimeAxis(3, "week", "soon"), "a weekly start is an ISO date"),
    ],
)
def test_bad_time_axis(axis, message) -> None:
    """A time axis that cannot be labelled is refused with the expected form."""
    with pytest.raises(TimeAxisError, match=message):
        axis()


@pytest.mark.parametrize(
    "raw",
    [
        {"dist": "normal", "mean": 10, "sd": 2},
        {"dist": "lognormal", "mean": 80_000, "sd": 20_000},
        {"dist": "beta", "mean": 0.25, "sd": 0.05},
        {"dist": "gamma", "mean": 4, "sd": 3},
    ],
)
def test_mean_sd_parameters_give_those_moments(raw) -> None:
    """mean/sd describe the variable itself, whatever the law's own parameters are."""
    law = Distribution.from_mapping(raw).law()
    assert law.mean() == pytest.approx(raw["mean"], rel=1e-12)
    assert law.std() == pytest.approx(raw["sd"], rel=1e-12)


def test_pert_triangular_uniform_poisson_moments() -> None:
    """PERT mean is (low + 4 mode + high) / 6; the others have their textbook moments."""
    pert = Distribution.from_mapping({"dist": "pert", "low": 1, "mode": 2, "high": 6}).law()
    assert pert.mean() == pytest.approx((1 + 8 + 6) / 6)
    tri = Distribution.from_mapping({"dist": "triangular", "low": 1, "mode": 2, "high": 6}).law()
    assert tri.mean() == pytest.approx(3)
    uni = Distribution.from_mapping({"dist": "uniform", "low": 2, "high": 4}).law()
    assert uni.std() == pytest.approx(2 / math.sqrt(12))
    poisson = Distribution.from_mapping({"dist": "poisson", "mu": 40, "vary": "period"})
    assert poisson.vary == "period"
    assert poisson.law().var() == pytest.approx(40)
    beta = Distribution.from_mapping({"dist": "beta", "a": 2, "b": 6}).law()
    assert beta.mean() == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"dist": "beta", "mean": 0.5, "sd": 0.5}, "does not exist"),
        ({"dist": "beta", "mean": 1.5, "sd": 0.1}, "beta mean must be inside"),
        ({"dist": "normal", "mean": 1, "sd": -1}, "sd must be positive"),
        ({"dist": "lognormal", "mean": -1, "sd": 1}, "lognormal mean must be positive"),
        ({"dist": "uniform", "low": 3, "high": 1}, "needs low < high"),
        ({"dist": "pert", "low": 1, "mode": 9, "high": 3}, "mode 9 is outside"),
        ({"dist": "normal", "mean": 1}, "normal takes mean/sd"),
        ({"dist": "normal", "mean": 1, "sd": 1, "sigma": 2}, "no parameter 'sigma'"),
        ({"dist": "poisson", "mu": 3, "vary": "month"}, "vary must be 'path' or 'period'"),
        ({"mean": 1}, "distribution needs 'dist'"),
        ({"dist": "normal", "mean": "one", "sd": 1}, "must be a number"),
    ],
)
def test_bad_distributions(raw, message) -> None:
    """Parameters that define no law are refused with the reason."""
    with pytest.raises(DistributionError, match=message):
        Distribution.from_mapping(raw)
