"""`kpitree plot` and `kpitree report` on the command line: formats, options, bad input."""

from __future__ import annotations

import pytest
from conftest import TREES

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}


@pytest.mark.parametrize("ext", ["png", "svg", "pdf", "PNG"])
def test_plot_writes_the_format_of_the_extension(cli, tmp_path, ext) -> None:
    """-o picks PNG, SVG or PDF by extension (any case); the file starts with that format's
    signature and nothing is printed."""
    out = tmp_path / f"tree.{ext}"
    status, stdout, stderr = cli("plot", TREES / "unit_economics.yaml", "-o", out)
    assert (status, stdout, stderr) == (0, "", "")
    data = out.read_bytes()
    assert data.startswith(MAGIC[ext.lower()])
    if ext == "svg":
        assert b'id="ltv_to_cac"' in data  # each box carries its node's name
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_plot_takes_scenario_set_and_period(cli, tmp_path) -> None:
    """--scenario, --set and --period change what the SVG shows."""
    out = tmp_path / "tree.svg"
    status, _, _ = cli(
        "plot", TREES / "saas_arr.yaml", "-o", out, "--scenario", "optimistic",
        "--set", "mql_rate=40%", "--period", "2027-03",
    )  # fmt: skip
    assert status == 0
    text = out.read_text()
    assert "saas_arr: ARR at 2027-03 (scenario optimistic)" in text
    assert "0.4 ratio" in text  # mql_rate set to 40 %


@pytest.mark.parametrize("name", ["tree.gif", "tree"])
def test_plot_bad_extension_exits_2(cli, tmp_path, name) -> None:
    """An extension other than .png/.svg/.pdf is a usage error and nothing is written."""
    out = tmp_path / name
    status, stdout, stderr = cli("plot", TREES / "unit_economics.yaml", "-o", out)
    assert status == 2
    assert stdout == ""
    found = "'.gif'" if name.endswith(".gif") else "no extension"
    assert stderr == f"kpitree: -o {out}: expected a .png, .svg or .pdf file, found {found}\n"
    assert list(tmp_path.iterdir()) == []


def test_plot_unknown_period_exits_2(cli, tmp_path) -> None:
    """--period that the tree does not have is bad input, with the tree's range."""
    out = tmp_path / "tree.png"
    status, _, stderr = cli("plot", TREES / "saas_arr.yaml", "-o", out, "--period", "2028-01")
    assert status == 2
    assert (
        stderr == "kpitree: tree 'saas_arr' has no period '2028-01' (periods 2027-01 .. 2027-12)\n"
    )
    assert not out.exists()


def test_plot_missing_directory_exits_2(cli, tmp_path) -> None:
    """An output in a folder that does not exist is bad input."""
    out = tmp_path / "nowhere" / "tree.png"
    status, _, stderr = cli("plot", TREES / "saas_arr.yaml", "-o", out)
    assert status == 2
    assert stderr == f"kpitree: -o {out}: directory '{out.parent}' does not exist\n"


@pytest.mark.parametrize("command", ["plot", "report"])
def test_help(cli, command) -> None:
    """--help explains the command and its -o option."""
    status, out, _ = cli(command, "--help")
    assert status == 0
    assert "-o FILE, --output FILE" in out


def test_output_is_required(cli) -> None:
    """Without -o argparse refuses with exit 2."""
    status, _, err = cli("report", TREES / "saas_arr.yaml")
    assert status == 2
    assert "the following arguments are required: -o/--output" in err


def test_report_writes_one_html_file(cli, tmp_path) -> None:
    """report -o writes a whole HTML page with the scenario named, and nothing else."""
    out = tmp_path / "report.html"
    status, stdout, stderr = cli(
        "report", TREES / "saas_arr.yaml", "-o", out, "--scenario", "optimistic"
    )
    assert (status, stdout, stderr) == (0, "", "")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.rstrip().endswith("</html>")
    assert "scenario optimistic" in html
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_report_bad_extension_exits_2(cli, tmp_path) -> None:
    """A report file not ending in .html is a usage error and nothing is written."""
    out = tmp_path / "report.pdf"
    status, _, stderr = cli("report", TREES / "saas_arr.yaml", "-o", out)
    assert status == 2
    assert stderr == f"kpitree: -o {out}: expected an .html file\n"
    assert list(tmp_path.iterdir()) == []
