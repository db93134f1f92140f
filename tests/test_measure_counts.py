"""Values measured from a small export, checked against counts worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest
from measure_export import write_export, write_measured_tree

import kpitree

WEB = "{source: leads, count: true, date: created_at, where: \"channel = 'web'\"}"
LEADS = "{source: leads, count: true, date: created_at}"
END = dt.date(2027, 3, 31)


def _measure(tmp_path: Path, measures: dict[str, str], as_of=END, **tree) -> dict:
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, measures, **tree)
    return kpitree.measure(kpitree.load(path), as_of=as_of).measured


def test_counts_follow_the_tokyo_calendar(tmp_path: Path) -> None:
    """A lead at 2027-02-01T00:30+09:00 counts in February in Asia/Tokyo."""
    measured = _measure(tmp_path, {"leads": LEADS, "web": WEB})
    assert measured == {"leads": (2, 2, 1), "web": (2, 1, 1)}


def test_counts_follow_the_utc_calendar(tmp_path: Path) -> None:
    """The same leads bucketed in UTC put the 00:30 Tokyo lead in January."""
    time = "{periods: 3, unit: month, start: 2027-01}"
    measured = _measure(tmp_path, {"leads": LEADS}, time=time)
    assert measured == {"leads": (3, 1, 2)}


def test_sum_and_distinct_of_won_deals(tmp_path: Path) -> None:
    """Sums and distinct counts of local closing times bucket won deals by month."""
    won = "where: \"stage = 'won'\""
    measured = _measure(
        tmp_path,
        {
            "won": f"{{source: opportunities, count: true, date: closed_at, {won}}}",
            "amount": f"{{source: opportunities, sum: amount, date: closed_at, {won}}}",
            "accounts": f"{{source: opportunities, distinct: account_id, date: closed_at, {won}}}",
            "closed": "{source: opportunities, distinct: account_id, date: closed_at}",
        },
    )
    assert measured == {
        "won": (2, 1, 1),
        "amount": (300, 300, 50),
        "accounts": (1, 1, 1),
        "closed": (2, 1, 1),
    }


def test_stocks_at_each_period_end(tmp_path: Path) -> None:
    """A stock counts rows started by the period's end and not ended by then."""
    active = "active: [start_date, end_date]"
    measured = _measure(
        tmp_path,
        {
            "customers": f"{{source: subscriptions, count: true, {active}}}",
            "mrr": f"{{source: subscriptions, sum: mrr, {active}}}",
        },
    )
    assert measured == {"customers": (3, 2, 2), "mrr": (80, 60, 50)}


def test_as_of_cuts_the_partial_period(tmp_path: Path) -> None:
    """Measured as of Feb 10: February counts to that day, March is not measured."""
    write_export(tmp_path)
    path = write_measured_tree(
        tmp_path,
        {"leads": LEADS, "customers": "{source: subscriptions, count: true, "
         "active: [start_date, end_date]}"},
    )  # fmt: skip
    result = kpitree.measure(kpitree.load(path), as_of="2027-02-10")
    assert result.measured == {"leads": (2, 1, None), "customers": (3, 4, None)}
    assert result.partial_label == "2027-02"
    assert result.elapsed == 10 / 28  # ten of February's 28 days
    assert result.as_of == dt.date(2027, 2, 10)


def test_a_complete_period_is_not_partial(tmp_path: Path) -> None:
    """As of the last day of the axis, every period is whole and none is partial."""
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, {"leads": LEADS})
    result = kpitree.measure(kpitree.load(path), as_of=END)
    assert result.partial is None


def test_raw_sql_returns_labels_or_dates(tmp_path: Path) -> None:
    """Raw SQL may name periods by label or by a date inside them."""
    labels = (
        "{source: opportunities, sql: \"SELECT strftime(closed_at, '%Y-%m'), count(*) "
        "FROM opportunities WHERE stage = 'won' GROUP BY 1\"}"
    )
    dates = (
        "{source: opportunities, sql: \"SELECT date_trunc('month', closed_at), sum(amount) "
        "FROM opportunities WHERE stage = 'won' GROUP BY 1\"}"
    )
    measured = _measure(tmp_path, {"won": labels, "amount": dates})
    assert measured == {"won": (2, 1, 1), "amount": (300, 300, 50)}


