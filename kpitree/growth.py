"""Inputs that grow and follow a season: ``value: {start: 18000, growth: 2%}`` and
``seasonality: [12 factors]`` on an input of a tree file.

Such an input is written out as nodes of the ordinary kind before the tree is built, so every
analysis sees plain inputs and formulas: ``visits: {value: {start: 18000, growth: 2%}}``
becomes the inputs ``visits_start`` (18000) and ``visits_growth`` (0.02), the levers that
sensitivity, tornado and solve move, and ``visits`` with the formula
``visits_start * (1 + visits_growth) ** (t - 1)``, compounding once per period. A
``seasonality`` list multiplies that by the factor of the period's month of year (twelve
factors on a monthly axis, four on a quarterly one, read by ``lookup(month, ...)``); on an
input with a plain value, the value moves to ``NAME_base``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from kpitree.errors import SpecError
from kpitree.spec.yamlfile import Document
from kpitree.timeaxis import TimeAxis

_PERCENT = re.compile(r"\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*%\s*")
_MOVED_KEYS = ("bounds", "distribution", "effort", "benchmark", "initial")
"""Keys of an input that belong to the value the analyses move, not to the grown series."""


def expand_growth(nodes: dict[str, Any], time: TimeAxis | None, doc: Document) -> dict[str, Any]:
    """``nodes`` (name -> raw mapping from the file) with every growing or seasonal input
    written out as plain inputs and a formula; other nodes are returned as they are.

    Raises
    ------
    SpecError
        At the node's line, for a growth or season that cannot be read or a name the
        written-out nodes would take twice.
    """
    result: dict[str, Any] = {}
    for name, raw in nodes.items():
        growing = isinstance(raw, dict) and isinstance(raw.get("value"), dict)
        seasonal = isinstance(raw, dict) and raw.get("seasonality") is not None
        if not (growing or seasonal):
            result[name] = raw
            continue
        if "formula" in raw and "value" in raw:
            result[name] = raw  # refused as the node is read: one of value or formula
            continue
        where = doc.where("nodes", name)
        if time is None:
            raise SpecError(f"node '{name}': a growing or seasonal value needs a timed tree", where)
        if "formula" in raw:
            raise SpecError(
                f"node '{name}': seasonality belongs on an input (a node with a value)", where
            )
        rest = {key: value for key, value in raw.items() if key not in ("value", "seasonality")}
        moved = {key: rest.pop(key) for key in _MOVED_KEYS if key in rest}
        extra: dict[str, Any] = {}
        if growing:
            start, growth = _growth(name, raw["value"], where)
            if moved:
                raise SpecError(
                    f"node '{name}': a value of {{start, growth}} takes no "
                    f"{', '.join(moved)} (put them on the levers '{name}_start' and "
                    f"'{name}_growth' as nodes of their own)",
                    where,
                )
            extra[f"{name}_start"] = {"value": start, **_kept(raw, "unit")}
            extra[f"{name}_growth"] = {"value": growth, "unit": "ratio/period", **_kept(raw)}
            formula = f"{name}_start * (1 + {name}_growth) ** (t - 1)"
        else:
            extra[f"{name}_base"] = {"value": raw["value"], **moved, **_kept(raw, "unit")}
            formula = f"{name}_base"
        if seasonal:
            formula = f"{formula} * {_season(name, raw['seasonality'], time, where)}"
        for generated, node in extra.items():
            if generated in nodes:
                raise SpecError(
                    f"node '{name}': its growth or season is written out as node "
                    f"'{generated}', which the file already has: rename one",
                    where,
                )
            result[generated] = node
            doc.lines[("nodes", generated)] = where.line
        result[name] = {**rest, "formula": formula}
    return result


def _kept(raw: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The grown input's owner (and ``keys``) for the levers written out from it."""
    return {key: raw[key] for key in ("owner", *keys) if raw.get(key) is not None}


def _growth(name: str, value: dict[str, Any], where: Any) -> tuple[float, float]:
    if set(value) != {"start", "growth"}:
        raise SpecError(
            f"node '{name}': a growing value is {{start: 18000, growth: 2%}}, found keys "
            f"{', '.join(sorted(map(str, value))) or 'none'}",
            where,
        )
    start = _number(name, "start", value["start"], where)
    growth = value["growth"]
    if isinstance(growth, str) and (match := _PERCENT.fullmatch(growth)):
        growth = float(match.group(1)) / 100
    growth = _number(name, "growth", growth, where)
    if growth <= -1:
        raise SpecError(f"node '{name}': growth must be above -100 %, found {growth:g}", where)
    return start, growth


def _season(name: str, factors: Any, time: TimeAxis, where: Any) -> str:
    count = {"month": 12, "quarter": 4}.get(time.unit)
    if count is None or time.start is None:
        raise SpecError(
            f"node '{name}': seasonality needs a monthly or quarterly time axis with a start "
            "(time: {periods: 24, unit: month, start: 2027-01})",
            where,
        )
    if not isinstance(factors, list) or len(factors) != count:
        found = len(factors) if isinstance(factors, list) else "no list"
        raise SpecError(
            f"node '{name}': seasonality is a list of {count} factors (one per "
            f"{'month, January first' if count == 12 else 'quarter, January-March first'}), "
            f"found {found}",
            where,
        )
    numbers = [_number(name, "seasonality", factor, where) for factor in factors]
    step = 12 // count
    points = ", ".join(f"[{1 + step * i}, {factor!r}]" for i, factor in enumerate(numbers))
    return f"lookup(month, [{points}])"


def _number(name: str, key: str, raw: Any, where: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise SpecError(f"node '{name}': {key} must be a number, found {raw!r:.40}", where)
    return float(raw)
