"""Exported workbooks recomputed by LibreOffice agree with ``kpitree eval``, cell by cell.

Every workbook is written by kpitree without cached results, converted by headless
LibreOffice (which computes every formula on load) and read back with openpyxl: the values are
LibreOffice's, an implementation independent of ours. All conversions run in one LibreOffice
start, with a profile of their own so parallel runs do not collide.
"""

from __future__ import annotations

import functools
import json
import math
import shutil
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import sympy

import kpitree
from kpitree.analysis.status import statuses
from kpitree.cli.main import main
from kpitree.engine import compile_expression
from kpitree.errors import FormulaError
from kpitree.formula import node_symbol, parse_formula
from kpitree.xlsx import excel_formula
from kpitree.xlsx.layout import KGI_ROW, MAIN_SHEET, STATUS, TARGET, Layout

TREES = Path(__file__).resolve().parent.parent / "trees"
BUNDLED = sorted(path.stem for path in TREES.glob("*.yaml"))
RELATIVE = 1e-9

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (Debian's libreoffice-calc) is not installed"
)

EDGE_TREE = """
name: edges
kgi: churn
time: {periods: 4, unit: month, start: 2027-01}
nodes:
  x: {value: [2, -3.5, 7, 0.25], initial: 10}
  rate: {value: 0.3}
  d1: {formula: "delay(x, 1)"}
  d2: {formula: "delay(x, 2, -1.5)"}
  d4: {formula: "delay(x, 4, 9)"}
  d5: {formula: "delay(x, 5, 11)"}
  d0: {formula: "delay(x, 0)"}
  p: {formula: prev(x) + prev(stock)}
  stock: {formula: prev(stock) * (1 + rate) - x, initial: 100}
  time: {formula: t ** 2 - 1 / t}
  pick: {formula: "if(x > 0, x, -x ** 2) + (x >= 2) - (x == 7) + (x != 2)"}
  bounded: {formula: "clip(x, 0, 5) + min(x, 1, rate) + max(x, -1)"}
  funcs: {formula: "abs(x) + exp(rate) + log(abs(x)) + sqrt(abs(x)) + floor(x) + ceil(x)"}
  powers: {formula: "(1 + rate) ^ t - rate ** -2 + 2 ** -x - -x ^ 2"}
  churn:
    formula: rate / 10 + 0.01 * t
    target: 0.05
    alert: {above: 0.055}
  floor_kpi:
    formula: rate
    alert: {below: 0.29}
  near_target:
    formula: rate
    target: 0.31
"""

STATIC_TREE = """
name: static
kgi: profit
nodes:
  price: {value: 120, label: "=HYPERLINK(\\"http://x\\")", owner: "+sales", unit: "@JPY"}
  volume: {value: 30, owner: "sales", unit: "%"}
  cost: {value: 1000, owner: "-finance"}
  profit: {formula: "price * volume - cost", target: 3000, owner: "-finance"}
"""


