"""One renderer: any analysis result as a text table, JSON, CSV, xlsx or HTML.

The layout of each result's text table lives in :mod:`kpitree.present`; this module picks it
by the result's type, and derives every other format from the result's contract
(``to_dict`` for JSON, ``to_frame`` for CSV, xlsx and HTML). The command line (through
:func:`kpitree.cli.options.emit`), ``summary()``, ``_repr_html_()`` and the HTML report all
come here, so a result is laid out once.
"""

from __future__ import annotations

import importlib
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "json", "csv", "xlsx", "html")
"""Every format a result renders to; ``xlsx`` is bytes, the others text."""
EXTENSIONS = {
    ".txt": "table",
    ".json": "json",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".html": "html",
    ".htm": "html",
}
"""The format an output file gets by its extension (``-o result.csv``)."""

SHEET_NAME_LIMIT = 31
"""Excel refuses longer sheet names."""
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# Per result type (module.Class, so that nothing is imported before it is rendered): the
# present functions laying it out, as "module:function". A format missing here is derived
# from the contract: json from to_dict(), csv from to_frame().
_LAYOUTS: dict[str, dict[str, str]] = {
    "kpitree.evaluation.Evaluation": {
        "table": "kpitree.present.evaluation:evaluation_table",
        "json": "kpitree.present.evaluation:evaluation_json",
        "csv": "kpitree.present.evaluation:evaluation_csv",
    },
    "kpitree.rollup.Rollup": {
        "table": "kpitree.present.rollup:rollup_table",
        "json": "kpitree.present.rollup:rollup_json",
        "csv": "kpitree.present.rollup:rollup_csv",
    },
    "kpitree.analysis.sensitivity.Sensitivity": {
        "table": "kpitree.present.sensitivity:sensitivity_table",
        "json": "kpitree.present.sensitivity:sensitivity_json",
        "csv": "kpitree.present.sensitivity:sensitivity_csv",
    },
    "kpitree.analysis.tornado.Tornado": {
        "table": "kpitree.present.tornado:tornado_table",
        "json": "kpitree.present.tornado:tornado_json",
        "csv": "kpitree.present.tornado:tornado_csv",
    },
    "kpitree.analysis.bottleneck.Bottleneck": {
        "table": "kpitree.present.bottleneck:bottleneck_table",
        "json": "kpitree.present.bottleneck:bottleneck_json",
        "csv": "kpitree.present.bottleneck:bottleneck_csv",
    },
    "kpitree.analysis.solution.Solution": {
        "table": "kpitree.present.solution:solution_table",
        "json": "kpitree.present.solution:solution_json",
        "csv": "kpitree.present.solution:solution_csv",
    },
    "kpitree.analysis.cascade.Cascade": {
        "table": "kpitree.present.solution:cascade_table",
    },
    "kpitree.analysis.forecast.Forecast": {
        "table": "kpitree.present.forecast:forecast_table",
        "json": "kpitree.present.forecast:forecast_json",
        "csv": "kpitree.present.forecast:forecast_csv",
    },
    "kpitree.analysis.sobol.Sobol": {
        "table": "kpitree.present.sobol:sobol_table",
        "json": "kpitree.present.sobol:sobol_json",
    },
    "kpitree.analysis.shapley.Shapley": {
        "table": "kpitree.present.shapley:shapley_table",
        "json": "kpitree.present.shapley:shapley_json",
    },
    "kpitree.analysis.compare.Comparison": {
        "table": "kpitree.present.compare:comparison_table",
        "json": "kpitree.present.compare:comparison_json",
        "csv": "kpitree.present.compare:comparison_csv",
    },
    "kpitree.analysis.compare_by.BucketComparison": {
        "table": "kpitree.present.rollup:bucket_comparison_table",
        "json": "kpitree.present.rollup:bucket_comparison_json",
        "csv": "kpitree.present.rollup:bucket_comparison_csv",
    },
    "kpitree.analysis.attribution.Attribution": {
        "table": "kpitree.present.attribution:attribution_table",
        "json": "kpitree.present.attribution:attribution_json",
    },
    "kpitree.measurement.result.Measurement": {
        "table": "kpitree.present.measurement:measurement_table",
        "json": "kpitree.present.measurement:measurement_json",
        "csv": "kpitree.present.measurement:measurement_csv",
    },
    "kpitree.validation.Validation": {
        "table": "kpitree.present.validation:validation_table",
        "json": "kpitree.present.validation:validation_json",
    },
    "kpitree.analysis.alert_list.Alerts": {
        "table": "kpitree.present.compare:alerts_table",
    },
    # Results merged on main after this renderer was written: their layouts, by name.
    "kpitree.analysis.backtest.Backtest": {
        "table": "kpitree.present.backtest:backtest_table",
        "json": "kpitree.present.backtest:backtest_json",
        "csv": "kpitree.present.backtest:backtest_csv",
    },
    "kpitree.analysis.learn.Learning": {
        "table": "kpitree.present.learn:learn_table",
        "json": "kpitree.present.learn:learn_json",
    },
    "kpitree.analysis.sweep.Sweep": {
        "table": "kpitree.present.sweep:sweep_table",
        "json": "kpitree.present.sweep:sweep_json",
        "csv": "kpitree.present.sweep:sweep_csv",
    },
    "kpitree.analysis.probability.ProbabilitySolution": {
        "table": "kpitree.present.probability:probability_table",
        "json": "kpitree.present.probability:probability_json",
        "csv": "kpitree.present.probability:probability_csv",
    },
}


