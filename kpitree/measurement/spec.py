"""The ``sources:`` and ``measure:`` declarations of a tree file, as frozen, checked objects.

A source names record data (a file, a glob of monthly exports, or a database table or query);
a measure says how a node's value per period comes from one source: rows counted, a column
summed, distinct values counted, a stock of active rows at each period's end, or raw SQL.
Nothing here touches the data: :mod:`kpitree.measurement.duckdb_engine` does.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpitree.errors import Location, SpecError, did_you_mean
from kpitree.excerpt import excerpt

FILE_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
    ".xlsx": "xlsx",
}
"""File suffixes a source may have, and the reader each goes through."""
DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")
"""URL schemes of database sources (read in part B of issue 13; declared and checked now)."""
AGGREGATES = ("count", "sum", "distinct", "sql")
MEASURE_KEYS = ("source", "count", "sum", "distinct", "date", "active", "where", "sql")
SOURCE_KEYS = ("path", "sheet", "url", "table", "query")
MAX_SQL = 20_000
"""Characters of a `where` or `sql` text: a real query fits in a few hundred."""
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")
_GLOB = re.compile(r"[*?\[]")

Where = Callable[..., Location]
"""``where(*keys)``: the location of a key below the declaration being read."""


@dataclass(frozen=True)
class Source:
    """Record data a measure may read: a file (or glob) or a database table or query.

    ``path`` is as written; files are found relative to ``base`` (the tree file's folder).
    """

    name: str
    path: str | None = None
    base: str = "."
    sheet: str | None = None
    url: str | None = None
    table: str | None = None
    query: str | None = None
    location: Location | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or len(self.name) > 100:
            raise SpecError(
                f"source name '{excerpt(self.name)}' is not a valid name (letters, digits, _)",
                self.location,
            )
        if (self.path is None) == (self.url is None):
            raise SpecError(
                f"source '{self.name}' needs exactly one of a file path or a database url",
                self.location,
            )
        if self.path is not None:
            if self.url or self.table or self.query:
                raise SpecError(
                    f"source '{self.name}': table and query belong to a database url",
                    self.location,
                )
            suffix = Path(self.path).suffix.lower()
            if suffix not in FILE_FORMATS:
                raise SpecError(
                    f"source '{self.name}': file '{excerpt(self.path)}' must end in one of "
                    f"{', '.join(FILE_FORMATS)}, found {suffix or 'no extension'!r}",
                    self.location,
                )
            if self.sheet is not None and FILE_FORMATS[suffix] != "xlsx":
                raise SpecError(
                    f"source '{self.name}': sheet is for .xlsx files, found '{suffix}'",
                    self.location,
                )
            if FILE_FORMATS[suffix] == "xlsx" and self.is_glob:
                raise SpecError(
                    f"source '{self.name}': a glob reads CSV, Parquet or JSON lines files, "
                    "not workbooks",
                    self.location,
                )
            return
        scheme = str(self.url).split("://", 1)[0].lower() if "://" in str(self.url) else ""
        if scheme not in DATABASE_SCHEMES:
            raise SpecError(
                f"source '{self.name}': url must start with postgresql://, found "
                f"'{excerpt(str(self.url).split('://', 1)[0])}'",
                self.location,
            )
        if (self.table is None) == (self.query is None):
            raise SpecError(
                f"source '{self.name}': a database source needs exactly one of table or query",
                self.location,
            )
        if self.table is not None and not _TABLE.fullmatch(self.table):
            raise SpecError(
                f"source '{self.name}': table '{excerpt(self.table)}' is not a table name "
                "(letters, digits, _, optionally schema.table)",
                self.location,
            )

    @property
    def is_database(self) -> bool:
        """True for a database table or query, False for a file."""
        return self.url is not None

    @property
    def is_glob(self) -> bool:
        """True when the path matches several files (monthly exports)."""
        return self.path is not None and bool(_GLOB.search(self.path))

    @property
    def format(self) -> str | None:
        """``csv``, ``parquet``, ``json`` or ``xlsx`` for a file, ``None`` for a database."""
        return None if self.path is None else FILE_FORMATS[Path(self.path).suffix.lower()]

    @property
    def resolved(self) -> Path:
        """The file path (or glob) relative to the tree file's folder."""
        return Path(self.base) / str(self.path)

    def matches(self) -> list[Path]:
        """The regular files a glob source matches now, sorted: the files read, in order."""
        return sorted(Path(name) for name in glob.glob(str(self.resolved)) if os.path.isfile(name))


@dataclass(frozen=True)
class Measure:
    """How one node is measured from one source, bucketed by the tree's periods.

    ``aggregate`` is ``count``, ``sum``, ``distinct`` or ``sql``; ``column`` the column summed
    or counted distinct. A flow buckets rows by ``date``; a stock (``active``: start and end
    columns) counts or sums the rows active at each period's end.
    """

    node: str
    source: str
    aggregate: str
    column: str | None = None
    date: str | None = None
    active: tuple[str, str] | None = None
    where: str | None = None
    sql: str | None = None
    location: Location | None = None

    def __post_init__(self) -> None:
        def fail(message: str) -> SpecError:
            return SpecError(f"node '{self.node}': measure: {message}", self.location)

        if self.aggregate not in AGGREGATES:
            raise fail(f"aggregate must be one of {', '.join(AGGREGATES)}")
        for key in ("where", "sql"):
            text = getattr(self, key)
            if text is not None and (not text.strip() or len(text) > MAX_SQL):
                raise fail(f"'{key}' must be SQL text of 1 to {MAX_SQL:,} characters")
        if self.aggregate == "sql":
            if self.sql is None:
                raise fail("the raw form needs 'sql'")
            if self.date or self.active or self.where:
                raise fail("the raw 'sql' form takes no date, active or where: write them in SQL")
            return
        if self.aggregate in ("sum", "distinct") and not self.column:
            raise fail(f"'{self.aggregate}' names a column")
        if (self.date is None) == (self.active is None):
            raise fail(
                "needs exactly one of 'date' (rows per period) or 'active: [start, end]' "
                "(rows active at each period's end)"
            )

    @property
    def is_stock(self) -> bool:
        """True when the measure counts rows active at each period's end."""
        return self.active is not None


def parse_sources(raw: Any, where: Where, tree_file: str) -> dict[str, Source]:
    """Read a tree file's ``sources:`` mapping; ``where(*keys)`` locates keys below it."""
    if not isinstance(raw, dict):
        raise SpecError("'sources' must map source names to a file path or {url, table}", where())
    base = str(Path(tree_file).parent) if not tree_file.startswith("<") else "."
    sources = {}
    for name, value in raw.items():
        location = where(name)
        fields: dict[str, Any]
        if isinstance(value, str):
            fields = {"path": value}
        elif isinstance(value, dict):
            for key in value:
                if key not in SOURCE_KEYS:
                    raise SpecError(
                        f"unknown key '{excerpt(str(key))}' in source '{excerpt(str(name))}'"
                        f"{did_you_mean(str(key), SOURCE_KEYS)} "
                        f"(allowed: {', '.join(SOURCE_KEYS)})",
                        where(name, key),
                    )
                if not isinstance(value[key], str):
                    raise SpecError(
                        f"source '{excerpt(str(name))}': {key} must be text", where(name, key)
                    )
            fields = dict(value)
        else:
            raise SpecError(
                f"source '{excerpt(str(name))}' must be a file path or a mapping "
                "{path, sheet} / {url, table} / {url, query}",
                location,
            )
        sources[str(name)] = Source(str(name), base=base, location=location, **fields)
    return sources


def parse_measure(raw: Any, node: str, where: Where, sources: Mapping[str, Source]) -> Measure:
    """Read one node's ``measure:`` mapping against the declared ``sources``."""
    location = where()

    def fail(message: str, *keys: str) -> SpecError:
        return SpecError(f"node '{node}': measure: {message}", where(*keys))

    if not isinstance(raw, dict):
        raise fail("must be a mapping like {source: leads, count: true, date: created_at}")
    for key in raw:
        if key not in MEASURE_KEYS:
            raise fail(
                f"unknown key '{excerpt(str(key))}'{did_you_mean(str(key), MEASURE_KEYS)} "
                f"(allowed: {', '.join(MEASURE_KEYS)})",
                key,
            )
    source = raw.get("source")
    if not isinstance(source, str):
        raise fail("needs 'source', the name of one of the tree's sources", "source")
    if source not in sources:
        known = ", ".join(sources) or "none declared"
        raise fail(
            f"unknown source '{excerpt(source)}'{did_you_mean(source, sources)} (sources: {known})",
            "source",
        )
    chosen = [key for key in AGGREGATES if key in raw]
    if len(chosen) != 1:
        raise fail("needs exactly one of count: true, sum: COLUMN, distinct: COLUMN or sql: ...")
    aggregate = chosen[0]
    if aggregate == "count" and raw["count"] is not True:
        raise fail(f"count must be true, found {raw['count']!r}", "count")
    for key in ("sum", "distinct", "date", "where", "sql"):
        if key in raw and not isinstance(raw[key], str):
            raise fail(f"'{key}' must be text, found {type(raw[key]).__name__}", key)
    active = raw.get("active")
    if active is not None and (
        not isinstance(active, list)
        or len(active) != 2
        or not all(isinstance(column, str) for column in active)
    ):
        raise fail("active must be [start column, end column]", "active")
    return Measure(
        node,
        source,
        aggregate,
        column=raw.get(aggregate) if aggregate in ("sum", "distinct") else None,
        date=raw.get("date"),
        active=None if active is None else (active[0], active[1]),
        where=raw.get("where"),
        sql=raw.get("sql"),
        location=location,
    )
