"""Properties of saved scenarios: any valid mapping saved and read back evaluates exactly as the
same values given as overrides, and any accepted name reads back as itself."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpitree
from kpitree.errors import DataError
from kpitree.serve.scenario_file import check_scenario_name, save_scenario, scenario_values
from kpitree.serve.watch import fingerprint

ROOT = Path(__file__).resolve().parents[1]
TREE = kpitree.load(ROOT / "trees" / "saas_arr.yaml")
PERIODS = 12


def in_bounds(name: str) -> st.SearchStrategy[float]:
    """Finite floats inside input ``name``'s bounds (open ends capped at a large value)."""
    low, high = TREE.nodes[name].bounds
    low = -1e12 if low is None else low
    high = 1e12 if high is None else high
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def typed(number: float) -> st.SearchStrategy[object]:
    """``number`` as the page may send it: a JSON number or its text (``repr``)."""
    return st.sampled_from([number, repr(number)])


@st.composite
def scenario(draw: st.DrawFn) -> dict[str, object]:
    """A mapping of some of the tree's inputs to valid values, one or one per period."""
    names = draw(
        st.lists(st.sampled_from(sorted(TREE.inputs)), min_size=1, max_size=5, unique=True)
    )
    values: dict[str, object] = {}
    for name in names:
        if draw(st.booleans()):
            values[name] = draw(in_bounds(name).flatmap(typed))
        else:
            numbers = draw(st.lists(in_bounds(name), min_size=PERIODS, max_size=PERIODS))
            values[name] = [draw(typed(number)) for number in numbers]
    return values


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the bundled ARR tree that every example saves into."""
    target = tmp_path_factory.mktemp("property") / "saas_arr.yaml"
    shutil.copy(ROOT / "trees" / "saas_arr.yaml", target)
    return target


def evaluated(tree: kpitree.Tree, **options: Any) -> np.ndarray:
    """Every node's value per period, or NaN where a value cannot be computed."""
    try:
        return tree.evaluate(**options).to_frame().to_numpy(dtype=float)
    except kpitree.KpiTreeError as error:  # e.g. a division by zero the values cause
        return np.array([type(error).__name__])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=scenario())
def test_saved_scenario_evaluates_as_the_overrides(path: Path, values: dict[str, object]) -> None:
    """A valid scenario saved into the tree and read back gives exactly the evaluation of the
    same values given as overrides."""
    save_scenario(path, "drawn", values, fingerprint(path, kpitree.load(path)))
    tree = kpitree.load(path)
    overrides = scenario_values(values)
    assert tree.scenarios["drawn"] == {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in overrides.items()
    }
    np.testing.assert_array_equal(
        evaluated(tree, scenario="drawn"), evaluated(TREE, overrides=overrides)
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(min_size=1, max_size=30))
def test_accepted_names_read_back_as_themselves(path: Path, name: str) -> None:
    """A name the saver accepts is saved and read back by the tree as that same name."""
    try:
        check_scenario_name(name)
    except DataError:
        return
    save_scenario(path, name, {"win_rate": 0.3}, fingerprint(path, kpitree.load(path)))
    assert kpitree.load(path).scenarios[name] == {"win_rate": 0.3}
