"""Golden values for the example trees in trees/, each computed by hand.

Every expected number here is written out from the domain formulas (docs: DOMAIN.md) in plain
Python arithmetic, independently of kpitree, so a test fails when the engine and the hand
calculation disagree. saas_arr is re-implemented as an explicit month-by-month loop.
"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml

import kpitree

TREES = pathlib.Path(__file__).parent.parent / "trees"
ALL_TREES = [
    "saas_arr",
    "unit_economics",
    "nrr",
    "demand_waterfall",
    "sales_velocity",
    "webinar_case",
]
REL = 1e-12


def _load(name: str) -> kpitree.Tree:
    return kpitree.load(TREES / f"{name}.yaml")


def _raw(name: str) -> dict[str, Any]:
    with open(TREES / f"{name}.yaml", encoding="utf-8") as file:
        return yaml.safe_load(file)


def _series(ev: Any, name: str) -> list[float]:
    values = ev[name]
    assert values.shape == (12,)
    return [float(x) for x in values]


# --- the files themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_TREES)
def test_every_node_is_documented(name: str) -> None:
    """Every node of every example tree has a label, a unit and an owner."""
    nodes = _raw(name)["nodes"]
    missing = [n for n, node in nodes.items() if not {"label", "unit", "owner"} <= node.keys()]
    assert missing == []


@pytest.mark.parametrize("name", ALL_TREES)
def test_input_values_lie_inside_their_bounds(name: str) -> None:
    """Every input value (each period's value for a list) lies inside the node's bounds."""
    for node_name, node in _raw(name)["nodes"].items():
        if "value" not in node or "bounds" not in node:
            continue
        low, high = node["bounds"]
        values = node["value"] if isinstance(node["value"], list) else [node["value"]]
        for value in values:
            assert low is None or value >= low, node_name
            assert high is None or value <= high, node_name


@pytest.mark.parametrize("name", ALL_TREES)
def test_tree_loads_with_its_kgi(name: str) -> None:
    """Each example tree loads and evaluates with the KGI its file declares."""
    ev = _load(name).evaluate()
    assert ev.kgi == _raw(name)["kgi"]


# --- saas_arr: a 12-month plan, re-implemented month by month ---------------------------------

SAAS_ARR_INPUTS = {
    "visits": [18000, 17000, 21000, 19000, 20000, 19000, 17000, 15000, 21000, 23000, 22000, 18000],
    "visit_cvr": 0.025,
    "ad_budget": 12_000_000.0,
    "cpl": 80_000.0,
    "outbound_leads": 40.0,
    "mql_rate": 0.5,
    "sql_rate": 0.10,
    "win_rate": 0.25,
    "new_arpu": 300_000.0,
    "sales_cost": 15_000_000.0,
    "churn_rate": 0.01,
    "expansion_rate": 0.015,
    "gross_margin": 0.8,
}


def _saas_arr_by_hand(**changes: float) -> dict[str, list[float]]:
    """The saas_arr model, one month at a time, in plain floats."""
    p = {**SAAS_ARR_INPUTS, **changes}
    mrr_prev, customers_prev = 75_000_000.0, 250.0  # the `initial` values
    sql_in_flight = 25.0  # SQLs from Nov-Dec 2026 closing in Jan-Feb 2027
    out: dict[str, list[float]] = {
        name: [] for name in ("leads", "sql", "won", "new_mrr", "mrr", "customers", "arr", "cac")
    }
    for month in range(1, 13):
        web_leads = p["visits"][month - 1] * p["visit_cvr"]
        paid_leads = p["ad_budget"] / p["cpl"]
        leads = web_leads + paid_leads + p["outbound_leads"]
        sql = leads * p["mql_rate"] * p["sql_rate"]
        # two-month sales cycle: deals closing now were qualified two months ago
        sql_two_months_ago = out["sql"][month - 3] if month > 2 else sql_in_flight
        won = sql_two_months_ago * p["win_rate"]
        new_mrr = won * p["new_arpu"]
        mrr = mrr_prev + new_mrr + mrr_prev * p["expansion_rate"] - mrr_prev * p["churn_rate"]
        customers = customers_prev + won - customers_prev * p["churn_rate"]
        for name, value in [
            ("leads", leads),
            ("sql", sql),
            ("won", won),
            ("new_mrr", new_mrr),
            ("mrr", mrr),
            ("customers", customers),
            ("arr", mrr * 12),
            ("cac", (p["ad_budget"] + p["sales_cost"]) / won),
        ]:
            out[name].append(value)
        mrr_prev, customers_prev = mrr, customers
    return out


def test_saas_arr_periods_are_the_months_of_2027() -> None:
    """The timed tree labels its 12 periods 2027-01 to 2027-12."""
    ev = _load("saas_arr").evaluate()
    assert ev.periods == [f"2027-{month:02d}" for month in range(1, 13)]
    assert ev.kgi == "arr"


def test_saas_arr_matches_the_month_by_month_calculation() -> None:
    """Leads, SQLs, wins, MRR, customers, ARR and CAC match the hand loop in every month."""
    ev = _load("saas_arr").evaluate()
    expected = _saas_arr_by_hand()
    for name, values in expected.items():
        assert _series(ev, name) == pytest.approx(values, rel=REL), name
    assert ev.kgi_value == pytest.approx(expected["arr"][-1], rel=REL)


def test_saas_arr_first_months_by_closed_form() -> None:
    """January and February follow from the initial base and the 25 SQLs already in flight."""
    ev = _load("saas_arr").evaluate()
    # January: 18,000 x 2.5 % + 12,000,000 / 80,000 + 40 = 450 + 150 + 40 = 640 leads
    assert _series(ev, "leads")[0] == pytest.approx(640, rel=REL)
    assert _series(ev, "sql")[0] == pytest.approx(32, rel=REL)  # 640 x 50 % x 10 %
    assert _series(ev, "won")[:2] == pytest.approx([6.25, 6.25], rel=REL)  # 25 x 25 %
    # January MRR: 75,000,000 x (1 + 1.5 % - 1 %) + 6.25 x 300,000 = 77,250,000
    assert _series(ev, "mrr")[0] == pytest.approx(77_250_000, rel=REL)
    assert _series(ev, "arr")[0] == pytest.approx(927_000_000, rel=REL)
    # February: 77,250,000 x 1.005 + 1,875,000
    assert _series(ev, "mrr")[1] == pytest.approx(79_511_250, rel=REL)
    # March closes January's 32 SQLs: 32 x 25 % = 8 deals
    assert _series(ev, "won")[2] == pytest.approx(8, rel=REL)
    # customers: 250 x 0.99 + 6.25
    assert _series(ev, "customers")[0] == pytest.approx(253.75, rel=REL)
    # annualised NRR is constant: (1 + 1.5 % - 1 %) ** 12
    assert _series(ev, "nrr_annualized") == pytest.approx([1.005**12] * 12, rel=REL)
    # CAC payback in January: (12,000,000 + 15,000,000) / 6.25 / (300,000 x 80 %) = 18 months
    assert _series(ev, "cac_payback_months")[0] == pytest.approx(18, rel=REL)


def test_saas_arr_base_plan_misses_target_until_opportunity_rate_reaches_15_percent() -> None:
    """The base plan ends near 1.309 billion JPY, short of 1.4 billion; a 15 % SQL rate beats it."""
    target = _raw("saas_arr")["nodes"]["arr"]["target"]
    tree = _load("saas_arr")
    base = tree.evaluate().kgi_value
    lifted = tree.evaluate(overrides={"sql_rate": 0.15}).kgi_value
    assert base == pytest.approx(1_308_900_607.17, rel=1e-10)
    assert base < target < lifted
    assert lifted == pytest.approx(_saas_arr_by_hand(sql_rate=0.15)["arr"][-1], rel=REL)


def test_saas_arr_override_of_win_rate() -> None:
    """Overriding win_rate to 30 % changes every month as the hand loop predicts."""
    ev = _load("saas_arr").evaluate(overrides={"win_rate": 0.3})
    expected = _saas_arr_by_hand(win_rate=0.3)
    for name in ("won", "mrr", "customers", "arr"):
        assert _series(ev, name) == pytest.approx(expected[name], rel=REL), name
    assert ev.kgi_value == pytest.approx(expected["arr"][-1], rel=REL)


@pytest.mark.parametrize(
    ("scenario", "changes"),
    [
        ("optimistic", {"sql_rate": 0.15, "win_rate": 0.28, "churn_rate": 0.008}),
        ("pessimistic", {"visit_cvr": 0.02, "win_rate": 0.20, "churn_rate": 0.015}),
    ],
)
def test_saas_arr_scenarios(scenario: str, changes: dict[str, float]) -> None:
    """Each named scenario gives the ARR path of the hand loop with that scenario's inputs."""
    ev = _load("saas_arr").evaluate(scenario=scenario)
    expected = _saas_arr_by_hand(**changes)
    assert _series(ev, "arr") == pytest.approx(expected["arr"], rel=REL)
    assert _series(ev, "customers") == pytest.approx(expected["customers"], rel=REL)


def test_saas_arr_scenarios_rank_as_named() -> None:
    """The pessimistic scenario ends below the base plan, the optimistic one above the target."""
    tree = _load("saas_arr")
    pessimistic = tree.evaluate(scenario="pessimistic").kgi_value
    base = tree.evaluate().kgi_value
    optimistic = tree.evaluate(scenario="optimistic").kgi_value
    assert pessimistic < base < 1_400_000_000 < optimistic


# --- unit_economics ---------------------------------------------------------------------------


def test_unit_economics_values() -> None:
    """LTV, CAC, LTV/CAC and payback follow the textbook formulas."""
    ev = _load("unit_economics").evaluate()
    arpu, margin, churn = 300_000, 0.8, 0.0125
    ltv = arpu / churn * margin
    cac = (54_000_000 + 42_000_000) / 20
    assert ev.periods is None
    assert ev["lifetime_months"] == pytest.approx(80, rel=REL)
    assert ev["ltv"] == pytest.approx(ltv, rel=REL)
    assert ev["ltv"] == pytest.approx(19_200_000, rel=REL)
    assert ev["cac"] == pytest.approx(4_800_000, rel=REL)
    assert ev["cac_payback_months"] == pytest.approx(cac / (arpu * margin), rel=REL)
    assert ev["cac_payback_months"] == pytest.approx(20, rel=REL)
    assert ev.kgi == "ltv_to_cac"
    assert ev.kgi_value == pytest.approx(ltv / cac, rel=REL)
    assert ev.kgi_value == pytest.approx(4.0, rel=REL)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("price_increase", 330_000 / 0.0125 * 0.8 / 4_800_000),  # 4.4
        ("churn_reduction", 300_000 / 0.01 * 0.8 / 4_800_000),  # 5.0
        ("expensive_acquisition", 19_200_000 / (96_000_000 / 16)),  # 3.2
    ],
)
def test_unit_economics_scenarios(scenario: str, expected: float) -> None:
    """Each scenario moves LTV/CAC to its hand-computed value."""
    ev = _load("unit_economics").evaluate(scenario=scenario)
    assert ev.kgi_value == pytest.approx(expected, rel=REL)


