"""Turn a tree file's YAML into a checked :class:`~kpitree.tree.TreeModel`.

This module knows the keys of format version 1 and their types; it reports every problem as
``FILE:LINE: message``. Checks that involve several nodes live in :class:`~kpitree.tree.Tree`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

from kpitree.actuals import parse_cell
from kpitree.distribution import Distribution, DistributionError
from kpitree.encoding import EncodingError, decode_text
from kpitree.errors import KpiTreeError, Location, SpecError, did_you_mean
from kpitree.excerpt import excerpt
from kpitree.files import read_regular_file
from kpitree.growth import expand_growth
from kpitree.measurement.spec import parse_measure, parse_sources
from kpitree.node import Alert, Node, check_name
from kpitree.numbers import CharacterError
from kpitree.spec.yamlfile import Document, read_yaml
from kpitree.targets import TargetError, target_at
from kpitree.timeaxis import TimeAxis, TimeAxisError
from kpitree.tree import Correlation, TreeModel

T = TypeVar("T", bound=TreeModel)

TREE_KEYS = ("version", "name", "description", "kgi", "time", "nodes", "scenarios", "correlations",
             "sources")  # fmt: skip
NODE_KEYS = (
    "formula", "value", "initial", "label", "description", "unit", "owner", "target", "bounds",
    "benchmark", "alert", "indicator", "effort", "distribution", "direction", "aggregate",
    "measure", "calibrates", "seasonality",
)  # fmt: skip
TIME_KEYS = ("periods", "unit", "start", "fiscal_year_start", "timezone")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+(?:\.[0-9_]*)?")

MAX_NODES = 10_000
"""Nodes in a tree: far beyond any company's KPI tree, and reading 10,000 takes seconds."""
MAX_AGES = 10_000
"""Values in a curve by age: as many as the longest time axis has periods."""
MAX_TREE_BYTES = 16 * 2**20
"""Size of a tree file read (16 MiB): a 10,000-node tree with labels takes about 1 MiB."""


@overload
def load(path: str | Path) -> TreeModel: ...
@overload
def load(path: str | Path, *, tree_class: type[T]) -> T: ...
def load(path: str | Path, *, tree_class: type[TreeModel] = TreeModel) -> TreeModel:
    """Read and check the tree file at ``path``.

    ``tree_class`` is the class built (a :class:`~kpitree.tree.TreeModel` or a subclass:
    :func:`kpitree.load` builds the facade :class:`kpitree.Tree`).

    Raises
    ------
    SpecError
        When the file cannot be read or is not a valid tree (``FILE:LINE: message``); other
        :class:`~kpitree.errors.KpiTreeError` subclasses for formulas, cycles and values.
    """
    try:
        text = decode_text(read_regular_file(path, MAX_TREE_BYTES))
    except OSError as error:
        raise SpecError(
            f"cannot read the tree file: {error.strerror}", Location(str(path))
        ) from None
    except EncodingError as error:
        raise SpecError(f"the tree file {error}", Location(str(path))) from None
    return loads(text, source=str(path), tree_class=tree_class)


@overload
def loads(text: str, source: str = ...) -> TreeModel: ...
@overload
def loads(text: str, source: str = ..., *, tree_class: type[T]) -> T: ...
def loads(
    text: str, source: str = "<tree>", *, tree_class: type[TreeModel] = TreeModel
) -> TreeModel:
    """Read and check a tree from YAML ``text``; ``source`` names it in messages."""
    document = read_yaml(text, source, limits={("nodes",): MAX_NODES})
    return _TreeReader(document).tree(tree_class)


