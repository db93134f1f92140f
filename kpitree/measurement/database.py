"""Records from a database source (``{url: postgresql://..., table | query}``), read through
SQLAlchemy in a read-only transaction and handed to the DuckDB record store as a table.

The rows are copied once, then measured by the same SQL as a file source, so a database and an
export of the same records give the same actuals. The session is read-only twice over: the
connection's default (``default_transaction_read_only``) and ``SET TRANSACTION READ ONLY`` in
the one transaction, so a ``query:`` that writes is refused by the server.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from kpitree.errors import DataError
from kpitree.excerpt import excerpt

if TYPE_CHECKING:
    import pandas as pd

    from kpitree.measurement.spec import Source

_CONNECT_SECONDS = 10


def read_records(source: Source) -> pd.DataFrame:
    """Every row of the source's table (or its query's result) as a frame.

    Raises
    ------
    DataError
        At the source's line: the database cannot be reached, the table or query fails
        (with the database's own message).
    """
    import sqlalchemy as sa

    url = _driver_url(str(source.url))
    try:
        engine = sa.create_engine(
            url,
            poolclass=sa.pool.NullPool,
            connect_args={
                "connect_timeout": _CONNECT_SECONDS,
                "options": "-c default_transaction_read_only=on",
            },
        )
    except (sa.exc.ArgumentError, ValueError):
        # The url is not echoed: it may hold a password.
        raise DataError(
            f"source '{source.name}': the database url cannot be read (expected "
            "postgresql://user@host:port/database)",
            source.location,
        ) from None
    if source.table is not None:
        preparer = engine.dialect.identifier_preparer
        table = ".".join(preparer.quote(part) for part in source.table.split("."))
        query = f"SELECT * FROM {table}"
    else:
        query = str(source.query)
    try:
        with engine.connect() as connection, connection.begin():
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            result = connection.exec_driver_sql(query)
            columns = list(result.keys())
            rows = result.fetchall()
    except sa.exc.OperationalError as error:
        raise DataError(
            f"source '{source.name}': cannot reach the database: {_message(error)}",
            source.location,
        ) from None
    except sa.exc.DBAPIError as error:
        raise DataError(
            f"source '{source.name}': the database refused the "
            f"{'table' if source.table else 'query'}: {_message(error)}",
            source.location,
        ) from None
    finally:
        engine.dispose()
    return _frame(columns, list(rows))


def _driver_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` through psycopg (version 3), the driver we ship."""
    scheme, rest = url.split("://", 1)
    if scheme.lower() in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return url


def _message(error: Any) -> str:
    """The database's own message, first line, without SQLAlchemy's wrapping."""
    text = str(getattr(error, "orig", None) or error).strip()
    return excerpt(text.splitlines()[0] if text else type(error).__name__, limit=300)


def _frame(columns: list[str], rows: list[Any]) -> pd.DataFrame:
    """Columns typed as DuckDB reads them from a file: numbers as (nullable) numbers,
    timestamps with a zone as UTC instants, without one as local times, NULL as missing."""
    import pandas as pd

    data = {}
    for index, name in enumerate(columns):
        values = [row[index] for row in rows]
        present = [value for value in values if value is not None]
        if present and all(isinstance(v, bool) for v in present):
            data[name] = pd.array(values, dtype="boolean")
        elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            data[name] = pd.array(values, dtype="Int64")
        elif present and all(isinstance(v, int | float | decimal.Decimal) for v in present):
            data[name] = pd.array([None if v is None else float(v) for v in values], "Float64")
        elif present and all(isinstance(v, dt.datetime) for v in present):
            aware = present[0].tzinfo is not None
            data[name] = pd.to_datetime(values, utc=aware)
        else:
            data[name] = pd.array(values, dtype=object)
    return pd.DataFrame(data, columns=columns)
