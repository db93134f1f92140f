"""``--measure`` on every command that takes actuals: as-of, the partial period (skip, pace),
option clashes; .xlsx actuals with ``--sheet``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from measure_export import SOURCES, TIME, write_export

import kpitree
from kpitree.measurement import actuals_from_measure

# From the export (tests/measure_export.py), in Tokyo: leads Jan 2, Feb 2, Mar 1 (the March
# one on Mar 1, 17:00); won Jan 2, Feb 1 (Feb 28), Mar 1 (Mar 1, 00:10).
TREE = f"""\
name: measured
kgi: won
time: {TIME}
{SOURCES}nodes:
  leads:
    value: 2
    unit: leads/month
    measure: {{source: leads, count: true, date: created_at}}
  win_rate: {{value: 0.5, bounds: [0, 1], alert: {{below: 0.6}}}}
  won:
    formula: leads * win_rate
    unit: customers/month
    measure: {{source: opportunities, count: true, date: closed_at, where: "stage = 'won'"}}
"""


@pytest.fixture
def tree_file(tmp_path: Path) -> Path:
    write_export(tmp_path)
    path = tmp_path / "tree.yaml"
    path.write_text(TREE, encoding="utf-8")
    return path


def _actual(out: str, node: str) -> dict[str, float]:
    return {row["period"]: row["actual"] for row in json.loads(out)["rows"] if row["node"] == node}


def test_compare_measure_skips_the_partial_period(cli, tree_file: Path) -> None:
    """As of Mar 1 the partial March is shown but not judged (status partial, no actual);
    Jan and Feb are judged, win rate won / leads."""
    status, out, err = cli(
        "compare", tree_file, "--measure", "--as-of", "2027-03-01", "--format", "json"
    )
    assert status == 0
    assert "note: 2027-03 is partial (measured as of 2027-03-01): left out" in err
    result = json.loads(out)
    assert result["periods"] == ["2027-01", "2027-02", "2027-03"]
    assert (result["partial"], result["partial_paced"]) == ("2027-03", False)
    assert result["partial_elapsed"] == pytest.approx(1 / 31)
    march = [row for row in result["rows"] if row["period"] == "2027-03"]
    assert {row["status"] for row in march} == {"partial"}
    assert {row["actual"] for row in march} == {None}
    assert all(row["partial"] == (row["period"] == "2027-03") for row in result["rows"])
    assert _actual(out, "win_rate") == pytest.approx(
        {"2027-01": 1.0, "2027-02": 0.5, "2027-03": None}
    )
    assert _actual(out, "won") == pytest.approx({"2027-01": 2.0, "2027-02": 1.0, "2027-03": None})


def test_compare_table_marks_the_partial_period(cli, tree_file: Path) -> None:
    """The table's block title names the partial period with its share elapsed (14 of 28
    February days: 50 %), skipped or paced, and the footer says how it was used."""
    status, out, _ = cli("compare", tree_file, "--measure", "--as-of", "2027-02-14")
    assert status == 0
    assert "at 2027-02 (partial, 50 % elapsed): actual vs plan (0 off track)" in out
    assert "2027-02 is measured to date and not judged" in out
    status, out, _ = cli(
        "compare", tree_file, "--measure", "--as-of", "2027-02-14", "--partial", "pace"
    )
    assert status == 0
    # Paced: 1 lead by Feb 14 is 2 for the month (plan 2, on track); 0 won of plan 1 and a
    # win rate 0 below its 0.6 alert are off track.
    assert "at 2027-02 (partial, 50 % elapsed, flows paced): actual vs plan (2 off track)" in out
    assert "divided by the share of the period elapsed (paced)" in out


def test_paced_partial_period_is_judged_with_hand_numbers(tree_file: Path) -> None:
    """Paced as of Feb 14: leads 1 / 0.5 = 2 on track, won 0 off track, win rate 0 off track
    (alert below 0.6); the frame flags February as partial."""
    tree = kpitree.load(tree_file)
    comparison = tree.compare(actuals_from_measure(tree, "2027-02-14", partial="pace"))
    assert (comparison.partial, comparison.elapsed, comparison.paced) == ("2027-02", 0.5, True)
    assert comparison.actual["leads"][1] == pytest.approx(2.0)
    assert comparison.status["leads"][1] == "on track"
    assert comparison.status["won"][1] == "off track"
    assert comparison.status["win_rate"][1] == "off track"
    frame = comparison.to_frame()
    assert list(frame.loc[frame["node"] == "won", "partial"]) == [False, True]


def test_measured_to_date_period_is_not_judged(tree_file: Path) -> None:
    """compare(measure(...)) shows the partial period's to-date values (1 lead by Feb 14)
    with status partial, and check does not fire on them."""
    tree = kpitree.load(tree_file)
    measured = kpitree.measure(tree, as_of="2027-02-14")
    comparison = tree.compare(measured)
    assert comparison.actual["leads"][1] == 1.0
    assert comparison.status["won"] == ("ahead", "partial")  # January: 2 won, plan 1
    from kpitree.analysis.compare import check_actuals

    assert check_actuals(tree, measured) == []  # the win rate 0 to date is not judged


def test_compare_measure_paces_the_partial_period(cli, tree_file: Path) -> None:
    """Pace: 1 lead and 1 win on day 1 of 31 count as 31 each; the win rate stays 1."""
    status, out, err = cli(
        "compare", tree_file, "--measure", "--as-of", "2027-03-01", "--partial", "pace",
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    assert "paced to the whole period" in err
    assert json.loads(out)["periods"] == ["2027-01", "2027-02", "2027-03"]
    assert _actual(out, "leads")["2027-03"] == pytest.approx(31.0)
    assert _actual(out, "won")["2027-03"] == pytest.approx(31.0)
    assert _actual(out, "win_rate")["2027-03"] == pytest.approx(1.0)


def test_pace_divides_flows_by_the_share_elapsed(tree_file: Path) -> None:
    """As of Feb 14 (half of February): 1 lead so far is paced to 2, no win stays 0."""
    tree = kpitree.load(tree_file)
    actuals = actuals_from_measure(tree, "2027-02-14", partial="pace")
    assert actuals.values["leads"] == pytest.approx({0: 2.0, 1: 2.0})
    assert actuals.derived["won"] == pytest.approx({0: 2.0, 1: 0.0})
    assert actuals.partial == 1


def test_check_measure_exits_1_on_an_alert(cli, tree_file: Path) -> None:
    """February's measured win rate 0.5 is below the 0.6 alert: exit 1, the line names it."""
    status, out, _ = cli("check", tree_file, "--measure", "--as-of", "2027-02-28")
    assert status == 1
    assert "'win_rate' at 2027-02" in out
    assert "2027-01" not in out


