"""Status against target and alert, and the tree diagram's boxes, colours and text."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TREES
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

import kpitree
from kpitree.analysis.status import Status, node_status, statuses
from kpitree.node import Alert, Node
from kpitree.plots.tree_diagram import COLOURS, plot_tree

TINY = """
name: tiny
kgi: revenue
time: {periods: 2, unit: month}
nodes:
  deals:   {value: [10, 19], owner: sales, unit: deals/month}
  price:   {value: 5, owner: sales, unit: JPY}
  churn:   {value: [0.05, 0.021], alert: {above: 0.02}, owner: success, unit: '%'}
  revenue: {formula: deals * price, target: 100, owner: CRO, unit: JPY/month}
  lost:    {formula: revenue * churn, alert: {above: 10}}
  quality: {value: 0.3, alert: {below: 0.15}}
"""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100, Status.ON_TRACK),
        (120, Status.ON_TRACK),
        (90, Status.AT_RISK),
        (89.9, Status.OFF_TRACK),
    ],
)
def test_target_status(value, expected) -> None:
    """Meeting a target of 100 is on track, 90 (10 % short) at risk, below 90 off track."""
    assert node_status(Node("x", value=1.0, target=100.0), value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.2, Status.ON_TRACK),
        (0.165, Status.ON_TRACK),
        (0.16, Status.AT_RISK),
        (0.15, Status.AT_RISK),
        (0.149, Status.OFF_TRACK),
    ],
)
def test_alert_below_status(value, expected) -> None:
    """Alert below 0.15: at risk from 0.15 up to 0.165 (10 % above), off track under 0.15."""
    assert node_status(Node("x", value=1.0, alert=Alert(below=0.15)), value) is expected


def test_lower_is_better_target_and_worst_verdict() -> None:
    """With an 'above' alert a target is met from below, and the worse verdict wins."""
    node = Node("churn", value=0.0, target=0.02, alert=Alert(above=0.05))
    assert node_status(node, 0.019) is Status.ON_TRACK
    assert node_status(node, 0.021) is Status.AT_RISK  # 0.001 over, within 0.002
    assert node_status(node, 0.03) is Status.OFF_TRACK  # target missed by 50 %
    assert node_status(node, 0.046) is Status.OFF_TRACK  # alert near, target far
    assert node_status(node, 0.06) is Status.OFF_TRACK
    assert node_status(Node("plain", value=0.0), 5.0) is Status.NONE


def test_statuses_judge_the_target_at_the_last_period_only() -> None:
    """Revenue 50 in month 1 (target 100) has no status; 95 in month 2 is at risk."""
    tree = kpitree.loads(TINY)
    evaluation = tree.evaluate()
    first, last = statuses(evaluation, 1), statuses(evaluation)
    assert first["revenue"] is Status.NONE
    assert last["revenue"] is Status.AT_RISK  # 19 * 5 = 95
    assert first["churn"] is Status.OFF_TRACK  # 5 % > 2 %
    assert last["churn"] is Status.OFF_TRACK  # 2.1 % > 2 %
    assert last["lost"] is Status.ON_TRACK  # 95 * 0.021 = 1.995, far below 10
    assert last["quality"] is Status.ON_TRACK
    assert last["deals"] is Status.NONE


def _boxes(ax) -> dict[str, FancyBboxPatch]:
    return {p.get_gid(): p for p in ax.patches if isinstance(p, FancyBboxPatch)}


def test_boxes_are_coloured_by_status() -> None:
    """Each box's fill is its status colour, at the last period and at a chosen one."""
    tree = kpitree.loads(TINY)
    evaluation = tree.evaluate()
    boxes = _boxes(plot_tree(tree, evaluation))
    expected = {
        "revenue": Status.AT_RISK,
        "churn": Status.OFF_TRACK,
        "lost": Status.ON_TRACK,
        "deals": Status.NONE,
    }
    for name, status in expected.items():
        assert np.allclose(boxes[name].get_facecolor()[:3], _rgb(COLOURS[status][0])), name
    first = _boxes(plot_tree(tree, evaluation, period=1))
    assert np.allclose(first["revenue"].get_facecolor()[:3], _rgb(COLOURS[Status.NONE][0]))
    assert set(boxes) == set(tree.nodes)


def _rgb(colour: str) -> tuple[float, ...]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def test_box_text_shows_value_unit_owner_at_the_period() -> None:
    """The texts hold the label, the value at the chosen period with its unit, and the owner."""
    tree = kpitree.loads(TINY)
    texts = [t.get_text() for t in plot_tree(tree, tree.evaluate(), period=1).texts]
    assert "50 JPY/month" in texts  # revenue in month 1: 10 * 5
    assert "5.0 %" in texts  # churn in month 1, unit %
    assert "target 100, alert above 10" not in texts
    assert "target 100" in texts
    assert "CRO" in texts
    last = [t.get_text() for t in plot_tree(tree, tree.evaluate()).texts]
    assert "95 JPY/month" in last


def test_text_stays_inside_its_box() -> None:
    """Rendered, every line of text of saas_arr's diagram lies inside its own box."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    ax = plot_tree(tree, tree.evaluate())
    canvas = FigureCanvasAgg(ax.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in _boxes(ax).values()]
    texts = [t for t in ax.texts if t.get_zorder() == 4]
    assert len(texts) >= 3 * len(tree.nodes)  # label, value, owner at least
    for text in texts:
        extent = text.get_window_extent(renderer)
        assert any(
            box.x0 <= extent.x0
            and extent.x1 <= box.x1
            and box.y0 <= extent.y0
            and extent.y1 <= box.y1
            for box in boxes
        ), text.get_text()


def test_drawing_into_a_given_axes_scales_the_text() -> None:
    """In a small given axes the whole drawing fits: text shrinks and stays inside boxes."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    figure = Figure(figsize=(6, 5))
    ax = figure.add_subplot()
    assert plot_tree(tree, tree.evaluate(), ax=ax) is ax
    sizes = {t.get_fontsize() for t in ax.texts if t.get_zorder() == 4}
    assert max(sizes) < 8
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in _boxes(ax).values()]
    for text in (t for t in ax.texts if t.get_zorder() == 4):
        extent = text.get_window_extent(renderer)
        assert any(b.x0 - 1 <= extent.x0 and extent.x1 <= b.x1 + 1 for b in boxes)


def test_without_evaluation_inputs_show_their_values_and_no_status() -> None:
    """No evaluation: inputs show their own value, derived nodes their unit, all boxes grey."""
    tree = kpitree.loads(TINY)
    ax = plot_tree(tree)
    texts = [t.get_text() for t in ax.texts]
    assert "19 deals/month" in texts
    assert "(JPY/month)" in texts
    for box in _boxes(ax).values():
        assert np.allclose(box.get_facecolor()[:3], _rgb(COLOURS[Status.NONE][0]))


def test_small_tree_legend_fits_in_the_figure() -> None:
    """A two-node tree is narrower than its one-row legend: the figure widens so the whole
    legend is inside it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    tree = kpitree.loads(
        "name: s\nkgi: b\nnodes:\n  a: {value: 1}\n  b: {formula: a * 2, target: 3}\n"
    )
    ax = plot_tree(tree, tree.evaluate())
    figure = ax.figure
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    legend = ax.get_legend().get_window_extent(canvas.get_renderer())
    assert legend.x0 >= 0
    assert legend.x1 <= figure.bbox.x1
