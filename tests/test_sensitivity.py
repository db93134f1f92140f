"""Local sensitivity: exact derivatives and elasticities against closed forms, sympy and
central differences; the ``sensitivity`` command's output and errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy
from conftest import TREES
from treegen import generated_kinked_tree_yaml

import kpitree
from kpitree.analysis.batch import node_rows
from kpitree.errors import DataError


def test_product_funnel_elasticities_are_one() -> None:
    """In a product funnel each factor's elasticity is 1 and its derivative the product of the
    others."""
    tree = kpitree.loads(
        """
        name: funnel
        kgi: revenue
        nodes:
          leads: {value: 800}
          sql_rate: {value: 0.15}
          win_rate: {value: 0.25}
          acv: {value: 3_600_000}
          revenue: {formula: leads * sql_rate * win_rate * acv}
        """
    )
    result = tree.sensitivity()
    assert result.kgi_value == pytest.approx(800 * 0.15 * 0.25 * 3_600_000)
    for entry in result.inputs:
        assert entry.elasticity == pytest.approx(1.0, rel=1e-12)
    assert result["win_rate"].derivative == pytest.approx(800 * 0.15 * 3_600_000, rel=1e-12)


def test_elasticity_is_the_share_in_a_sum_of_funnels() -> None:
    """In KGI = a*b + c*d the elasticity of a is its product's share of the KGI."""
    tree = kpitree.loads(
        """
        name: two_funnels
        kgi: won
        nodes:
          web: {value: 300}
          web_rate: {value: 0.1}
          outbound: {value: 200}
          outbound_rate: {value: 0.05}
          won: {formula: web * web_rate + outbound * outbound_rate}
        """
    )
    result = tree.sensitivity()
    assert result["web"].elasticity == pytest.approx(30 / 40, rel=1e-12)
    assert result["outbound_rate"].elasticity == pytest.approx(10 / 40, rel=1e-12)
    assert [entry.name for entry in result.inputs][:2] == ["web", "web_rate"]


def test_ltv_elasticity_to_churn_is_minus_one() -> None:
    """For LTV = ARPU / churn the elasticity to churn is -1 and dLTV/dchurn = -ARPU/churn²."""
    tree = kpitree.loads(
        """
        name: ltv
        kgi: ltv
        nodes:
          arpu: {value: 300_000}
          churn: {value: 0.0125, bounds: [0, 1]}
          ltv: {formula: arpu / churn}
        """
    )
    result = tree.sensitivity()
    assert result["churn"].elasticity == pytest.approx(-1.0, rel=1e-12)
    assert result["churn"].derivative == pytest.approx(-300_000 / 0.0125**2, rel=1e-12)
    assert result["arpu"].elasticity == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    "name", ["unit_economics", "webinar_case", "nrr", "sales_velocity", "demand_waterfall"]
)
def test_static_trees_match_exact_sympy(name: str) -> None:
    """On every static example tree the derivatives equal sympy's derivative of the KGI's
    substituted expression, evaluated exactly with rationals."""
    tree = kpitree.load(TREES / f"{name}.yaml")
    expression = tree.expression(tree.kgi)
    exact = {tree.symbol(n): sympy.Rational(str(v)) for n, v in tree.input_values().items()}
    result = tree.sensitivity()
    for entry in result.inputs:
        expected = float(sympy.diff(expression, tree.symbol(entry.name)).xreplace(exact))
        assert entry.derivative == pytest.approx(expected, rel=1e-12, abs=1e-300)
        assert entry.upstream == (tree.symbol(entry.name) in expression.free_symbols)


def test_timed_recurrence_matches_closed_form() -> None:
    """MRR_t = MRR_{t-1} (1 + g) + new: the derivatives at period T match sympy on the closed
    form MRR_T = m0 (1+g)^T + new ((1+g)^T - 1) / g."""
    tree = kpitree.loads(
        """
        name: growth
        kgi: mrr
        time: {periods: 12}
        nodes:
          growth: {value: 0.02}
          new_mrr: {value: 1_000}
          mrr: {formula: "prev(mrr) * (1 + growth) + new_mrr", initial: 50_000}
        """
    )
    g, new, periods = sympy.symbols("g new T")
    closed = 50_000 * (1 + g) ** periods + new * ((1 + g) ** periods - 1) / g
    result = tree.sensitivity(period=7)
    at = {g: sympy.Rational(1, 50), new: 1000, periods: 7}
    assert result.period == "7"
    assert result.kgi_value == pytest.approx(float(closed.subs(at)), rel=1e-13)
    assert result["growth"].derivative == pytest.approx(
        float(sympy.diff(closed, g).subs(at)), rel=1e-12
    )
    assert result["new_mrr"].derivative == pytest.approx(
        float(sympy.diff(closed, new).subs(at)), rel=1e-12
    )