def _soffice_recompute(files: list[Path], out: Path, profile: Path) -> None:
    """Convert ``files`` to xlsx in ``out``: LibreOffice computes every formula on load."""
    command = [
        str(SOFFICE),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "xlsx",
        "--outdir",
        str(out),
        *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    missing = [path.name for path in files if not (out / path.name).exists()]
    if missing:
        pytest.fail(f"LibreOffice did not convert {missing}")


@functools.cache
def _random_formulas(count: int, seed: int) -> tuple[tuple[str, sympy.Expr], ...]:
    """Formulas of the language that mix operators, signs, powers and functions at random,
    with their parsed expressions."""
    rng = np.random.default_rng(seed)
    leaves = ["a", "b", "c", "2", "0.5", "3"]
    unary = ["abs", "exp", "sqrt", "floor", "ceil"]

    def build(depth: int) -> str:
        if depth == 0 or rng.random() < 0.25:
            return str(rng.choice(leaves))
        kind = rng.integers(7)
        left, right = build(depth - 1), build(depth - 1)
        if kind == 0:
            return f"-{left}"
        if kind == 1:
            return f"{left} {rng.choice(['+', '-', '*', '/'])} {right}"
        if kind == 2:
            return f"({left}) ^ {rng.choice(['2', '-1', '0.5', '3'])}"
        if kind == 3:
            return f"{rng.choice(unary)}({left})"
        if kind == 4:
            return f"if({left} {rng.choice(['<', '>=', '==', '!='])} {right}, {left}, {right})"
        if kind == 5:
            return f"{rng.choice(['min', 'max'])}({left}, {right}, -{right})"
        return f"({left} - {right}) * -{right}"

    formulas = []
    while len(formulas) < count:
        text = build(3)
        try:
            formulas.append((text, parse_formula(text).expr))
        except FormulaError:  # a constant part such as sqrt(-2): refused when read
            continue
        except ValueError:  # max(1/0, a): sympy's own refusal, a parser matter, not ours
            continue
    return tuple(formulas)


RANDOM_INPUTS = {"a": 1.7, "b": -0.6, "c": 2.25}
RANDOM_COUNT = 200


def _logic_expressions() -> list[sympy.Expr]:
    """Conditions sympy can make of nested if() (and Heaviside, from derivatives), which the
    language cannot write directly."""
    a, b, c = (node_symbol(name) for name in RANDOM_INPUTS)

    def number(condition: sympy.Basic) -> sympy.Expr:
        return sympy.Piecewise((1, condition), (0, True))

    return [
        number(sympy.Xor(a > 0, b > 0, c > 2)),
        number(sympy.Xor(a > 0, b > 0)),
        number(sympy.ITE(a > b, b < c, c > a)),
        number(sympy.ITE(a < b, b < c, c < a)),
        number(sympy.Implies(a > 0, b > 0)),
        number(sympy.Implies(a < 0, b > 0)),
        number(sympy.Nand(a > 0, b < 0)),
        number(sympy.Nor(a < 0, b > 0)),
        number(sympy.Equivalent(a > 0, b > 0)),
        number(sympy.Equivalent(a > 0, b < 0, c > 0)),
        number(sympy.And(a > 0, sympy.Or(b > 0, sympy.Not(c > 3)))),
        sympy.Heaviside(b) + sympy.Heaviside(a) + sympy.Heaviside(a - a),
        sympy.Heaviside(a - a, 1) * c,
    ]


@pytest.fixture(scope="module")
def recomputed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every workbook of this module, written by kpitree and recomputed by LibreOffice."""
    folder = tmp_path_factory.mktemp("xlsx")
    written: dict[str, Path] = {}
    for name in BUNDLED:
        written[name] = folder / f"{name}.xlsx"
        assert main(["export", str(TREES / f"{name}.yaml"), "-o", str(written[name])]) == 0
    written["scenario"] = folder / "scenario.xlsx"
    arguments = ["--scenario", "optimistic", "--set", "win_rate=0.3", "--set", "cpl=90_000"]
    assert (
        main(["export", str(TREES / "saas_arr.yaml"), "-o", str(written["scenario"]), *arguments])
        == 0
    )
    for name, text in (("edges", EDGE_TREE), ("static", STATIC_TREE)):
        source = folder / f"{name}.yaml"
        source.write_text(textwrap.dedent(text), encoding="utf-8")
        written[name] = folder / f"{name}.xlsx"
        assert main(["export", str(source), "-o", str(written[name])]) == 0
    written["edited"] = folder / "edited.xlsx"
    _edit_inputs(written["saas_arr"], written["edited"])
    written["random"] = folder / "random.xlsx"
    _random_workbook(written["random"])
    out = folder / "recomputed"
    _soffice_recompute(list(written.values()), out, folder / "profile")
    return {name: out / path.name for name, path in written.items()}


def _edit_inputs(source: Path, target: Path) -> None:
    """Change win_rate (one cell for all periods) and visits in period 3, as a planner would."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    layout = Layout(tree)
    workbook = openpyxl.load_workbook(source)
    sheet = workbook[MAIN_SHEET]
    sheet.cell(layout.rows["win_rate"], layout.input_column).value = 0.31
    sheet[layout.cell("visits", 3)] = 25_000
    workbook.save(target)


def _random_workbook(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for column, value in enumerate(RANDOM_INPUTS.values(), start=1):
        sheet.cell(1, column, value)
    address = {node_symbol(name): f"${'ABC'[i]}$1" for i, name in enumerate(RANDOM_INPUTS)}
    for row, (_, expr) in enumerate(_random_formulas(RANDOM_COUNT, seed=11), start=2):
        sheet.cell(row, 1, excel_formula(expr, address.__getitem__, "r"))
    for row, expr in enumerate(_logic_expressions(), start=2):
        sheet.cell(row, 2, excel_formula(expr, address.__getitem__, "r"))
    workbook.save(path)


def _close(got: object, expected: float) -> bool:
    # Values below 1e-300 are zero by cancellation in one implementation or the other.
    return isinstance(got, int | float) and math.isclose(
        got, expected, rel_tol=RELATIVE, abs_tol=1e-300
    )


def _check_tree(tree: kpitree.Tree, path: Path, evaluation: kpitree.Evaluation) -> None:
    layout = Layout(tree)
    workbook = openpyxl.load_workbook(path, data_only=True)
    sheet = workbook[MAIN_SHEET]
    wrong = []
    for name in tree.nodes:
        expected = np.atleast_1d(evaluation.values[name])
        for period in range(1, layout.periods + 1):
            got = sheet[layout.cell(name, period)].value
            if not _close(got, float(expected[period - 1])):
                wrong.append((name, period, got, float(expected[period - 1])))
    assert wrong == []
    status = statuses(evaluation)
    for name, node in tree.nodes.items():
        cell = sheet.cell(layout.rows[name], STATUS).value
        assert (cell or "no target") == status[name].value, name
        if node.target is not None:
            assert sheet.cell(layout.rows[name], TARGET).value == node.target
    assert sheet.cell(KGI_ROW, STATUS).value == status[tree.kgi].value
    assert _close(sheet.cell(KGI_ROW, TARGET).value, evaluation.kgi_value)
    for owner_sheet in workbook.sheetnames[1:]:
        department = workbook[owner_sheet]
        for row in department.iter_rows(min_row=4, values_only=True):
            name, periods = row[0], row[5:]
            assert tree.nodes[name].owner is not None
            expected = np.atleast_1d(evaluation.values[name])
            assert all(_close(g, float(e)) for g, e in zip(periods, expected, strict=True))


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_tree_recomputes_to_eval(recomputed, name) -> None:
    """Every cell of every bundled tree, recomputed by LibreOffice, equals tree.evaluate()
    within 1e-9 relative, and so do the statuses and the department sheets."""
    tree = kpitree.load(TREES / f"{name}.yaml")
    _check_tree(tree, recomputed[name], tree.evaluate())


def test_scenario_and_set_are_the_values_written(recomputed) -> None:
    """export --scenario and --set write the inputs that eval uses with the same options."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    evaluation = tree.evaluate(overrides={"win_rate": 0.3, "cpl": 90_000}, scenario="optimistic")
    _check_tree(tree, recomputed["scenario"], evaluation)


def test_edited_inputs_recompute_the_tree(recomputed, cli) -> None:
    """Changing input cells in the workbook recomputes it to what eval --set gives."""
    tree = kpitree.load(TREES / "saas_arr.yaml")
    visits = list(tree.nodes["visits"].value)
    visits[2] = 25_000
    listed = "[" + ", ".join(str(v) for v in visits) + "]"
    status, out, _ = cli(
        "eval",
        TREES / "saas_arr.yaml",
        "--set",
        "win_rate=0.31",
        "--set",
        f"visits={listed}",
        "--format",
        "json",
    )
    assert status == 0
    expected = json.loads(out)["values"]
    layout = Layout(tree)
    sheet = openpyxl.load_workbook(recomputed["edited"], data_only=True)[MAIN_SHEET]
    for name in tree.nodes:
        got = [sheet[layout.cell(name, p)].value for p in range(1, layout.periods + 1)]
        assert all(_close(g, e) for g, e in zip(got, expected[name], strict=True)), name
    assert expected["arr"][-1] != pytest.approx(tree.evaluate().kgi_value, rel=1e-6)


def test_delays_prev_t_and_every_function_at_every_edge(recomputed) -> None:
    """delay before, at and beyond its reach (defaults, k >= periods), prev from initial,
    t, if/min/max/clip, comparisons, the functions and negated powers all recompute to eval;
    so do statuses from an 'above' alert with a target and from a 'below' alert."""
    tree = kpitree.loads(textwrap.dedent(EDGE_TREE))
    _check_tree(tree, recomputed["edges"], tree.evaluate())


def test_static_tree_is_one_column_with_neutralised_text(recomputed) -> None:
    """A static tree recomputes in one column, and text that looks like a formula stays
    text (label, owner, unit) after LibreOffice has read and rewritten the file."""
    tree = kpitree.loads(textwrap.dedent(STATIC_TREE))
    _check_tree(tree, recomputed["static"], tree.evaluate())
    workbook = openpyxl.load_workbook(recomputed["static"])
    sheet = workbook[MAIN_SHEET]
    row = Layout(tree).rows["price"]
    assert sheet.cell(row, 2).value == '\'=HYPERLINK("http://x")'
    assert [sheet.cell(row, c).value for c in (3, 4)] == ["'+sales", "'@JPY"]
    # A sheet name is never computed, so it keeps the owner as written; its cells do not.
    assert workbook.sheetnames == [MAIN_SHEET, "+sales", "sales", "-finance"]
    assert workbook["+sales"].cell(1, 2).value == "'+sales"


def test_random_formulas_recompute_to_numpy(recomputed) -> None:
    """200 random formulas (signs, powers, functions, comparisons nested three deep) give in
    LibreOffice what the engine's compiled numpy function gives."""
    sheet = openpyxl.load_workbook(recomputed["random"], data_only=True).active
    symbols = [node_symbol(name) for name in RANDOM_INPUTS]
    checked = 0
    inputs = [np.full((1, 1), value) for value in RANDOM_INPUTS.values()]
    for row, (text, expr) in enumerate(_random_formulas(RANDOM_COUNT, seed=11), start=2):
        with np.errstate(all="ignore"):
            expected = float(np.asarray(compile_expression(expr, symbols)(*inputs)).reshape(-1)[0])
        got = sheet.cell(row, 1).value
        if not math.isfinite(expected) or abs(expected) > 1e300:
            continue  # no value to compare: the spreadsheet shows an error
        assert _close(got, expected), (text, got, expected, sympy.N(expr, 5))
        checked += 1
    assert checked > RANDOM_COUNT // 2


def test_logic_and_heaviside_recompute_to_numpy(recomputed) -> None:
    """Xor, ITE, Implies, Nand, Nor, Equivalent, And/Or/Not conditions and Heaviside give in
    LibreOffice what the engine's compiled numpy function gives."""
    sheet = openpyxl.load_workbook(recomputed["random"], data_only=True).active
    symbols = [node_symbol(name) for name in RANDOM_INPUTS]
    inputs = [np.full((1, 1), value) for value in RANDOM_INPUTS.values()]
    for row, expr in enumerate(_logic_expressions(), start=2):
        expected = float(np.asarray(compile_expression(expr, symbols)(*inputs)).reshape(-1)[0])
        assert _close(sheet.cell(row, 2).value, expected), expr
