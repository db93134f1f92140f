"""Bad sources and measures: each error names the file and line (or the node and period)."""

from __future__ import annotations

from pathlib import Path

import pytest
from measure_export import write_export, write_measured_tree

import kpitree
from kpitree.errors import DataError, SpecError

# Lines of a tree written by write_measured_tree with the default sources.
SOURCE_LINE = {"leads": 5, "opportunities": 6, "subscriptions": 7}
MEASURE_LINE = 11


def _measure(tmp_path: Path, measure: str, **tree: str) -> None:
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, {"x": measure}, **tree)
    kpitree.measure(kpitree.load(path), as_of="2027-03-31")


def _where(error: pytest.ExceptionInfo, tmp_path: Path, line: int) -> None:
    assert str(error.value).startswith(f"{tmp_path / 'tree.yaml'}:{line}: ")


def test_missing_source_file(tmp_path: Path) -> None:
    """A source file that does not exist is named at its line under sources."""
    write_export(tmp_path)
    (tmp_path / "crm" / "opportunities.csv").unlink()
    path = write_measured_tree(tmp_path, {"x": "{source: leads, count: true, date: created_at}"})
    with pytest.raises(DataError, match=r"source 'opportunities': file .* not found") as error:
        kpitree.measure(kpitree.load(path), as_of="2027-03-31")
    _where(error, tmp_path, SOURCE_LINE["opportunities"])


def test_glob_matching_nothing(tmp_path: Path) -> None:
    """A glob that matches no file is an error at the source's line."""
    sources = "sources:\n  leads: exports/*.csv\n"
    with pytest.raises(DataError, match=r"no file matches 'exports/\*\.csv'") as error:
        _measure(tmp_path, "{source: leads, count: true, date: created_at}", sources=sources)
    _where(error, tmp_path, 5)


def test_unreadable_source_file(tmp_path: Path) -> None:
    """A file DuckDB cannot read as its format gives DuckDB's message at the source's line."""
    (tmp_path / "leads.parquet").write_text("not parquet", encoding="utf-8")
    sources = "sources:\n  leads: leads.parquet\n"
    with pytest.raises(DataError, match=r"source 'leads': cannot read 'leads\.parquet'") as error:
        _measure(tmp_path, "{source: leads, count: true, date: created_at}", sources=sources)
    _where(error, tmp_path, 5)


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        ("{source: leads, count: true, date: create_at}", "has no column 'create_at' \\(did you"),
        ("{source: opportunities, sum: amout, date: closed_at}", "has no column 'amout'"),
        ("{source: leads, count: true, date: created_at, where: \"channel = = 'web'\"}",
         "the SQL does not parse: Parser Error"),
        ("{source: leads, count: true, date: created_at, where: \"chanel = 'web'\"}",
         "Binder Error: .*chanel"),
        ("{source: leads, count: true, date: channel}", "column 'channel' of source 'leads' "
         "holds VARCHAR, not dates"),
        ("{source: opportunities, sum: stage, date: closed_at}",
         "column 'stage' of source 'opportunities' holds VARCHAR, not numbers to sum"),
        ("{source: opportunities, sum: amount, date: closed_at}",
         "period 2027-01: 1 rows with an empty 'amount'"),
        ("{source: leads, sql: \"SELECT '2027-01', 'many'\"}",
         "period 2027-01: value must be a number, found str 'many'"),
        ("{source: leads, sql: \"SELECT '2027-02', NULL\"}", "period 2027-02: value is NULL"),
        ("{source: leads, sql: \"SELECT DATE '2027-01-05', 1 UNION ALL "
         "SELECT DATE '2027-01-20', 2\"}", "period 2027-01 appears twice"),
        ("{source: leads, sql: \"SELECT '2027-07', 1\"}",
         "period 2027-07 is outside the tree's axis \\(2027-01 to 2027-03\\)"),
        ("{source: leads, sql: \"SELECT DATE '2026-12-31', 1\"}", "period 2026-12-31 is outside"),
        ("{source: leads, sql: \"SELECT 1\"}", "two columns \\(period, value\\), found 1"),
        ("{source: leads, sql: \"SELECT '2027-01', 1; SELECT '2027-02', 2\"}",
         "expected one SELECT statement, found 2"),
        ("{source: leads, sql: \"SELEC 1\"}", "does not parse"),
    ],
)  # fmt: skip
def test_bad_measure_named_at_its_line(tmp_path: Path, measure: str, message: str) -> None:
    """Each bad measure is an error naming the node, at the line of its measure key."""
    with pytest.raises(DataError, match=f"node 'x': measure: .*{message}") as error:
        _measure(tmp_path, measure)
    _where(error, tmp_path, MEASURE_LINE)