class _TreeReader:
    def __init__(self, document: Document) -> None:
        self.doc = document

    def tree(self, tree_class: type[TreeModel]) -> TreeModel:
        data = self.doc.data
        if not isinstance(data, dict):
            raise SpecError("a tree file is a mapping with name, kgi and nodes", self.doc.where())
        self.check_keys(data, TREE_KEYS, (), "tree")
        for key in ("name", "kgi", "nodes"):
            if key not in data:
                raise SpecError(f"missing key '{key}'", Location(self.doc.file, 1))
        version = data.get("version", 1)
        # `true == 1` and `1.0 == 1` in Python: only the whole number 1 is version 1.
        if type(version) is not int or version != 1:
            raise SpecError(
                f"unsupported version {_shown(version)} (this kpitree reads version 1)",
                self.doc.where("version"),
            )
        nodes_data = data["nodes"]
        if not isinstance(nodes_data, dict) or not nodes_data:
            raise SpecError(
                "'nodes' must be a mapping of node names to nodes", self.doc.where("nodes")
            )
        if len(nodes_data) > MAX_NODES:  # the YAML reader checks it first; a dict may come here
            raise SpecError(
                f"'nodes' has {len(nodes_data):,} entries, more than the {MAX_NODES:,} kpitree "
                "reads",
                self.doc.where("nodes"),
            )
        time = self.time(data["time"]) if data.get("time") is not None else None
        self.sources = (
            parse_sources(
                data["sources"], lambda *keys: self.doc.where("sources", *keys), self.doc.file
            )
            if data.get("sources") is not None
            else {}
        )
        # A curve by age is an input of value 1 (its scale) carrying its ages; {start,
        # growth} values and seasonality are written out as plain inputs and formulas.
        nodes_data, curves = self.curves(nodes_data)
        nodes_data = expand_growth(nodes_data, time, self.doc)
        nodes = [self.node(name, raw, time, curves.get(name)) for name, raw in nodes_data.items()]
        locations = {"kgi": self.doc.where("kgi")}
        scenarios = self.scenarios(data.get("scenarios"), locations)
        for key in ("name", "kgi"):
            if data[key] is None or str(data[key]).strip() == "":
                raise SpecError(f"'{key}' is empty", self.doc.where(key))
        return tree_class(
            str(self.text(data["name"], ("name",))),  # not None: checked just above
            str(self.text(data["kgi"], ("kgi",))),
            nodes,
            time=time,
            scenarios=scenarios,
            correlations=self.correlations(data.get("correlations")),
            description=self.text(data.get("description"), ("description",)),
            source=self.doc.file,
            locations=locations,
            sources=self.sources,
        )

    # -- pieces ------------------------------------------------------------------------------
    def check_keys(
        self, raw: Mapping[str, Any], allowed: tuple[str, ...], path: tuple, what: str
    ) -> None:
        for key in raw:
            if key not in allowed:
                formula = raw.get("formula")
                if (
                    isinstance(formula, str)
                    and raw[key] is None
                    and formula.count("(") > formula.count(")")
                ):
                    # {formula: if(a > 0, a, 0)} is cut by YAML at each comma of the braces
                    # into the formula 'if(a > 0' and keys 'a', '0)' without values.
                    pieces = [formula]
                    for other, value in raw.items():
                        if other not in allowed and value is None:
                            pieces.append(other)
                    raise SpecError(
                        f"{what}: formula '{excerpt(formula)}' is cut at a comma: inside {{...}} "
                        "put a formula with commas in quotes, "
                        f"{{formula: '{excerpt(', '.join(pieces))}'}}, or write it on its own line",
                        self.doc.where(*path, key),
                    )
                raise SpecError(
                    f"unknown key '{excerpt(key)}' in {what}{did_you_mean(key, allowed)}"
                    f" (allowed: {', '.join(allowed)})",
                    self.doc.where(*path, key),
                )

    def time(self, raw: Any) -> TimeAxis:
        if not isinstance(raw, dict):
            raise SpecError(
                "'time' must be a mapping like {periods: 12, unit: month}", self.doc.where("time")
            )
        self.check_keys(raw, TIME_KEYS, ("time",), "time")
        if "periods" not in raw:
            raise SpecError("'time' needs 'periods'", self.doc.where("time"))
        start = raw.get("start")
        if isinstance(start, dt.date):
            start = start.isoformat()
        date = _DATE.fullmatch(start) if isinstance(start, str) else None
        if date is not None:
            try:
                dt.date(*(int(part) for part in date.groups()))
            except ValueError as error:  # 2027-13-45, 2027-02-30
                raise SpecError(
                    f"time: start '{start}' is not a date: {error}", self.doc.where("time", "start")
                ) from None
        # TimeAxis quotes what it refuses: keep a 100,000-character unit out of the message.
        for key, what in (
            ("periods", "a number of periods"),
            ("unit", "a unit"),
            ("start", "a date"),
            ("timezone", "a time zone"),
        ):
            if isinstance(raw.get(key), str) and len(raw[key]) > 40:
                raise SpecError(
                    f"time: {key} '{excerpt(raw[key])}' is not {what}", self.doc.where("time", key)
                )
        try:
            return TimeAxis(
                raw["periods"],
                raw.get("unit", "month"),
                None if start is None else str(start),
                raw.get("fiscal_year_start", 1),
                raw.get("timezone", "UTC"),
            )
        except TimeAxisError as error:
            raise SpecError(f"time: {error}", self.doc.where("time")) from None

    def curves(self, nodes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[float, ...]]]:
        """``nodes`` with each ``value: {ages: [...]}`` replaced by the scale 1, and the ages
        by node name (read by :mod:`kpitree.formula`)."""
        result: dict[str, Any] = {}
        curves: dict[str, tuple[float, ...]] = {}
        for name, raw in nodes.items():
            value = raw.get("value") if isinstance(raw, dict) else None
            if not (isinstance(value, dict) and "ages" in value):
                result[name] = raw
                continue
            path = ("nodes", name, "value")
            if set(value) != {"ages"}:
                raise SpecError(
                    f"node '{excerpt(str(name))}': a curve by age is {{ages: [1, 0.62, 0.48]}}, "
                    f"found keys {', '.join(sorted(map(str, value)))}",
                    self.doc.where(*path),
                )
            ages = value["ages"]
            if not isinstance(ages, list) or not ages or len(ages) > MAX_AGES:
                found = f"{len(ages)} values" if isinstance(ages, list) else _shown(ages)
                raise SpecError(
                    f"node '{excerpt(str(name))}': ages must be a list of 1 to {MAX_AGES:,} "
                    f"numbers (one per age 0, 1, ...), found {found}",
                    self.doc.where(*path, "ages"),
                )
            if raw.get("seasonality") is not None:
                raise SpecError(
                    f"node '{excerpt(str(name))}': a curve by age takes no seasonality",
                    self.doc.where("nodes", name, "seasonality"),
                )
            curves[str(name)] = tuple(
                self.number(v, (*path, "ages", i), str(name), f"age {i}")
                for i, v in enumerate(ages)
            )
            result[name] = {**raw, "value": 1.0}
        return result, curves

    def node(
        self, name: str, raw: Any, time: TimeAxis | None, ages: tuple[float, ...] | None = None
    ) -> Node:
        path = ("nodes", name)
        where = self.doc.where(*path)
        # Node checks its name too; checked here first so a bad name is what is reported.
        check_name(name, where)
        if not isinstance(raw, dict):
            raise SpecError(f"node '{name}' must be a mapping with 'value' or 'formula'", where)
        self.check_keys(raw, NODE_KEYS, path, f"node '{name}'")
        if ("value" in raw) == ("formula" in raw):
            found = "both" if "value" in raw else "neither"
            raise SpecError(
                f"node '{name}' needs exactly one of 'value' or 'formula', found {found}", where
            )
        formula = raw.get("formula")
        if formula is not None and not isinstance(formula, str):
            formula = self.number(formula, (*path, "formula"), name, "formula")
            formula = repr(formula)
        value: Any = None
        if "value" in raw:
            value = raw["value"]
            if isinstance(value, list):
                value = tuple(
                    self.number(v, (*path, "value", i), name, "value") for i, v in enumerate(value)
                )
            else:
                value = self.number(value, (*path, "value"), name, "value")
        fields: dict[str, Any] = {
            key: self.text(raw.get(key), (*path, key))
            for key in ("label", "description", "unit", "owner")
        }
        if raw.get("target") is not None:
            fields.update(self.targets(raw["target"], (*path, "target"), name, time))
        for key in ("initial", "effort"):
            if raw.get(key) is not None:
                fields[key] = self.number(raw[key], (*path, key), name, key)
        if raw.get("bounds") is not None:
            fields["bounds"] = self.pair(raw["bounds"], (*path, "bounds"), name, "bounds")
        if raw.get("benchmark") is not None:
            benchmark = raw["benchmark"]
            if isinstance(benchmark, list):
                fields["benchmark"] = self.pair(benchmark, (*path, "benchmark"), name, "benchmark")
            else:
                number = self.number(benchmark, (*path, "benchmark"), name, "benchmark")
                fields["benchmark"] = (number, number)
        if raw.get("alert") is not None:
            fields["alert"] = self.alert(raw["alert"], (*path, "alert"), name)
        if raw.get("indicator") is not None:
            fields["indicator"] = raw["indicator"]
        if raw.get("direction") is not None:
            fields["direction"] = self.text(raw["direction"], (*path, "direction"))
        if raw.get("aggregate") is not None:
            fields["aggregate"] = raw["aggregate"]
        if raw.get("calibrates") is not None:
            fields["calibrates"] = self.text(raw["calibrates"], (*path, "calibrates"))
        if raw.get("distribution") is not None:
            fields["distribution"] = self.distribution(
                raw["distribution"], (*path, "distribution"), name
            )
        if raw.get("measure") is not None:
            fields["measure"] = parse_measure(
                raw["measure"],
                name,
                lambda *keys: self.doc.where(*path, "measure", *keys),
                self.sources,
            )
        if ages is not None:
            fields["ages"] = ages
        try:
            return Node(name, formula=formula, value=value, location=where, **fields)
        except KpiTreeError as error:
            # The node checks itself; for a rule on one key the reader points at that key's
            # line (rules on several keys, as a distribution within bounds, at the node's).
            if error.key in _KEY_LINE and error.key in raw:
                raise error.at(self.doc.where(*path, error.key)) from None
            raise

    def targets(self, raw: Any, path: tuple, node: str, time: TimeAxis | None) -> dict[str, Any]:
        """``target``: one number (the last period), a list (one per period, ``null`` for
        none) or a mapping of period labels to numbers; see :mod:`kpitree.targets`."""
        if not isinstance(raw, list | dict):
            return {"target": self.number(raw, path, node, "target")}
        if time is None:
            raise SpecError(
                f"node '{node}': targets by period need a timed tree (a 'time:' block); give "
                "one number",
                self.doc.where(*path),
            )
        if isinstance(raw, list):
            if len(raw) != time.periods:
                raise SpecError(
                    f"node '{node}': expected {time.periods} targets (one per period, null for "
                    f"none), found {len(raw)}",
                    self.doc.where(*path),
                )
            pairs = tuple(
                (label, self.number(v, (*path, i), node, "target"))
                for i, (label, v) in enumerate(zip(time.labels, raw, strict=True))
                if v is not None
            )
        else:
            pairs = tuple(
                (
                    key.isoformat() if isinstance(key, dt.date) else str(key),
                    self.number(v, (*path, key), node, "target"),
                )
                for key, v in raw.items()
            )
        try:
            final = target_at(Node(node, value=0.0, targets=pairs), time, time.periods - 1)
        except TargetError as error:
            raise SpecError(f"node '{node}': {error}", self.doc.where(*path)) from None
        return {"targets": pairs, "target": None if final is None else final.value}

    def scenarios(self, raw: Any, locations: dict[str, Location]) -> dict[str, dict[str, Any]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise SpecError(
                "'scenarios' must map scenario names to {input: value}", self.doc.where("scenarios")
            )
        scenarios = {}
        for scenario, values in raw.items():
            if not isinstance(values, dict):
                raise SpecError(
                    f"scenario '{excerpt(scenario)}' must map input names to values",
                    self.doc.where("scenarios", scenario),
                )
            locations[f"scenarios.{scenario}"] = self.doc.where("scenarios", scenario)
            scenarios[str(scenario)] = {
                name: self.scenario_value(value, ("scenarios", scenario, name), str(scenario))
                for name, value in values.items()
            }
        return scenarios

    def scenario_value(self, raw: Any, path: tuple, scenario: str) -> Any:
        """A scenario's value with text such as ``12%`` read as a number (the rest is checked
        by the tree)."""
        if isinstance(raw, list):
            return [self.scenario_value(v, (*path, i), scenario) for i, v in enumerate(raw)]
        if isinstance(raw, str):
            return self.number(raw, path, f"{path[-1]}' in scenario '{scenario}", "value")
        return raw

    def correlations(self, raw: Any) -> list[Correlation]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise SpecError(
                "'correlations' must be a list of [input, input, rho]",
                self.doc.where("correlations"),
            )
        result = []
        for index, item in enumerate(raw):
            where = self.doc.where("correlations", index)
            if (
                not isinstance(item, list)
                or len(item) != 3
                or not all(isinstance(name, str) for name in item[:2])
            ):
                raise SpecError(
                    f"a correlation is [input, input, rho], found {_shown(item)}", where
                )
            rho = self.number(item[2], ("correlations", index), "correlation", "rho")
            result.append(Correlation(item[0], item[1], rho, where))
        return result

    # -- scalars -----------------------------------------------------------------------------
    def text(self, raw: Any, path: tuple) -> str | None:
        if raw is None:
            return None
        if isinstance(raw, dict | list):
            raise SpecError(
                f"'{path[-1]}' must be text, found {type(raw).__name__}", self.doc.where(*path)
            )
        return str(raw)

    def number(self, raw: Any, path: tuple, node: str, key: str) -> float:
        if isinstance(raw, str) and _LEADING_ZERO.fullmatch(raw.strip()):
            # YAML 1.1 reads 010 as octal 8; a person may mean 10: refuse rather than guess.
            raise SpecError(
                f"node '{node}': {key} must be a number, found {_shown(raw)} (a number does not "
                "start with 0: write it without the leading zero)",
                self.doc.where(*path),
                node=node,
                key=key,
            )
        if isinstance(raw, str):
            # 12%, 1,200 and ▲5 read as in a CSV of actuals and in --set.
            try:
                parsed = parse_cell(raw)
            except CharacterError as error:
                raise SpecError(
                    f"node '{node}': {key}: {error}", self.doc.where(*path), node=node, key=key
                ) from None
            except ValueError:
                parsed = None
            if parsed is None:
                # The hint helps someone who typed a number oddly, not someone who pasted text.
                hint = " (12%, 1,200 and 1.2e6 are read)" if len(raw) <= 40 else ""
                raise SpecError(
                    f"node '{node}': {key} must be a number, found {_shown(raw)}{hint}",
                    self.doc.where(*path),
                    node=node,
                    key=key,
                )
            return parsed
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise SpecError(
                f"node '{node}': {key} must be a number, found {_shown(raw)}",
                self.doc.where(*path),
                node=node,
                key=key,
            )
        try:
            number = float(raw)
        except OverflowError:  # an int with hundreds of digits
            number = math.inf
        if not math.isfinite(number):
            found = raw if isinstance(raw, float) else f"a number of {len(str(raw))} digits"
            raise SpecError(
                f"node '{node}': {key} must be finite (at most about 1.8e308), found {found}",
                self.doc.where(*path),
                node=node,
                key=key,
            )
        return number

    def pair(self, raw: Any, path: tuple, node: str, key: str) -> tuple[float | None, float | None]:
        if not isinstance(raw, list) or len(raw) != 2:
            raise SpecError(
                f"node '{node}': {key} must be [low, high], found {_shown(raw)}",
                self.doc.where(*path),
            )
        low, high = (
            None if v is None else self.number(v, (*path, i), node, key) for i, v in enumerate(raw)
        )
        return low, high

    def alert(self, raw: Any, path: tuple, node: str) -> Alert:
        if not isinstance(raw, dict) or not raw or set(raw) - {"below", "above"}:
            raise SpecError(
                f"node '{node}': alert must be {{below: x}} and/or {{above: x}}, "
                f"found {_shown(raw)}",
                self.doc.where(*path),
            )
        below, above = (
            self.number(raw[side], (*path, side), node, f"alert {side}") if side in raw else None
            for side in ("below", "above")
        )
        try:
            return Alert(below=below, above=above)
        except KpiTreeError as error:  # the alert checks itself; the reader adds node and line
            raise SpecError(
                f"node '{node}': {error.message}", self.doc.where(*path), node=node, key="alert"
            ) from None

    def distribution(self, raw: Any, path: tuple, node: str) -> Distribution:
        if not isinstance(raw, dict):
            raise SpecError(
                f"node '{node}': distribution must be a mapping like "
                "{dist: beta, mean: 0.2, sd: 0.05}",
                self.doc.where(*path),
            )
        kind = raw.get("dist")
        if kind is not None and not isinstance(kind, str):
            raise SpecError(
                f"node '{node}': dist must be the name of a distribution (normal, beta, ...), "
                f"found {_shown(kind)}",
                self.doc.where(*path, "dist"),
            )
        try:
            return Distribution.from_mapping(raw)
        except DistributionError as error:
            raise SpecError(f"node '{node}': {error}", self.doc.where(*path)) from None


_KEY_LINE = ("effort", "indicator", "bounds", "benchmark")
"""Keys whose node check is reported at the key's own line."""


def _shown(raw: Any) -> str:
    """A found value for a message: its repr, cut short."""
    text = repr(raw)
    return text if len(text) <= 60 else f"{text[:57]}..."