def _central_differences(tree: kpitree.Tree, period: str | None = None) -> dict[str, float]:
    """Richardson-extrapolated central differences of the KGI per input (all periods shifted
    together), every evaluation a row of one batch: error O(h^4), far below 1e-6 here."""
    base = tree.input_values()
    names = tree.inputs
    periods = tree.time.periods if tree.time is not None else 1
    rows = 4 * len(names)
    changes = {}
    steps = {}
    for i, name in enumerate(names):
        value = np.broadcast_to(np.asarray(base[name], dtype=float), (periods,))
        h = 1e-3 * max(float(np.abs(value).max()), 1e-6)
        steps[name] = h
        matrix = np.tile(value, (rows, 1))
        for j, offset in enumerate((h, -h, 2 * h, -2 * h)):
            matrix[4 * i + j] = value + offset
        changes[name] = matrix
    kgi = node_rows(tree, changes, rows, period=period)
    result = {}
    for i, name in enumerate(names):
        plus, minus, plus2, minus2 = kgi[4 * i : 4 * i + 4]
        h = steps[name]
        result[name] = (8 * (plus - minus) - (plus2 - minus2)) / (12 * h)
    return result


@pytest.mark.parametrize("period", [None, "2027-03", "2027-08"])
def test_saas_arr_matches_central_differences(period: str | None) -> None:
    """Timed saas_arr: exact tangents agree with extrapolated central differences to 1e-6
    relative (of the derivative, or of the KGI/x scale for derivatives that vanish)."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = tree.sensitivity(period=period)
    numeric = _central_differences(tree, period)
    base = tree.input_values()
    for entry in result.inputs:
        scale = abs(result.kgi_value) / max(float(np.abs(np.asarray(base[entry.name])).max()), 1)
        assert entry.derivative == pytest.approx(numeric[entry.name], rel=1e-6, abs=1e-9 * scale)


def test_delayed_input_has_no_effect_before_the_delay() -> None:
    """ARR in January does not yet feel the opportunity rate (deals close two months later):
    derivative exactly 0, yet sql_rate is still upstream."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = tree.sensitivity(period="2027-01")
    assert result["sql_rate"].derivative == 0.0
    assert result["sql_rate"].upstream
    assert result["win_rate"].derivative > 0


def test_per_period_input_moves_as_a_whole() -> None:
    """A per-period input: derivative for shifting every period by one unit, elasticity for
    scaling every period, on a cumulative sum worked by hand."""
    tree = kpitree.loads(
        """
        name: cumulative
        kgi: customers
        time: {periods: 3}
        nodes:
          leads: {value: [10, 20, 30]}
          rate: {value: 0.5}
          customers: {formula: prev(customers) + leads * rate, initial: 100}
        """
    )
    result = tree.sensitivity()
    # customers_3 = 100 + rate * (10 + 20 + 30) = 130
    assert result.kgi_value == pytest.approx(130)
    assert result["leads"].derivative == pytest.approx(3 * 0.5)
    assert result["leads"].elasticity == pytest.approx(0.5 * 60 / 130)
    assert result["leads"].mean_value == pytest.approx(20)
    assert result["rate"].elasticity == pytest.approx(30 / 130)


