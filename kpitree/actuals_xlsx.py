"""The rows of an Excel sheet as text cells, read the way :mod:`kpitree.actuals` reads CSV.

A number cell becomes its exact decimal text, a date cell its ISO date (the period holding it),
an empty cell an empty string; the row number stands for the line in messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpitree.errors import DataError


class SheetRows:
    """An iterator over a sheet's rows as lists of text, with ``line_num`` as csv's reader."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = iter(rows)
        self.line_num = 0

    def __iter__(self) -> Iterator[list[str]]:
        return self

    def __next__(self) -> list[str]:
        row = next(self._rows)
        self.line_num += 1
        # Trailing empty cells (a sheet's used range is often wider than its data) are dropped.
        cells = [_text(cell) for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        return cells


def sheet_rows(path: str | Path, sheet: str | None = None) -> SheetRows:
    """Every row of ``sheet`` (default: the first) of the workbook at ``path``.

    Raises
    ------
    DataError
        A file that does not exist or is not a workbook, a sheet it does not have.
    """
    import zipfile

    from openpyxl import load_workbook

    source = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise DataError(f"actuals file '{source}' does not exist") from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise DataError(f"actuals file '{source}' is not an Excel workbook ({error})") from None
    try:
        if sheet is None:
            chosen = book.worksheets[0]
        elif sheet in book.sheetnames:
            chosen = book[sheet]
        else:
            raise DataError(
                f"actuals file '{source}' has no sheet '{sheet}' (sheets: "
                f"{', '.join(book.sheetnames)})"
            )
        rows = [tuple(row) for row in chosen.iter_rows(values_only=True)]
    finally:
        book.close()
    return SheetRows(rows)


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float):
        return repr(cell)
    return str(cell)
