"""One way for every command to emit: --format, -o FILE by its extension, --quiet."""

from __future__ import annotations

import json

import openpyxl
import pytest

from kpitree import __version__
from tests.conftest import TREES

TREE = TREES / "saas_arr.yaml"
ACTUALS = TREES / "saas_arr_actuals.csv"

# Every command that prints a result, with arguments that make it quick.
COMMANDS = {
    "eval": ["eval", TREE],
    "eval --by": ["eval", TREE, "--by", "quarter"],
    "sensitivity": ["sensitivity", TREE],
    "tornado": ["tornado", TREE],
    "bottleneck": ["bottleneck", TREE],
    "solve": ["solve", TREE, "--lever", "win_rate"],
    "forecast": ["forecast", TREE, "--samples", "128", "--seed", "1"],
    "sobol": ["sobol", TREE, "--samples", "64", "--seed", "1"],
    "shapley": ["sobol", TREE, "--shapley", "--samples", "8", "--seed", "1"],
    "compare": ["compare", TREE, "--actuals", ACTUALS],
    "compare --by": ["compare", TREE, "--actuals", ACTUALS, "--by", "quarter"],
    "attribute": ["attribute", TREE, "--actuals", ACTUALS],
    "check": ["check", TREE, "--actuals", ACTUALS],
    "measure": ["measure", TREES / "saas_arr_measured.yaml", "--as-of", "2027-06-20"],
}
# A negative answer (an alert fired) is exit 1, and still emits.
STATUS = {"check": 1}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_output_file_by_extension_matches_stdout(cli, tmp_path, command) -> None:
    """-o out.json writes what --format json prints; -o out.csv what --format csv prints;
    -o out.xlsx a workbook openpyxl reads; nothing is printed when writing a file."""
    argv = COMMANDS[command]
    status = STATUS.get(command, 0)
    for fmt in ("json", "csv"):
        printed = cli(*argv, "--format", fmt)
        assert printed[0] == status, printed[2]
        target = tmp_path / f"out.{fmt}"
        written = cli(*argv, "-o", target)
        assert written[:2] == (status, "")
        assert target.read_text(encoding="utf-8") == printed[1]
    assert isinstance(json.loads((tmp_path / "out.json").read_text()), dict)
    book = tmp_path / "out.xlsx"
    assert cli(*argv, "-o", book)[:2] == (status, "")
    assert openpyxl.load_workbook(book).sheetnames


def test_format_overrides_the_extension(cli, tmp_path) -> None:
    """--format json -o out.txt writes JSON into the .txt file."""
    target = tmp_path / "out.txt"
    assert cli("eval", TREE, "--format", "json", "-o", target)[:2] == (0, "")
    assert json.loads(target.read_text())["kgi"] == "arr"


def test_html_output_is_a_page_with_the_table(cli, tmp_path) -> None:
    """-o out.html writes a whole HTML page holding the result's table."""
    target = tmp_path / "out.html"
    assert cli("sensitivity", TREE, "-o", target)[:2] == (0, "")
    page = target.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "win_rate" in page


def test_unknown_extension_is_refused_before_computing(cli, tmp_path) -> None:
    """-o out.dat exits 2 naming the extensions, and writes nothing."""
    target = tmp_path / "out.dat"
    status, out, err = cli("eval", TREE, "-o", target)
    assert (status, out) == (2, "")
    assert err == (
        f"kpitree: -o {target}: expected a .txt, .json, .csv, .xlsx or .html file (or give "
        "--format), found '.dat'\n"
    )
    assert not target.exists()


def test_a_workbook_needs_a_file(cli) -> None:
    """--format xlsx without -o exits 2 with one line."""
    status, out, err = cli("tornado", TREE, "--format", "xlsx")
    assert (status, out) == (2, "")
    assert err == "kpitree: --format xlsx writes a workbook: give -o FILE.xlsx\n"


def test_check_json_for_the_scheduled_job(cli) -> None:
    """check --format json lists each alert with node, period, value, threshold and owner,
    and still exits 1 when one fired."""
    status, out, err = cli("check", TREE, "--actuals", ACTUALS, "--format", "json")
    assert (status, err) == (1, "")
    data = json.loads(out)
    assert data["fired"] is True
    assert data["kgi"] == "arr"
    first = data["alerts"][0]
    assert set(first) >= {"node", "period", "value", "threshold", "direction", "owner"}
    assert first["message"].startswith(f"node '{first['node']}'")


def test_quiet_silences_warnings(cli) -> None:
    """solve --format csv warns on stderr of a stretch beyond the benchmark; --quiet does not."""
    argv = ("solve", TREE, "--lever", "win_rate", "--format", "csv")
    loud = cli(*argv)
    quiet = cli(*argv, "--quiet")
    assert loud[2] == "warning: win_rate: stretch: 0.3144 against a benchmark of 0.2-0.3\n"
    assert quiet == (0, loud[1], "")


def test_csv_for_sobol_and_attribute(cli) -> None:
    """sobol and attribute print CSV with one row per input."""
    status, out, _ = cli("sobol", TREE, "--samples", "64", "--seed", "1", "--format", "csv")
    assert status == 0
    assert out.splitlines()[0] == "input,S1,S1_conf,ST,ST_conf"
    status, out, _ = cli("attribute", TREE, "--actuals", ACTUALS, "--format", "csv")
    assert status == 0
    assert len(out.splitlines()) > 2


def test_version(cli) -> None:
    """kpitree --version prints the version."""
    status, out, _ = cli("--version")
    assert (status, out) == (0, f"kpitree {__version__}\n")
