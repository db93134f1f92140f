"""The bundled measured tree reads what the sample CRM export holds: SQLs, won deals and the
rates they imply are counted independently here with pandas, and every implied rate is
within three binomial standard errors of the rate the export was generated with."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from conftest import TREES

import kpitree
from kpitree.measurement import actuals_from_measure, measure

TREE = TREES / "saas_arr_measured.yaml"
CRM = TREES / "crm"
AS_OF = "2027-06-20"
FULL = ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05"]
# The rates trees/crm/make_crm.py draws the records with.
SQL_RATE, WIN_RATE, CHURN = 0.10, 0.25, 0.01
SQL_BEFORE_AXIS = 25  # delay(sql, 2, 25): the tree's SQLs a month before January


@pytest.fixture(scope="module")
def result() -> dict:
    """The bundled tree measured as of AS_OF, as JSON."""
    return measure(kpitree.load(TREE), AS_OF).to_dict()


def _tokyo_month(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True).dt.tz_convert("Asia/Tokyo").dt.strftime("%Y-%m")


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    """Per Tokyo month: SQLs (opportunities created), won deals (closed won, local time) and
    the leads of the plan's three channels, counted straight from the CSV files."""
    opportunities = pd.read_csv(CRM / "opportunities.csv")
    leads = pd.read_csv(CRM / "leads.csv")
    sql = _tokyo_month(opportunities["created_at"]).value_counts()
    won_rows = opportunities[opportunities["stage"] == "won"]
    won = pd.to_datetime(won_rows["closed_at"]).dt.strftime("%Y-%m").value_counts()
    planned = leads[leads["channel"].isin(["ウェブ", "広告", "アウトバウンド"])]
    channel_leads = _tokyo_month(planned["created_at"]).value_counts()
    return pd.DataFrame({"sql": sql, "won": won, "leads": channel_leads}).fillna(0)


def test_sql_is_measured_as_opportunities_created(result, counts) -> None:
    """sql in every full month equals a pandas count of opportunities created that month in
    Tokyo (March by hand: the rows whose created_at falls in 2027-03 at +09:00)."""
    for index, label in enumerate(FULL):
        assert result["measured"]["sql"][index] == counts.loc[label, "sql"], label
    assert counts.loc["2027-03", "sql"] > 0


def test_export_starts_before_the_axis(counts) -> None:
    """The export holds SQLs of November and December 2026, and January's and February's won
    deals are opportunities created two months earlier."""
    assert counts.loc["2026-11", "sql"] > 0
    assert counts.loc["2026-12", "sql"] > 0
    opportunities = pd.read_csv(CRM / "opportunities.csv")
    won = opportunities[opportunities["stage"] == "won"]
    closed = pd.to_datetime(won["closed_at"]).dt.to_period("M")
    created = pd.to_datetime(won["created_at"], utc=True).dt.tz_convert("Asia/Tokyo")
    created = created.dt.tz_localize(None).dt.to_period("M")
    assert ((closed - created).map(lambda offset: offset.n) == 2).all()
    assert set(closed.astype(str)) >= {"2027-01", "2027-02"}


def test_implied_rates_equal_the_counts(result, counts) -> None:
    """sql_rate is SQL / (leads x 50 %) and win_rate is won over the SQLs of two months before
    (the tree's 25 before its axis), computed from the pandas counts."""
    for index, label in enumerate(FULL):
        mql = 0.5 * counts.loc[label, "leads"]
        assert result["implied"]["sql_rate"][index] == pytest.approx(
            counts.loc[label, "sql"] / mql, rel=1e-9
        )
        before = str(pd.Period(label, "M") - 2)
        sql = SQL_BEFORE_AXIS if index < 2 else counts.loc[before, "sql"]
        assert result["implied"]["win_rate"][index] == pytest.approx(
            counts.loc[label, "won"] / sql, rel=1e-9
        ), label


def test_implied_rates_are_plausible_every_month(result, counts) -> None:
    """Every full month's implied rates lie within three binomial standard errors of the rates
    the export was drawn with, and web conversion and cost per lead within their benchmarks."""
    implied = result["implied"]
    for index, label in enumerate(FULL):
        mql = 0.5 * counts.loc[label, "leads"]
        error = 3 * math.sqrt(SQL_RATE * (1 - SQL_RATE) / mql)
        assert abs(implied["sql_rate"][index] - SQL_RATE) <= error, label
        trials = SQL_BEFORE_AXIS if index < 2 else counts.loc[str(pd.Period(label, "M") - 2), "sql"]
        error = 3 * math.sqrt(WIN_RATE * (1 - WIN_RATE) / trials)
        assert abs(implied["win_rate"][index] - WIN_RATE) <= error, label
        customers = result["measured"]["customers"][index - 1] if index else 250
        error = 3 * math.sqrt(CHURN * (1 - CHURN) / customers)
        assert abs(implied["churn_rate"][index] - CHURN) <= error, label
        assert 0.02 <= implied["visit_cvr"][index] <= 0.05, label
        assert 50_000 <= implied["cpl"][index] <= 200_000, label


def test_check_alerts_judge_measured_rates_not_plan(cli, result) -> None:
    """check --measure fires sql_rate's alert on the rates implied by the records, none of them
    the plan's 10 %."""
    status, out, _ = cli("check", TREE, "--measure", "--as-of", AS_OF, "--format", "json")
    assert status == 1
    alerts = [a for a in json.loads(out)["alerts"] if a["node"] == "sql_rate"]
    assert [a["period"] for a in alerts] == FULL
    for alert in alerts:
        index = FULL.index(alert["period"])
        assert alert["value"] == pytest.approx(result["implied"]["sql_rate"][index], rel=1e-12)
        assert alert["value"] != pytest.approx(0.10, abs=5e-4)


def test_partial_period_implies_only_when_paced(counts) -> None:
    """As of April 15 the partial April implies no rate from counts to date; paced (counts to
    date over the half of April elapsed), its web conversion is plausible again."""
    tree = kpitree.load(TREE)
    found = measure(tree, "2027-04-15")
    assert found.partial == 3
    assert found.measured["web_leads"][3] > 0
    for name, series in found.implied_series().items():
        assert series[3] is None, name
        assert series[2] is not None, name
    assert all(row["period"] != "2027-04" for row in found.to_dict()["reconciliation"])
    paced = actuals_from_measure(tree, "2027-04-15", partial="pace")
    share = 15 / 30
    visits_april = 19_000
    expected = found.measured["web_leads"][3] / share / visits_april
    assert paced.implied["visit_cvr"][3] == pytest.approx(expected, rel=1e-9)
    assert 0.02 <= paced.implied["visit_cvr"][3] <= 0.05
