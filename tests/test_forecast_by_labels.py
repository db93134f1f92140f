"""``kpitree forecast --by``: rows are labelled by the roll-up's own labels (2027-Q1, and
FY2027-Q1 on a fiscal axis) in every format, and the JSON names the roll-up under ``by``."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

import kpitree

SAAS = Path("trees/saas_arr.yaml")
FISCAL = ("start: 2027-01}", "start: 2027-01, fiscal_year_start: 4}")


def _tree_file(write_tree, fiscal: bool) -> Path:
    text = SAAS.read_text(encoding="utf-8")
    return write_tree(text.replace(*FISCAL)) if fiscal else SAAS


def _labels(path: Path) -> list[str]:
    """The roll-up's labels, from an evaluation rolled up by quarter (not from the forecast)."""
    return kpitree.load(path).evaluate().rollup("quarter").periods


@pytest.mark.parametrize("fiscal", [False, True], ids=["calendar", "fiscal"])
@pytest.mark.parametrize("fmt", ["table", "csv", "html", "xlsx", "json"])
def test_rows_carry_the_rollups_labels(cli, write_tree, tmp_path, fmt, fiscal) -> None:
    """Each format's rows are the roll-up's quarter labels, in order, and nothing else."""
    path = _tree_file(write_tree, fiscal)
    expected = _labels(path)
    assert expected[0] == ("FY2026-Q4" if fiscal else "2027-Q1")
    options = ["--by", "quarter", "--samples", "256", "--seed", "1"]
    if fmt == "xlsx":
        target = tmp_path / "forecast.xlsx"
        status, _, err = cli("forecast", path, *options, "-o", target)
        assert status == 0, err
        sheet = openpyxl.load_workbook(target).worksheets[0]
        found = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    else:
        status, out, err = cli("forecast", path, *options, "--format", fmt)
        assert status == 0, err
        if fmt == "json":
            data = json.loads(out)
            assert data["by"] == "quarter"
            found = data["periods"]
        elif fmt == "csv":
            found = [row[0] for row in list(csv.reader(io.StringIO(out)))[1:]]
        elif fmt == "html":
            found = re.findall(r"<tr><td[^>]*>([^<]*)</td>", out)
        else:
            found = [line.split()[0] for line in out.splitlines() if re.match(r"^F?Y?\d{4}", line)]
    assert found == expected


def test_json_by_is_null_without_a_rollup() -> None:
    """A forecast per period says ``"by": null``, as ``eval`` without --by does."""
    tree = kpitree.load(SAAS)
    assert tree.forecast(samples=64, seed=1).to_dict()["by"] is None