def test_raw_sql_dates_in_the_tree_time_zone(tmp_path: Path) -> None:
    """date_trunc in raw SQL cuts months at midnight in the tree's time zone."""
    sql = (
        "{source: leads, sql: \"SELECT date_trunc('month', created_at) AS m, count(*) "
        "FROM leads WHERE created_at < TIMESTAMPTZ '2027-03-31 15:00:00+00' GROUP BY 1\"}"
    )
    assert _measure(tmp_path, {"leads": sql}) == {"leads": (2, 2, 1)}


def test_glob_of_monthly_exports(tmp_path: Path) -> None:
    """A glob reads every monthly export file as one source."""
    crm = write_export(tmp_path)
    header, *rows = (crm / "leads.csv").read_text(encoding="utf-8").splitlines()
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "leads_2027-01.csv").write_text("\n".join([header, *rows[:3]]) + "\n")
    (exports / "leads_2027-02.csv").write_text("\n".join([header, *rows[3:]]) + "\n")
    sources = "sources:\n  leads: exports/leads_*.csv\n"
    assert _measure(tmp_path, {"leads": LEADS}, sources=sources) == {"leads": (2, 2, 1)}


def test_parquet_and_json_lines_sources(tmp_path: Path) -> None:
    """Parquet and JSON lines files give the same counts as the CSV they hold."""
    crm = write_export(tmp_path)
    with duckdb.connect() as connection:
        connection.execute(
            f"COPY (SELECT * FROM read_csv('{crm / 'leads.csv'}')) TO "
            f"'{crm / 'leads.parquet'}' (FORMAT parquet)"
        )
    header, *rows = (crm / "leads.csv").read_text(encoding="utf-8").splitlines()
    lines = [json.dumps(dict(zip(header.split(","), row.split(","), strict=True))) for row in rows]
    (crm / "leads.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for suffix in ("parquet", "jsonl"):
        sources = f"sources:\n  leads: crm/leads.{suffix}\n"
        measured = _measure(tmp_path, {"leads": LEADS, "web": WEB}, sources=sources)
        assert measured == {"leads": (2, 2, 1), "web": (2, 1, 1)}, suffix


def test_workbook_sheet_source(tmp_path: Path) -> None:
    """An .xlsx sheet of local date-times is read by name and bucketed like a CSV."""
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Deals")
    sheet.append(["closed_at", "amount"])
    for when, amount in (
        (dt.datetime(2027, 1, 10, 10), 100),
        (dt.datetime(2027, 2, 28, 23, 30), 300),
        (dt.datetime(2027, 3, 1, 0, 10), 50),
        (dt.datetime(2027, 3, 2), 7),
    ):
        sheet.append([when, amount])
    book.save(tmp_path / "deals.xlsx")
    sources = "sources:\n  deals: {path: deals.xlsx, sheet: Deals}\n"
    measure = "{source: deals, sum: amount, date: closed_at}"
    assert _measure(tmp_path, {"amount": measure}, sources=sources) == {"amount": (100, 300, 57)}


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("{periods: 1, unit: quarter, start: 2027-Q1, timezone: Asia/Tokyo}", (5,)),
        ("{periods: 1, unit: year, start: 2027, timezone: Asia/Tokyo}", (5,)),
        # Weeks from Monday 2027-01-25: lead 2 (Sun 31st), lead 3 (Mon Feb 1st, Tokyo).
        ("{periods: 2, unit: week, start: 2027-01-25, timezone: Asia/Tokyo}", (1, 1)),
    ],
)
def test_other_axes(tmp_path: Path, time: str, expected: tuple) -> None:
    """Quarterly, yearly and weekly axes bucket by their own period boundaries."""
    assert _measure(tmp_path, {"leads": LEADS}, time=time)["leads"] == expected


def test_as_of_before_the_axis_measures_nothing(tmp_path: Path) -> None:
    """As of a day before the first period, every value is None and none is partial."""
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, {"leads": LEADS})
    result = kpitree.measure(kpitree.load(path), as_of="2026-12-31")
    assert result.measured == {"leads": (None, None, None)}
    assert result.partial is None


