"""Every analysis result keeps the one contract (kpitree.results.Result) and renders through
the one renderer to table, JSON, CSV, xlsx and HTML."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from functools import cache
from typing import Any

import openpyxl
import pandas as pd
import pytest

import kpitree
from kpitree.cli.options import FORMATS as CLI_FORMATS
from kpitree.cli.options import OUTPUT_EXTENSIONS
from kpitree.render import EXTENSIONS, FORMATS, render, sheets_of
from kpitree.results import HTML_ROWS, Result
from tests.conftest import TREES
from tests.html_tables import tables

TREE = TREES / "saas_arr.yaml"
ACTUALS = TREES / "saas_arr_actuals.csv"


@cache
def _tree() -> kpitree.Tree:
    return kpitree.load(TREE)


def _actuals() -> Any:
    return kpitree.read_actuals(ACTUALS, _tree())


def _alerts() -> Any:
    from kpitree.analysis.alert_list import Alerts
    from kpitree.analysis.compare import check_actuals

    actuals = _actuals()
    return Alerts(_tree(), tuple(check_actuals(_tree(), actuals)), tuple(actuals.period_labels))


def _attribution() -> Any:
    from kpitree.analysis.attribution import attribute_actuals

    return attribute_actuals(_tree(), _actuals())


def _comparison() -> Any:
    from kpitree.analysis.compare import compare

    return compare(_tree(), _actuals())


def _bucket_comparison() -> Any:
    from kpitree.analysis.compare_by import compare_by

    return compare_by(_tree(), _actuals(), "quarter")


def _measurement() -> Any:
    from kpitree.measurement import measure

    return measure(kpitree.load(TREES / "saas_arr_measured.yaml"), as_of="2027-06-20")


def _validation() -> Any:
    from kpitree.validation import validation_of

    return validation_of(_tree(), "saas_arr.yaml")


def _landing() -> Any:
    from kpitree.analysis.landing import landing

    tree = _tree()
    return tree.forecast(samples=256, seed=1, landing=landing(tree, _actuals()))


def _learning() -> Any:
    from kpitree.analysis.learn import learn

    return learn(_tree(), _actuals())


def _backtest() -> Any:
    from kpitree.analysis.backtest import backtest

    return backtest(_tree(), _actuals(), 1, samples=200, seed=1)


def _sweep() -> Any:
    from kpitree.analysis.sweep import sweep

    return sweep(_tree(), {"win_rate": [0.2, 0.3]}, samples=64, seed=1)


def _probability() -> Any:
    from kpitree.analysis.probability import solve_probability

    return solve_probability(_tree(), ["win_rate"], 0.5, samples=256, seed=1)


# One line per result type: a result written later adds its line here and must then pass
# every test below.
RESULTS: dict[str, Callable[[], Any]] = {
    "evaluation": lambda: _tree().evaluate(),
    "rollup": lambda: _tree().evaluate().rollup("quarter"),
    "sensitivity": lambda: _tree().sensitivity(),
    "tornado": lambda: _tree().tornado(),
    "bottleneck": lambda: _tree().bottlenecks(),
    "solution": lambda: _tree().solve(["win_rate"]),
    "cascade": lambda: _tree().solve(["win_rate"]).cascade(),
    "forecast": lambda: _tree().forecast(samples=256, seed=1),
    "sobol": lambda: _tree().sobol(samples=64, seed=1),
    "shapley": lambda: _tree().shapley(samples=16, seed=1),
    "comparison": _comparison,
    "bucket comparison": _bucket_comparison,
    "attribution": _attribution,
    "alerts": _alerts,
    "measurement": _measurement,
    "landing": _landing,
    "validation": lambda: _validation(),
    "learning": _learning,
    "backtest": _backtest,
    "sweep": _sweep,
    "probability": _probability,
}


@cache
def _result(kind: str) -> Any:
    return RESULTS[kind]()


@pytest.fixture(params=sorted(RESULTS))
def result(request: pytest.FixtureRequest) -> Any:
    """Each registered result, computed once per test session."""
    return _result(request.param)


def test_every_result_keeps_the_protocol(result) -> None:
    """Each result is a Result: to_frame, to_dict, summary and _repr_html_ all answer."""
    assert isinstance(result, Result)
    assert isinstance(result.to_frame(), pd.DataFrame)
    assert isinstance(result.to_dict(), dict)
    assert result.summary() == render(result, "table")
    assert result.summary().strip()


def test_field_names_mean_the_same_everywhere(result) -> None:
    """A result's 'kgi' is the tree's goal node and its 'tree' the tree's name, in the object
    and in its dictionary alike."""
    data = result.to_dict()
    tree = (
        _tree() if not hasattr(result, "as_of") else kpitree.load(TREES / "saas_arr_measured.yaml")
    )
    if "kgi" in data:
        assert data["kgi"] == tree.kgi
    if hasattr(result, "kgi"):
        assert result.kgi == tree.kgi
    if "tree" in data:
        assert data["tree"] == tree.name


def test_repr_is_short_and_names_the_result(result) -> None:
    """repr() is one short line naming the class (a forecast's was 20,000 characters)."""
    text = repr(result)
    assert text.startswith(type(result).__name__ + "(")
    assert len(text) < 200
    assert "\n" not in text


def test_repr_html_is_a_compact_escaped_table(result) -> None:
    """_repr_html_ is the result's tables with at most HTML_ROWS body rows among them (and
    one elision row), under an escaped title; every table holds the text layout's header."""
    text = result._repr_html_()
    assert text.startswith("<div")
    shown = tables(text)
    assert shown
    assert sum(len(table.cells) for table in shown) <= HTML_ROWS + 1
    full = tables(str(render(result, "html")))
    assert [table.header for table in shown] == [table.header for table in full[: len(shown)]]


def test_compact_html_leaves_out_the_tables_past_its_rows() -> None:
    """A solve of saas_arr lays out 1 lever, then its 30 nodes by department and by period:
    the compact view shows the lever, the departments cut to the rows left (first and last
    halves around an elision row) and counts the table it leaves out."""
    solution = _result("solution")
    full = tables(str(render(solution, "html")))
    assert [len(table.cells) for table in full] == [1, 30, 30]
    compact = solution._repr_html_()
    levers, departments = tables(compact)
    assert levers.cells == full[0].cells
    half = (HTML_ROWS - 1) // 2
    assert departments.cells == [*full[1].cells[:half], ["…"] * len(full[1].header),
                                 *full[1].cells[-half:]]  # fmt: skip
    assert "… 1 more table: summary() shows all" in compact


def test_json_parses_and_csv_has_the_frame_rows(result) -> None:
    """JSON output is valid JSON; CSV output has a header and a row per frame row at least."""
    assert isinstance(json.loads(render(result, "json")), dict)
    lines = render(result, "csv").splitlines()
    assert len(lines) >= 1 + min(len(result.to_frame()), 1)


def test_xlsx_reads_back_with_openpyxl(result) -> None:
    """The workbook holds one sheet per frame with its header, index and numbers."""
    data = render(result, "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheets = sheets_of(result)
    assert len(workbook.sheetnames) == len(sheets)
    for name, frame in zip(workbook.sheetnames, sheets.values(), strict=True):
        rows = list(workbook[name].iter_rows(values_only=True))
        assert len(rows) == len(frame) + 1
        assert list(rows[0][frame.index.nlevels :]) == [str(c) for c in frame.columns]
        numeric = frame.select_dtypes("number")
        for position, column in enumerate(frame.columns):
            if column not in numeric or not len(frame):
                continue
            cell = rows[1][frame.index.nlevels + position]
            expected = float(frame[column].iloc[0])
            assert cell == pytest.approx(expected) if math.isfinite(expected) else cell is None
            break


def test_formats_agree_between_cli_and_renderer() -> None:
    """--format offers exactly the renderer's formats, and -o reads the same extensions."""
    assert CLI_FORMATS == FORMATS
    assert OUTPUT_EXTENSIONS == EXTENSIONS


def test_unknown_format_is_refused() -> None:
    """render() names the formats it knows."""
    with pytest.raises(ValueError, match="format must be one of table, json"):
        render(_result("evaluation"), "yaml")


def test_text_starting_like_a_formula_is_inert_in_html_and_xlsx(write_tree) -> None:
    """A label '=HYPERLINK(...)' reaches the workbook behind an apostrophe, and an owner
    '<script>' reaches the HTML escaped."""
    path = write_tree(
        """
        name: t
        kgi: y
        nodes:
          a: {value: 2, label: "=HYPERLINK(\\"http://x\\")", owner: "<script>x</script>"}
          y: {formula: a * 3}
        """
    )
    solution = kpitree.load(path).solve(["a"], target=9)
    workbook = openpyxl.load_workbook(io.BytesIO(render(solution, "xlsx")))
    cells = [c for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert not [c for c in cells if isinstance(c, str) and c.startswith("=")]
    page = render(solution.cascade(), "html")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_solution_workbook_has_one_sheet_per_department() -> None:
    """A solve's workbook: the levers, then one sheet per owner of the cascade."""
    solution = _result("solution")
    workbook = openpyxl.load_workbook(io.BytesIO(render(solution, "xlsx")))
    owners = list(dict.fromkeys(solution.cascade().to_frame()["owner"]))
    assert workbook.sheetnames == ["levers", *owners]


def test_jupyter_shows_the_compact_table() -> None:
    """IPython's display machinery picks _repr_html_: a result shows as its table, the long
    evaluation of 12 periods cut to HTML_ROWS rows, and as its short repr in plain text."""
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(_result("forecast"))
    assert data["text/plain"] == "Forecast(tree='saas_arr', node='arr', samples=256, seed=1)"
    assert "<table>" in data["text/html"]
    assert data["text/html"].count("<tr>") == 1 + 12  # the header and one row per month
    rows = _result("sensitivity")._repr_html_().split("<tbody>")[1].count("<tr>")
    assert rows == min(len(_result("sensitivity").to_frame()), HTML_ROWS)
    long = _result("comparison")
    assert len(long.to_frame()) > HTML_ROWS
    assert long._repr_html_().split("<tbody>")[1].count("<tr>") == HTML_ROWS + 1


@pytest.mark.parametrize(
    ("kinds", "name"),
    [
        (("sensitivity", "tornado", "bottleneck", "sobol", "shapley", "attribution"), "input"),
        (("evaluation", "rollup", "forecast", "measurement", "landing"), "period"),
        (("cascade",), "node"),
    ],
)
def test_one_index_name_per_concept(kinds, name) -> None:
    """Frames indexed by the same concept name their index the same way."""
    assert {kind: _result(kind).to_frame().index.name for kind in kinds} == dict.fromkeys(
        kinds, name
    )


@pytest.mark.parametrize("kind", ["tornado", "forecast", "sobol", "shapley", "attribution"])
def test_results_that_draw_take_ax_none(kind) -> None:
    """plot(ax=None) is the signature of every result that draws."""
    import inspect

    parameters = inspect.signature(_result(kind).plot).parameters
    assert parameters["ax"].default is None


def test_a_later_result_type_registers_its_layout() -> None:
    """A result type written later renders through the same renderer once it registers its
    table layout; the other formats come from its contract."""
    from dataclasses import dataclass

    from kpitree.render import register_layout

    @dataclass(frozen=True)
    class Landing:
        kgi: str

        def to_frame(self) -> pd.DataFrame:
            return pd.DataFrame({"p": [0.8]}, index=pd.Index(["arr"], name="node"))

        def to_dict(self) -> dict[str, Any]:
            return {"kgi": self.kgi, "p": 0.8}

    register_layout(Landing, table="kpitree.results:repr_of")
    landing = Landing("arr<1>")
    assert render(landing, "table") == "Landing(kgi='arr<1>')"
    assert json.loads(render(landing, "json")) == {"kgi": "arr<1>", "p": 0.8}
    assert render(landing, "csv") == "node,p\narr,0.8\n"
    assert "(arr&lt;1&gt;)" in render(landing, "html")
