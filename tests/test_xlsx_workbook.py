"""The workbook's layout, its text cells and sheet names, and ``kpitree export``'s errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import openpyxl
import pytest
import sympy

import kpitree
from kpitree.errors import FormulaError
from kpitree.formula import Formula, node_symbol
from kpitree.xlsx import build_workbook
from kpitree.xlsx.layout import MAIN_SHEET, STATUS, TARGET, TIME_ROW, Layout
from kpitree.xlsx.text import SHEET_NAME_LENGTH, quoted_sheet, safe_text, sheet_name

TREES = Path(__file__).resolve().parent.parent / "trees"

DELAYS = """
name: delays
kgi: late
time: {periods: 3}
nodes:
  x: {value: [1, 2, 3], initial: 5}
  rate: {value: 0.5, owner: sales}
  late: {formula: "delay(x, 2, 7.5) + prev(x) + t * rate", owner: sales}
  never: {formula: "delay(x, 3, -1)"}
"""


def _sheet(text: str) -> tuple[kpitree.Tree, Layout, openpyxl.worksheet.worksheet.Worksheet]:
    tree = kpitree.loads(textwrap.dedent(text))
    return tree, Layout(tree), build_workbook(tree)[MAIN_SHEET]


def test_delay_reads_its_default_then_the_column_k_back() -> None:
    """delay(x, k, d) is the number d up to period k and the cell k columns back after; prev(x)
    at period 1 reads the period-0 column, where x's initial is; t reads the period row."""
    _, layout, sheet = _sheet(DELAYS)
    formulas = [sheet[layout.cell("late", p)].value for p in (1, 2, 3)]
    x0, x1, x2 = (layout.cell("x", p) for p in (0, 1, 2))
    assert sheet[x0].value == 5
    rate = [layout.cell("rate", p) for p in (1, 2, 3)]
    times = [f"{layout.cell('x', p)[0]}${TIME_ROW}" for p in (1, 2, 3)]
    assert formulas[0] == f"=7.5+{x0}+{rate[0]}*{times[0]}"
    assert formulas[1] == f"=7.5+{x1}+{rate[1]}*{times[1]}"
    assert formulas[2] == f"={x1}+{x2}+{rate[2]}*{times[2]}"
    assert [sheet[layout.cell("never", p)].value for p in (1, 2, 3)] == ["=(-1)"] * 3


def test_inputs_are_numbers_to_edit_and_derived_cells_are_formulas() -> None:
    """An input given per period holds numbers; one number for all periods sits in one cell
    that every period reads; every derived cell is a formula."""
    tree, layout, sheet = _sheet(DELAYS)
    assert [sheet[layout.cell("x", p)].value for p in (1, 2, 3)] == [1, 2, 3]
    single = sheet.cell(layout.rows["rate"], layout.input_column)
    assert single.value == 0.5
    assert {sheet[layout.cell("rate", p)].value for p in (1, 2, 3)} == {
        f"=${single.column_letter}{single.row}"
    }
    for name in tree.derived:
        assert all(sheet[layout.cell(name, p)].value.startswith("=") for p in (1, 2, 3))


def test_every_bundled_tree_has_a_department_sheet_per_owner() -> None:
    """Each owner gets a sheet listing exactly its nodes, each cell a reference to the main
    sheet; nodes without an owner appear on the main sheet only."""
    for path in sorted(TREES.glob("*.yaml")):
        tree = kpitree.load(path)
        workbook = build_workbook(tree)
        owners: dict[str, list[str]] = {}
        for name, node in tree.nodes.items():
            if node.owner:
                owners.setdefault(node.owner, []).append(name)
        assert workbook.sheetnames == [MAIN_SHEET, *owners]
        for owner, names in owners.items():
            sheet = workbook[owner]
            assert [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)] == names
            assert sheet.cell(4, 6).value.startswith(f"={quoted_sheet(MAIN_SHEET)}")


