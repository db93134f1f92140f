"""Fonts for charts: labels and owners written in Japanese need a Japanese font.

matplotlib's default font, DejaVu Sans, has no kana or kanji: a Japanese label would come out
as empty boxes. Every plot function is wrapped by :func:`with_fonts`, which draws with the
user's own ``font.family`` followed by any installed Japanese font, so Latin text looks as the
user set it and each missing glyph falls back to the Japanese font. ``rcParams`` are left as
they were. When no Japanese font is installed and a chart holds Japanese text, kpitree says so
in one line (:class:`FontWarning`) instead of one matplotlib warning per missing glyph.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import matplotlib
from matplotlib import font_manager
from matplotlib.text import Text

JAPANESE_FONTS = (
    "IPAexGothic",
    "IPAGothic",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Yu Gothic",
    "Meiryo",
    "Hiragino Sans",
    "TakaoGothic",
    "VL Gothic",
)
# File names of those fonts, for a font installed after matplotlib built its font cache.
_FILES = ("ipaexg", "ipag", "notosanscjk", "notosansjp", "yugoth", "meiryo", "takaog", "vlgothic")
# Kana, kanji and the full-width forms (U+3000-30FF, U+3400-9FFF, U+F900-FAFF, U+FF00-FFEF).
_JAPANESE = re.compile("[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# matplotlib's warning for each of those glyphs, once kpitree has said why they are missing.
_GLYPH_WARNING = (
    r"Glyph \d+ \(\\N\{(CJK|HIRAGANA|KATAKANA|IDEOGRAPHIC|FULLWIDTH|HALFWIDTH"
    r"|(LEFT|RIGHT) [A-Z ]*BRACKET|WAVE DASH|DITTO MARK|POSTAL MARK)[^}]*\}\) missing from font"
)
HINT = (
    "no Japanese font found, so Japanese text in this chart shows as empty boxes: install one "
    "(Debian/Ubuntu: apt-get install fonts-ipaexfont-gothic) and restart Python"
)
_PACKAGE = str(Path(__file__).resolve().parent.parent) + os.sep

Plot = TypeVar("Plot", bound=Callable[..., Any])


class FontWarning(UserWarning):
    """A chart holds text that no installed font can draw."""


def _not_missing_bold(record: logging.LogRecord) -> bool:
    # Japanese fonts such as IPAexGothic have no bold face: for every bold label font_manager
    # logs that it uses the regular face instead, which is what we want, at every draw.
    return "Failed to find font weight bold" not in record.getMessage()


logging.getLogger("matplotlib.font_manager").addFilter(_not_missing_bold)


@functools.cache
def japanese_fonts() -> tuple[str, ...]:
    """The Japanese fonts found on this machine, most preferred first (maybe none)."""
    found = _installed()
    if not found:
        for path in font_manager.findSystemFonts():
            if Path(path).name.lower().replace("-", "").startswith(_FILES):
                font_manager.fontManager.addfont(path)
        found = _installed()
    return tuple(found)


def font_family() -> tuple[str, ...]:
    """The user's ``font.family`` as set now, then every Japanese font it does not name."""
    family = matplotlib.rcParams["font.family"]
    own = (family,) if isinstance(family, str) else tuple(family)
    return (*own, *(name for name in japanese_fonts() if name not in own))


def _installed() -> list[str]:
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return [name for name in JAPANESE_FONTS if name in names]


def with_fonts(plot: Plot) -> Plot:
    """Draw ``plot`` with :func:`font_family` (text keeps the fonts it was created with)."""

    @functools.wraps(plot)
    def draw(*args: Any, **kwargs: Any) -> Any:
        family = list(font_family())
        # Only font.family is set and put back: rc_context would also put back the rcParams a
        # backend loaded during the call sets (the notebook's inline backend turns interactive
        # mode on when pyplot first loads it), and later figures would no longer show.
        own = matplotlib.rcParams["font.family"]
        matplotlib.rcParams["font.family"] = family
        try:
            drawn = plot(*args, **kwargs)
        finally:
            matplotlib.rcParams["font.family"] = own
        if japanese_fonts():
            _fall_back(drawn, family)
        else:
            _hint_if_japanese(drawn)
        return drawn

    return draw  # type: ignore[return-value]


def _texts(drawn: Any) -> list[Text]:
    """Every text of the axes or figure ``drawn`` (none for anything else)."""
    return drawn.findobj(Text) if hasattr(drawn, "findobj") else []


def _fall_back(drawn: Any, family: list[str]) -> None:
    """Give the Japanese fallback to Japanese text made before the plot ran: the tick labels
    of axes the caller made keep the fonts they were made with, and only their text is set."""
    for text in _texts(drawn):
        if _JAPANESE.search(text.get_text()) and text.get_fontfamily() != family:
            text.set_fontfamily(family)


def _hint_if_japanese(drawn: Any) -> None:
    """Warn once, in kpitree's words, when the chart holds Japanese text no font can draw."""
    if not any(_JAPANESE.search(text.get_text()) for text in _texts(drawn)):
        return
    warnings.warn(HINT, FontWarning, stacklevel=_caller_level())
    # The user has been told why: matplotlib's own warning, one per glyph and pointing into its
    # internals, would only repeat it (and only Japanese glyphs are silenced).
    warnings.filterwarnings("ignore", message=_GLYPH_WARNING, category=UserWarning)


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside kpitree, so the hint names the user's line."""
    level = 1
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level
