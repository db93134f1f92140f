"""Tornado colours follow the KGI's direction: green improves it, red worsens it."""

from __future__ import annotations

from matplotlib.colors import to_hex

import kpitree
from kpitree.plots.tornado import BETTER_COLOR, LOW_HATCH, WORSE_COLOR, plot_tornado

TREE = """
name: t
kgi: k
nodes:
  cost: {value: 1000}
  customers: {value: 10}
  k: {formula: cost / customers, direction: DIRECTION}
"""


def _segments(direction: str) -> dict[tuple[float, bool], str]:
    """(KGI change, hatched) -> colour of each drawn segment."""
    result = kpitree.loads(TREE.replace("DIRECTION", direction)).tornado()
    ax = plot_tornado(result)
    return {
        (round(patch.get_width(), 6), patch.get_hatch() == LOW_HATCH): to_hex(patch.get_facecolor())
        for patch in ax.patches
    }


def test_higher_is_better_colours_a_rise_green() -> None:
    """k = cost / customers = 100: cost +10 % raises k by 10 (green), -10 % lowers it by 10
    (red, hatched: the low value); customers +10 % lowers k by 9.0909 (red)."""
    segments = _segments("higher")
    assert segments[(10.0, False)] == BETTER_COLOR
    assert segments[(-10.0, True)] == WORSE_COLOR
    assert segments[(round(100 / 1.1 - 100, 6), False)] == WORSE_COLOR
    assert segments[(round(100 / 0.9 - 100, 6), True)] == BETTER_COLOR


def test_lower_is_better_colours_a_rise_red() -> None:
    """With direction: lower (a CAC) the same swings swap colours: cost +10 % raises the KGI
    by 10, which is red; customers +10 % lowers it, which is green."""
    segments = _segments("lower")
    assert segments[(10.0, False)] == WORSE_COLOR
    assert segments[(-10.0, True)] == BETTER_COLOR
    assert segments[(round(100 / 1.1 - 100, 6), False)] == BETTER_COLOR
    result = kpitree.loads(TREE.replace("DIRECTION", "lower")).tornado()
    assert result.to_dict()["direction"] == "lower"


def test_legend_names_the_kgi() -> None:
    """The legend says which way is better for the KGI by its name (it once showed a bar's
    KGI value: 'better for 110.0')."""
    ax = plot_tornado(kpitree.loads(TREE.replace("DIRECTION", "lower")).tornado())
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels[:2] == ["better for k (lower is better)", "worse for k"]
