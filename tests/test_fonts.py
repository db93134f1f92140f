"""Charts of trees labelled in Japanese draw every glyph when a Japanese font is installed."""

from __future__ import annotations

import io
import warnings

import pytest

import kpitree
from kpitree.plots.fonts import font_family
from kpitree.plots.tree_diagram import plot_tree

JAPANESE = """
name: 売上
kgi: arr
nodes:
  leads: {value: 500, label: リード数, owner: マーケティング, unit: 件/月}
  win_rate: {value: 0.25, label: 受注率, owner: フィールドセールス, bounds: [0, 1]}
  arr: {formula: leads * win_rate * 3_600_000, label: 年間経常収益, owner: 経営企画, unit: 円/年}
"""


def test_font_family_starts_with_dejavu() -> None:
    """Latin text keeps DejaVu Sans; Japanese fonts, when found, only come after it."""
    family = font_family()
    assert family[0] == "DejaVu Sans"
    assert len(set(family)) == len(family)


@pytest.mark.skipif(
    len(font_family()) == 1,
    reason="no Japanese font installed (Debian: apt-get install fonts-ipaexfont-gothic)",
)
def test_japanese_labels_draw_without_missing_glyphs() -> None:
    """Drawing and saving a tree with kana and kanji labels warns of no missing glyph (a
    missing glyph is a matplotlib warning, an error under this suite's settings)."""
    tree = kpitree.loads(JAPANESE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = plot_tree(tree, tree.evaluate()).figure
        figure.savefig(io.BytesIO(), format="png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