# --- nrr --------------------------------------------------------------------------------------


def test_nrr_values() -> None:
    """NRR, GRR, churn rates and year-end MRR follow the MRR movement formulas."""
    ev = _load("nrr").evaluate()
    mrr_start = 50_000_000
    expansion = 40 * 200_000
    contraction = 15 * 100_000
    churned = 10 * 250_000
    assert ev["expansion_mrr"] == pytest.approx(8_000_000, rel=REL)
    assert ev["contraction_mrr"] == pytest.approx(1_500_000, rel=REL)
    assert ev["churned_mrr"] == pytest.approx(2_500_000, rel=REL)
    assert ev["customer_churn_rate"] == pytest.approx(10 / 200, rel=REL)
    assert ev["revenue_churn_rate"] == pytest.approx(churned / mrr_start, rel=REL)
    assert ev["grr"] == pytest.approx((mrr_start - contraction - churned) / mrr_start, rel=REL)
    assert ev["grr"] == pytest.approx(0.92, rel=REL)
    assert ev["mrr_end"] == pytest.approx(66_000_000, rel=REL)
    assert ev.kgi == "nrr"
    assert ev.kgi_value == pytest.approx(
        (mrr_start + expansion - contraction - churned) / mrr_start, rel=REL
    )
    assert ev.kgi_value == pytest.approx(1.08, rel=REL)


