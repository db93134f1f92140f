"""Every formula function through every analysis (issue 15: "each addition must work
everywhere a formula does"), each checked against something computed another way:
sensitivity against central differences of evaluate, solve by evaluating its answer, tornado
bars by evaluating their ends, the vectorised engine against one evaluation per path, Sobol
first-order indices against conditional variances on a grid, attribution adding up, the
diagram's dashed edges, and the arity message of each function."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import FancyArrowPatch

import kpitree
from kpitree.errors import FormulaError
from kpitree.functions import FUNCTION_TABLE
from kpitree.plots.tree_diagram import plot_tree

TEMPLATE = """name: audit
kgi: y
time: {{periods: 6, unit: month, start: 2027-01}}
nodes:
  x: {{value: [40, 55, 30, 70, 65, 80], unit: deals}}
  a: {{value: 0.6, bounds: [0.1, 0.9], distribution: {{dist: uniform, low: 0.4, high: 0.8}}}}
  b: {{value: 2.5, bounds: [1, 5], distribution: {{dist: uniform, low: 2, high: 3}}}}
  k: {{value: 1.5, bounds: [1, 3], distribution: {{dist: uniform, low: 1.2, high: 1.8}}}}
  w: {{value: {{ages: [0.2, 0.5, 0.3]}}}}
  y:
    formula: "{formula}"{extra}
scenarios:
  up: {{a: 0.7, b: 2.8, k: 1.7}}
