"""Text that goes into a workbook: cells that can never turn into formulas, and sheet names
that Excel accepts."""

from __future__ import annotations

import re

from kpitree.cells import FORMULA_STARTS

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters that an xlsx file cannot hold."""

CELL_TEXT_LENGTH = 32_767
"""The most characters an Excel cell holds; longer text is cut (with an ellipsis)."""

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_LENGTH = 31
_RESERVED_SHEETS = {"history"}


def safe_text(text: str) -> str:
    """``text`` as a cell shows it and never runs it: a leading ``= + - @``, tab or carriage
    return gets an apostrophe in front, characters a workbook cannot hold are dropped and text
    longer than a cell holds is cut."""
    clean = _ILLEGAL.sub("", text)
    if clean.startswith(FORMULA_STARTS):
        clean = "'" + clean
    return clean if len(clean) <= CELL_TEXT_LENGTH else clean[: CELL_TEXT_LENGTH - 1] + "…"


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A sheet name for ``wanted`` that Excel accepts and that no name in ``taken`` (compared
    without case) already uses; the name is added to ``taken``.

    Excel refuses ``[ ] : * ? / \\``, a leading or trailing apostrophe, more than 31
    characters, the name History and two sheets whose names differ only in case.
    """
    base = _SHEET_FORBIDDEN.sub("_", _ILLEGAL.sub("", wanted)).strip().strip("'").strip()
    base = base[:SHEET_NAME_LENGTH].rstrip("'") or "sheet"
    name, number = base, 1
    while name.casefold() in taken or name.casefold() in _RESERVED_SHEETS:
        number += 1
        suffix = f" ({number})"
        name = base[: SHEET_NAME_LENGTH - len(suffix)].rstrip("'") + suffix
    taken.add(name.casefold())
    return name


def quoted_sheet(name: str) -> str:
    """``'Sheet name'!`` as a formula writes a reference to another sheet."""
    return "'" + name.replace("'", "''") + "'!"
