"""Actual values from a spreadsheet export (CSV or .xlsx), checked against a tree.

A file has a ``period`` column and one column per node, named by the node's name or its
``label`` (a Japanese export says 商談数); each row is one period. Cells are read the way a
person means them: ``1,200`` is 1200, ``12%`` is 0.12, surrounding spaces and quotes do not
matter, a byte-order mark is skipped and a blank cell keeps the plan value. Anything else is an
error naming the file, the line and the column.

Inputs and derived nodes both take actuals. An actual of a derived node (a count such as
``sql``, money such as ``new_mrr``) pins the one input its formula reads without an actual in
that period (:mod:`kpitree.measurement.implied`); the tree then reproduces it exactly, and the
reconciliation shows each derived actual next to what the tree computes.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpitree.encoding import EncodingError, decode_text
from kpitree.errors import DataError, Location, did_you_mean
from kpitree.files import read_regular_file
from kpitree.numbers import CharacterError, plain_text

if TYPE_CHECKING:
    from kpitree.node import Node, Value
    from kpitree.tree import Tree

PERIOD_COLUMN = "period"

# A plain decimal number, or one with a comma every three digits: "1200", "1,200.5", "-3e4".
_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
# 2027-03-31, 2027/3/31, 2027.3.31 or 2027年3月31日, maybe followed by a time (Excel's
# "2027/3/31 0:00"); without the day (2027/3, 2027年3月) it names the month.
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月)?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?"
)


@dataclass(frozen=True)
class Actuals:
    """Actual input values per period, read from a file and checked against a tree.

    Attributes
    ----------
    tree : str
        The name of the tree the actuals were checked against.
    source : str
        The file read (for messages).
    periods : tuple[int, ...]
        0-based indices of the periods that have a row, in time order (``(0,)`` for a static
        tree).
    values : dict[str, dict[int, float]]
        Per input with a column: period index -> actual value (blank cells are absent).
    labels : tuple[str, ...] or None
        The tree's period labels, ``None`` for a static tree.
    derived : dict[str, dict[int, float]]
        Actuals of derived nodes (period index -> value); they are reproduced by ``values``.
    implied : dict[str, dict[int, float]]
        The inputs in ``values`` that were implied by ``derived`` rather than given.
    reconciliation : tuple[dict, ...]
        Each derived actual next to what the tree computes from ``values`` (see
        :class:`~kpitree.measurement.implied.Implied`).
    partial : int or None
        The period measured only in part (it holds the as-of date), if any; it is among
        ``periods`` when measured to date (:func:`kpitree.measure`) or paced, not when skipped.
    elapsed : float or None
        The share of the partial period elapsed by the as-of date (its days counted).
    paced : bool
        Whether the partial period's flows were divided by ``elapsed`` (``--partial pace``),
        so it may be judged as a whole period.
    """

    tree: str
    source: str
    periods: tuple[int, ...]
    values: dict[str, dict[int, float]]
    labels: tuple[str, ...] | None = None
    derived: dict[str, dict[int, float]] = field(default_factory=dict)
    implied: dict[str, dict[int, float]] = field(default_factory=dict)
    reconciliation: tuple[dict[str, Any], ...] = ()
    partial: int | None = None
    elapsed: float | None = None
    paced: bool = False

    @property
    def period_labels(self) -> list[str] | None:
        """Labels of the periods with a row, ``None`` for a static tree."""
        if self.labels is None:
            return None
        return [self.labels[index] for index in self.periods]

    @property
    def last(self) -> int:
        """The index of the last period with a row."""
        return self.periods[-1]

    def apply(self, plan: Mapping[str, Value], through: int | None = None) -> dict[str, Value]:
        """``plan`` input values with the actuals put in place (periods up to ``through``).

        Parameters
        ----------
        plan : mapping
            Every input's plan value (a number, or one per period for a timed tree).
        through : int, optional
            The last 0-based period whose actuals are used (default: all).
        """
        inputs = dict(plan)
        for name, by_period in self.values.items():
            used = {p: v for p, v in by_period.items() if through is None or p <= through}
            if not used:
                continue
            if self.labels is None:
                inputs[name] = used[0]
                continue
            series = plan[name]
            if not isinstance(series, tuple):
                series = (float(series),) * len(self.labels)
            inputs[name] = tuple(used.get(index, value) for index, value in enumerate(series))
        return inputs


def parse_cell(text: str) -> float | None:
    """A spreadsheet cell as a number: ``None`` when blank.

    ``" 1,200 "`` -> 1200.0, ``"12%"`` -> 0.12, ``"-3.5e3"`` -> -3500.0. Commas are read only
    as thousands separators in groups of three (``"1,5"`` is not a number: it could mean 1.5 or
    15).

    Raises
    ------
    ValueError
        When the text is not a finite number written one of these ways;
        :class:`~kpitree.numbers.CharacterError` for a character such as ``⁵`` or ``①``
        that would otherwise read as a digit (``10⁵`` is not 105).
    """
    # Full-width digits, commas, signs and spaces (１，２００) become ASCII ones.
    clean = plain_text(text).strip()
    clean = clean.replace("\u2212", "-")  # the minus sign some tools write
    if not clean:
        return None
    sign = 1.0
    if clean[0] in "▲△":  # Japanese accounting: ▲1,200 is -1200
        clean, sign = clean[1:].strip(), -1.0
    elif clean.startswith("(") and clean.endswith(")"):  # accounting: (1,200) is -1200
        clean, sign = clean[1:-1].strip(), -1.0
    if sign < 0 and clean[:1] in ("-", "+"):
        raise ValueError(text)  # ▲-5 or (-5): which sign is meant?
    scale = 1.0
    if clean.endswith("%"):
        clean, scale = clean[:-1].rstrip(), 0.01
    clean = clean.removeprefix("¥").removesuffix("円").strip()
    if _GROUPED.fullmatch(clean):
        clean = clean.replace(",", "")
    elif not _PLAIN.fullmatch(clean):
        raise ValueError(text)
    number = sign * float(clean) * scale
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def read_actuals(path: str | Path, tree: Tree, sheet: str | None = None) -> Actuals:
    """Read actual values from a CSV file or an Excel workbook (.xlsx).

    Parameters
    ----------
    path : str or Path
        A CSV file or workbook: a ``period`` column (a label of the tree's time axis such as
        ``2027-01``, its number, or a date such as ``2027-01-31`` or ``2027/01/31``, read as
        the period containing it) and one column per node (its name or label), any subset. A
        static tree takes one row and no period column is needed.
    tree : Tree
        The tree the actuals belong to.
    sheet : str, optional
        The workbook's sheet to read (default: the first); only for .xlsx files.

    Returns
    -------
    Actuals

    Raises
    ------
    DataError
        With ``file:line``: a cell that is not a number, a column that is not an input, a
        period that is not the tree's or given twice, a value outside the node's bounds, a
        derived actual that could pin two inputs (no ``calibrates:``).
    """
    source = str(path)
    if str(path).lower().endswith((".xlsx", ".xlsm")):
        from kpitree.actuals_xlsx import sheet_rows

        return _read_rows(sheet_rows(path, sheet), source, tree)
    if sheet is not None:
        raise DataError(f"--sheet is for .xlsx workbooks; '{source}' is read as CSV")
    try:
        text = decode_text(read_regular_file(path))
    except FileNotFoundError:
        raise DataError(f"actuals file '{source}' does not exist") from None
    except EncodingError as error:
        raise DataError(f"actuals file '{source}' {error}") from None
    except OSError as error:
        raise DataError(f"cannot read actuals file '{source}': {error.strerror}") from None
    if "\0" in text:
        raise DataError(f"actuals file '{source}' is not a CSV text file (it holds NUL bytes)")
    lines = text.splitlines()
    reader = csv.reader(lines, delimiter=_delimiter(lines), skipinitialspace=True)
    try:
        return _read_rows(reader, source, tree)
    except csv.Error as error:  # a field over the csv module's limit (131,072 characters)
        raise DataError(f"not a CSV file: {error}", Location(source, reader.line_num)) from None


def _read_rows(reader: Any, source: str, tree: Tree) -> Actuals:
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise DataError("the actuals file is empty: expected a header row", Location(source, 1))
    columns = _columns(header, tree, Location(source, 1))
    period_column = columns.pop(PERIOD_COLUMN, None)
    if tree.time is not None and period_column is None:
        raise DataError(
            f"no '{PERIOD_COLUMN}' column: tree '{tree.name}' is timed, so every row needs its "
            f"period (e.g. {tree.time.labels[0]})",
            Location(source, 1),
        )
    values: dict[str, dict[int, float]] = {name: {} for name in columns}
    seen: dict[int, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines at the end of an export
        where = Location(source, line)
        if len(row) > len(header):
            raise DataError(
                f"expected {len(header)} cells (as in the header), found {len(row)}", where
            )
        row = row + [""] * (len(header) - len(row))
        period = 0 if tree.time is None else _period(row[period_column], tree, where)
        if period in seen:
            what = "the static tree takes one row" if tree.time is None else "period given twice"
            raise DataError(f"{what} (first at line {seen[period]})", where)
        seen[period] = line
        for name, index in columns.items():
            value = _value(row[index], tree.nodes[name], where)
            if value is not None:
                values[name][period] = value
    if not seen:
        raise DataError("the actuals file has a header but no rows", Location(source, 1))
    return with_implied(
        tree,
        source,
        tuple(sorted(seen)),
        {name: by_period for name, by_period in values.items() if by_period},
        Location(source, 1),
    )


def with_implied(
    tree: Tree,
    source: str,
    periods: tuple[int, ...],
    values: dict[str, dict[int, float]],
    where: Location | None = None,
    partial: int | None = None,
) -> Actuals:
    """:class:`Actuals` from values of any nodes: inputs kept, derived nodes' pinned inputs
    implied (:func:`~kpitree.measurement.implied.imply_inputs`) and reconciled."""
    from kpitree.measurement.implied import imply_inputs

    given = {name: v for name, v in values.items() if tree.nodes[name].is_input}
    derived = {name: v for name, v in values.items() if not tree.nodes[name].is_input}
    if not derived:
        return Actuals(tree.name, source, periods, given, tree.periods, partial=partial)
    found = imply_inputs(tree, given, derived, where)
    merged = {name: dict(v) for name, v in given.items()}
    for name, by_period in found.values.items():
        merged.setdefault(name, {}).update(by_period)
    return Actuals(
        tree.name, source, periods, merged, tree.periods, derived, found.values,
        found.reconciliation, partial,
    )  # fmt: skip


def _delimiter(lines: list[str]) -> str:
    """The header line's separator: a comma, or the semicolon (European Excel) or tab
    (Excel's "Unicode text") when the header has more of those than commas."""
    header = next((line for line in lines if line.strip()), "")
    return max((",", ";", "\t"), key=header.count)


def _columns(header: list[str], tree: Tree, where: Location) -> dict[str, int]:
    """Node name (or ``PERIOD_COLUMN``) -> position; a header may be a node's label."""
    by_label: dict[str, list[str]] = {}
    for node in tree.nodes.values():
        if node.label is not None:
            by_label.setdefault(node.label.strip(), []).append(node.name)
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip()
        if not name:
            raise DataError(f"column {index + 1} has no name", where)
        key = PERIOD_COLUMN if name.lower() == PERIOD_COLUMN else name
        if key != PERIOD_COLUMN and key not in tree.nodes:
            named = by_label.get(name, [])
            if len(named) > 1:
                raise DataError(
                    f"column '{name}' is the label of {' and '.join(named)}: use the node's "
                    f"name as the header",
                    where,
                )
            if not named:
                candidates = [*tree.nodes, *by_label, PERIOD_COLUMN]
                raise DataError(
                    f"column '{name}' names no node of tree '{tree.name}'"
                    f"{did_you_mean(name, candidates)}",
                    where,
                )
            key = named[0]
        if key in columns:
            raise DataError(f"column '{name}' is given twice (as '{key}')", where)
        columns[key] = index
    return columns


def _value(text: str, node: Node, where: Location) -> float | None:
    try:
        value = parse_cell(text)
    except CharacterError as error:
        raise DataError(f"column '{node.name}': {error}", where) from None
    except ValueError:
        raise DataError(
            f"column '{node.name}': '{text.strip()}' is not a number (expected e.g. 1200, "
            f"1,200, 0.12 or 12%)",
            where,
        ) from None
    if value is not None and not node.within_bounds(value):
        raise DataError(
            f"column '{node.name}': actual {value:g} is outside bounds {node.describe_bounds()}",
            where,
        )
    return value


def _period(text: str, tree: Tree, where: Location) -> int:
    """The 0-based period a cell names: a label, a number, or a date inside the period."""
    time = tree.time
    if time is None:  # a static tree has one row and no periods to name
        return 0
    try:
        clean = plain_text(text).strip()
    except CharacterError as error:
        raise DataError(f"column '{PERIOD_COLUMN}': {error}", where) from None
    if not clean:
        raise DataError(f"column '{PERIOD_COLUMN}': the period is blank", where)
    index = time.index_of(clean)
    if index is None:
        index = _period_of_date(clean, tree, where)
    if index is None:
        labels = time.labels
        raise DataError(
            f"column '{PERIOD_COLUMN}': '{clean}' is not a period of tree '{tree.name}' "
            f"(periods {labels[0]} .. {labels[-1]})",
            where,
        )
    return index


def _period_of_date(text: str, tree: Tree, where: Location) -> int | None:
    match = _DATE.fullmatch(text)
    time = tree.time
    if match is None or time is None:
        return None
    if match.group(3) is None and time.unit in ("day", "week"):
        raise DataError(
            f"column '{PERIOD_COLUMN}': '{text}' names a month, which is not one period of a "
            f"tree counted in {time.unit}s: give the date",
            where,
        )
    try:
        date = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))
    except ValueError:
        raise DataError(f"column '{PERIOD_COLUMN}': '{text}' is not a valid date", where) from None
    if time.start is None:
        raise DataError(
            f"column '{PERIOD_COLUMN}': a date ('{text}') needs a tree whose time has a start; "
            f"give the period number instead",
            where,
        )
    return time.index_of_date(date)
