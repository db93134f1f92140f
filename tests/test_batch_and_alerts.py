"""Batched evaluation rows equal single evaluations; alerts fire where the threshold is crossed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TREES

import kpitree
from kpitree.analysis.alerts import check_alerts
from kpitree.analysis.batch import node_rows, resolve_period
from kpitree.errors import DataError


def test_rows_equal_one_evaluation_each() -> None:
    """Each row of a batch equals evaluating the tree with that row's values."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    rates = np.array([0.2, 0.25, 0.3])
    kgi = node_rows(tree, {"win_rate": rates}, 3)
    for rate, value in zip(rates, kgi, strict=True):
        assert value == pytest.approx(
            tree.evaluate(overrides={"win_rate": rate}).kgi_value, rel=1e-15
        )
    march = node_rows(tree, {"win_rate": rates}, 3, node="mrr", period="2027-03")
    assert march[0] == pytest.approx(tree.evaluate(overrides={"win_rate": 0.2})["mrr"][2])


def test_periods_resolve_by_label_number_or_last() -> None:
    """A period is a label, a 1-based number, or the last period by default."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    assert resolve_period(tree, None) == 11
    assert resolve_period(tree, "2027-03") == 2
    assert resolve_period(tree, 3) == 2
    with pytest.raises(DataError, match="no period '2028-01'"):
        resolve_period(tree, "2028-01")


def test_alerts_fire_per_period_with_owner() -> None:
    """An alert below 0.15 on a rate of 0.10 fires in every period and names the owner."""
    tree = kpitree.loads(
        """
        name: a
        kgi: sql
        time: {periods: 3, start: 2027-01}
        nodes:
          mql: {value: 100}
          sql_rate: {value: [0.1, 0.2, 0.14], alert: {below: 0.15}, owner: inside sales}
          sql: {formula: mql * sql_rate, alert: {above: 15}}
        """
    )
    hits = check_alerts(tree.evaluate())
    assert [(h.node, h.period, h.direction) for h in hits] == [
        ("sql_rate", "2027-01", "below"),
        ("sql_rate", "2027-03", "below"),
        ("sql", "2027-02", "above"),
    ]
    assert (
        hits[0].message() == "node 'sql_rate' at 2027-01: 0.1 is below 0.15 (owner: inside sales)"
    )
