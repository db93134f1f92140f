"""The tree as an Excel workbook with live formulas.

The main sheet holds one row per node and one column per period: inputs are plain numbers (the
cells a planner edits), every derived cell is a formula over other cells, so the workbook
recomputes the tree when an input changes. One sheet per owner (department) shows that owner's
nodes as references to the main sheet.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpitree.analysis.status import Status, milestone_at
from kpitree.analysis.stocks import level_before, stocks
from kpitree.node import PERCENT_UNITS
from kpitree.rollup import Terms, rules
from kpitree.xlsx.formula import FormulaTemplate, excel_number
from kpitree.xlsx.layout import (
    FIRST_NODE_ROW,
    FORMULA,
    HEADER_ROW,
    KGI_ROW,
    LABEL,
    MAIN_SHEET,
    NAME,
    OWNER,
    STATUS,
    TARGET,
    TIME_ROW,
    UNIT,
    VALUES_ROW,
    Layout,
)
from kpitree.xlsx.status import status_formula
from kpitree.xlsx.text import quoted_sheet, safe_text, sheet_name

if TYPE_CHECKING:
    from kpitree.tree import Overrides, Tree

_INPUT_FILL = PatternFill("solid", start_color="FFF2CC")
"""Inputs are the cells to edit: the usual pale yellow of a spreadsheet's assumptions."""
_BOLD = Font(bold=True)
_STATUS_FILLS = {Status.ON_TRACK: "D8F0D2", Status.AT_RISK: "FFE7B8", Status.OFF_TRACK: "F9D0D0"}
"""The tree diagram's box colours, so a status reads the same in both."""
_WIDTHS = {NAME: 22, LABEL: 36, OWNER: 16, UNIT: 16, FORMULA: 36, TARGET: 14, STATUS: 11}


def build_workbook(
    tree: Tree, overrides: Overrides | None = None, scenario: str | None = None
) -> Workbook:
    """The workbook of ``tree`` with the inputs of ``scenario`` and ``overrides``.

    Parameters
    ----------
    tree : Tree
    overrides : mapping, optional
        Input values replacing the tree's (after the scenario's), as for ``Tree.evaluate``.
    scenario : str, optional
        One of the tree's scenarios.

    Returns
    -------
    openpyxl.Workbook
        A main sheet ``Tree`` and one sheet per owner.

    Raises
    ------
    DataError
        For an unknown scenario or an override that does not fit the tree.
    FormulaError
        Naming the node whose formula has no spreadsheet form.
    """
    values = tree.input_values(overrides, scenario)
    layout = Layout(tree)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = MAIN_SHEET
    _write_summary(sheet, layout, _describe_values(scenario, overrides))
    _write_headers(sheet, layout)
    # A stock's status is judged on its change since the level before period 1, which may be
    # computed from period-1 values of derived nodes: the evaluation supplies them.
    evaluated: dict[str, Any] = {}

    def levels() -> dict[str, Any]:
        if not evaluated:
            evaluated.update(tree.evaluate(overrides=overrides, scenario=scenario).values)
        return evaluated

    for name in tree.nodes:
        _write_node(sheet, layout, name, values.get(name), levels)
    last_row = FIRST_NODE_ROW + len(tree.nodes) - 1
    _colour_statuses(sheet, f"{layout.address(KGI_ROW, STATUS)}")
    _colour_statuses(
        sheet, f"{layout.address(FIRST_NODE_ROW, STATUS)}:{layout.address(last_row, STATUS)}"
    )
    taken = {MAIN_SHEET.casefold()}
    for owner, names in _owners(tree).items():
        department = workbook.create_sheet(sheet_name(owner, taken))
        _write_department(department, layout, owner, names)
        _colour_statuses(department, f"E4:E{3 + len(names)}")
    # Excel then computes every formula on opening (openpyxl writes no cached results).
    workbook.calculation.fullCalcOnLoad = True
    return workbook


def workbook_bytes(
    tree: Tree, overrides: Overrides | None = None, scenario: str | None = None
) -> bytes:
    """:func:`build_workbook` as the bytes of an ``.xlsx`` file."""
    buffer = io.BytesIO()
    build_workbook(tree, overrides, scenario).save(buffer)
    return buffer.getvalue()


