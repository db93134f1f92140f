"""Record data in an embedded DuckDB: sources loaded as tables, then measures run as SQL.

A tree file is data from whoever wrote it, and its ``where`` and ``sql`` texts are SQL. So the
declared sources are read into in-memory tables first, and then DuckDB's external access is
switched off with the configuration locked: a measure can read those tables and nothing else
(no files, no ``COPY ... TO``, no ``ATTACH``, no ``INSTALL``, no ``SET``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from kpitree.errors import DataError, did_you_mean
from kpitree.excerpt import excerpt
from kpitree.measurement.periods import Boundaries
from kpitree.measurement.spec import Measure, Source

_DATE_TYPES = ("DATE",)
_NAIVE_TYPES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME")
_AWARE_TYPES = ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")
_NUMBER_TYPES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
)  # fmt: skip
_READERS = {
    "csv": "read_csv({files}, union_by_name = true)",
    "parquet": "read_parquet({files}, union_by_name = true)",
    "json": "read_json({files}, format = 'newline_delimited', union_by_name = true)",
}


def quote(name: str) -> str:
    """``name`` as a SQL identifier: any column name, none able to end the quotes."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _message(error: duckdb.Error) -> str:
    """DuckDB's own message on one line, without the echo of the query."""
    text = str(error).split("\n\nLINE ")[0]
    return excerpt(" ".join(part.strip() for part in text.splitlines() if part.strip()), 400)