def test_unreachable_database_names_the_source_line(tmp_path: Path) -> None:
    """A database that refuses the connection is an error at the source's line, with the
    database driver's own message."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on: bound, then released
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://nobody@127.0.0.1:{port}/sales"
    sources = f"sources:\n  deals: {{url: '{url}', table: public.deals}}\n"
    with pytest.raises(DataError, match="source 'deals': cannot reach the database: ") as error:
        _measure(tmp_path, "{source: deals, count: true, date: closed_at}", sources=sources)
    assert "refused" in str(error.value) or "failed" in str(error.value)
    _where(error, tmp_path, MEASURE_LINE - 6)  # the source's line


def test_untimed_tree_cannot_be_measured(tmp_path: Path) -> None:
    """Measuring needs periods with dates: an axis without start is an error."""
    with pytest.raises(DataError, match="measuring needs a time axis with a start"):
        _measure(tmp_path, "{source: leads, count: true, date: created_at}", time="{periods: 3}")


def test_bad_as_of(tmp_path: Path) -> None:
    """An as-of that is not a date is refused."""
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, {"x": "{source: leads, count: true, date: a}"})
    with pytest.raises(DataError, match="expected a date YYYY-MM-DD, found 'soon'"):
        kpitree.measure(kpitree.load(path), as_of="soon")


@pytest.mark.parametrize(
    ("sources", "measure", "line", "message"),
    [
        (None, "{source: lead, count: true, date: a}", 11,
         "unknown source 'lead' \\(did you mean 'leads'\\?\\)"),
        (None, "{source: leads, count: 1, date: a}", 11, "count must be true, found 1"),
        (None, "{source: leads, cnt: true, date: a}", 11, "unknown key 'cnt'"),
        (None, "{source: leads, count: true}", 11, "needs exactly one of 'date'"),
        (None, "{source: leads, count: true, date: a, active: [b, c]}", 11,
         "needs exactly one of 'date'"),
        (None, "{source: leads, count: true, sum: a, date: a}", 11, "needs exactly one of count"),
        (None, "{source: leads, count: true, active: [a]}", 11, "active must be \\[start"),
        (None, "{source: leads, sql: 'SELECT 1', where: 'a'}", 11, "takes no date, active or where"),
        (None, "{source: leads, count: true, date: a, where: ''}", 11, "'where' must be SQL text"),
        (None, "[leads]", 11, "must be a mapping"),
        ("sources:\n  leads: leads.doc\n", "{source: leads, count: true, date: a}", 5,
         "must end in one of .csv"),
        ("sources:\n  leads: {path: a.csv, sheet: S}\n", "{source: leads, count: true, date: a}",
         5, "sheet is for .xlsx files"),
        ("sources:\n  leads: {path: a.csv, tabel: S}\n", "{source: leads, count: true, date: a}",
         5, "unknown key 'tabel' in source 'leads' \\(did you mean 'table'\\?\\)"),
        ("sources:\n  leads: {url: 'mysql://h/db', table: t}\n",
         "{source: leads, count: true, date: a}", 5, "url must start with postgresql://"),
        ("sources:\n  leads: {url: 'postgresql://h/db'}\n",
         "{source: leads, count: true, date: a}", 5, "exactly one of table or query"),
        ("sources:\n  leads: {url: 'postgresql://h/db', table: 'a; drop'}\n",
         "{source: leads, count: true, date: a}", 5, "is not a table name"),
        ("sources:\n  lead-s: a.csv\n", "{source: leads, count: true, date: a}", 5,
         "source name 'lead-s' is not a valid name"),
        ("sources: [a.csv]\n", "{source: leads, count: true, date: a}", 4,
         "'sources' must map source names"),
    ],
)  # fmt: skip
def test_bad_declaration_refused_on_load(
    tmp_path: Path, sources: str | None, measure: str, line: int, message: str
) -> None:
    """Bad sources and measure declarations are spec errors at their line, before any data."""
    extra = {} if sources is None else {"sources": sources}
    path = write_measured_tree(tmp_path, {"x": measure}, **extra)
    with pytest.raises(SpecError, match=message) as error:
        kpitree.load(path)
    _where(error, tmp_path, line)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "Asia/Tokyo "])
def test_bad_timezone(tmp_path: Path, zone: str) -> None:
    """A time zone that is not an IANA name is an error at the time block's line."""
    time = f"{{periods: 3, unit: month, start: 2027-01, timezone: '{zone}'}}"
    path = write_measured_tree(tmp_path, {"x": "{source: leads, count: true, date: a}"}, time=time)
    with pytest.raises(SpecError, match="timezone must be an IANA name") as error:
        kpitree.load(path)
    _where(error, tmp_path, 3)