def register_layout(kind: type, **layouts: str) -> None:
    """Lay out results of type ``kind`` with the given ``"module:function"`` per format
    (``table=...``, ``json=...``, ``csv=...``); for results written after this module."""
    _LAYOUTS.setdefault(_key(kind), {}).update(layouts)


def _key(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _layout(result: Any, fmt: str) -> Callable[..., str] | None:
    for kind in type(result).__mro__:
        found = _LAYOUTS.get(_key(kind), {}).get(fmt)
        if found is not None:
            module, _, name = found.partition(":")
            return getattr(importlib.import_module(module), name)
    return None


def render(result: Any, fmt: str, **options: Any) -> str | bytes:
    """``result`` in format ``fmt``: ``table``, ``json``, ``csv``, ``html`` (text) or
    ``xlsx`` (bytes).

    Parameters
    ----------
    result : Result
        Any analysis result (see :class:`kpitree.results.Result`).
    fmt : str
        One of :data:`FORMATS`.
    **options
        Passed to the result's own layout where it takes them (``scenario`` for a roll-up);
        for ``html``, ``page=False`` gives the fragment the HTML report embeds (a titled,
        escaped table) instead of a whole document.

    Raises
    ------
    ValueError
        For a format not in :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, found '{fmt}'")
    if fmt == "xlsx":
        return render_xlsx(result)
    if fmt == "html":
        return render_html(result, page=bool(options.get("page", True)))
    layout = _layout(result, fmt)
    if layout is not None:
        return layout(result, **options)
    from kpitree.present.export import to_csv, to_json

    if fmt == "json":
        return to_json(result.to_dict()) + "\n"
    frame = frame_of(result)
    if fmt == "csv":
        return to_csv(frame)
    return frame.to_string() + "\n"


def frame_of(result: Any) -> pd.DataFrame:
    """``result.to_frame()`` for text output: a ``PeriodIndex`` written with the result's own
    period labels where it has them (a roll-up by fiscal year of a tree whose year starts in
    January says ``FY2027``, where pandas' period is ``2027``)."""
    import pandas as pd

    frame = result.to_frame()
    labels = getattr(result, "periods", None)
    if (
        isinstance(frame.index, pd.PeriodIndex)
        and isinstance(labels, list | tuple)
        and len(labels) == len(frame)
        and all(isinstance(label, str) for label in labels)
    ):
        return frame.set_axis(pd.Index(list(labels), name=frame.index.name))
    return frame


def title_of(result: Any) -> str:
    """A heading for ``result``: its kind, and the tree and node it is about."""
    words = [type(result).__name__]
    tree = getattr(result, "tree", None)
    name = getattr(tree, "name", tree)
    if isinstance(name, str):
        words.append(f"of {name}")
    node = getattr(result, "node", None) or getattr(result, "kgi", None)
    if isinstance(node, str):
        words.append(f"({node})")
    return " ".join(words)


def render_html(result: Any, *, max_rows: int | None = None, page: bool = True) -> str:
    """``result`` as HTML, every text escaped: the tables of its text layout (the same cells,
    units and labels as the terminal shows, under the layout's own titles, notes as
    paragraphs) or, for a result without one, its frame under a title; ``page`` wraps it in
    a whole document, ``max_rows`` keeps the first and last rows of a long table with an
    ellipsis row between (the tables share the rows, see :func:`_laid_out_html`)."""
    from kpitree.present.html import PAGE_STYLE, escape

    body = _laid_out_html(result, max_rows)
    if body is None:
        body = _frame_html(result, max_rows)
    # A layout's first line (its heading or first table's title) names the tree and KGI.
    if not body.startswith("<h4>"):
        body = f"<h3>{escape(title_of(result))}</h3>\n{body}"
    if not page:
        return f'<div class="kpitree-result">{body}</div>'
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title_of(result))}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _laid_out_html(result: Any, max_rows: int | None) -> str | None:
    """The result's text layout as HTML (see :func:`kpitree.present.html.laid_out`); ``None``
    when it has no text layout drawing tables."""
    from kpitree.present.html import laid_out
    from kpitree.present.table import drawing

    layout = _layout(result, "table")
    if layout is None:
        return None
    with drawing() as tables:
        text = layout(result)
    return laid_out(text, tables, max_rows)


