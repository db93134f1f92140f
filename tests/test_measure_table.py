"""measure's table shows what its JSON holds: the measured nodes, the inputs they imply per
period and the reconciliation, numbers formatted as every other table formats them; HTML and
xlsx carry the same three tables."""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import TREES

import kpitree
from kpitree.measurement import measure
from kpitree.present.numbers import format_number
from kpitree.render import render

TREE = TREES / "saas_arr_measured.yaml"
AS_OF = "2027-04-15"


@pytest.fixture(scope="module")
def found():
    """The bundled tree measured as of mid-April (April partial)."""
    return measure(kpitree.load(TREE), AS_OF)


def _section(text: str, title: str) -> list[list[str]]:
    """The rows (cells split on runs of two spaces) of the table under ``title``."""
    lines = text.splitlines()
    start = lines.index(title) + 3  # title, header, rule
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append([cell.strip() for cell in line.split("  ") if cell.strip()])
    return rows


def test_table_shows_implied_inputs_per_period(cli, found) -> None:
    """The implied table lists every implied input with the JSON's value per period, as
    format_number shows it, and '-' for the partial April."""
    status, out, err = cli("measure", TREE, "--as-of", AS_OF)
    assert (status, err) == (0, "")
    data = json.loads(cli("measure", TREE, "--as-of", AS_OF, "--format", "json")[1])
    title = "implied inputs (solved so the tree reproduces the measured nodes)"
    header = out.splitlines()[out.splitlines().index(title) + 1].split()
    assert header == ["period", *data["implied"]]
    rows = {row[0]: row[1:] for row in _section(out, title)}
    for index, label in enumerate(data["periods"][:3]):
        expected = [format_number(data["implied"][name][index]) for name in data["implied"]]
        assert rows[label] == expected
    assert rows["2027-04 (partial, 50 % elapsed)"] == ["-"] * len(data["implied"])
    assert "0.1053" in rows["2027-01"]  # sql_rate = 36 / (0.5 * 684), by hand


def test_table_shows_the_reconciliation(cli, found) -> None:
    """One reconciliation row per JSON row: node, period, measured, computed, the difference
    (signed, noise read as 0) and the input pinned; leads (webinars off the plan) show a gap."""
    out = cli("measure", TREE, "--as-of", AS_OF)[1]
    rows = _section(out, "reconciliation: each measured derived node against the tree")
    assert len(rows) == len(found.reconciliation)
    by_key = {(row[0], row[1]): row[2:] for row in rows}
    for row in found.reconciliation:
        cells = by_key[(row["node"], row["period"])]
        assert cells[0] == format_number(row["measured"])
        assert cells[1] == format_number(row["computed"])
        assert cells[3] == (row["pins"] or "-")
        if row["pins"] is not None:
            assert cells[2] == "0"
    gap = next(r for r in found.reconciliation if (r["node"], r["period"]) == ("leads", "2027-01"))
    assert gap["difference"] > 0
    assert by_key[("leads", "2027-01")][2] == f"+{format_number(gap['difference'])}"
    assert "note: 2027-04 is partial" in out


def test_money_reads_in_the_tables_format(cli) -> None:
    """new_arpu and MRR are whole yen with thousands separators, as the other tables show
    money (257,142.8571 read as 257,143), never ten significant digits."""
    out = cli("measure", TREE, "--as-of", "2027-06-20")[1]
    lines = out.splitlines()
    header = lines[1].split()
    rows = _section(out, lines[0])
    data = json.loads(cli("measure", TREE, "--as-of", "2027-06-20", "--format", "json")[1])
    money = re.compile(r"^\d{1,3}(,\d{3})+$")
    for name in ("new_arpu", "new_mrr", "mrr"):
        column = header.index(name)
        for index, row in enumerate(rows[:6]):
            assert money.match(row[column]), (name, row[column])
            assert row[column] == f"{data['measured'][name][index]:,.0f}"
    # February by hand: 2,090,000 JPY of new MRR over 8 deals won.
    assert rows[1][header.index("new_arpu")] == "261,250"


def test_html_and_xlsx_carry_the_three_tables(found) -> None:
    """The HTML page holds three tables and the workbook three sheets, the reconciliation
    sheet one row per reconciliation row with the measured values as numbers."""
    from openpyxl import load_workbook

    page = render(found, "html")
    assert page.count("<table") == 3
    assert "reconciliation: each measured derived node against the tree" in page
    book = load_workbook(io.BytesIO(render(found, "xlsx")))
    assert book.sheetnames == ["measured", "implied", "reconciliation"]
    sheet = book["reconciliation"]
    assert [c.value for c in sheet[1]] == [
        "node", "period", "measured", "computed", "difference", "pins"
    ]  # fmt: skip
    assert sheet.max_row == len(found.reconciliation) + 1
    first = found.reconciliation[0]
    assert [c.value for c in sheet[2]][:3] == [first["node"], first["period"], first["measured"]]