def test_inputs_not_upstream_are_listed_last_with_zero() -> None:
    """An input the KGI ignores is listed, flagged not upstream, with derivative 0, last."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    result = tree.sensitivity()
    tail = result.inputs[-2:]
    assert {entry.name for entry in tail} == {"sales_cost", "gross_margin"}
    assert all(not entry.upstream and entry.derivative == 0 for entry in tail)
    elasticities = [abs(entry.elasticity) for entry in result.inputs[:-2]]
    assert elasticities == sorted(elasticities, reverse=True)


def test_kinks_and_steps_follow_the_documented_convention() -> None:
    """min() at a tie gives the mean of the one-sided derivatives (1/2); floor() has derivative
    0 and its value where it multiplies."""
    tree = kpitree.loads(
        """
        name: kinks
        kgi: k
        nodes:
          a: {value: 2}
          b: {value: 2}
          c: {value: 2.5}
          d: {value: 3}
          k: {formula: "min(a, b) + floor(c) * d"}
        """
    )
    result = tree.sensitivity()
    assert result["a"].derivative == 0.5
    assert result["b"].derivative == 0.5
    assert result["c"].derivative == 0.0
    assert result["d"].derivative == 2.0


def test_zero_kgi_gives_undefined_elasticity() -> None:
    """With a KGI of 0 the elasticity is undefined: NaN in Python, null in JSON."""
    tree = kpitree.loads(
        """
        name: zero
        kgi: profit
        nodes:
          revenue: {value: 100}
          cost: {value: 100}
          profit: {formula: revenue - cost}
        """
    )
    result = tree.sensitivity()
    assert math.isnan(result["revenue"].elasticity)
    assert result["revenue"].derivative == 1.0
    from kpitree.present.sensitivity import sensitivity_json

    assert json.loads(sensitivity_json(result))["inputs"][0]["elasticity"] is None


def test_cli_json_shape(cli) -> None:
    """``sensitivity --format json`` gives kgi, period, kgi_value and one entry per input with
    name, value, derivative, elasticity and owner."""
    status, out, err = cli("sensitivity", TREES / "saas_arr.yaml", "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["kgi"] == "arr"
    assert data["period"] == "2027-12"
    assert data["kgi_value"] == pytest.approx(
        kpitree.load(TREES / "saas_arr.yaml").evaluate().kgi_value
    )
    assert len(data["inputs"]) == 13
    first = data["inputs"][0]
    assert {"input", "value", "derivative", "elasticity", "owner"} <= set(first)
    visits = next(entry for entry in data["inputs"] if entry["input"] == "visits")
    assert len(visits["value"]) == 12


def test_cli_table_reads_well(cli) -> None:
    """The table has a heading with the KGI value, aligned rows with thousands separators, and
    flags inputs the KGI ignores."""
    status, out, _ = cli("sensitivity", TREES / "saas_arr.yaml", "--scenario", "optimistic")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("saas_arr, scenario 'optimistic': sensitivity of arr at 2027-12 = ")
    assert "JPY/year" in lines[0]
    assert "12,000,000" in out
    assert out.count("not upstream of the KGI") == 2
    table = lines[1:16]  # header, rule, 13 inputs
    assert max(len(line) for line in table) == len(table[1])  # every row within the rule


def test_cli_unknown_period(cli) -> None:
    """An unknown --period is bad input: exit 2, one line naming the periods."""
    status, out, err = cli("sensitivity", TREES / "saas_arr.yaml", "--period", "2030-01")
    assert (status, out) == (2, "")
    assert err == (
        "kpitree: tree 'saas_arr' has no period '2030-01' (periods 2027-01 .. 2027-12)\n"
    )


def test_cli_period_on_static_tree(cli) -> None:
    """--period on a static tree is bad input: exit 2, one line."""
    status, out, err = cli("sensitivity", TREES / "nrr.yaml", "--period", "3")
    assert (status, out) == (2, "")
    assert err == "kpitree: tree 'nrr' is static: it has no period '3'\n"


def test_unknown_scenario_is_a_data_error() -> None:
    """An unknown scenario raises DataError naming the scenarios."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    with pytest.raises(DataError, match="no scenario 'optimistc'"):
        tree.sensitivity(scenario="optimistc")


def test_generated_timed_tree_with_kinks_matches_central_differences() -> None:
    """On a generated 36-period tree of sums, products, prev() and min/max of up to six
    arguments, the reverse-mode derivatives agree with extrapolated central differences."""
    tree = kpitree.loads(generated_kinked_tree_yaml(150, seed=3, periods=36))
    result = tree.sensitivity(period="2029-06")
    numeric = _central_differences(tree, "2029-06")
    moved = 0
    for entry in result.inputs:
        assert entry.derivative == pytest.approx(numeric[entry.name], rel=1e-6, abs=1e-9)
        moved += entry.derivative != 0
    assert moved >= 10  # the check is not only about zeros
