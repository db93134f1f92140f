"""The dashboard's JSON API as pure functions: a request's parsed body in, a JSON-ready dict out.

Every analysis goes through the facade (:class:`kpitree.Tree`) and every result through its
``to_dict()``, so the numbers the page shows are those ``kpitree ... --format json`` prints.
Values from the page are read as ``--set`` reads them (:func:`kpitree.numbers.parse_number`:
``1_000``, ``2.5e6``, ``12%``; never evaluated) and checked against the tree's bounds by the
tree itself, so a bad value gets the command line's message, except that it names the page's
field (``sql_rate: 'abc' is not a number``) where the command line names its flag
(``--set sql_rate: ...``): a web page has no flags.

The routes (``kpitree.serve.app`` maps them to these functions):

- ``GET /api/tree`` (:func:`tree_info`): ``{"tree", "kgi", "periods", "version", "nodes",
  "edges", "layout", "owners", "scenarios", "has_actuals", "levers", "modes"}``; each node
  ``{"name", "label", "description", "owner", "unit", "kind", "formula", "bounds", "value",
  "step", "benchmark", "direction", "alert", "target"}``;
- ``POST /api/evaluate`` (:func:`evaluate`): ``{"evaluation", "kgi", "status", "version"}``;
- ``POST /api/solve`` (:func:`solve`): ``{"solution", "cascade"}``;
- ``POST /api/forecast`` (:func:`forecast`): ``{"forecast", "fan", "p_target", "target"}``;
- ``GET /api/actuals`` (:func:`actuals`): ``{"available"}``, with actuals also
  ``{"comparison", "attribution", "partial"}``;
- ``POST /api/scenario`` (:func:`save_scenario`) and ``/api/scenario.yaml``
  (:func:`scenario_download`).

Bad input raises :class:`~kpitree.errors.KpiTreeError` (the server answers 400 with its text);
the functions never print and never touch the socket.
"""

from __future__ import annotations

import inspect
import math
import re
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpitree.errors import UsageError
from kpitree.excerpt import excerpt
from kpitree.numbers import parse_number, parse_whole

if TYPE_CHECKING:
    from kpitree.evaluation import Evaluation
    from kpitree.facade import Tree
    from kpitree.serve.session import Loaded

DEFAULT_SAMPLES = 2000
"""Forecast paths when the page asks for none: a smooth fan in a few tens of milliseconds."""
MAX_SAMPLES = 50_000
"""The most forecast paths one request may ask for (more is cut to this): a shared server
should not be held for long by one page."""
FAN = (5, 25, 50, 75, 95)
"""The forecast quantiles the fan chart draws (``p05`` .. ``p95``)."""
DIAGRAM_FONTSIZE = 8.0
"""The text size the diagram's boxes are measured at, as ``kpitree plot`` draws them."""

Overrides = dict[str, float | list[float]]

# The tree's structure and layout, built once per loaded state (the layout measures text).
_TREE_INFO: weakref.WeakKeyDictionary[Loaded, dict[str, Any]] = weakref.WeakKeyDictionary()


