"""Goal seek at the edges of a formula: a root in the spike next to a pole, which no pair of scan
points brackets, and a target out of reach over a flat stretch, where the reported point is the
stretch's edge nearest the current value (the smallest move), worked by hand."""

from __future__ import annotations

import pytest

import kpitree

POLE = """
name: pole
kgi: y
nodes:
  x: {{value: {value}, bounds: [0, 10]}}
  y: {{formula: "if(x > 3, 1 / (x - 3), -1)"}}
"""

PLATEAU = """
name: plateau
kgi: y
nodes:
  x: {{value: {value}, bounds: [0, 10]}}
  y: {{formula: "{formula}"}}
"""


@pytest.mark.parametrize("value", [5, 1])
def test_root_next_to_a_pole_is_found(value) -> None:
    """1 / (x - 3) = 1e6 at x = 3 + 1e-6, between a scan point below 3 (value -1) and one above
    (value 128): both miss the target on the same side, yet the root is there."""
    tree = kpitree.loads(POLE.format(value=value))
    solution = tree.solve(["x"], target=1e6)
    assert solution.feasible
    assert solution.values["x"] == pytest.approx(3 + 1e-6, rel=1e-12)
    assert solution.plan.roots == pytest.approx((3 + 1e-6,), rel=1e-12)
    assert solution.reached == pytest.approx(1e6, rel=1e-9)


def test_jump_next_to_a_pole_is_not_a_root() -> None:
    """A step from -1 to 2e6 at 3 passes 1e6 without reaching it: not feasible, and the point
    reported is on the step's high side, where the value comes closest (2e6 is 1e6 away, -1 is
    1e6 + 1 away)."""
    tree = kpitree.loads(POLE.format(value=5).replace("1 / (x - 3)", "2e6"))
    solution = tree.solve(["x"], target=1e6)
    assert not solution.feasible
    assert solution.reached == 2e6
    assert solution.values["x"] > 3


@pytest.mark.parametrize(
    ("formula", "value", "expected"),
    [
        ("min(x, 4)", 1, 4.0),  # the flat stretch [4, 10] starts at 4
        ("min(x, 4)", 6, 6.0),  # already on it: no move
        ("max(8 - x, 4)", 1, 4.0),  # from above: 8 - x falls to 4 at x = 4
    ],
)
def test_out_of_reach_over_a_flat_stretch_reports_its_nearest_edge(formula, value, expected):
    """y is at most 4, flat at 4 on [4, 10]; target 5: not feasible, closest 4, at the point of
    the flat stretch nearest the current x (its edge, exactly, or x itself when on it)."""
    tree = kpitree.loads(PLATEAU.format(value=value, formula=formula))
    solution = tree.solve(["x"], target=5 if formula.startswith("min") else 3)
    assert not solution.feasible
    # 8 - x rounds to 4 one ulp before x = 4: the flat stretch starts there in floats.
    assert solution.values["x"] == pytest.approx(expected, rel=1e-15)
    assert solution.reached == 4.0