def test_attribute_measure_explains_the_last_full_period(cli, tree_file: Path) -> None:
    """As of Feb 10 the last full period is January: won 2 against plan 1, all win rate."""
    status, out, _ = cli(
        "attribute", tree_file, "--measure", "--as-of", "2027-02-10", "--format", "json"
    )
    assert status == 0
    result = json.loads(out)
    assert (result["period"], result["base"], result["new"]) == ("2027-01", 1.0, 2.0)
    assert result["contributions"] == pytest.approx({"leads": 0.0, "win_rate": 1.0})


def test_report_measure_writes_the_page(cli, tree_file: Path, tmp_path: Path) -> None:
    """report --measure adds plan vs actual from the records."""
    target = tmp_path / "report.html"
    status, _, _ = cli(
        "report", tree_file, "--measure", "--as-of", "2027-03-01", "--samples", "200",
        "-o", target,
    )  # fmt: skip
    assert status == 0
    assert "2027-02" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--measure", "--actuals", "x.csv"], "give either --actuals FILE or --measure"),
        (["--as-of", "2027-03-01", "--actuals", "x.csv"], "--as-of and --partial go with"),
        (["--sheet", "a"], "--sheet goes with --actuals"),
        ([], "give --actuals FILE or --measure"),
    ],
)
def test_option_clashes_exit_2(cli, tree_file: Path, extra: list[str], message: str) -> None:
    """Options that do not go together are a usage error, exit 2."""
    status, _, err = cli("compare", tree_file, *extra)
    assert status == 2
    assert message in err


