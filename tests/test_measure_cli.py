"""``kpitree measure``: the JSON and CSV shapes, errors as exit 2, the CSV read back as actuals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
from conftest import TREES
from measure_export import write_export, write_measured_tree

LEADS = "{source: leads, count: true, date: created_at}"
MRR = "{source: subscriptions, sum: mrr, active: [start_date, end_date]}"


def _tree(tmp_path: Path) -> Path:
    write_export(tmp_path)
    return write_measured_tree(tmp_path, {"leads": LEADS, "mrr": MRR})


def test_json_shape(cli, tmp_path: Path) -> None:
    """JSON has the tree, as-of, labels, partial period, values and empty part-B keys."""
    status, out, err = cli("measure", _tree(tmp_path), "--as-of", "2027-02-10", "--format", "json")
    assert (status, err) == (0, "")
    assert json.loads(out) == {
        "tree": "measured",
        "kgi": "total",
        "as_of": "2027-02-10",
        "periods": ["2027-01", "2027-02", "2027-03"],
        "partial": "2027-02",
        "measured": {"leads": [2, 1, None], "mrr": [80, 110, None]},
        "implied": {},
        "reconciliation": [],
    }


def test_csv_shape_and_output_file(cli, tmp_path: Path) -> None:
    """CSV has a period column and one per node, no row after as-of; -o writes it whole."""
    target = tmp_path / "measured.csv"
    status, out, _ = cli(
        "measure", _tree(tmp_path), "--as-of", "2027-02-10", "--format", "csv", "-o", target
    )
    assert (status, out) == (0, "")
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows == [
        ["period", "leads", "mrr"],
        ["2027-01", "2", "80"],
        ["2027-02", "1", "110"],
    ]


def test_table_marks_the_partial_period(cli, tmp_path: Path) -> None:
    """The table shows the partial period and a dash where nothing is measured."""
    status, out, _ = cli("measure", _tree(tmp_path), "--as-of", "2027-02-10")
    assert status == 0
    assert "2027-02 (partial, 36 % elapsed)" in out  # 10 of 28 days
    assert out.splitlines()[-1].split() == ["2027-03", "-", "-"]


def test_error_is_file_line_and_exit_2(cli, tmp_path: Path) -> None:
    """A missing column exits 2 with FILE:LINE on stderr and writes no output file."""
    write_export(tmp_path)
    path = write_measured_tree(tmp_path, {"x": "{source: leads, count: true, date: made_at}"})
    target = tmp_path / "out.json"
    status, out, err = cli("measure", path, "--format", "json", "-o", target)
    assert (status, out) == (2, "")
    assert err.startswith(f"{path}:11: node 'x': measure: source 'leads' has no column 'made_at'")
    assert "Traceback" not in err
    assert not target.exists()


def test_bad_as_of_exits_2(cli, tmp_path: Path) -> None:
    """An --as-of that is not a date exits 2 with one line."""
    status, _, err = cli("measure", _tree(tmp_path), "--as-of", "2027-02-30")
    assert status == 2
    assert "expected a date YYYY-MM-DD, found '2027-02-30'" in err


def test_csv_reads_back_as_actuals(cli, tmp_path: Path) -> None:
    """The CSV of measured inputs is accepted by compare --actuals, values carried over."""
    target = tmp_path / "actuals.csv"
    assert cli("measure", _tree(tmp_path), "--as-of", "2027-03-31", "-o", target,
               "--format", "csv")[0] == 0  # fmt: skip
    status, out, err = cli(
        "compare", tmp_path / "tree.yaml", "--actuals", target, "--format", "json"
    )
    assert (status, err) == (0, "")
    actual = {(row["node"], row["period"]): row["actual"] for row in json.loads(out)["rows"]}
    assert [actual["leads", label] for label in ("2027-01", "2027-02", "2027-03")] == [2, 2, 1]
    assert [actual["mrr", label] for label in ("2027-01", "2027-02", "2027-03")] == [80, 60, 50]
    assert actual["total", "2027-01"] == 82


def test_sample_tree_matches_pandas(cli) -> None:
    """The bundled measured tree's lead counts and active customers equal a pandas count of
    the same export in Tokyo time."""
    status, out, err = cli(
        "measure", TREES / "saas_arr_measured.yaml", "--as-of", "2027-06-20", "--format", "json"
    )
    assert (status, err) == (0, "")
    result = json.loads(out)
    leads = pd.read_csv(TREES / "crm" / "leads.csv")
    months = (
        pd.to_datetime(leads["created_at"], utc=True)
        .dt.tz_convert("Asia/Tokyo")
        .dt.strftime("%Y-%m")
    )
    expected = [int((months == label).sum()) for label in result["periods"][:6]]
    assert result["measured"]["leads"][:6] == expected
    web = [int(((months == label) & (leads["channel"] == "ウェブ")).sum()) for label in
           result["periods"][:6]]  # fmt: skip
    assert result["measured"]["web_leads"][:6] == web
    assert result["measured"]["leads"][6:] == [None] * 6
    assert result["partial"] == "2027-06"
    subscriptions = pd.read_csv(
        TREES / "crm" / "subscriptions.csv", parse_dates=["start_date", "end_date"]
    )
    end_of_may = pd.Timestamp("2027-06-01")
    active = (subscriptions["start_date"] < end_of_may) & (
        subscriptions["end_date"].isna() | (subscriptions["end_date"] >= end_of_may)
    )
    assert result["measured"]["customers"][4] == subscriptions.loc[active, "account_id"].nunique()
    assert result["measured"]["mrr"][4] == subscriptions.loc[active, "mrr"].sum()


def test_sample_export_is_reproducible(tmp_path: Path) -> None:
    """make_crm.py writes the same files again from its seed."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_crm", TREES / "crm" / "make_crm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("leads.csv", "opportunities.csv", "subscriptions.csv"):
        assert (tmp_path / name).read_bytes() == (TREES / "crm" / name).read_bytes(), name
