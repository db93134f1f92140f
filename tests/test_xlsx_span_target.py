"""The exported workbook judges a quarter or year target on the roll-up over its cells, as
eval and the status do, recomputed by LibreOffice."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import openpyxl
import pytest

import kpitree
from kpitree.analysis.status import statuses
from kpitree.cli.main import main
from kpitree.xlsx.layout import KGI_ROW, MAIN_SHEET, STATUS, TARGET, Layout

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

TREES = {
    # 100 a month: Q4 sums to 300 against 330 (at risk; December's 100 would be off track).
    "flow": """
        name: f
        kgi: won
        time: {periods: 12, unit: month, start: 2027-01}
        nodes:
          leads: {value: 1000, unit: leads/month}
          rate: {value: 0.1, bounds: [0, 1]}
          won: {formula: leads * rate, unit: customers/month, target: {2027-Q4: 330}}
        """,
    # The quarter's rate is 700 / 4000 = 0.175 against 0.18 (at risk; March's 0.1 is off).
    "ratio": """
        name: r
        kgi: rate
        time: {periods: 3, unit: month, start: 2027-01}
        nodes:
          leads: {value: [1000, 2000, 1000], unit: leads/month}
          won: {value: [100, 500, 100], unit: customers/month}
          rate: {formula: won / leads, target: {2027-Q1: 0.18}}
        """,
}
EXPECTED = {"flow": (300.0, "at risk"), "ratio": (0.175, "at risk")}


def test_status_formula_sums_the_quarter(tmp_path) -> None:
    """The KGI's status formula reads the SUM of its October..December cells."""
    source = tmp_path / "f.yaml"
    source.write_text(textwrap.dedent(TREES["flow"]), encoding="utf-8")
    tree = kpitree.load(source)
    layout = Layout(tree)
    out = tmp_path / "f.xlsx"
    assert main(["export", str(source), "-o", str(out)]) == 0
    sheet = openpyxl.load_workbook(out)[MAIN_SHEET]
    span = f"SUM({layout.cell('won', 10)}:{layout.cell('won', 12)})"
    assert span in sheet.cell(layout.rows["won"], STATUS).value
    assert sheet.cell(KGI_ROW, TARGET).value == f"={span}"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_recomputed_status_matches_eval(tmp_path: Path) -> None:
    """Recomputed by LibreOffice, the KGI's status and summary value are the roll-up's."""
    written = {}
    for name, text in TREES.items():
        source = tmp_path / f"{name}.yaml"
        source.write_text(textwrap.dedent(text), encoding="utf-8")
        written[name] = (source, tmp_path / f"{name}.xlsx")
        assert main(["export", str(source), "-o", str(written[name][1])]) == 0
    out = tmp_path / "recomputed"
    command = [
        str(SOFFICE), f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
        "--norestore", "--convert-to", "xlsx", "--outdir", str(out),
        *(str(path) for _, path in written.values()),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    for name, (source, path) in written.items():
        tree = kpitree.load(source)
        sheet = openpyxl.load_workbook(out / path.name, data_only=True)[MAIN_SHEET]
        value, status = EXPECTED[name]
        assert statuses(tree.evaluate())[tree.kgi].value == status
        assert sheet.cell(Layout(tree).rows[tree.kgi], STATUS).value == status
        assert sheet.cell(KGI_ROW, STATUS).value == status
        assert sheet.cell(KGI_ROW, TARGET).value == pytest.approx(value)