"""

# One formula per function (two for those with two kinds of argument), at a point away from
# any kink so a central difference is the derivative.
FORMULAS: dict[str, str] = {
    "min": "min(a * x, b * 20)",
    "max": "max(a * x - b * 10, 1)",
    "abs": "abs(a * x - b * 40)",
    "exp": "x * exp(-a * b)",
    "log": "x * log(1 + a * b)",
    "sqrt": "sqrt(a * x) * b",
    "floor": "floor(a * x / 7) * b",
    "ceil": "ceil(a * x / 7) * b",
    "sin": "x * (1 + a * sin(2 * pi * month / 12)) * b",
    "cos": "x * (1 + a * cos(2 * pi * (month - 1) / 12)) * b",
    "clip": "clip(a * x, 0, b * 20)",
    "if": "if(a > 0.5, x * b, x * a)",
    "lookup": "lookup(a * 10, [[0, 0], [3, 0.5], [8, 1]]) * x * b",
    "prev": "prev(y) * (1 - a / 10) + x * b",
    "delay": "delay(x, k) * a + b",
    "lagged": "lagged(x, [0.2, 0.5, 0.3]) * a * b",
    "lagged/ages": "lagged(x, w) * a * b",
    "cohort/ages": "cohort(x, w) * a + b",
    "sbg_survival": "cohort(x, sbg_survival(a, b))",
    "geometric_survival": "cohort(x, geometric_survival(a / 10)) * b",
}
READS_BACK = {"delay", "lagged", "lagged/ages", "cohort/ages", "sbg_survival",
              "geometric_survival"}  # fmt: skip
CASES = sorted(FORMULAS)


def test_every_function_of_the_table_is_audited() -> None:
    """Each row of the function table has a formula here (cohort through its curves)."""
    covered = {case.split("/")[0] for case in FORMULAS} | {"cohort"}
    assert {row.name for row in FUNCTION_TABLE} <= covered


def _tree(case: str) -> kpitree.Tree:
    extra = "\n    initial: 0" if case == "prev" else ""
    return kpitree.loads(TEMPLATE.format(formula=FORMULAS[case], extra=extra))


def _kgi(tree: kpitree.Tree, **overrides: object) -> float:
    return float(tree.evaluate(overrides=overrides).final("y"))  # type: ignore[arg-type]


def _shifted(value: object, step: float) -> object:
    if isinstance(value, tuple):
        return [item + step for item in value]
    return float(value) + step  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CASES)
def test_sensitivity_matches_central_differences(case: str) -> None:
    """The exact derivative of the KGI in each input equals a central difference of evaluate
    (every period shifted together for the input given per period)."""
    tree = _tree(case)
    result = tree.sensitivity()
    values = tree.input_values()
    for name in ("x", "a", "b", "k", "w"):
        h = 1e-6
        up = _kgi(tree, **{name: _shifted(values[name], h)})
        down = _kgi(tree, **{name: _shifted(values[name], -h)})
        numeric = (up - down) / (2 * h)
        assert result[name].derivative == pytest.approx(numeric, rel=1e-6, abs=1e-6), name


@pytest.mark.parametrize("case", CASES)
def test_solve_answer_evaluates_to_the_target(case: str) -> None:
    """Solving with lever a for the KGI that a = 0.65 gives lands on a value that evaluates
    to that target."""
    tree = _tree(case)
    target = _kgi(tree, a=0.65)
    solution = tree.solve(["a"], target=target)
    assert _kgi(tree, a=solution.values["a"]) == pytest.approx(target, rel=1e-7)


@pytest.mark.parametrize("case", CASES)
def test_tornado_ends_are_the_kgi_at_the_swung_values(case: str) -> None:
    """Each bar's KGI low and high are the KGI evaluated at its low and high values."""
    tree = _tree(case)
    result = tree.tornado()
    assert {bar.name for bar in result.bars} >= {"a", "b"}
    for bar in result.bars:
        if bar.name == "x":  # given per period: its ends are shown as means
            continue
        assert bar.kgi_low == pytest.approx(_kgi(tree, **{bar.name: bar.low_value}), rel=1e-12)
        assert bar.kgi_high == pytest.approx(_kgi(tree, **{bar.name: bar.high_value}), rel=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_vectorised_paths_equal_one_evaluation_per_path(case: str) -> None:
    """One engine run with a, b and k drawn per path equals evaluating each path alone, and
    a forecast runs on it."""
    tree = _tree(case)
    rng = np.random.default_rng(7)
    draws = {
        "a": rng.uniform(0.4, 0.8, 5),
        "b": rng.uniform(2, 3, 5),
        "k": rng.uniform(1.2, 1.8, 5),
    }
    inputs = {**tree.input_values(), **{name: column[:, None] for name, column in draws.items()}}
    run = tree.engine.run(inputs, samples=5, nodes=("y",))["y"][:, -1]
    alone = [
        _kgi(tree, **{name: float(column[i]) for name, column in draws.items()}) for i in range(5)
    ]
    np.testing.assert_allclose(run, alone, rtol=1e-12)
    forecast = tree.forecast(samples=512, seed=1)
    assert np.isfinite(forecast.final).all()
    assert forecast.final.min() <= forecast.mean[-1] <= forecast.final.max()


def _grid_first_order(tree: kpitree.Tree, points: int = 40) -> dict[str, float]:
    """Var(E[Y | input]) / Var(Y) on a midpoint grid of the three uniforms."""
    grids = {
        "a": 0.4 + 0.4 * (np.arange(points) + 0.5) / points,
        "b": 2.0 + 1.0 * (np.arange(points) + 0.5) / points,
        "k": 1.2 + 0.6 * (np.arange(points) + 0.5) / points,
    }
    mesh = np.meshgrid(grids["a"], grids["b"], grids["k"], indexing="ij")
    samples = points**3
    inputs = {
        **tree.input_values(),
        **{n: m.reshape(-1, 1) for n, m in zip(grids, mesh, strict=True)},
    }
    y = tree.engine.run(inputs, samples=samples, nodes=("y",))["y"][:, -1].reshape(mesh[0].shape)
    total = y.var()
    if total == 0:
        return dict.fromkeys(grids, 0.0)
    return {
        name: float(y.mean(axis=tuple(j for j in range(3) if j != axis)).var() / total)
        for axis, name in enumerate(grids)
    }


@pytest.mark.parametrize("case", CASES)
def test_sobol_first_order_matches_conditional_variances(case: str) -> None:
    """Sobol S1 of a, b and k agree with Var(E[Y | input]) / Var(Y) computed on a grid."""
    tree = _tree(case)
    frame = tree.sobol(samples=4096, seed=3).to_frame()
    expected = _grid_first_order(tree)
    for name, value in expected.items():
        tolerance = max(1.5 * float(frame.loc[name, "S1_conf"]), 0.03)
        assert float(frame.loc[name, "S1"]) == pytest.approx(value, abs=tolerance), name


@pytest.mark.parametrize("case", CASES)
def test_attributions_add_up(case: str) -> None:
    """Period over period (--previous) and plan to scenario, the contributions add up to the
    KGI's change."""
    tree = _tree(case)
    previous = tree.attribute(previous=True, period="2027-06")
    assert sum(previous.contributions.values()) == pytest.approx(
        previous.new - previous.base, rel=1e-9, abs=1e-9
    )
    to_scenario = tree.attribute(to="up")
    assert sum(to_scenario.contributions.values()) == pytest.approx(
        to_scenario.new - to_scenario.base, rel=1e-9, abs=1e-9
    )


@pytest.mark.parametrize("case", CASES)
def test_diagram_dashes_the_edges_that_read_back(case: str) -> None:
    """The diagram draws x -> y dashed exactly when y reads x in earlier periods (prev(y)
    reads y: its loop is dashed)."""
    tree = _tree(case)
    ax = plot_tree(tree, tree.evaluate())
    FigureCanvasAgg(ax.figure).draw()  # type: ignore[arg-type]
    styles = {p.get_gid(): p.get_linestyle() for p in ax.patches if isinstance(p, FancyArrowPatch)}
    assert styles["x->y"] == ("--" if case in READS_BACK else "-")
    if case == "prev":
        assert styles["y->y"] == "--"


@pytest.mark.parametrize(
    "row", [row for row in FUNCTION_TABLE if row.arity[1] is not None], ids=lambda row: row.name
)
def test_each_function_called_with_too_many_arguments_is_an_error_at_its_line(
    tmp_path: Path, row: object
) -> None:
    """One argument too many is a FormulaError at the node's line saying how to call it."""
    from kpitree.functions import Function

    assert isinstance(row, Function)
    high = row.arity[1]
    assert high is not None
    args = ", ".join(["x"] + ["1"] * high)
    call = f"{row.name}({args})"
    formula = f"cohort(x, {call})" if row.curve else call
    path = tmp_path / "audit.yaml"
    path.write_text(TEMPLATE.format(formula=formula, extra=""))
    with pytest.raises(FormulaError) as error:
        kpitree.load(path)
    message = str(error.value)
    assert message.startswith(f"{path}:10: node 'y'")
    assert f"{row.name}() takes" in message or "takes a" in message


@pytest.mark.parametrize("formula", ["lagged(x, w) * r", "delay(x, k) * r"])
def test_binomial_counts_through_a_lag_of_counts(formula: str) -> None:
    """A rate times a lag of a count flow is drawn binomially: with nothing else uncertain
    the last period's sd is sqrt(n r (1 - r)), n the rounded lagged count, within 4 standard
    errors of an sd."""
    text = TEMPLATE.format(formula=formula, extra="\n    unit: deals").replace(
        "k: {value: 1.5, bounds: [1, 3], distribution: {dist: uniform, low: 1.2, high: 1.8}}",
        "k: {value: 1.5, bounds: [1, 3]}\n  r: {value: 0.25, bounds: [0, 1]}",
    )
    tree = kpitree.loads(text)
    samples = 20_000
    forecast = tree.forecast(
        samples=samples, seed=11, counts="binomial", overrides={"a": 0.6, "b": 2.5}
    )
    n = round(0.2 * 80 + 0.5 * 65 + 0.3 * 70) if "lagged" in formula else round(0.5 * 70 + 0.5 * 65)
    expected = np.sqrt(n * 0.25 * 0.75)
    assert forecast.counts == "binomial"
    assert forecast.sd[-1] == pytest.approx(expected, abs=4 * expected / np.sqrt(2 * samples))
