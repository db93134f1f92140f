"""What makes spreadsheet text dangerous: the characters a formula can start with.

CSV and xlsx writers both put an apostrophe before text that starts with one of these, so an
owner written ``=HYPERLINK(...)`` in a tree file is shown, never run.
"""

from __future__ import annotations

# The full-width forms too: a Japanese spreadsheet may read ＝ as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
