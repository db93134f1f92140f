"""Charts keep the user's font.family, fall back to a Japanese font for kana and kanji, and say
in one line of kpitree's own when no Japanese font is installed."""

from __future__ import annotations

import io
import warnings

import matplotlib
import pytest

import kpitree
from kpitree.plots import fonts
from kpitree.plots.fonts import HINT, FontWarning, font_family, japanese_fonts
from kpitree.plots.tree_diagram import plot_tree

JAPANESE = """
name: 売上
kgi: arr
nodes:
  leads: {value: 500, label: リード数, owner: マーケティング, unit: 件/月}
  win_rate: {value: 0.25, label: 受注率, owner: フィールドセールス, bounds: [0, 1]}
  arr: {formula: leads * win_rate * 3_600_000, label: 年間経常収益, owner: 経営企画, unit: 円/年}
"""
LATIN = """
name: sales
kgi: arr
nodes:
  leads: {value: 500, label: Leads, owner: marketing, unit: leads/month}
  win_rate: {value: 0.25, bounds: [0, 1]}
  arr: {formula: leads * win_rate * 3_600_000, unit: JPY/year}
"""
NO_JAPANESE_FONT = pytest.mark.skipif(
    not japanese_fonts(),
    reason="no Japanese font installed (Debian: apt-get install fonts-ipaexfont-gothic)",
)


def _missing_glyphs(draw) -> list[str]:
    """The missing-glyph warnings matplotlib gives while ``draw()`` plots and saves a figure."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw().figure.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_font_family_is_the_users_then_japanese() -> None:
    """The family drawn with is rcParams' font.family as set now, then Japanese fonts it lacks."""
    with matplotlib.rc_context({"font.family": ["serif", "IPAexGothic"]}):
        family = font_family()
    assert family[:2] == ("serif", "IPAexGothic")
    assert set(family[2:]) == set(japanese_fonts()) - {"IPAexGothic"}
    assert len(set(family)) == len(family)


@NO_JAPANESE_FONT
def test_japanese_labels_draw_without_missing_glyphs() -> None:
    """Drawing and saving a tree with kana and kanji labels warns of no missing glyph (a
    missing glyph is a matplotlib warning, an error under this suite's settings)."""
    tree = kpitree.loads(JAPANESE)
    assert _missing_glyphs(lambda: plot_tree(tree, tree.evaluate())) == []


@NO_JAPANESE_FONT
def test_users_font_family_is_kept_and_japanese_still_renders() -> None:
    """A user's font.family stays set after plotting, Latin text uses it first, and Japanese
    labels of the tornado still draw through the fallback font."""
    tree = kpitree.loads(JAPANESE)
    with matplotlib.rc_context({"font.family": "serif"}):
        ax = None

        def draw():
            nonlocal ax
            ax = tree.tornado().plot()
            return ax

        assert _missing_glyphs(draw) == []
        assert matplotlib.rcParams["font.family"] == ["serif"]
    labels = [text for text in ax.get_yticklabels() if text.get_text()]
    assert labels
    assert all(text.get_fontfamily()[0] == "serif" for text in labels)
    assert japanese_fonts()[0] in labels[0].get_fontfamily()


def test_missing_japanese_font_gives_one_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a Japanese font, a chart with Japanese labels gives kpitree's one-line hint,
    pointing at the caller's line, and none of matplotlib's per-glyph warnings."""
    monkeypatch.setattr(fonts, "japanese_fonts", lambda: ())
    tree = kpitree.loads(JAPANESE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = tree.tornado().plot()  # the hint's line
        ax.figure.savefig(io.BytesIO(), format="png")
    assert [str(w.message) for w in caught] == [HINT]
    assert caught[0].category is FontWarning
    assert caught[0].filename == __file__
    assert "\n" not in HINT


def test_latin_labels_give_no_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a Japanese font, a chart whose text is all Latin warns of nothing."""
    monkeypatch.setattr(fonts, "japanese_fonts", lambda: ())
    tree = kpitree.loads(LATIN)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree.tornado().plot().figure.savefig(io.BytesIO(), format="png")
    assert caught == []


def test_rcparams_set_while_drawing_are_kept() -> None:
    """A setting changed during a plot (as a backend does when pyplot first loads it) stays
    changed: only font.family is put back."""

    @fonts.with_fonts
    def draw() -> None:
        matplotlib.rcParams["font.family"] = ["cursive"]
        matplotlib.interactive(True)

    with matplotlib.rc_context({"interactive": False, "font.family": ["monospace"]}):
        draw()
        assert matplotlib.is_interactive()
        assert matplotlib.rcParams["font.family"] == ["monospace"]