def test_xlsx_actuals_with_sheet(cli, write_tree, tmp_path: Path) -> None:
    """A workbook's named sheet is read as actuals, headers by label, dates as periods."""
    import datetime as dt

    from openpyxl import Workbook

    tree = write_tree(
        "name: shop\nkgi: orders\ntime: {periods: 2, unit: month, start: 2027-01}\nnodes:\n"
        "  visits: {value: 1000}\n  cvr: {value: 0.02, bounds: [0, 1]}\n"
        "  orders: {formula: visits * cvr, label: 注文数}\n"
    )
    book = Workbook()
    book.active.title = "memo"
    book.active.append(["nothing", "here"])
    sheet = book.create_sheet("actuals")
    sheet.append(["period", "visits", "注文数"])
    sheet.append([dt.datetime(2027, 1, 31), 1000, 30])
    sheet.append(["2027-02", 1200, None])
    path = tmp_path / "actuals.xlsx"
    book.save(path)
    status, out, err = cli(
        "compare", tree, "--actuals", path, "--sheet", "actuals", "--format", "json"
    )
    assert (status, err) == (0, "")
    assert _actual(out, "cvr") == pytest.approx({"2027-01": 0.03, "2027-02": 0.02})
    assert _actual(out, "orders") == pytest.approx({"2027-01": 30.0, "2027-02": 24.0})
    status, _, err = cli("compare", tree, "--actuals", path, "--sheet", "nope")
    assert status == 2
    assert "has no sheet 'nope' (sheets: memo, actuals)" in err
    status, _, err = cli("compare", tree, "--actuals", path)
    assert status == 2
    assert f"{path}:1: column 'nothing' names no node" in err


def test_bundled_tree_measure_csv_reads_back_as_the_same_actuals(cli, tmp_path: Path) -> None:
    """The sample CRM tree's measure CSV (measured nodes and implied inputs) read back as
    --actuals compares exactly as --measure does, and reproduces every pinning node."""
    from conftest import TREES

    tree_path = TREES / "saas_arr_measured.yaml"
    target = tmp_path / "measured.csv"
    status, _, _ = cli(
        "measure", tree_path, "--as-of", "2027-05-31", "--format", "csv", "-o", target
    )
    assert status == 0
    first = cli("compare", tree_path, "--actuals", target, "--format", "json")
    second = cli("compare", tree_path, "--measure", "--as-of", "2027-05-31", "--format", "json")
    assert first[0] == second[0] == 0
    rows = {(r["node"], r["period"]): r["actual"] for r in json.loads(first[1])["rows"]}
    again = {(r["node"], r["period"]): r["actual"] for r in json.loads(second[1])["rows"]}
    assert rows.keys() == again.keys()
    for key, value in rows.items():
        assert value == pytest.approx(again[key], rel=1e-12, abs=1e-9), key
    tree = kpitree.load(tree_path)
    actuals = actuals_from_measure(tree, "2027-05-31")
    assert set(actuals.implied) == {"visit_cvr", "cpl", "sql_rate", "win_rate", "churn_rate"}
    pinning = [row for row in actuals.reconciliation if row["pins"] is not None]
    assert pinning
    for row in pinning:
        assert row["computed"] == pytest.approx(row["measured"], rel=1e-12, abs=1e-9), row


def test_measure_returns_actuals(tree_file: Path) -> None:
    """kpitree.measure returns an Actuals: the measured inputs, the derived nodes and the
    win rate implied from won / leads, with the as-of date and the measured series."""
    result = kpitree.measure(kpitree.load(tree_file), as_of="2027-03-31")
    assert isinstance(result, kpitree.Actuals)
    assert result.periods == (0, 1, 2)
    assert result.values["leads"] == {0: 2.0, 1: 2.0, 2: 1.0}
    assert result.derived["won"] == {0: 2.0, 1: 1.0, 2: 1.0}
    # won / leads by hand: 2/2, 1/2, 1/1.
    assert result.implied["win_rate"] == pytest.approx({0: 1.0, 1: 0.5, 2: 1.0})
    assert result.measured["won"] == (2, 1, 1)
    assert result.partial is None


