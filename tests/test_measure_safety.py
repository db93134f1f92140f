"""A measure reads the declared sources and nothing else: every escape attempt fails cleanly.

Each attempt is tried both as raw ``sql`` and inside a ``where``; the files it would write must
not appear. The last tests go past kpitree's own statement check to DuckDB's lock itself.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from measure_export import write_export, write_measured_tree

import kpitree
from kpitree.errors import DataError
from kpitree.measurement.duckdb_engine import RecordStore


def _measure(tmp_path: Path, measure: str) -> None:
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, {"x": measure})
    kpitree.measure(kpitree.load(path), as_of="2027-03-31")


def _raw(sql: str) -> str:
    return '{source: leads, sql: "' + sql.replace('"', '\\"') + '"}'


def _where(text: str) -> str:
    return '{source: leads, count: true, date: created_at, where: "' + text + '"}'


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        (_raw("SELECT '2027-01', count(*) FROM read_csv('/etc/passwd')"), "disabled"),
        (_raw("SELECT '2027-01', length(content) FROM read_text('/etc/passwd')"), "disabled"),
        (_where("channel IN (SELECT column0 FROM read_csv('/etc/passwd'))"), "disabled"),
        (_raw("SELECT '2027-01', count(*) FROM 'trees/crm/leads.csv'"), "disabled"),
    ],
)
def test_reading_other_files_fails(tmp_path: Path, measure: str, message: str) -> None:
    """SQL that reads a file other than the sources is refused by DuckDB's lock."""
    with pytest.raises(DataError, match=f"node 'x': measure: .*({message})"):
        _measure(tmp_path, measure)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("COPY leads TO '{out}'", "expected a SELECT statement, found COPY"),
        ("ATTACH '{out}' AS other", "expected a SELECT statement, found ATTACH"),
        ("INSTALL httpfs", "expected a SELECT statement, found"),
        ("SET enable_external_access = true", "expected a SELECT statement, found"),
        ("SELECT '2027-01', 1; COPY leads TO '{out}'", "expected one SELECT statement, found 2"),
    ],
)
def test_statements_other_than_select_are_refused(tmp_path: Path, sql: str, message: str) -> None:
    """COPY, ATTACH, INSTALL, SET and a second statement in raw SQL write nothing."""
    out = tmp_path / "stolen.out"
    with pytest.raises(DataError, match=message):
        _measure(tmp_path, _raw(sql.format(out=out)))
    assert not out.exists()


def test_where_cannot_smuggle_a_statement(tmp_path: Path) -> None:
    """A `where` that closes its parenthesis to add a COPY is refused and writes nothing."""
    out = tmp_path / "stolen.csv"
    with pytest.raises(DataError, match=r"expected one SELECT statement|does not parse"):
        _measure(tmp_path, _where(f"true); COPY leads TO '{out}'; SELECT (1"))
    assert not out.exists()


def test_where_cannot_comment_out_the_rest(tmp_path: Path) -> None:
    """A trailing SQL comment in a `where` ends at the line's end, not the query's."""
    assert _measured(tmp_path, _where("channel = 'web' --")) == (2, 1, 1)


def _measured(tmp_path: Path, measure: str) -> tuple:
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, {"x": measure})
    return kpitree.measure(kpitree.load(path), as_of="2027-03-31").measured["x"]


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY leads TO '{out}'",
        "ATTACH '{out}' AS other",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
    ],
)
def test_the_lock_itself_refuses_escapes(tmp_path: Path, statement: str) -> None:
    """Past kpitree's own checks, DuckDB's locked configuration refuses each escape."""
    write_export(tmp_path)
    tree = kpitree.load(write_measured_tree(tmp_path, {"x": _where("true")}))
    out = tmp_path / "escaped.out"
    with RecordStore(tree.sources) as store, pytest.raises(duckdb.Error):
        store.connection.execute(statement.format(out=out))
    assert not out.exists()


def test_sources_are_tables_after_the_lock(tmp_path: Path) -> None:
    """Once locked, the sources are still readable as tables."""
    write_export(tmp_path)
    tree = kpitree.load(write_measured_tree(tmp_path, {"x": _where("true")}))
    with RecordStore(tree.sources) as store:
        assert store.connection.execute("SELECT count(*) FROM leads").fetchall() == [(6,)]