def test_nrr_override_of_churned_customers() -> None:
    """Halving churned customers to 5 raises NRR by 1.25 million / 50 million to 110.5 %."""
    ev = _load("nrr").evaluate(overrides={"churned_customers": 5})
    assert ev.kgi_value == pytest.approx(
        (50_000_000 + 8_000_000 - 1_500_000 - 5 * 250_000) / 50_000_000, rel=REL
    )
    assert ev.kgi_value == pytest.approx(1.105, rel=REL)


# --- demand_waterfall -------------------------------------------------------------------------


def test_demand_waterfall_values() -> None:
    """Each stage of the waterfall carries the previous stage's count times its rate."""
    ev = _load("demand_waterfall").evaluate()
    aql = 1_200 * 0.5
    tql = aql * 0.5
    tal = 800 * 0.25
    tgl = tal * 0.5
    mql = tql + tgl
    sal = mql * 0.6
    sql = sal + 80
    won = sql * 0.25
    assert ev["aql"] == pytest.approx(600, rel=REL)
    assert ev["tql"] == pytest.approx(300, rel=REL)
    assert ev["tal"] == pytest.approx(200, rel=REL)
    assert ev["tgl"] == pytest.approx(100, rel=REL)
    assert ev["mql"] == pytest.approx(mql, rel=REL)
    assert ev["mql"] == pytest.approx(400, rel=REL)
    assert ev["sal"] == pytest.approx(240, rel=REL)
    assert ev["sql"] == pytest.approx(sql, rel=REL)
    assert ev["sql"] == pytest.approx(320, rel=REL)
    assert ev["lead_to_opportunity_rate"] == pytest.approx(320 / 2_000, rel=REL)
    assert ev["won"] == pytest.approx(80, rel=REL)
    assert ev.kgi == "new_bookings"
    assert ev.kgi_value == pytest.approx(won * 3_600_000, rel=REL)
    assert ev.kgi_value == pytest.approx(288_000_000, rel=REL)


