"""cohort() with list, geometric and shifted-beta-geometric curves: the prev() churn model,
the sBG closed form and a simulation, exact derivatives, per-path curves, errors."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy.special import betaln

import kpitree
from kpitree.errors import FormulaError

NEW = [40.0, 55.0, 30.0, 70.0, 65.0, 80.0, 50.0, 90.0, 75.0, 60.0, 85.0, 95.0]
ALPHA, BETA = 0.7, 3.5


def _tree(formula: str, extra: str = "") -> kpitree.Tree:
    return kpitree.loads(
        f"""
        name: cohorts
        kgi: customers
        time: {{periods: {len(NEW)}}}
        nodes:
          new: {{value: {NEW}}}
          churn: {{value: 0.04, bounds: [0, 1]}}
          alpha: {{value: {ALPHA}, bounds: [0.01, 100]}}
          beta: {{value: {BETA}, bounds: [0.01, 100]}}
          customers: {{formula: "{formula}"{extra}}}
        """
    )


def _sbg(alpha: float, beta: float, ages: int) -> np.ndarray:
    """S(a) = B(alpha, beta + a) / B(alpha, beta), from scipy's log-beta."""
    a = np.arange(ages)
    return np.exp(betaln(alpha, beta + a) - betaln(alpha, beta))


def _convolved(curve: np.ndarray) -> np.ndarray:
    return np.convolve(NEW, curve)[: len(NEW)]


def test_geometric_cohort_equals_the_prev_churn_model() -> None:
    """cohort(new, geometric_survival(churn)) equals prev(customers) * (1 - churn) + new
    from 0 customers, in every period."""
    cohort = _tree("cohort(new, geometric_survival(churn))").evaluate().values["customers"]
    stock = _tree("prev(customers) * (1 - churn) + new", ", initial: 0")
    np.testing.assert_allclose(cohort, stock.evaluate().values["customers"], rtol=1e-13)


def test_list_curve_is_a_convolution_and_stops_at_its_end() -> None:
    """A list curve [1, 0.8, 0.7, 0.65] weighs each age by its entry and older ages by 0."""
    values = _tree("cohort(new, [1, 0.8, 0.7, 0.65])").evaluate().values["customers"]
    np.testing.assert_allclose(values, _convolved(np.array([1, 0.8, 0.7, 0.65])), rtol=1e-14)


def test_sbg_cohort_matches_the_beta_function_closed_form() -> None:
    """cohort(new, sbg_survival(alpha, beta)) is the convolution of new with
    B(alpha, beta + a) / B(alpha, beta)."""
    values = _tree("cohort(new, sbg_survival(alpha, beta))").evaluate().values["customers"]
    np.testing.assert_allclose(values, _convolved(_sbg(ALPHA, BETA, len(NEW))), rtol=1e-12)


def test_sbg_survival_matches_a_simulation_of_customers() -> None:
    """200,000 customers, each with a churn probability drawn from Beta(alpha, beta) and a
    geometric lifetime: the share alive at each age is S(a) within 4 binomial SE."""
    rng = np.random.default_rng(11)
    n = 200_000
    theta = rng.beta(ALPHA, BETA, n)
    lifetime = rng.geometric(theta)  # periods until the one in which the customer churns
    ages = np.arange(len(NEW))
    alive = (lifetime[:, None] > ages[None, :]).mean(axis=0)
    # The tree's curve, read off a single intake of 1 in period 1.
    single = [1.0] + [0.0] * (len(NEW) - 1)
    tree = _tree("cohort(new, sbg_survival(alpha, beta))")
    curve = tree.evaluate(overrides={"new": single}).values["customers"]
    error = 4 * np.sqrt(curve * (1 - curve) / n)
    assert np.all(np.abs(alive - curve) <= error + 1e-12)


def _sbg_cohort_50_digits(alpha: mpmath.mpf, beta: mpmath.mpf) -> mpmath.mpf:
    last = len(NEW) - 1
    return sum(
        NEW[last - age] * mpmath.beta(alpha, beta + age) / mpmath.beta(alpha, beta)
        for age in range(len(NEW))
    )


def test_sbg_derivatives_match_50_digit_central_differences() -> None:
    """d customers[T] / d alpha and / d beta agree with central differences (step 1e-20) of
    the Beta-function closed form computed with 50 digits."""
    result = _tree("cohort(new, sbg_survival(alpha, beta))").sensitivity()
    with mpmath.workdps(50):
        a, b, h = mpmath.mpf(ALPHA), mpmath.mpf(BETA), mpmath.mpf("1e-20")
        d_alpha = (_sbg_cohort_50_digits(a + h, b) - _sbg_cohort_50_digits(a - h, b)) / (2 * h)
        d_beta = (_sbg_cohort_50_digits(a, b + h) - _sbg_cohort_50_digits(a, b - h)) / (2 * h)
    assert result["alpha"].derivative == pytest.approx(float(d_alpha), rel=1e-11)
    assert result["beta"].derivative == pytest.approx(float(d_beta), rel=1e-11)