def test_measure_compares_as_its_csv_read_back(tree_file: Path, tmp_path: Path) -> None:
    """compare(measure(...)) equals compare(read_actuals(measure's CSV)), row for row."""
    tree = kpitree.load(tree_file)
    measured = kpitree.measure(tree, as_of="2027-03-31")
    path = tmp_path / "measured.csv"
    path.write_text(measured.to_csv(), encoding="utf-8")
    direct = tree.compare(measured).to_frame()
    read_back = tree.compare(kpitree.read_actuals(path, tree)).to_frame()
    assert list(direct["status"]) == list(read_back["status"])
    for column in ("plan", "actual", "difference"):
        assert direct[column].to_numpy() == pytest.approx(read_back[column].to_numpy())
    assert direct["actual"].sum() > 0  # the comparison is of real numbers


def test_measure_feeds_every_analysis_taking_actuals(tree_file: Path) -> None:
    """The Actuals measure returns goes straight into attribute and the alert check."""
    tree = kpitree.load(tree_file)
    measured = kpitree.measure(tree, as_of="2027-02-28")
    result = tree.attribute(measured)
    assert (result.period, result.new) == ("2027-02", 1.0)
    from kpitree.analysis.compare import check_actuals

    # February's win rate 1/2 is below the 0.6 alert.
    assert [(hit.node, hit.period) for hit in check_actuals(tree, measured)] == [
        ("win_rate", "2027-02")
    ]


def test_check_json_names_the_partial_period(cli, tree_file: Path) -> None:
    """check --format json says which period is partial and how it was used; unpaced, the
    partial February (win rate 0 to date) is not checked, paced it is and fires; the status
    rows stand at the last period judged."""
    status, out, _ = cli(
        "check", tree_file, "--measure", "--as-of", "2027-02-14", "--format", "json"
    )
    assert status == 0
    result = json.loads(out)
    assert (result["partial"], result["partial_elapsed"], result["partial_paced"]) == (
        "2027-02", 0.5, False,
    )  # fmt: skip
    assert (result["periods"], result["alerts"]) == (["2027-01"], [])
    assert {row["period"] for row in result["status"]} == {"2027-01"}
    status, out, _ = cli("check", tree_file, "--measure", "--as-of", "2027-02-14", "--partial",
                         "pace", "--format", "json")  # fmt: skip
    assert {row["period"] for row in json.loads(out)["status"]} == {"2027-02"}
    status, out, _ = cli("check", tree_file, "--measure", "--as-of", "2027-02-14", "--partial",
                         "pace")  # fmt: skip
    assert status == 1
    assert "'win_rate' at 2027-02" in out
    assert "2027-02 (partial, 50 % elapsed): checked on flows paced" in out


def test_report_marks_the_partial_period(tree_file: Path) -> None:
    """The report's plan-vs-actual names the partial February (14 of 28 days) and its table,
    January and February, shows February under a title marking it partial, its status partial."""
    from html_tables import tables

    from kpitree.report import build_report

    tree = kpitree.load(tree_file)
    html = build_report(tree, actuals=actuals_from_measure(tree, "2027-02-14"), samples=100)
    start = html.index('<section id="actuals">')
    section = html[start : html.index("</section>", start)]
    assert "2027-02 (partial, 50 % elapsed): measured to date, it is not judged" in section
    january, february = tables(section)
    assert january.title == "measured at 2027-01: actual vs plan (0 off track)"
    assert (
        february.title
        == "measured at 2027-02 (partial, 50 % elapsed): actual vs plan (0 off track)"
    )
    won = {table.title: next(row for row in table.rows if row["node"] == "won")
           for table in (january, february)}  # fmt: skip
    assert won[january.title]["status"] == "ahead"
    assert won[february.title]["status"] == "partial"
    assert won[february.title]["actual"] == "-"  # measured to date: not compared


@pytest.mark.parametrize("command", ["compare", "check", "report"])
def test_quiet_silences_the_partial_note(cli, tree_file: Path, tmp_path: Path, command) -> None:
    """--quiet leaves out the note on the partial period, which is printed without it."""
    extra = ["-o", tmp_path / "r.html", "--samples", "50"] if command == "report" else []
    argv = [command, tree_file, "--measure", "--as-of", "2027-03-01", *extra]
    _, _, err = cli(*argv)
    assert "note: 2027-03 is partial" in err
    _, _, err = cli(*argv, "--quiet")
    assert err == ""