class RecordStore:
    """An in-process DuckDB holding the tree's file sources as tables, locked once loaded."""

    def __init__(self, sources: Mapping[str, Source], timezone: str = "UTC") -> None:
        self.sources = dict(sources)
        self.connection = duckdb.connect(":memory:")
        self.columns: dict[str, dict[str, str]] = {}
        try:
            # Text timestamps without an offset in a column that has some are then read as
            # local time, and date_trunc in raw SQL cuts at local midnight. TimeAxis has
            # checked the name; without the ICU extension the setting is refused and only
            # raw SQL on timestamps with offsets is affected.
            with contextlib.suppress(duckdb.Error):
                self.connection.execute(f"SET TimeZone = {_literal(timezone)}")
            for source in self.sources.values():
                if source.is_database:
                    self._load_database(source)
                else:
                    self._load(source)
            self._lock()
        except BaseException:
            self.connection.close()
            raise

    def close(self) -> None:
        """Release the database."""
        self.connection.close()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading -----------------------------------------------------------------------------
    def _load(self, source: Source) -> None:
        files = self._files(source)
        table = quote(source.name)
        try:
            if source.format == "xlsx":
                frame = _read_workbook(files[0], source)
                self.connection.register("kpitree_workbook", frame)
                self.connection.execute(f"CREATE TABLE {table} AS SELECT * FROM kpitree_workbook")
                self.connection.unregister("kpitree_workbook")
            else:
                listed = "[" + ", ".join(_literal(str(path)) for path in files) + "]"
                reader = _READERS[str(source.format)].format(files=listed)
                self.connection.execute(f"CREATE TABLE {table} AS SELECT * FROM {reader}")
        except duckdb.Error as error:
            raise DataError(
                f"source '{source.name}': cannot read '{excerpt(str(source.path))}': "
                f"{_message(error)}",
                source.location,
            ) from None
        described = self.connection.execute(f"DESCRIBE {table}").fetchall()
        self.columns[source.name] = {str(row[0]): str(row[1]) for row in described}

    def _load_database(self, source: Source) -> None:
        """Copy a database source's rows into a table (read-only on the server's side)."""
        from kpitree.measurement.database import read_records

        frame = read_records(source)
        table = quote(source.name)
        self.connection.register("kpitree_records", frame)
        self.connection.execute(f"CREATE TABLE {table} AS SELECT * FROM kpitree_records")
        self.connection.unregister("kpitree_records")
        described = self.connection.execute(f"DESCRIBE {table}").fetchall()
        self.columns[source.name] = {str(row[0]): str(row[1]) for row in described}

    def _files(self, source: Source) -> list[Path]:
        path = source.resolved
        if source.is_glob:
            found = source.matches()
            if not found:
                raise DataError(
                    f"source '{source.name}': no file matches '{excerpt(str(source.path))}' "
                    f"(looked in {excerpt(str(path.parent))})",
                    source.location,
                )
            return found
        if not path.is_file():
            reason = "is not a regular file" if path.exists() else "not found"
            raise DataError(
                f"source '{source.name}': file '{excerpt(str(source.path))}' {reason} "
                f"(looked for {excerpt(str(path))})",
                source.location,
            )
        return [path]

    def _lock(self) -> None:
        for setting in (
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET enable_external_access = false",
            "SET lock_configuration = true",
        ):
            self.connection.execute(setting)

    # -- measuring ---------------------------------------------------------------------------
    def measure(
        self, measure: Measure, periods: Boundaries, spans: Sequence[tuple[dt.date, dt.date]]
    ) -> dict[int, float]:
        """Values of ``measure`` for periods ``0..len(spans)-1``.

        ``spans[i]`` is the local first day of period ``i`` and the local day at whose start
        it is measured to (the next period's first day, or the day after the as-of date).
        """
        if measure.aggregate == "sql":
            return self._raw(measure, periods, len(spans))
        if not spans:  # as of a day before the axis: check the columns, measure nothing
            for column in (measure.date, measure.column, *(measure.active or ())):
                if column is not None:
                    self._column(measure, column)
            return {}
        return self._structured(measure, periods, spans)

    def _column(self, measure: Measure, column: str) -> str:
        columns = self.columns[measure.source]
        if column not in columns:
            raise DataError(
                f"node '{measure.node}': measure: source '{measure.source}' has no column "
                f"'{excerpt(column)}'{did_you_mean(column, columns)} "
                f"(columns: {excerpt(', '.join(columns), 200)})",
                measure.location,
            )
        return columns[column]

    def _time_column(self, measure: Measure, column: str) -> tuple[str, str]:
        """The SQL for a date or timestamp column of the row ``r``, and its type."""
        kind = self._column(measure, column)
        reference = f"r.{quote(column)}"
        if kind == "VARCHAR":
            # An export whose end dates are all still empty (no subscription ended yet) is
            # read as text: nothing in it to compare, so treat it as dates.
            filled = self.connection.execute(
                f"SELECT count({quote(column)}) FROM {quote(measure.source)}"
            ).fetchall()[0][0]
            if filled == 0:
                return f"CAST({reference} AS DATE)", "DATE"
        if kind in _DATE_TYPES or kind in _NAIVE_TYPES or kind in _AWARE_TYPES:
            return reference, kind
        raise DataError(
            f"node '{measure.node}': measure: column '{excerpt(column)}' of source "
            f"'{measure.source}' holds {kind}, not dates or timestamps",
            measure.location,
        )

    @staticmethod
    def _bound(kind: str, periods: Boundaries, day: dt.date) -> str:
        """The start of local ``day`` as a literal comparable with a column of type ``kind``."""
        if kind in _DATE_TYPES:
            return f"DATE '{day.isoformat()}'"
        if kind in _NAIVE_TYPES:
            return f"TIMESTAMP '{day.isoformat()} 00:00:00'"
        instant = periods.instant(day).replace(tzinfo=None).isoformat(sep=" ")
        return f"TIMESTAMPTZ '{instant}+00:00'"

    def _structured(
        self, measure: Measure, periods: Boundaries, spans: Sequence[tuple[dt.date, dt.date]]
    ) -> dict[int, float]:
        rows = f"SELECT * FROM {quote(measure.source)}"
        if measure.where is not None:
            # The newline ends a trailing `--` comment inside the user's text.
            rows += f" WHERE ({measure.where}\n)"
        if measure.active is not None:
            # Stocks: rows started before the period's end and not ended by then. The start
            # and end columns may differ in type, so each gets boundaries of its own type.
            start, start_kind = self._time_column(measure, measure.active[0])
            end, end_kind = self._time_column(measure, measure.active[1])
            bounds = ", ".join(
                f"({index}, {self._bound(start_kind, periods, last)}, "
                f"{self._bound(end_kind, periods, last)})"
                for index, (_, last) in enumerate(spans)
            )
            condition = f"{start} < p.kpitree_low AND ({end} IS NULL OR {end} >= p.kpitree_high)"
            value, nulls = self._aggregate(measure)
            query = (
                f"WITH p AS (SELECT * FROM (VALUES {bounds}) AS v(kpitree_period, kpitree_low, "
                f"kpitree_high)) SELECT p.kpitree_period, {value}, {nulls} FROM ({rows}) AS r "
                f"JOIN p ON {condition} GROUP BY p.kpitree_period"
            )
        else:
            # Flows: each row falls in one period, found by a binary search written as nested
            # CASE (log2(periods) comparisons a row); several times faster than a range join.
            date, kind = self._time_column(measure, str(measure.date))
            cuts = [self._bound(kind, periods, first) for first, _ in spans]
            cuts.append(self._bound(kind, periods, spans[-1][1]))
            value, nulls = self._aggregate(measure)
            query = (
                f"SELECT {_bucket(date, cuts, 0, len(spans))} AS kpitree_period, {value}, "
                f"{nulls} FROM ({rows}) AS r WHERE {date} >= {cuts[0]} AND {date} < {cuts[-1]} "
                "GROUP BY kpitree_period"
            )
        found = {int(row[0]): row for row in self._run(measure, query)}
        result = {}
        for index in range(len(spans)):
            row = found.get(index)
            if row is not None and row[2]:
                raise DataError(
                    f"node '{measure.node}': measure: period {periods.labels[index]}: "
                    f"{row[2]:,} rows with an empty '{excerpt(str(measure.column))}'",
                    measure.location,
                )
            # No row in a period: nothing counted, nothing summed.
            result[index] = 0.0 if row is None or row[1] is None else float(row[1])
        return result

    def _aggregate(self, measure: Measure) -> tuple[str, str]:
        if measure.aggregate == "count":
            return "count(*)", "0"
        column = str(measure.column)
        kind = self._column(measure, column)
        if measure.aggregate == "sum" and not (kind in _NUMBER_TYPES or kind.startswith("DECIMAL")):
            raise DataError(
                f"node '{measure.node}': measure: column '{excerpt(column)}' of source "
                f"'{measure.source}' holds {kind}, not numbers to sum",
                measure.location,
            )
        if measure.aggregate == "distinct":
            return f"count(DISTINCT r.{quote(column)})", "0"
        return f"sum(r.{quote(column)})", f"count(*) - count(r.{quote(column)})"

    def _run(self, measure: Measure, query: str) -> list[tuple[Any, ...]]:
        try:
            statements = duckdb.extract_statements(query)
        except duckdb.Error as error:
            raise DataError(
                f"node '{measure.node}': measure: the SQL does not parse: {_message(error)}",
                measure.location,
            ) from None
        if len(statements) != 1:
            raise DataError(
                f"node '{measure.node}': measure: expected one SELECT statement, found "
                f"{len(statements)} statements",
                measure.location,
            )
        if statements[0].type != duckdb.StatementType.SELECT:
            raise DataError(
                f"node '{measure.node}': measure: expected a SELECT statement, found "
                f"{statements[0].type.name}",
                measure.location,
            )
        try:
            return self.connection.execute(query).fetchall()
        except duckdb.Error as error:
            raise DataError(
                f"node '{measure.node}': measure: {_message(error)}", measure.location
            ) from None

    def _raw(self, measure: Measure, periods: Boundaries, count: int) -> dict[int, float]:
        rows = self._run(measure, str(measure.sql))
        where = measure.location
        node = measure.node
        result: dict[int, float] = {}
        for row in rows:
            if len(row) != 2:
                raise DataError(
                    f"node '{node}': measure: sql must return two columns (period, value), "
                    f"found {len(row)}",
                    where,
                )
            period, value = row
            index = _period_index(period, periods)
            shown = excerpt(str(period), 40)
            if index is None:
                raise DataError(
                    f"node '{node}': measure: period {shown} is outside the tree's axis "
                    f"({periods.labels[0]} to {periods.labels[-1]})",
                    where,
                )
            label = periods.labels[index]
            if index in result:
                raise DataError(f"node '{node}': measure: period {label} appears twice", where)
            if value is None:
                raise DataError(f"node '{node}': measure: period {label}: value is NULL", where)
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
                raise DataError(
                    f"node '{node}': measure: period {label}: value must be a number, found "
                    f"{type(value).__name__} {excerpt(repr(value), 40)}",
                    where,
                )
            number = float(value)
            if not math.isfinite(number):
                raise DataError(f"node '{node}': measure: period {label}: value is {number}", where)
            if index < count:
                result[index] = number
        return result


def _bucket(column: str, cuts: Sequence[str], low: int, high: int) -> str:
    """SQL giving the ``i`` in ``[low, high)`` with ``cuts[i] <= column < cuts[i + 1]``."""
    if high - low == 1:
        return str(low)
    middle = (low + high) // 2
    return (
        f"CASE WHEN {column} < {cuts[middle]} THEN {_bucket(column, cuts, low, middle)} "
        f"ELSE {_bucket(column, cuts, middle, high)} END"
    )


def _period_index(period: Any, periods: Boundaries) -> int | None:
    if isinstance(period, dt.date):
        return periods.index_of(period)
    if isinstance(period, str):
        text = period.strip()
        return periods.labels.index(text) if text in periods.labels else None
    return None


def _read_workbook(path: Path, source: Source) -> Any:
    import zipfile

    import pandas as pd

    try:
        return pd.read_excel(path, sheet_name=source.sheet or 0, engine="openpyxl")
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as error:
        raise DataError(
            f"source '{source.name}': cannot read '{excerpt(str(source.path))}': {error}",
            source.location,
        ) from None