def _frame_html(result: Any, max_rows: int | None) -> str:
    """The result's frame as an escaped table (a result with no text layout)."""
    from kpitree.present.html import shortened, table

    frame = frame_of(result)
    header, rows = _cells(frame)
    rows = shortened(rows, ["…"] * len(header), max_rows)
    levels = _index_levels(frame)
    numeric = [False] * levels + [_is_numeric(frame[column]) for column in frame.columns]
    return table(header, rows, numeric=numeric)


def _index_levels(frame: pd.DataFrame) -> int:
    """How many index columns a table of ``frame`` shows: none when the index is only row
    numbers (a long frame's 0, 1, 2, ...)."""
    import pandas as pd

    plain = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    return 0 if plain else frame.index.nlevels


def _is_numeric(column: Any) -> bool:
    """Whether a frame column holds numbers (booleans are not)."""
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def _cells(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The header (index names, then columns) and every row as text: numbers as the tables
    show them, missing values empty."""
    import numpy as np

    from kpitree.periods import labelled
    from kpitree.present.numbers import format_number

    frame = labelled(frame)

    def text(value: Any) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, float | np.floating):
            return format_number(float(value))
        return str(value)

    levels = _index_levels(frame)
    names = [str(name) if name is not None else "" for name in frame.index.names][:levels]
    header = [*names, *map(str, frame.columns)]
    rows = []
    for key, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        keys = (key if isinstance(key, tuple) else (key,))[:levels]
        rows.append([text(value) for value in (*keys, *row)])
    return header, rows


def sheets_of(result: Any) -> dict[str, pd.DataFrame]:
    """The frames an xlsx workbook of ``result`` holds, by sheet name: a solution's levers and
    its cascade one sheet per department; a result with ``sheets()`` (a measurement) those;
    any other result its frame."""
    sheets_method = getattr(result, "sheets", None)
    if callable(sheets_method):
        return dict(sheets_method())
    cascade = getattr(result, "cascade", None)
    if callable(cascade):
        sheets = {"levers": result.to_frame()}
        whole = cascade().to_frame()
        for owner in whole["owner"].unique():
            sheets[str(owner)] = whole[whole["owner"] == owner].drop(columns="owner")
        return sheets
    return {type(result).__name__.lower(): frame_of(result)}


def render_xlsx(result: Any) -> bytes:
    """An xlsx workbook of ``result`` (see :func:`sheets_of`): one header row, the index in
    the first column, numbers as numbers and text that starts like a formula made inert."""
    from openpyxl import Workbook

    from kpitree.periods import labelled
    from kpitree.present.export import inert_text

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for name, frame in sheets_of(result).items():
        sheet = workbook.create_sheet(_sheet_name(name, used))
        frame = labelled(frame)
        index_names = [str(level) if level is not None else "" for level in frame.index.names]
        sheet.append([inert_text(cell) for cell in [*index_names, *map(str, frame.columns)]])
        for key, row in zip(frame.index, frame.itertuples(index=False), strict=True):
            keys = key if isinstance(key, tuple) else (key,)
            sheet.append([_cell(value, inert_text) for value in (*keys, *row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any, inert: Callable[[Any], Any]) -> Any:
    """A value openpyxl writes as a number, a boolean, an empty cell or inert text."""
    import math

    import numpy as np

    if value is None or isinstance(value, bool | int | str):
        return inert(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, float | np.floating | np.integer):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, tuple | list):
        return inert(", ".join(map(str, value)))
    return inert(str(value))


def _sheet_name(name: str, used: set[str]) -> str:
    """``name`` as Excel accepts it: no ``[]:*?/\\``, at most 31 characters, unique."""
    clean = _SHEET_FORBIDDEN.sub("_", name).strip("'") or "sheet"
    base, number = clean[:SHEET_NAME_LIMIT], 2
    candidate = base
    while candidate.lower() in used:
        suffix = f" ({number})"
        candidate, number = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate
