"""Fonts for charts: labels and owners written in Japanese need a Japanese font.

matplotlib draws with DejaVu Sans, which has no kana or kanji: a Japanese label would come out
as empty boxes. Every plot function is wrapped by :func:`with_fonts`, which puts any installed
Japanese font behind DejaVu Sans, so Latin text looks as before and each missing glyph falls
back to the Japanese font.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import matplotlib
from matplotlib import font_manager

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

Plot = TypeVar("Plot", bound=Callable[..., Any])


def _not_missing_bold(record: logging.LogRecord) -> bool:
    # Japanese fonts such as IPAexGothic have no bold face: for every bold label font_manager
    # logs that it uses the regular face instead, which is what we want, at every draw.
    return "Failed to find font weight bold" not in record.getMessage()


logging.getLogger("matplotlib.font_manager").addFilter(_not_missing_bold)


@functools.cache
def font_family() -> tuple[str, ...]:
    """DejaVu Sans, then every Japanese font found on this machine."""
    found = _installed()
    if not found:
        for path in font_manager.findSystemFonts():
            if Path(path).name.lower().replace("-", "").startswith(_FILES):
                font_manager.fontManager.addfont(path)
        found = _installed()
    return ("DejaVu Sans", *found)


def _installed() -> list[str]:
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return [name for name in JAPANESE_FONTS if name in names]


def with_fonts(plot: Plot) -> Plot:
    """Draw ``plot`` with :func:`font_family` (text keeps the fonts it was created with)."""

    @functools.wraps(plot)
    def draw(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context({"font.family": list(font_family())}):
            return plot(*args, **kwargs)

    return draw  # type: ignore[return-value]