def test_result_frame_and_dict(tmp_path: Path) -> None:
    """The result's frame has one row per monthly period, NaN where not measured and the
    partial period flagged."""
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, {"leads": LEADS})
    result = kpitree.measure(kpitree.load(path), as_of="2027-02-10")
    frame = result.to_frame()
    assert list(frame.index.astype(str)) == ["2027-01", "2027-02", "2027-03"]
    assert frame.index.freqstr == "M"
    assert list(frame["partial"]) == [False, True, False]
    assert frame["leads"].iloc[1] == 1
    assert frame["leads"].isna().iloc[2]
    assert result.to_dict()["measured"] == {"leads": [2, 1, None]}
    assert result.to_dict()["implied"] == {}
    assert result.to_dict()["reconciliation"] == []


@pytest.mark.parametrize(
    ("zone", "unit", "start", "periods"),
    [
        ("America/New_York", "day", "2027-03-01", 40),  # crosses the March DST change
        ("Asia/Tokyo", "week", "2027-01-04", 30),
        ("Europe/Berlin", "month", "2026-12", 15),
    ],
)
def test_bucketing_agrees_with_pandas(
    tmp_path: Path, zone: str, unit: str, start: str, periods: int
) -> None:
    """Random timestamps with mixed offsets land in the periods pandas finds after tz_convert."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    instants = pd.Timestamp("2026-11-15", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 500 * 86_400, 2_000), unit="s"
    )
    offsets = rng.choice([-5, 0, 9], len(instants))
    texts = [
        (moment + pd.Timedelta(hours=int(hours))).strftime("%Y-%m-%dT%H:%M:%S")
        + f"{int(hours):+03d}:00"
        for moment, hours in zip(instants, offsets, strict=True)
    ]
    (tmp_path / "events.csv").write_text("at\n" + "\n".join(texts) + "\n", encoding="utf-8")
    time = f"{{periods: {periods}, unit: {unit}, start: {start}, timezone: {zone}}}"
    path = write_measured_tree(
        tmp_path,
        {"events": "{source: events, count: true, date: at}"},
        sources="sources:\n  events: events.csv\n",
        time=time,
    )
    tree = kpitree.load(path)
    measured = kpitree.measure(tree, as_of="2030-01-01").measured["events"]
    local = pd.to_datetime(pd.Series(texts), utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    freq = {"day": "D", "week": "W-SUN", "month": "M"}[unit]
    labels = local.dt.to_period(freq)
    first = pd.Period(start, freq=freq)
    expected = tuple(float((labels == first + k).sum()) for k in range(periods))
    assert measured == expected
    assert sum(expected) > 0


def test_naive_times_in_a_column_with_offsets_are_local(tmp_path: Path) -> None:
    """In a column mixing offsets and naive times, the naive ones are read as Tokyo time."""
    (tmp_path / "events.csv").write_text(
        "at\n2027-01-31T15:30:00+00:00\n2027-02-01 00:30:00\n2027-01-31 23:30:00\n",
        encoding="utf-8",
    )
    path = write_measured_tree(
        tmp_path,
        {"events": "{source: events, count: true, date: at}"},
        sources="sources:\n  events: events.csv\n",
    )
    assert kpitree.measure(kpitree.load(path), as_of=END).measured == {"events": (1, 2, 0)}


def test_stock_whose_end_column_is_still_all_empty(tmp_path: Path) -> None:
    """An end column with no value yet (read as text) counts every started row as active."""
    (tmp_path / "subs.csv").write_text(
        "id,start_date,end_date,mrr\n1,2027-01-05,,10\n2,2027-02-01,,20\n3,2027-03-31,,30\n",
        encoding="utf-8",
    )
    path = write_measured_tree(
        tmp_path,
        {"mrr": "{source: subs, sum: mrr, active: [start_date, end_date]}"},
        sources="sources:\n  subs: subs.csv\n",
    )
    assert kpitree.measure(kpitree.load(path), as_of=END).measured == {"mrr": (10, 30, 60)}