# -- reading the page's values ------------------------------------------------------------------
def parse_overrides(raw: object) -> Overrides:
    """The page's ``{"input": value}`` as ``--set`` reads values: a number, a text such as
    ``"12%"`` or ``"1_000"``, or a list with one per period.

    Names and bounds are checked by the tree when it evaluates (the same messages as
    ``--set``).

    Raises
    ------
    UsageError
        For a value that is not a number as ``--set`` reads one (the message names the
        input, ``NAME: ...``, where the command line's names ``--set NAME``).
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise UsageError(f"overrides: expected an object {{input: value}}, found {_kind(raw)}")
    overrides: Overrides = {}
    for name, value in raw.items():
        what = excerpt(name)
        if isinstance(value, list):
            overrides[name] = [_number(item, what) for item in value]
        else:
            overrides[name] = _number(value, what)
    return overrides


def _number(value: object, what: str) -> float:
    if isinstance(value, str):
        return parse_number(value, what)
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Through the same reader as typed text: a huge integer is refused as --set refuses it.
        return parse_number(repr(value), what)
    raise UsageError(f"{what}: expected a number, found {_kind(value)}")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{excerpt(value)}'"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise UsageError(f"{key}: expected a name, found {_kind(value)}")


# -- GET /api/tree ----------------------------------------------------------------------------
def tree_info(state: Loaded) -> dict[str, Any]:
    """The tree's structure for the page: nodes with their rules and base values (one per
    period for an input, ``None`` for a derived node), edges with their lag, the diagram's
    layout, owners, scenarios, the inputs usable as solve levers and the solve modes.

    Layout boxes give their centre (``x``, ``y``) and size, in points, y up from the bottom
    left, as :func:`kpitree.plots.layout.layered_layout` places them for ``kpitree plot``.
    """
    cached = _TREE_INFO.get(state)
    if cached is None:
        cached = _TREE_INFO[state] = _tree_info(state)
    return cached


def _tree_info(state: Loaded) -> dict[str, Any]:
    from kpitree.analysis.compare import good_directions
    from kpitree.analysis.multilever import MODES

    tree = state.tree
    directions = good_directions(tree, tree.input_values())
    nodes = []
    for name, node in tree.nodes.items():
        value = _base_values(tree, name) if node.is_input else None
        bounds = None if node.bounds == (None, None) else list(node.bounds)
        nodes.append(
            {
                "name": name,
                "label": node.title,
                "description": node.description,
                "owner": node.owner,
                "unit": node.unit,
                "kind": "input" if node.is_input else "derived",
                "formula": node.formula,
                "bounds": bounds,
                "value": value,
                "step": slider_step(node.bounds, node.benchmark, value) if value else None,
                "benchmark": None if node.benchmark is None else list(node.benchmark),
                "direction": "lower" if directions.get(name) == -1 else "higher",
                "alert": None
                if node.alert is None
                else {"below": node.alert.below, "above": node.alert.above},
                "target": node.target,
            }
        )
    owners = sorted({node.owner for node in tree.nodes.values() if node.owner})
    return {
        "tree": tree.name,
        "kgi": tree.kgi,
        "periods": list(tree.periods) if tree.periods is not None else None,
        "version": state.version,
        "nodes": nodes,
        "edges": [
            {"source": source, "target": target, "lag": int(lag)}
            for source, target, lag in tree.graph.edges(data="lag", default=0)
        ],
        "layout": diagram_layout(tree),
        "owners": owners,
        "scenarios": list(tree.scenarios),
        "has_actuals": state.actuals is not None,
        "levers": tree.inputs_of(tree.kgi),
        "modes": list(MODES),
    }


def _base_values(tree: Tree, name: str) -> list[float]:
    value = tree.nodes[name].value
    if isinstance(value, tuple):
        return [float(item) for item in value]
    return [float(value)] * tree.period_count  # type: ignore[arg-type]


def slider_step(
    bounds: tuple[float | None, float | None],
    benchmark: tuple[float | None, float | None] | None,
    values: list[float],
) -> float:
    """A slider step for an input: a power of ten near a hundredth of its scale.

    The scale is the width of its bounds when both are finite, else the width of its
    benchmark range when both ends are given, else its largest magnitude over the periods
    (1 when that is 0). A rate bounded to [0, 1] moves by 0.01, 1,200 leads by 10.
    """
    low, high = bounds
    if low is not None and high is not None and high > low:
        scale = high - low
    elif benchmark is not None and None not in benchmark and benchmark[1] > benchmark[0]:  # type: ignore[operator]
        scale = float(benchmark[1]) - float(benchmark[0])  # type: ignore[arg-type]
    else:
        scale = max((abs(v) for v in values if math.isfinite(v)), default=0.0) or 1.0
    return float(10.0 ** math.floor(math.log10(scale / 100)))


def diagram_layout(tree: Tree) -> dict[str, Any]:
    """The diagram's layered layout with the boxes measured as ``kpitree plot`` measures them
    (the tree's own values shown; y up, origin bottom left, in points)."""
    from kpitree.plots.tree_diagram import boxes_laid_out

    _, layout = boxes_laid_out(tree, None, tree.period_count - 1, DIAGRAM_FONTSIZE)
    return {
        "width": layout.width,
        "height": layout.height,
        "boxes": {
            name: {"x": box.x, "y": box.y, "width": box.width, "height": box.height}
            for name, box in layout.boxes.items()
        },
        "edges": [
            {
                "source": edge.source,
                "target": edge.target,
                "points": [[x, y] for x, y in edge.points],
                "layered": edge.layered,
            }
            for edge in layout.edges
        ],
    }


# -- POST /api/evaluate -----------------------------------------------------------------------
def evaluate(state: Loaded, body: Mapping[str, Any]) -> dict[str, Any]:
    """Every node at the page's values: the evaluation as ``kpitree eval --format json``
    prints it, the KGI against its target and milestones, and every node's status."""
    overrides = parse_overrides(body.get("overrides"))
    evaluation = state.tree.evaluate(overrides=overrides, scenario=_text(body, "scenario"))
    return {
        "evaluation": evaluation.to_dict(),
        "kgi": kgi_summary(evaluation),
        "status": node_statuses(evaluation),
        "version": state.version,
    }


def node_statuses(evaluation: Evaluation, index: int | None = None) -> dict[str, str | None]:
    """Every node's status at the 0-based period ``index`` (the last by default); ``None``
    for a node with neither target nor alert."""
    from kpitree.analysis.status import Status, statuses

    period = None if index is None or not evaluation.tree.is_timed else index + 1
    return {
        name: None if status is Status.NONE else status.value
        for name, status in statuses(evaluation, period).items()
    }


def kgi_summary(evaluation: Evaluation) -> dict[str, Any]:
    """The KGI's value at the last period (its roll-up over the last target's quarter or year
    when that target is one), its target and status there, and each milestone (a target by
    period) with the value it is judged on and its status."""
    from kpitree.analysis.status import final_judgement, judged_value, target_at
    from kpitree.analysis.stocks import stocks
    from kpitree.targets import milestones

    tree = evaluation.tree
    kgi = tree.kgi
    last = tree.period_count - 1
    found = []
    for milestone in milestones(tree.nodes[kgi], tree.time):
        value, _ = judged_value(tree, kgi, evaluation.values, milestone, stocks(tree))
        found.append(
            {
                "period": tree.periods[milestone.last] if tree.periods is not None else None,
                "label": milestone.label or None,
                "target": milestone.value,
                "value": value,
                "status": node_statuses(evaluation, milestone.last)[kgi],
            }
        )
    target = target_at(tree, kgi, last)
    value = evaluation.kgi_value
    judged = final_judgement(tree, kgi, evaluation.values)
    if judged is not None and judged[0].is_span:
        # The last target is a quarter's or year's: the header shows the roll-up, as eval does.
        value = judged[1]
    return {
        "name": kgi,
        "value": value,
        "target": target if target is not None else tree.nodes[kgi].target,
        "status": node_statuses(evaluation)[kgi],
        "milestones": found,
    }


# -- POST /api/solve --------------------------------------------------------------------------
def solve(state: Loaded, body: Mapping[str, Any]) -> dict[str, Any]:
    """Lever values at which the KGI reaches the target, as ``kpitree solve --format json``
    prints them, and the cascade's rows (each node's target, with its owner). ``weights``
    (lever: weight, for the weighted mode) are read and checked as ``--weight`` is."""
    from kpitree.analysis.multilever import MODES

    levers = body.get("levers")
    if not isinstance(levers, list) or not all(isinstance(name, str) for name in levers):
        raise UsageError(f"levers: expected a list of input names, found {_kind(levers)}")
    mode = body.get("mode") or "uniform"
    if mode not in MODES:
        raise UsageError(f"mode: expected one of {', '.join(MODES)}, found {_kind(mode)}")
    raw_target = body.get("target")
    target = None if raw_target is None else _number(raw_target, "target")
    options: dict[str, Any] = {}
    weights = body.get("weights")
    if weights is not None:
        if not isinstance(weights, Mapping):
            raise UsageError(f"weights: expected lever: weight pairs, found {_kind(weights)}")
        options["weights"] = {
            str(name): _number(value, f"weight of {excerpt(str(name))}")
            for name, value in weights.items()
        }
    period = body.get("period")
    if period is not None:
        if not isinstance(period, str | int) or isinstance(period, bool):
            raise UsageError(f"period: expected a period label or number, found {_kind(period)}")
        # Solving for the target of a period came with issue 12 (solve --period); a tree
        # class without it answers that it cannot, rather than failing.
        if "period" not in inspect.signature(state.tree.solve).parameters:
            raise UsageError("period: this kpitree solves for the last period only")
        options["period"] = period
    solution = state.tree.solve(
        levers,
        target=target,
        mode=mode,
        overrides=parse_overrides(body.get("overrides")),
        **options,
    )
    return {"solution": solution.to_dict(), "cascade": solution.cascade().to_dict()["rows"]}


# -- POST /api/forecast -----------------------------------------------------------------------
def forecast(state: Loaded, body: Mapping[str, Any]) -> dict[str, Any]:
    """The Monte Carlo forecast of the KGI at the page's values (fixed, not drawn): the result
    as ``kpitree forecast --format json`` prints it, the fan's quantiles and P(target)."""
    samples = _whole(body.get("samples"), "samples", DEFAULT_SAMPLES)
    if samples < 1:
        raise UsageError("samples: expected at least 1 path, found 0")
    seed = _whole(body.get("seed"), "seed", 0)
    result = state.tree.forecast(
        min(samples, MAX_SAMPLES), seed, overrides=parse_overrides(body.get("overrides"))
    )
    data = result.to_dict()
    fan: dict[str, Any] = {"periods": data["periods"]}
    for q in FAN:
        fan[f"p{q:02d}"] = data["quantiles"][f"p{q}"]
    return {"forecast": data, "fan": fan, "p_target": data["p_target"], "target": data["target"]}


def _whole(value: object, what: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UsageError(f"{what}: expected a whole number >= 0, found {_kind(value)}")
    number = parse_whole(str(value), what)
    return default if number is None else number


# -- GET /api/actuals -------------------------------------------------------------------------
def actuals(state: Loaded) -> dict[str, Any]:
    """Plan against actuals (as ``kpitree compare --format json``) and the attribution of the
    KGI's gap (as ``kpitree attribute --format json``), when the server has actuals."""
    found = state.actuals
    if found is None:
        return {"available": False}
    tree = state.tree
    partial = None
    if found.partial is not None and found.labels is not None:
        partial = found.labels[found.partial]
    return {
        "available": True,
        "comparison": tree.compare(found).to_dict(),
        "attribution": tree.attribute(found).to_dict(),
        "partial": partial,
    }


# -- POST /api/scenario, /api/scenario.yaml ------------------------------------------------------
def _inputs_only(tree: Tree, overrides: object) -> Mapping[str, object]:
    """``overrides`` when every name is an input of ``tree``: checked before any YAML is
    written, so a body of a megabyte of made-up names costs a dictionary look-up each, not a
    YAML dump holding the session's lock."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise UsageError(f"overrides: expected input: value pairs, found {_kind(overrides)}")
    for name in overrides:
        node = tree.nodes.get(name) if isinstance(name, str) else None
        if node is None or not node.is_input:
            raise UsageError(f"overrides: '{excerpt(str(name))}' is not an input of {tree.name}")
    return overrides


def save_scenario(path: Path, body: Mapping[str, Any], tree: Tree) -> dict[str, Any]:
    """Save the page's values as a named scenario into the tree file (see
    :func:`kpitree.serve.scenario_file.save_scenario`: comments and layout kept, atomic,
    refused when the file changed since ``version``).

    Raises
    ------
    ScenarioConflict
        When the tree file is no longer at ``version`` (the server answers 409).
    DataError
        For a bad name or value, or a version that is not text.
    """
    from kpitree.serve.scenario_file import save_scenario as save

    version = body.get("version")
    if not isinstance(version, str) or not version:
        raise UsageError(
            f"version: expected the version the values were chosen on, found {_kind(version)}"
        )
    name = body.get("name")
    overrides = _inputs_only(tree, body.get("overrides"))
    new = save(path, name, overrides, version)  # type: ignore[arg-type]
    return {"saved": name, "version": new}


_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def scenario_download(body: Mapping[str, Any], tree: Tree) -> tuple[str, str]:
    """The file name and YAML text of the page's values as a scenario to paste into a tree
    (see :func:`kpitree.serve.scenario_file.scenario_yaml`). The file is named after the
    scenario when its name is safe in a file name (letters, digits, ``_.-``), else
    ``scenario.yaml``."""
    from kpitree.serve.scenario_file import scenario_yaml

    name = body.get("name")
    text = scenario_yaml(name, _inputs_only(tree, body.get("overrides")))  # type: ignore[arg-type]
    stem = name if isinstance(name, str) and _FILE_NAME.fullmatch(name) else "scenario"
    return f"{stem.lstrip('.') or 'scenario'}.yaml", text
