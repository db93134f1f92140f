"""The tree diagram draws an edge dashed when its reader reads earlier periods: prev() and
delay() by a whole number of periods, and cohort(), lagged() and a fractional delay(), which
read the flow this period and earlier ones."""

from __future__ import annotations

import pytest
from conftest import TREES
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import FancyArrowPatch

import kpitree
from kpitree.plots.tree_diagram import plot_tree

TREE = """
name: lags
kgi: total
time: {periods: 6, unit: month}
nodes:
  new: {value: 10}
  sql: {value: 50}
  cycle: {value: 1.5, bounds: [1, 3]}
  weights: {value: {ages: [0.2, 0.5, 0.3]}}
  customers: {formula: "cohort(new, [1, 0.9, 0.8])"}
  kept: {formula: "cohort(new, geometric_survival(0.05))"}
  won: {formula: "lagged(sql, weights)"}
  late: {formula: "delay(sql, cycle)"}
  balance: {formula: "prev(balance) + new", initial: 0}
  price: {value: 3}
  total: {formula: "customers + kept + won + late + balance + new * price"}
"""


def _linestyles(tree: kpitree.Tree) -> dict[str, str]:
    ax = plot_tree(tree, tree.evaluate())
    FigureCanvasAgg(ax.figure).draw()  # type: ignore[arg-type]
    return {
        str(patch.get_gid()): str(patch.get_linestyle())
        for patch in ax.patches
        if isinstance(patch, FancyArrowPatch)
    }


@pytest.mark.parametrize(
    ("edge", "style"),
    [
        ("new->customers", "--"),
        ("new->kept", "--"),
        ("sql->won", "--"),
        ("weights->won", "-"),
        ("sql->late", "--"),
        ("cycle->late", "-"),
        ("new->balance", "-"),
        ("balance->balance", "--"),
        ("price->total", "-"),
        ("customers->total", "-"),
    ],
)
def test_edges_into_readers_of_earlier_periods_are_dashed(edge: str, style: str) -> None:
    """The flow into cohort(), lagged() or a fractional delay() is dashed; same-period
    edges (the curve, the delay's length, a plain sum) are solid."""
    assert _linestyles(kpitree.loads(TREE))[edge] == style


def test_graph_marks_reads_back_but_keeps_the_same_period_order() -> None:
    """The graph's lag stays 0 for a cohort's flow (it is read this period too, so it orders
    the evaluation) and reads_back says how few periods back it is read."""
    graph = kpitree.loads(TREE).graph
    assert graph.edges["new", "customers"]["lag"] == 0
    assert graph.edges["new", "customers"]["reads_back"] == 1
    assert graph.edges["balance", "balance"]["lag"] == 1
    assert "reads_back" not in graph.edges["price", "total"]


def test_saas_cohorts_draws_its_cohort_edges_dashed() -> None:
    """In the bundled saas_cohorts tree the intake into each cohort node is dashed."""
    styles = _linestyles(kpitree.load(TREES / "saas_cohorts.yaml"))
    assert styles["won->cohort_customers"] == "--"
    assert styles["new_mrr->cohort_mrr"] == "--"


def test_a_curve_by_age_shows_its_first_ages_and_scale() -> None:
    """A curve by age's box shows its first four ages, and its scale when set."""
    from matplotlib.text import Text

    tree = kpitree.loads(TREE.replace("[0.2, 0.5, 0.3]", "[0.2, 0.5, 0.2, 0.05, 0.05]"))
    ax = plot_tree(tree, tree.evaluate(overrides={"weights": 2}))
    texts = [artist.get_text() for artist in ax.findobj(Text)]
    assert "by age: 0.2, 0.5, 0.2, 0.05, … × 2" in texts