def test_tree_built_in_python_gets_the_same_source_check(tmp_path: Path) -> None:
    """A tree built in Python whose measure names an undeclared source is refused."""
    from kpitree.measurement.spec import Measure, Source
    from kpitree.node import Node
    from kpitree.timeaxis import TimeAxis
    from kpitree.tree import Tree

    write_export(tmp_path)
    measure = Measure("leads", "lead", "count", date="created_at")
    tree = Tree(
        "built",
        "leads",
        [Node("leads", value=0.0, measure=measure)],
        time=TimeAxis(3, "month", "2027-01"),
        sources={"leads": Source("leads", path="crm/leads.csv", base=str(tmp_path))},
    )
    with pytest.raises(DataError, match=r"unknown source 'lead' \(did you mean 'leads'\?\)"):
        kpitree.measure(tree, as_of="2027-03-31")
    good = Tree(
        "built",
        "leads",
        [Node("leads", value=0.0, measure=Measure("leads", "leads", "count", date="created_at"))],
        time=TimeAxis(3, "month", "2027-01", timezone="Asia/Tokyo"),
        sources={"leads": Source("leads", path="crm/leads.csv", base=str(tmp_path))},
    )
    assert kpitree.measure(good, as_of="2027-03-31").measured == {"leads": (2, 2, 1)}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda M: M("x", "s", "median", date="d"), "aggregate must be one of"),
        (lambda M: M("x", "s", "sum", date="d"), "'sum' names a column"),
        (lambda M: M("x", "s", "sql"), "the raw form needs 'sql'"),
    ],
)
def test_measure_objects_check_themselves(make, message: str) -> None:
    """A Measure built in Python refuses what the file reader would."""
    from kpitree.measurement.spec import Measure

    with pytest.raises(SpecError, match=message):
        make(Measure)


@pytest.mark.parametrize(
    ("content", "sheet", "message"),
    [
        (None, "Missing", "Worksheet named 'Missing' not found"),
        (b"not a workbook", None, "cannot read 'deals.xlsx'"),
    ],
)
def test_bad_workbook_source(tmp_path: Path, content: bytes | None, sheet: str | None,
                             message: str) -> None:  # fmt: skip
    """A missing sheet or a file that is not a workbook is named at the source's line."""
    import openpyxl

    if content is None:
        openpyxl.Workbook().save(tmp_path / "deals.xlsx")
    else:
        (tmp_path / "deals.xlsx").write_bytes(content)
    declared = "deals.xlsx" if sheet is None else f"{{path: deals.xlsx, sheet: {sheet}}}"
    with pytest.raises(DataError, match=message) as error:
        _measure(tmp_path, "{source: deals, count: true, date: a}",
                 sources=f"sources:\n  deals: {declared}\n")  # fmt: skip
    _where(error, tmp_path, 5)
