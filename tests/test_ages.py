"""A retention curve or lag weights given as an input, one value per age
(``value: {ages: [...]}``): hand sums, list length, the scale factor every analysis moves,
--set and scenarios by age, and the errors for any other use."""

from __future__ import annotations

from pathlib import Path

import mpmath
import numpy as np
import pytest

import kpitree
from kpitree.cli.main import main
from kpitree.errors import DataError, FormulaError, SpecError

NEW = [10.0, 20.0, 30.0, 40.0, 50.0]


def _text(
    formula: str = "cohort(new, retention)", ages: str = "[1.0, 0.5, 0.25]", **extra: str
) -> str:
    more = "".join(f"\n  {name}: {body}" for name, body in extra.items())
    return f"""name: ages
kgi: kgi
time: {{periods: {len(NEW)}, unit: month}}
nodes:
  new: {{value: {NEW}}}
  retention: {{value: {{ages: {ages}}}}}
  weights: {{value: {{ages: [0.2, 0.5, 0.3]}}}}
  kgi:
    formula: "{formula}"{more}
"""


def _tree(
    formula: str = "cohort(new, retention)", ages: str = "[1.0, 0.5, 0.25]", **extra: str
) -> kpitree.Tree:
    return kpitree.loads(_text(formula, ages, **extra))


def _kgi(tree: kpitree.Tree, **kwargs: object) -> list[float]:
    return list(tree.evaluate(**kwargs).values["kgi"])  # type: ignore[arg-type]


def test_cohort_with_an_age_list_equals_the_sum_by_hand() -> None:
    """cohort(new, retention) with ages [1, 0.5, 0.25] is new(t) + 0.5 new(t-1) + 0.25 new(t-2)."""
    assert _kgi(_tree()) == pytest.approx([10, 25, 42.5, 60, 77.5], rel=1e-15)


def test_lagged_with_input_weights_equals_hand_arithmetic() -> None:
    """lagged(new, weights) with weights [0.2, 0.5, 0.3] is 0.2 new(t) + 0.5 new(t-1) +
    0.3 new(t-2), 0 before period 1."""
    assert _kgi(_tree("lagged(new, weights)")) == pytest.approx([2, 9, 19, 29, 39], rel=1e-15)


def test_ages_past_the_list_read_0_and_ages_past_the_axis_are_unused() -> None:
    """A list shorter than the axis weighs older ages by 0; a longer one is cut at the axis
    (cohort and lagged alike)."""
    assert _kgi(_tree(ages="[1, 0.5]")) == pytest.approx([10, 25, 40, 55, 70], rel=1e-15)
    long = "[1, 0.5, 0.25, 0.125, 0.0625, 0.03, 0.02, 0.01]"
    expected = [sum(NEW[t - a] * 0.5**a for a in range(t + 1)) for t in range(len(NEW))]
    assert _kgi(_tree(ages=long)) == pytest.approx(expected, rel=1e-15)
    assert _kgi(_tree("lagged(new, retention)", ages=long)) == pytest.approx(expected, rel=1e-15)
    assert _kgi(_tree("lagged(new, retention)", ages="[1, 0.5]")) == pytest.approx(
        [10, 25, 40, 55, 70], rel=1e-15
    )


def test_the_nodes_value_is_the_curves_scale() -> None:
    """The input's value is 1 as written, and a number set on it scales the whole curve."""
    tree = _tree()
    assert tree.input_values()["retention"] == 1.0
    assert _kgi(tree, overrides={"retention": 1.2}) == pytest.approx(
        [1.2 * v for v in _kgi(tree)], rel=1e-15
    )


def _hand_kgi_50_digits(scale: mpmath.mpf) -> mpmath.mpf:
    """sqrt(customers) * 100 at the last period, customers = scale * sum of ages by hand."""
    customers = scale * (NEW[4] + mpmath.mpf("0.5") * NEW[3] + mpmath.mpf("0.25") * NEW[2])
    return mpmath.sqrt(customers) * 100


def test_sensitivity_is_the_derivative_in_the_curves_scale() -> None:
    """d KGI / d retention is the derivative with respect to scaling the whole curve, equal
    to a 50-digit central difference (step 1e-20) of the hand formula."""
    tree = _tree("sqrt(customers) * 100", customers="{formula: 'cohort(new, retention)'}")
    with mpmath.workdps(50):
        h = mpmath.mpf("1e-20")
        numeric = (_hand_kgi_50_digits(1 + h) - _hand_kgi_50_digits(1 - h)) / (2 * h)
    result = tree.sensitivity()
    assert result["retention"].derivative == pytest.approx(float(numeric), rel=1e-13)
    assert result["retention"].elasticity == pytest.approx(0.5, rel=1e-13)