# --- sales_velocity ---------------------------------------------------------------------------


def test_sales_velocity_values() -> None:
    """Velocity is opportunities x win rate x deal size / cycle length."""
    ev = _load("sales_velocity").evaluate()
    opportunities = 800 * 0.15
    assert ev["opportunities"] == pytest.approx(120, rel=REL)
    assert ev["won_deals"] == pytest.approx(30, rel=REL)
    assert ev["pipeline_value"] == pytest.approx(432_000_000, rel=REL)
    assert ev.kgi == "sales_velocity"
    assert ev.kgi_value == pytest.approx(opportunities * 0.25 * 3_600_000 / 3, rel=REL)
    assert ev.kgi_value == pytest.approx(36_000_000, rel=REL)


def test_sales_velocity_shorter_cycle() -> None:
    """Cutting the cycle from 3 to 2 months raises velocity by half, to 54 million JPY."""
    ev = _load("sales_velocity").evaluate(overrides={"sales_cycle_months": 2})
    assert ev.kgi_value == pytest.approx(54_000_000, rel=REL)


# --- webinar_case -----------------------------------------------------------------------------


def test_webinar_case_reproduces_the_field_figures() -> None:
    """22 webinars give 501 leads, 20 customers, 10,010,400 JPY revenue and an ROI of 416 %."""
    ev = _load("webinar_case").evaluate()
    new_leads = 1_336 * 0.75 * 0.5
    customers = (new_leads - 101) * 0.2 * 0.25
    revenue = customers * 41_710 * 12
    cost = 22 * 70_000 + 400_000
    assert ev["webinars"] == pytest.approx(22, rel=REL)
    assert ev["attendees"] == pytest.approx(1_002, rel=REL)
    assert ev["new_leads"] == pytest.approx(501, rel=REL)
    assert ev["opportunities"] == pytest.approx(80, rel=REL)
    assert ev["new_customers"] == pytest.approx(20, rel=REL)
    assert ev["new_customers"] == pytest.approx(customers, rel=REL)
    assert ev["revenue"] == pytest.approx(10_010_400, rel=REL)
    assert ev["revenue"] > 10_000_000
    assert ev["cost"] == pytest.approx(1_940_000, rel=REL)
    assert ev["leads_per_webinar"] == pytest.approx(501 / 22, rel=REL)
    assert ev["lead_to_opportunity_rate"] == pytest.approx(80 / 501, rel=REL)
    assert ev["cost_per_lead"] == pytest.approx(1_940_000 / 501, rel=REL)
    assert ev["cac"] == pytest.approx(97_000, rel=REL)
    assert ev.kgi == "roi"
    assert ev.kgi_value == pytest.approx((revenue - cost) / cost, rel=REL)
    assert ev.kgi_value == pytest.approx(4.16, rel=REL)
