"""Every result's dictionary (what ``--format json`` prints) names the same concepts the same
way: ``tree`` and ``kgi`` always, ``node``, ``period``, ``scenario`` and ``seed`` wherever the
result has them, and its rows key an input ``input``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

import kpitree
from kpitree.render import render
from kpitree.results import FIELD_NAMES
from tests.conftest import TREES
from tests.test_results import RESULTS, _result

# Per result type, the concepts beside tree and kgi it has (a concept missing here must not
# appear under its uniform name, so a key never means something else).
CONCEPTS: dict[str, tuple[str, ...]] = {
    "alerts": ("scenario",),
    "attribution": ("node", "period"),
    "backtest": ("seed",),
    "bottleneck": ("period", "scenario"),
    "bucket comparison": ("scenario",),
    "cascade": ("node",),
    "comparison": ("scenario",),
    "evaluation": ("scenario",),
    "forecast": ("node", "scenario", "seed"),
    "landing": ("node", "scenario", "seed"),
    "learning": (),
    "measurement": (),
    "probability": ("node", "period", "scenario", "seed"),
    "rollup": ("scenario",),
    "sensitivity": ("period", "scenario"),
    "shapley": ("period", "scenario", "seed"),
    "sobol": ("period", "scenario", "seed"),
    "solution": ("node", "period", "scenario"),
    "sweep": ("scenario", "seed"),
    "tornado": ("period", "scenario"),
    "validation": (),
}


def test_every_registered_result_has_its_concepts_listed() -> None:
    """A result type added to the contract's list must say which uniform keys it carries."""
    assert set(CONCEPTS) == set(RESULTS)


def _expected(kind: str, result: Any) -> dict[str, Any]:
    """The uniform keys' values, read from the result object (not from its dictionary)."""
    inner = getattr(result, "solution", None) or getattr(result, "comparison", None) or result
    tree = kpitree.load(
        TREES / ("saas_arr_measured.yaml" if kind == "measurement" else "saas_arr.yaml")
    )
    values: dict[str, Any] = {"tree": tree.name, "kgi": tree.kgi}
    for concept in CONCEPTS[kind]:
        if concept == "period" and kind in ("sobol", "shapley"):
            values[concept] = tree.periods[-1]  # both explain the KGI at the last period
        else:
            values[concept] = getattr(result, concept, getattr(inner, concept, None))
    return values


@pytest.mark.parametrize("kind", sorted(RESULTS))
def test_uniform_keys_and_their_values(kind: str) -> None:
    """to_dict and the printed JSON carry exactly the uniform keys the result has, with the
    tree's name, its KGI and the result's own node, period, scenario and seed."""
    result = _result(kind)
    expected = _expected(kind, result)
    for data in (result.to_dict(), json.loads(render(result, "json"))):
        assert {key: data[key] for key in FIELD_NAMES if key in data} == expected


def test_values_follow_the_analysis_not_the_defaults() -> None:
    """A scenario, a node other than the KGI and a seed given to an analysis come back under
    the uniform names (attribute's and solve's ``kgi`` was the node explained)."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    forecast = tree.forecast(samples=64, seed=5, node="won", scenario="optimistic").to_dict()
    assert [forecast[key] for key in ("kgi", "node", "scenario", "seed")] == [
        "arr", "won", "optimistic", 5
    ]  # fmt: skip
    sobol = tree.sobol(samples=64, seed=9, scenario="pessimistic").to_dict()
    assert [sobol[key] for key in ("tree", "period", "scenario", "seed")] == [
        "saas_arr", "2027-12", "pessimistic", 9
    ]  # fmt: skip
    solution = tree.solve(["win_rate"], node="won", target=40, scenario="optimistic").to_dict()
    assert [solution[key] for key in ("kgi", "node", "scenario")] == ["arr", "won", "optimistic"]
    evaluation = tree.evaluate(scenario="optimistic")
    assert evaluation.to_dict()["scenario"] == "optimistic"
    assert evaluation.rollup("quarter").to_dict()["scenario"] == "optimistic"


@pytest.mark.parametrize(
    ("kind", "rows"),
    [
        ("sobol", "indices"),
        ("shapley", "effects"),
        ("tornado", "bars"),
        ("sensitivity", "inputs"),
        ("bottleneck", "ranking"),
        ("learning", "rates"),
    ],
)
def test_input_rows_are_keyed_input_in_json_csv_and_frame(kind: str, rows: str) -> None:
    """An input explained is called 'input' in JSON rows, CSV header and frame index alike."""
    result = _result(kind)
    assert all("input" in row and "name" not in row for row in result.to_dict()[rows])
    header = next(csv.reader(io.StringIO(str(render(result, "csv")))))
    assert header[0] == "input"
    assert result.to_frame().index.name == "input"


def test_dir_shows_only_the_public_api() -> None:
    """dir(kpitree) lists the public names, the subpackages and __version__, none of the
    module's own imports (Any, TYPE_CHECKING, importlib, annotations, ModuleType)."""
    assert dir(kpitree) == sorted({*kpitree.__all__, "analysis", "plots", "report", "__version__"})
    for helper in ("Any", "TYPE_CHECKING", "importlib", "annotations", "ModuleType", "pkgutil"):
        assert helper not in dir(kpitree)
    assert all(hasattr(kpitree, name) for name in dir(kpitree))


def test_check_names_the_plan_scenario_it_checked_against() -> None:
    """check --plan's alerts (and their JSON) name the plan scenario, None for the base plan."""
    from kpitree.analysis.alert_list import alerts_on

    tree = kpitree.load(TREES / "saas_arr.yaml")
    actuals = kpitree.read_actuals(TREES / "saas_arr_actuals.csv", tree)
    assert alerts_on(tree, actuals, plan="optimistic").to_dict()["scenario"] == "optimistic"
    assert alerts_on(tree, actuals).to_dict()["scenario"] is None