def test_solve_moves_the_scale_as_a_lever() -> None:
    """Solving for the KGI 10 % higher with the curve as the lever scales it by 1.1."""
    tree = _tree()
    solution = tree.solve(["retention"], target=77.5 * 1.1)
    assert solution.values["retention"] == pytest.approx(1.1, rel=1e-9)


def test_forecast_keeps_the_curve_and_draws_its_scale() -> None:
    """A forecast reads the curve as given; a distribution on the node draws its scale per
    path, so the last period's mean is the scale's mean times the hand sum."""
    fixed = _tree().forecast(samples=200, seed=1)
    np.testing.assert_allclose(fixed.final, 77.5, rtol=1e-15)
    tree = kpitree.loads(
        _text().replace(
            "retention: {value: {ages: [1.0, 0.5, 0.25]}}",
            "retention: {value: {ages: [1.0, 0.5, 0.25]}, "
            "distribution: {dist: uniform, low: 0.8, high: 1.2}}",
        )
    )
    paths = tree.forecast(samples=4000, seed=3).final
    standard_error = 77.5 * 0.4 / np.sqrt(12) / np.sqrt(4000)
    assert paths.mean() == pytest.approx(77.5, abs=4 * standard_error)
    assert paths.min() >= 0.8 * 77.5 - 1e-9
    assert paths.max() <= 1.2 * 77.5 + 1e-9


def test_sobol_gives_the_scale_its_share_of_the_variance() -> None:
    """KGI = cohort(new, retention) + other with independent uniform scale and other: the
    first-order index of the scale is its share of the variance, within 4 standard errors."""
    text = _text(
        "cohort(new, retention) + other",
        other="{value: 0, distribution: {dist: uniform, low: -10, high: 10}}",
    ).replace(
        "retention: {value: {ages: [1.0, 0.5, 0.25]}}",
        "retention: {value: {ages: [1.0, 0.5, 0.25]}, "
        "distribution: {dist: uniform, low: 0.8, high: 1.2}}",
    )
    result = kpitree.loads(text).sobol(samples=4096, seed=5)
    var_scale, var_other = (77.5 * 0.4) ** 2 / 12, 20**2 / 12
    share = var_scale / (var_scale + var_other)
    frame = result.to_frame()
    first = float(frame.loc["retention", "S1"])
    confidence = float(frame.loc["retention", "S1_conf"])
    assert first == pytest.approx(share, abs=max(2 * confidence, 0.02))


def test_previous_period_attribution_adds_up_with_an_age_list() -> None:
    """--previous on a cohort over an age list: contributions add up to the change."""
    result = _tree().attribute(previous=True, period="5")
    assert sum(result.contributions.values()) == pytest.approx(77.5 - 60, rel=1e-12)


def test_with_curves_replaces_the_curve_and_a_scenarios_lists() -> None:
    """with_curves() takes one value per age; a scenario's list of ages is applied and the
    rest of the scenario still reads as numbers."""
    tree = kpitree.loads(_text() + "scenarios:\n  worse: {retention: [1, 0.4], new: 10}\n")
    assert _kgi(tree.with_curves({"retention": [1, 0.9]})) == pytest.approx(
        [10, 29, 48, 67, 86], rel=1e-15
    )
    worse = tree.with_curves({}, scenario="worse")
    assert _kgi(worse, scenario="worse") == pytest.approx([10, 14, 14, 14, 14], rel=1e-15)
    assert _kgi(tree) == pytest.approx([10, 25, 42.5, 60, 77.5], rel=1e-15)  # unchanged


def test_a_list_on_a_curve_in_python_names_with_curves() -> None:
    """evaluate(overrides={curve: [...]}) is refused with a message naming with_curves()."""
    with pytest.raises(DataError, match=r"curve by age.*with_curves"):
        _tree().evaluate(overrides={"retention": [1, 0.9]})


def _run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str, text: str | None = None
) -> tuple[int, str, str]:
    path = tmp_path / "ages.yaml"
    path.write_text(text or _text())
    status = main(
        [args[0], str(path), *args[1:], "--format", "json"]
        if args[0] == "eval"
        else [args[0], str(path), *args[1:]]
    )
    out, err = capsys.readouterr()
    return status, out, err


