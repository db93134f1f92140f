"""The waterfall's labels never overlap: the values above the bars and the names below them,
measured as drawn (bounding boxes from the renderer), in dense charts too."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest

import kpitree
from kpitree.analysis.attribution import attribute
from kpitree.plots.waterfall import plot_waterfall


def _dense(count: int, label: str) -> kpitree.Tree:
    """A KGI summing ``count`` inputs, each labelled ``label`` and a number, of about 1e9."""
    lines = [
        f"  x{i}: {{value: {1_000_000_007 + i}, label: '{label} {i}', owner: team{i % 6}}}"
        for i in range(count)
    ]
    formula = " + ".join(f"x{i}" for i in range(count))
    return kpitree.loads(
        "name: dense\nkgi: k\nnodes:\n" + "\n".join(lines) + f"\n  k: {{formula: {formula}}}\n"
    )


def _gap(tree: kpitree.Tree, count: int):
    """Every input moved, up and down in turn, by different amounts."""
    new = {f"x{i}": 1_000_000_007 + (-1) ** i * 12_345_678 * (i + 1) for i in range(count)}
    return attribute(tree, new=new)


def _overlaps(texts, renderer) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text()]
    return [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
        if box_a.overlaps(box_b)
    ]


@pytest.mark.parametrize(
    ("count", "label", "size"),
    [
        (30, "new enterprise customers from the partner channel", None),  # own figure, 32 bars
        (12, "opportunity rate", (6, 4)),  # a small given axes
        (3, "MQL", (6, 4)),  # sparse: labels stay level
        (20, "受注率", (8, 5)),
    ],
)
def test_labels_do_not_overlap(count: int, label: str, size) -> None:
    """No two value labels and no two bar names overlap once drawn."""
    tree = _dense(count, label)
    ax = None if size is None else plt.figure(figsize=size, layout="constrained").add_subplot()
    ax = plot_waterfall(_gap(tree, count), ax=ax, top=count)
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    assert len(ax.texts) == count + 2
    assert _overlaps(ax.texts, renderer) == []
    assert _overlaps(ax.get_xticklabels(), renderer) == []
    # Every value label lies inside the axes, under the title.
    inside = ax.get_window_extent(renderer)
    for text in ax.texts:
        box = text.get_window_extent(renderer)
        assert inside.y0 <= box.y0
        assert box.y1 <= inside.y1


def test_sparse_labels_stay_level() -> None:
    """With room to spare, values and names are written level (rotation 0)."""
    tree = _dense(2, "MQL")
    ax = plot_waterfall(_gap(tree, 2))
    assert {text.get_rotation() for text in ax.texts} == {0}
    assert {text.get_rotation() for text in ax.get_xticklabels()} == {0}


def test_dense_labels_turn_upright() -> None:
    """With 32 bars of ten-digit values in a small axes, the values are turned upright."""
    tree = _dense(30, "leads")
    ax = plt.figure(figsize=(6, 4)).add_subplot()
    plot_waterfall(_gap(tree, 30), ax=ax, top=30)
    assert {text.get_rotation() for text in ax.texts} == {90}