def test_cohort_is_linear_in_the_flow() -> None:
    """Moving new by the same amount in every period moves the last period's customers by
    the sum of S(a) over the ages on the axis."""
    result = _tree("cohort(new, sbg_survival(alpha, beta))").sensitivity()
    assert result["new"].derivative == pytest.approx(_sbg(ALPHA, BETA, len(NEW)).sum(), rel=1e-12)


def test_each_path_draws_a_whole_curve() -> None:
    """One vectorised run with alpha and beta per path equals each path's own sBG cohort."""
    tree = _tree("cohort(new, sbg_survival(alpha, beta))")
    rng = np.random.default_rng(2)
    alphas, betas = rng.uniform(0.3, 2, 40), rng.uniform(1, 6, 40)
    inputs = {**tree.input_values(), "alpha": alphas[:, None], "beta": betas[:, None]}
    run = tree.engine.run(inputs, samples=40, nodes=("customers",))
    expected = [_convolved(_sbg(a, b, len(NEW))) for a, b in zip(alphas, betas, strict=True)]
    np.testing.assert_allclose(run["customers"], expected, rtol=1e-12)


def test_previous_period_attribution_adds_up_on_a_cohort() -> None:
    """--previous on an sBG cohort: the contributions add up to the change."""
    result = _tree("cohort(new, sbg_survival(alpha, beta))").attribute(previous=True, period="9")
    assert sum(result.contributions.values()) == pytest.approx(result.new - result.base, rel=1e-9)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("sbg_survival(alpha, beta) * new", r"is a retention curve: use it as cohort\(flow"),
        ("cohort(new, 0.9)", r"cohort\(\) takes a curve"),
        ("cohort(new, sbg_survival(alpha))", r"sbg_survival\(\) takes 2 arguments, found 1"),
        ("cohort(new * 2, [1])", "reads one node, not an expression"),
    ],
)
def test_bad_cohorts_say_what_is_wrong(formula: str, message: str) -> None:
    """A cohort or curve written wrong is a FormulaError naming the node."""
    with pytest.raises(FormulaError, match=f"node 'customers'.*{message}"):
        _tree(formula)


def test_cohort_needs_a_timed_tree() -> None:
    """cohort() in a static tree is refused with the fix."""
    with pytest.raises(FormulaError, match=r"cohort\(\) needs a timed tree"):
        kpitree.loads(
            """
            name: s
            kgi: c
            nodes:
              new: {value: 3}
              c: {formula: "cohort(new, [1, 0.5])"}
            """
        )


def test_nested_sum_by_matrix_product_equals_the_nested_form() -> None:
    """Per-path ratios with intake rows take the matrix-product path; it equals the nested
    sum x0 + r1 (x1 + r2 (...)) computed directly, as does the general path."""
    from kpitree.cohort import nested_sum

    rng = np.random.default_rng(4)
    reads = [rng.uniform(0, 10, (1, 6)) for _ in range(5)]
    ratios = [rng.uniform(0.5, 1, (30, 1)) for _ in range(4)]
    expected = reads[4]
    for age in range(4, 0, -1):
        expected = reads[age - 1] + ratios[age - 1] * expected
    np.testing.assert_allclose(nested_sum(reads, ratios), expected, rtol=1e-13)
    per_path = [np.broadcast_to(read, (30, 6)) for read in reads]
    np.testing.assert_allclose(nested_sum(per_path, ratios), expected, rtol=1e-13)


def test_geometric_cohort_derivative_equals_the_prev_models() -> None:
    """d customers / d churn of the geometric cohort (one ratio repeated at every age) equals
    that of the prev() recurrence, differentiated through its own backward pass."""
    cohort = _tree("cohort(new, geometric_survival(churn))").sensitivity()
    stock = _tree("prev(customers) * (1 - churn) + new", ", initial: 0").sensitivity()
    assert cohort["churn"].derivative == pytest.approx(stock["churn"].derivative, rel=1e-12)
    assert cohort["new"].derivative == pytest.approx(stock["new"].derivative, rel=1e-12)


def test_workbook_writes_a_cohort_as_its_nested_sum() -> None:
    """The spreadsheet formula of a cohort in period 4 reads its flow in periods 1 to 4 (the
    nested sum written out), with no function a spreadsheet lacks."""
    from kpitree.xlsx.layout import MAIN_SHEET, Layout
    from kpitree.xlsx.workbook import build_workbook

    tree = _tree("cohort(new, sbg_survival(alpha, beta))")
    layout = Layout(tree)
    sheet = build_workbook(tree)[MAIN_SHEET]
    text = sheet[layout.cell("customers", 4)].value
    assert "Nested" not in text
    for period in range(1, 5):
        assert layout.cell("new", period) in text.replace("$", "")