def test_the_kgi_summary_reads_its_target_value_and_status_cells() -> None:
    """The summary line shows the KGI's target, last value and status as references, and
    status cells are coloured by their live value."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    layout = Layout(tree)
    sheet = build_workbook(tree)[MAIN_SHEET]
    row = layout.rows["arr"]
    assert sheet.cell(row, TARGET).value == 1_400_000_000
    assert sheet.cell(2, 4).value == f"={layout.address(row, TARGET)}"
    assert sheet.cell(2, 6).value == f"={layout.cell('arr', 12)}"
    assert sheet.cell(row, STATUS).value.startswith("=CHOOSE(MAX(IF(")
    rules = {
        str(ranges.sqref): sorted(rule.formula[0] for rule in ranges.rules)
        for ranges in sheet.conditional_formatting
    }
    colours = ['"at risk"', '"off track"', '"on track"']
    assert rules == {"G2": colours, f"G7:G{6 + len(tree.nodes)}": colours}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+81 3", "'+81 3"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ARR (JPY)", "ARR (JPY)"),
        ("bell\x07", "bell"),
        pytest.param("=" + "x" * 40_000, "'=" + "x" * 32_764 + "…", id="too-long"),
    ],
)
def test_text_that_could_run_as_a_formula_is_neutralised(text, shown) -> None:
    """Text starting with = + - @ tab or CR gets an apostrophe; control characters that an
    xlsx file cannot hold are dropped; text beyond a cell's 32,767 characters is cut."""
    assert safe_text(text) == shown


def test_labels_that_look_like_formulas_are_stored_as_text() -> None:
    """A label, owner, unit or formula starting with '=' is stored as a text cell."""
    _, layout, sheet = _sheet(
        """
        name: s
        kgi: b
        nodes:
          a: {value: 1, label: "=cmd|'/c calc'!A0", owner: "@evil", unit: "+x"}
          b: {formula: -a, description: "-1"}
        """
    )
    row = layout.rows["a"]
    cells = [sheet.cell(row, column) for column in (2, 3, 4)]
    assert [cell.value for cell in cells] == ["'=cmd|'/c calc'!A0", "'@evil", "'+x"]
    assert {cell.data_type for cell in cells} == {"s"}
    assert sheet.cell(layout.rows["b"], 5).value == "'-a"


def test_sheet_names_are_valid_unique_and_short() -> None:
    """Owners become valid sheet names: forbidden characters replaced, at most 31
    characters, unique without case, never the reserved name History."""
    taken = {MAIN_SHEET.casefold()}
    names = [
        sheet_name(owner, taken)
        for owner in ("tree", "a/b:c", "x" * 40, "X" * 40, "History", "'q'")
    ]
    assert names == ["tree (2)", "a_b_c", "x" * 31, "X" * 27 + " (2)", "History (2)", "q"]
    assert all(len(name) <= SHEET_NAME_LENGTH for name in names)


def test_a_formula_without_spreadsheet_form_writes_nothing(tmp_path, monkeypatch, cli) -> None:
    """An expression the translator refuses exits 2 naming the node, and writes no file."""
    tree = kpitree.load(TREES / "nrr.yaml")
    name = tree.derived[0]
    gamma = sympy.gamma(node_symbol(tree.inputs[0]))
    monkeypatch.setitem(tree.formulas, name, Formula("gamma", gamma, frozenset(), (), False))
    monkeypatch.setattr("kpitree.cli.export.load_tree", lambda args: tree)
    output = tmp_path / "plan.xlsx"
    status, _, err = cli("export", TREES / "nrr.yaml", "-o", output)
    assert status == 2
    assert f"node '{name}': cannot write 'gamma'" in err
    assert not output.exists()
    with pytest.raises(FormulaError, match=name):
        build_workbook(tree)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-o", "{out}/plan.csv"], "expected an .xlsx file, found '.csv'"),
        (["-o", "{out}/missing/plan.xlsx"], "does not exist"),
        (["-o", "{out}/plan.xlsx", "--scenario", "nope"], "no scenario 'nope'"),
        (["-o", "{out}/plan.xlsx", "--set", "win_rate=2"], "outside bounds [0, 1]"),
        (["-o", "{out}/plan.xlsx", "--set", "arr=1"], "only inputs take values"),
    ],
)
def test_bad_export_arguments_exit_2_and_write_nothing(tmp_path, cli, arguments, message) -> None:
    """A bad output name, scenario or --set is a one-line error, exit 2, no file written."""
    argv = [item.format(out=tmp_path) for item in arguments]
    status, out, err = cli("export", TREES / "saas_arr.yaml", *argv)
    assert (status, out) == (2, "")
    assert message in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_export_writes_a_workbook_that_opens(tmp_path, cli) -> None:
    """kpitree export writes an .xlsx that openpyxl reads back, set to recompute on load."""
    output = tmp_path / "plan.xlsx"
    status, out, err = cli("export", TREES / "saas_arr.yaml", "-o", output)
    assert (status, out, err) == (0, "", "")
    workbook = openpyxl.load_workbook(output)
    assert workbook.calculation.fullCalcOnLoad
    assert workbook[MAIN_SHEET]["A1"].value == "saas_arr"