def _describe_values(scenario: str | None, overrides: Overrides | None) -> str:
    parts = [f"scenario '{scenario}'" if scenario else "the tree's own values"]
    parts += [f"{name}={value}" for name, value in (overrides or {}).items()]
    return "inputs: " + ", ".join(parts)


def _text(sheet: Worksheet, row: int, column: int, text: str | None, bold: bool = False) -> None:
    if text is None:
        return
    cell = sheet.cell(row, column, safe_text(text))
    cell.data_type = "s"  # text stays text, whatever it looks like
    if bold:
        cell.font = _BOLD


def _colour_statuses(sheet: Worksheet, cells: str) -> None:
    """Fill status cells by their (live) value: green, amber, red."""
    for status, colour in _STATUS_FILLS.items():
        fill = PatternFill("solid", start_color=colour, end_color=colour)
        rule = CellIsRule(operator="equal", formula=[f'"{status.value}"'], fill=fill)
        sheet.conditional_formatting.add(cells, rule)


def _write_summary(sheet: Worksheet, layout: Layout, values: str) -> None:
    tree = layout.tree
    kgi = tree.nodes[tree.kgi]
    row = layout.rows[tree.kgi]
    _text(sheet, 1, NAME, tree.name, bold=True)
    _text(sheet, 1, LABEL, tree.description)
    _text(sheet, KGI_ROW, NAME, "KGI", bold=True)
    _text(sheet, KGI_ROW, LABEL, kgi.title)
    _text(sheet, KGI_ROW, OWNER, "target")
    if kgi.target is not None:
        sheet.cell(KGI_ROW, UNIT, f"={layout.address(row, TARGET)}")
    judged = _judged_cell(layout, tree.kgi)
    when = layout.period_labels[-1] if tree.is_timed else None
    milestone = milestone_at(tree, tree.kgi, layout.periods - 1) if tree.is_timed else None
    if milestone is not None and milestone.is_span:
        when = milestone.label  # the summary shows the roll-up the target is judged on
    _text(sheet, KGI_ROW, FORMULA, f"value ({when})" if when else "value")
    sheet.cell(KGI_ROW, TARGET, f"={judged}")
    sheet.cell(
        KGI_ROW,
        STATUS,
        f'=IF({layout.address(row, STATUS)}="","no target",{layout.address(row, STATUS)})',
    )
    _text(sheet, VALUES_ROW, NAME, values)


def _write_headers(sheet: Worksheet, layout: Layout) -> None:
    headers = {
        NAME: "node",
        LABEL: "label",
        OWNER: "owner",
        UNIT: "unit",
        FORMULA: "formula",
        TARGET: "target",
        STATUS: f"status ({layout.period_labels[-1]})",
    }
    if layout.input_column is not None:
        headers[layout.input_column] = "input (all periods)"
        headers[layout.column(0)] = "period 0"
    for period, label in enumerate(layout.period_labels, start=1):
        headers[layout.column(period)] = label
    for column, header in headers.items():
        _text(sheet, HEADER_ROW, column, header, bold=True)
    _text(sheet, TIME_ROW, NAME, "t (period number)")
    first = 0 if layout.tree.is_timed else 1
    for period in range(first, layout.periods + 1):
        sheet.cell(TIME_ROW, layout.column(period), period)
    for column, width in _WIDTHS.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(FIRST_NODE_ROW, LABEL)


def _judged_cell(layout: Layout, name: str) -> str:
    """What the target at the last period is judged on: that period's cell, or for a quarter
    or year target the roll-up over its cells (a flow's SUM, a stock's last cell, a mean's
    AVERAGE, a ratio of flows SUM over SUM)."""
    tree, last = layout.tree, layout.cell(name, layout.periods)
    if tree.time is None or tree.nodes[name].target is None:
        return last
    milestone = milestone_at(tree, name, tree.time.periods - 1)
    if milestone is None or not milestone.is_span:
        return last
    rule = rules(tree)[name]

    def span(node: str) -> str:
        return f"{layout.cell(node, milestone.first + 1)}:{layout.cell(node, milestone.last + 1)}"

    if rule.kind == "sum":
        return f"SUM({span(name)})"
    if rule.kind == "mean":
        return f"AVERAGE({span(name)})"
    if rule.kind == "ratio" and all(
        symbol.name in layout.rows for _, symbol in (*rule.numerator, *rule.denominator)
    ):

        def total(terms: Terms) -> str:
            return "+".join(f"{excel_number(c)}*SUM({span(s.name)})" for c, s in terms)

        return f"(({total(rule.numerator)})/({total(rule.denominator)}))"
    return last  # a stock's last month (a ratio reading lags stays on its last month)