def test_set_a_list_on_a_curve_is_one_value_per_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--set retention=[1, 0.9] replaces the curve by age; --set retention=2 scales it."""
    import json

    status, out, _ = _run(
        tmp_path, capsys, "eval", "--set", "retention=[1, 0.9]", "--set", "new=[1,1,1,1,1]"
    )
    assert status == 0
    assert json.loads(out)["values"]["kgi"] == pytest.approx([1, 1.9, 1.9, 1.9, 1.9])


def test_scenario_with_a_list_of_ages_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--scenario whose list sets a curve by age evaluates with that curve."""
    import json

    text = _text() + "scenarios:\n  worse: {retention: [1, 0.4]}\n"
    status, out, _ = _run(tmp_path, capsys, "eval", "--scenario", "worse", text=text)
    assert status == 0
    assert json.loads(out)["values"]["kgi"] == pytest.approx([10, 24, 38, 52, 66])


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("retention * new", r"'retention' is a curve by age"),
        ("delay(new, retention)", r"'retention' is a curve by age"),
        ("cohort(retention, [1, 0.5])", r"'retention' is a curve by age"),
        ("prev(retention)", r"'retention' is a curve by age"),
        ("cohort(new, retention * 2)", r"'retention' is a curve by age"),
    ],
)
def test_any_other_use_of_a_curve_is_an_error_at_its_line(
    tmp_path: Path, formula: str, message: str
) -> None:
    """A curve by age read as a number is a FormulaError at the reading node's line."""
    path = tmp_path / "ages.yaml"
    path.write_text(_text(formula))
    with pytest.raises(FormulaError, match=message) as error:
        kpitree.load(path)
    assert str(error.value).startswith(f"{path}:8: node 'kgi'")


@pytest.mark.parametrize(
    ("ages", "message"),
    [
        ("[]", "ages must be a list of 1 to"),
        ("3", "ages must be a list of 1 to"),
        ("[1, -0.5]", r"age 1 must be a finite number >= 0"),
        ("[1, x]", r"age 1 must be a number, found 'x'"),
        ("[1], start: 2", r"a curve by age is \{ages: \[1, 0.62, 0.48\]\}, found keys ages, start"),
    ],
)
def test_bad_ages_say_what_is_wrong(tmp_path: Path, ages: str, message: str) -> None:
    """A curve by age written wrong is a SpecError at its line, naming the node."""
    path = tmp_path / "ages.yaml"
    path.write_text(_text(ages=ages))
    with pytest.raises(SpecError, match=f"node 'retention'.*{message}") as error:
        kpitree.load(path)
    assert str(error.value).startswith(f"{path}:6:")


def test_bad_list_on_the_command_line_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--set retention=[1, -1] is refused with exit status 2 and no traceback."""
    status, _, err = _run(tmp_path, capsys, "eval", "--set", "retention=[1, -1]")
    assert status == 2
    assert "a curve by age takes one or more values >= 0, found -1" in err
    assert "Traceback" not in err


def test_functions_help_names_the_input_by_age(capsys: pytest.CaptureFixture[str]) -> None:
    """`kpitree functions` says cohort() and lagged() take an input given as {ages: [...]}."""
    assert main(["functions"]) == 0
    out = capsys.readouterr().out
    assert out.count("{ages: [") == 2


def test_with_curves_refuses_a_node_that_is_not_a_curve() -> None:
    """with_curves() on an ordinary input is a DataError naming it."""
    with pytest.raises(DataError, match="'new' is not a curve by age"):
        _tree().with_curves({"new": [1, 2]})


def test_a_scenarios_bad_curve_is_refused_when_the_file_is_read(tmp_path: Path) -> None:
    """A scenario's list of ages with a negative value is a DataError at the scenario's line."""
    path = tmp_path / "ages.yaml"
    path.write_text(_text() + "scenarios:\n  worse: {retention: [1, -0.4]}\n")
    with pytest.raises(DataError, match=r"one or more values >= 0, found -0.4") as error:
        kpitree.load(path)
    assert str(error.value).startswith(f"{path}:11:")


def test_attribution_to_a_scenario_that_replaces_a_curve_is_refused() -> None:
    """Attribution from the plan to a scenario with a list of ages says why it cannot."""
    tree = kpitree.loads(_text() + "scenarios:\n  worse: {retention: [1, 0.4]}\n")
    with pytest.raises(DataError, match=r"attribute --plan/--to cannot"):
        tree.attribute(to="worse")