def _write_node(
    sheet: Worksheet,
    layout: Layout,
    name: str,
    value: float | Sequence[float] | None,
    levels: Callable[[], dict[str, Any]],
) -> None:
    tree = layout.tree
    node = tree.nodes[name]
    row = layout.rows[name]
    _text(sheet, row, NAME, name)
    _text(sheet, row, LABEL, node.label)
    _text(sheet, row, OWNER, node.owner)
    _text(sheet, row, UNIT, node.unit)
    _text(sheet, row, FORMULA, node.formula)
    if node.target is not None:
        sheet.cell(row, TARGET, node.target).fill = _INPUT_FILL
    stock_names = stocks(tree) if node.target is not None else set()
    start = level_before(tree, name, levels(), stock_names) if name in stock_names else None
    status = status_formula(node, _judged_cell(layout, name), layout.address(row, TARGET), start)
    if status is not None:
        sheet.cell(row, STATUS, status)
    if node.initial is not None and tree.is_timed:
        sheet.cell(row, layout.column(0), node.initial).fill = _INPUT_FILL
    cells = [sheet.cell(row, layout.column(p)) for p in range(1, layout.periods + 1)]
    if node.is_input:
        _write_input(sheet, layout, row, cells, value)
    else:
        template = FormulaTemplate(tree.formulas[name].expr, name)
        for period, cell in enumerate(cells, start=1):
            cell.value = template.fill(layout.reference(name, period))
    if node.unit is not None and node.unit.strip() in PERCENT_UNITS:
        for cell in cells:
            cell.number_format = "0.00%"


def _write_input(
    sheet: Worksheet,
    layout: Layout,
    row: int,
    cells: list,
    value: float | Sequence[float] | None,
) -> None:
    if isinstance(value, Sequence):
        for cell, number in zip(cells, value, strict=True):
            cell.value = float(number)
            cell.fill = _INPUT_FILL
    elif layout.input_column is None:  # static tree: the one value cell
        cells[0].value = float(value or 0.0)
        cells[0].fill = _INPUT_FILL
    else:
        # One number for every period: a single cell to edit, each period reads it.
        source = sheet.cell(row, layout.input_column, float(value or 0.0))
        source.fill = _INPUT_FILL
        reference = f"${get_column_letter(layout.input_column)}{row}"
        for cell in cells:
            cell.value = f"={reference}"


def _owners(tree: Tree) -> dict[str, list[str]]:
    """Each owner's nodes, owners in the order they first appear."""
    owners: dict[str, list[str]] = {}
    for name, node in tree.nodes.items():
        if node.owner is not None and node.owner.strip():
            owners.setdefault(node.owner, []).append(name)
    return owners


def _write_department(sheet: Worksheet, layout: Layout, owner: str, names: list[str]) -> None:
    main = quoted_sheet(MAIN_SHEET)
    _text(sheet, 1, 1, "owner", bold=True)
    _text(sheet, 1, 2, owner)
    headers = ["node", "label", "unit", "target", f"status ({layout.period_labels[-1]})"]
    headers += layout.period_labels
    for column, header in enumerate(headers, start=1):
        _text(sheet, 3, column, header, bold=True)
    for row, name in enumerate(names, start=4):
        node = layout.tree.nodes[name]
        source = layout.rows[name]
        _text(sheet, row, 1, name)
        _text(sheet, row, 2, node.label)
        _text(sheet, row, 3, node.unit)
        if node.target is not None:
            sheet.cell(row, 4, f"={main}{layout.address(source, TARGET)}")
        if node.target is not None or node.alert is not None:
            sheet.cell(row, 5, f"={main}{layout.address(source, STATUS)}")
        for period in range(1, layout.periods + 1):
            cell = sheet.cell(row, 5 + period, f"={main}{layout.cell(name, period)}")
            if node.unit is not None and node.unit.strip() in PERCENT_UNITS:
                cell.number_format = "0.00%"
    for column, width in enumerate((22, 36, 16, 14, 11), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "B4"
