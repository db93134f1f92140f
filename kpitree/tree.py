"""The KPI tree: checked nodes, their formulas as sympy expressions, and the graph between them.

``Tree`` is format-neutral: it is built from :class:`~kpitree.node.Node` objects (the YAML reader
in :mod:`kpitree.spec` is one way to make them) and checks everything that involves more than
one node: names, cycles, prev() and its ``initial``, bounds, scenarios and correlations.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Self

import networkx as nx
import numpy as np
import sympy

from kpitree.actuals import parse_cell
from kpitree.engine import Engine
from kpitree.errors import (
    CycleError,
    DataError,
    FormulaError,
    KpiTreeError,
    Location,
    SpecError,
    UnknownNodeError,
    did_you_mean,
)
from kpitree.evaluation import Evaluation, evaluate
from kpitree.excerpt import excerpt
from kpitree.formula import Formula, month_of_period, node_symbol, parse_formula
from kpitree.node import Node, Value
from kpitree.timeaxis import TimeAxis

Overrides = Mapping[str, Value | Sequence[float]]


@dataclass(frozen=True)
class Correlation:
    """Rank correlation ``rho`` between two uncertain inputs."""

    first: str
    second: str
    rho: float
    location: Location | None = None


class TreeModel:
    """A checked KPI tree: the model, without analyses.

    The analyses in :mod:`kpitree.analysis` take a model; :class:`kpitree.Tree` (the facade,
    :mod:`kpitree.facade`) is a model with each analysis as a method, and what
    :func:`kpitree.load` returns. This module never imports an analysis.

    Parameters
    ----------
    name : str
        The tree's name.
    kgi : str
        The name of the goal node.
    nodes : Sequence[Node]
        Every node, in the order they should be shown.
    time : TimeAxis, optional
        Makes the tree timed: values per period, prev() and delay() allowed.
    scenarios : Mapping[str, Mapping[str, Value]], optional
        Named sets of input values that replace the nodes' own.
    correlations : Sequence[Correlation], optional
        Rank correlations between inputs that have a distribution.
    description : str, optional
    source : str, optional
        The file the tree was read from, for messages.
    locations : Mapping[str, Location], optional
        Where each scenario (``"scenarios.NAME"``) and the kgi (``"kgi"``) were given.

    Raises
    ------
    KpiTreeError
        A subclass naming the node and, when read from a file, its line.
    """

    def __init__(
        self,
        name: str,
        kgi: str,
        nodes: Sequence[Node],
        *,
        time: TimeAxis | None = None,
        scenarios: Mapping[str, Mapping[str, Value]] | None = None,
        correlations: Sequence[Correlation] = (),
        description: str | None = None,
        source: str | None = None,
        locations: Mapping[str, Location] | None = None,
        sources: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        # Record data the nodes' `measure:` read (kpitree.measurement.spec.Source by name).
        self.sources = dict(sources or {})
        self.description = description
        self.time = time
        self.source = source
        self._locations = dict(locations or {})
        self.nodes: dict[str, Node] = {}
        folded: dict[str, str] = {}
        for node in nodes:
            if node.name in self.nodes:
                raise SpecError(
                    f"node '{node.name}' is defined twice", node.location, node=node.name
                )
            # ARR and arr would be two nodes that people (and spreadsheet headers) confuse.
            other = folded.setdefault(node.name.casefold(), node.name)
            if other != node.name:
                raise SpecError(
                    f"node '{node.name}' differs from node '{other}' only in case: give them "
                    "names that differ in letters",
                    node.location,
                    node=node.name,
                )
            if not node.is_input and (node.distribution is not None or node.effort is not None):
                key = "distribution" if node.distribution is not None else "effort"
                raise SpecError(
                    f"node '{node.name}' has a formula, so its {key} would never be used: a "
                    f"{key} belongs on an input (a node with a value)",
                    node.location,
                    node=node.name,
                    key=key,
                )
            self.nodes[node.name] = node
        if kgi not in self.nodes:
            raise UnknownNodeError(
                f"kgi '{kgi}' is not a node{did_you_mean(kgi, self.nodes)}",
                self._locations.get("kgi"),
            )
        self.kgi = kgi
        self.formulas: dict[str, Formula] = {
            node.name: self._parse(node) for node in self.nodes.values() if not node.is_input
        }
        self.graph = self._build_graph()
        self._check_cycles()
        for node in self.nodes.values():
            if node.is_input:
                self._check_value(node.name, node.value, node.location)
        self.scenarios: dict[str, dict[str, Value]] = {
            scenario: self._check_values(values, self._locations.get(f"scenarios.{scenario}"))
            for scenario, values in (scenarios or {}).items()
        }
        self.correlations = tuple(correlations)
        self._check_correlations()

    # -- structure -------------------------------------------------------------------------
    @property
    def is_timed(self) -> bool:
        """True when the tree has a time axis."""
        return self.time is not None

    @property
    def kgi_sign(self) -> int:
        """+1 when a higher KGI is better (revenue, the default), -1 when lower is (CAC)."""
        return -1 if self.nodes[self.kgi].direction == "lower" else 1

    @property
    def period_count(self) -> int:
        """The number of periods: ``time.periods`` for a timed tree, 1 for a static one (the
        engine evaluates a static tree as one period)."""
        return self.time.periods if self.time is not None else 1

    @property
    def periods(self) -> tuple[str, ...] | None:
        """The period labels of a timed tree, ``None`` for a static one."""
        return self.time.labels if self.time is not None else None

    @property
    def inputs(self) -> list[str]:
        """Names of the input nodes, in file order."""
        return [name for name, node in self.nodes.items() if node.is_input]

    @property
    def derived(self) -> list[str]:
        """Names of the derived nodes, in file order."""
        return [name for name, node in self.nodes.items() if not node.is_input]

    def node(self, name: str) -> Node:
        """The node called ``name``.

        Raises
        ------
        UnknownNodeError
            With the closest name when there is no such node.
        """
        if name not in self.nodes:
            raise UnknownNodeError(
                f"no node '{name}' in tree '{self.name}'{did_you_mean(name, self.nodes)}"
            )
        return self.nodes[name]

    def symbol(self, name: str) -> sympy.Symbol:
        """The sympy symbol of node ``name`` (as used in :attr:`formulas`)."""
        self.node(name)
        return node_symbol(name)

    def order(self) -> list[str]:
        """All nodes in an order where every node comes after what it reads in the same
        period (file order breaks ties)."""
        position = {name: index for index, name in enumerate(self.nodes)}
        same_period = nx.DiGraph()
        same_period.add_nodes_from(self.nodes)
        same_period.add_edges_from((u, v) for u, v, lag in self.graph.edges(data="lag") if lag == 0)
        return list(nx.lexicographical_topological_sort(same_period, key=position.__getitem__))

    def upstream(self, name: str) -> set[str]:
        """Every node that ``name`` depends on, in any period (not including itself unless it
        reads its own past)."""
        self.node(name)
        ancestors: set[str] = nx.ancestors(self.graph, name)
        return ancestors

    def inputs_of(self, name: str) -> list[str]:
        """The inputs that node ``name`` depends on, in file order."""
        ancestors = self.upstream(name) | {name}
        return [node for node in self.inputs if node in ancestors]

    def expression(self, name: str) -> sympy.Expr:
        """Node ``name`` as one sympy expression of the inputs (same-period reads substituted;
        in a timed tree, reads of earlier periods stay as lag symbols)."""
        expressions: dict[str, sympy.Expr] = {}
        for node in self.order():
            if self.nodes[node].is_input:
                expressions[node] = node_symbol(node)
            else:
                formula = self.formulas[node]
                expressions[node] = formula.expr.xreplace(
                    {node_symbol(dep): expressions[dep] for dep in formula.names}
                )
            if node == name:
                return expressions[node]
        raise UnknownNodeError(f"no node '{name}'{did_you_mean(name, self.nodes)}")

    # -- values ----------------------------------------------------------------------------
    def input_values(
        self, overrides: Overrides | None = None, scenario: str | None = None
    ) -> dict[str, Value]:
        """The value of every input: the node's own, then the scenario's, then ``overrides``.

        Raises
        ------
        DataError
            For an unknown scenario, a name that is not an input, a value of the wrong shape
            or outside the input's bounds.
        """
        # Every input has a value: Node refuses neither, _check_value refuses None.
        values: dict[str, Value] = {
            name: node.value
            for name, node in self.nodes.items()
            if node.is_input and node.value is not None
        }
        if scenario is not None:
            if scenario not in self.scenarios:
                known = ", ".join(self.scenarios) or "none"
                raise DataError(
                    f"no scenario '{scenario}'{did_you_mean(scenario, self.scenarios)}"
                    f" (scenarios: {known})"
                )
            values.update(self.scenarios[scenario])
        if overrides:
            # No location: an override comes from the caller (--set), not from the file.
            values.update(self._check_values(overrides, None, in_file=False))
        for name, value in values.items():
            if isinstance(value, tuple) and self.nodes[name].ages is not None:
                raise DataError(
                    f"node '{name}' is a curve by age: a list of ages makes a new curve, which "
                    f"takes a tree of its own: tree.with_curves({{'{name}': [...]}}) (the command "
                    "line's --set and --scenario do it, attribute --plan/--to cannot); a number "
                    "scales the curve",
                    node=name,
                    key="value",
                )
        return values

    def with_curves(
        self, curves: Mapping[str, Sequence[float]], scenario: str | None = None
    ) -> Self:
        """This tree with new curves by age (``value: {ages: [...]}``), and with those a
        scenario sets.

        Parameters
        ----------
        curves : mapping
            Node name -> its new values by age 0, 1, ... (ages past the list read 0).
        scenario : str, optional
            A scenario whose lists of ages are applied too (before ``curves``) and then
            dropped from it, so ``input_values(scenario=...)`` of the result reads numbers only.

        Returns
        -------
        TreeModel
            A new tree of the same class; this one is unchanged.

        Raises
        ------
        DataError
            For a name that is not a curve by age, or a value that is not a list of numbers
            >= 0.
        """
        scenarios = {key: dict(values) for key, values in self.scenarios.items()}
        wanted: dict[str, tuple[float, ...]] = {}
        if scenario is not None:
            if scenario not in self.scenarios:
                self.input_values(scenario=scenario)  # raises, naming the scenarios there are
            for name, value in self.scenarios[scenario].items():
                if isinstance(value, tuple) and self.nodes[name].ages is not None:
                    wanted[name] = value
                    del scenarios[scenario][name]
        for name, ages in curves.items():
            found = self.nodes.get(name)
            if found is None or found.ages is None:
                raise DataError(
                    f"'{name}' is not a curve by age (an input with value: {{ages: [...]}})",
                    node=name,
                )
            checked = self._check_value(name, list(ages), None, in_file=False)
            wanted[name] = checked if isinstance(checked, tuple) else (checked,)
        nodes = []
        for node in self.nodes.values():
            if node.name in wanted:
                try:
                    node = dataclasses.replace(node, ages=wanted[node.name])
                except SpecError as error:
                    raise DataError(error.message, node=node.name, key="value") from None
            nodes.append(node)
        return type(self)(
            self.name,
            self.kgi,
            nodes,
            time=self.time,
            scenarios=scenarios,
            correlations=self.correlations,
            description=self.description,
            source=self.source,
            locations=self._locations,
            sources=self.sources,
        )

    def evaluate(
        self, overrides: Overrides | None = None, scenario: str | None = None
    ) -> Evaluation:
        """Evaluate every node.

        Parameters
        ----------
        overrides : mapping, optional
            Input values that replace the tree's (a number, or one per period).
        scenario : str, optional
            A scenario of the tree whose values replace the inputs' own.

        Returns
        -------
        Evaluation
            Per-node values; ``.to_frame()`` gives a table.
        """
        return evaluate(self, overrides=overrides, scenario=scenario)

    @cached_property
    def engine(self) -> Engine:
        """The compiled, vectorised evaluator of this tree (built on first use)."""
        return Engine(self)

    # -- checks ----------------------------------------------------------------------------
    def _bounds_of(self, name: str) -> tuple[float | None, float | None] | None:
        return self.nodes[name].bounds if name in self.nodes else None

    def _ages_of(self, name: str) -> tuple[float, ...] | None:
        return self.nodes[name].ages if name in self.nodes else None

    def _parse(self, node: Node) -> Formula:
        try:
            formula = parse_formula(
                node.formula or "",
                month_of_period(self.time),
                self._bounds_of,
                self.time.periods if self.time is not None else None,
                self._ages_of,
            )
        except FormulaError as error:
            shown = excerpt(node.formula or "")
            raise FormulaError(
                f"node '{node.name}': formula '{shown}': {error.message}",
                node.location,
                node=node.name,
                key="formula",
            ) from None
        for dependency in sorted(formula.names | {lag.node for lag in formula.lags}):
            if dependency not in self.nodes:
                raise UnknownNodeError(
                    f"node '{node.name}': formula reads '{dependency}', which is not a node"
                    f"{did_you_mean(dependency, self.nodes)}",
                    node.location,
                    node=node.name,
                    key="formula",
                )
        if not self.is_timed and (formula.lags or formula.uses_time):
            what = "t" if formula.uses_time and not formula.lags else "prev()/delay()"
            raise FormulaError(
                f"node '{node.name}': {what} needs a timed tree (add time: {{periods: N}})",
                node.location,
                node=node.name,
                key="formula",
            )
        for lag in formula.lags:
            if lag.default is None and self.nodes[lag.node].initial is None:
                raise SpecError(
                    f"node '{node.name}': prev({lag.node}) needs an 'initial' value on node "
                    f"'{lag.node}' (its value before period 1)",
                    self.nodes[lag.node].location or node.location,
                    node=lag.node,
                    key="initial",
                )
        return formula

    def _build_graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        for name, node in self.nodes.items():
            graph.add_node(name, node=node)
        for name, formula in self.formulas.items():
            for dependency in formula.names:
                graph.add_edge(dependency, name, lag=0)
            for lag in formula.lags:
                if not graph.has_edge(lag.node, name):
                    graph.add_edge(lag.node, name, lag=lag.periods)
                # A cohort reads its flow this period and earlier ones: the edge's lag (0) is
                # what orders the evaluation, reads_back tells the diagram it looks back.
                edge = graph.edges[lag.node, name]
                earliest = edge.get("reads_back", 0)
                edge["reads_back"] = min(earliest, lag.periods) if earliest else lag.periods
        return graph

    def _check_cycles(self) -> None:
        same_period = nx.DiGraph((u, v) for u, v, lag in self.graph.edges(data="lag") if lag == 0)
        # find_cycle walks again from every node (minutes at 5,000 nodes); a topological sort
        # answers in linear time, and find_cycle runs only to name a cycle that exists.
        if nx.is_directed_acyclic_graph(same_period):
            return
        try:
            cycle = nx.find_cycle(same_period)
        except nx.NetworkXNoCycle:
            return
        path = [edge[0] for edge in cycle] + [cycle[0][0]]
        first = self.nodes[path[0]]
        hint = " (use prev() to read the previous period)" if self.is_timed else ""
        raise CycleError(f"cycle: {' -> '.join(path)}{hint}", first.location)

    def _check_values(
        self, values: Overrides, location: Location | None, in_file: bool = True
    ) -> dict[str, Value]:
        checked: dict[str, Value] = {}
        for name, value in values.items():
            if name not in self.nodes:
                raise DataError(
                    f"'{name}' is not a node{did_you_mean(name, self.inputs)}", location
                )
            if not self.nodes[name].is_input:
                raise DataError(
                    f"node '{name}' is derived (has a formula); only inputs take values",
                    location,
                    node=name,
                )
            checked[name] = self._check_value(name, value, location, in_file)
        return checked

    def _check_value(
        self, name: str, value: Any, location: Location | None, in_file: bool = True
    ) -> Value:
        node = self.nodes[name]
        where = location or (node.location if in_file else None)
        checked: Value
        if node.ages is not None and isinstance(value, list | tuple | np.ndarray):
            # A list on a curve by age is a new curve (one value per age), not periods.
            ages = tuple(_number(name, item, where) for item in value)
            if not ages or min(ages) < 0:
                found = "no values" if not ages else f"{min(ages):g}"
                raise DataError(
                    f"node '{name}': a curve by age takes one or more values >= 0, found {found}",
                    where,
                    node=name,
                    key="value",
                )
            return ages
        if isinstance(value, list | tuple | np.ndarray):
            periods = self.time.periods if self.time is not None else None
            if periods is None:
                raise DataError(
                    f"node '{name}': a list of values needs a timed tree, "
                    f"found {len(value)} values",
                    where,
                    node=name,
                    key="value",
                )
            if len(value) != periods:
                raise DataError(
                    f"node '{name}': expected {periods} values (one per period), "
                    f"found {len(value)}",
                    where,
                    node=name,
                    key="value",
                )
            checked = tuple(_number(name, item, where) for item in value)
            numbers = checked
        else:
            checked = _number(name, value, where)
            numbers = (checked,)
        for number in numbers:
            if not node.within_bounds(number):
                raise DataError(
                    f"node '{name}': value {number:g} is outside bounds {node.describe_bounds()}",
                    where,
                    node=name,
                    key="value",
                )
        return checked

    def _check_correlations(self) -> None:
        if not self.correlations:
            return
        for correlation in self.correlations:
            for name in (correlation.first, correlation.second):
                if name not in self.nodes:
                    raise SpecError(
                        f"correlation names '{name}', which is not a node"
                        f"{did_you_mean(name, self.nodes)}",
                        correlation.location,
                    )
                if self.nodes[name].distribution is None:
                    raise SpecError(
                        f"correlation names '{name}', which has no distribution",
                        correlation.location,
                    )
            if correlation.first == correlation.second:
                raise SpecError(
                    f"correlation of '{correlation.first}' with itself", correlation.location
                )
            if not -1 <= correlation.rho <= 1:
                raise SpecError(
                    f"correlation {correlation.rho:g} between '{correlation.first}' and "
                    f"'{correlation.second}' is outside [-1, 1]",
                    correlation.location,
                )
        names, matrix = self.correlation_matrix()
        smallest = float(np.linalg.eigvalsh(matrix).min())
        if smallest < -1e-10:
            raise SpecError(
                f"the correlations between {', '.join(names)} are not consistent (the matrix is "
                f"not positive semi-definite: smallest eigenvalue {smallest:.3g})",
                self.correlations[0].location,
            )

    def correlation_matrix(self) -> tuple[list[str], np.ndarray]:
        """The inputs named in correlations and their correlation matrix (identity elsewhere)."""
        names: list[str] = []
        for correlation in self.correlations:
            for name in (correlation.first, correlation.second):
                if name not in names:
                    names.append(name)
        matrix = np.eye(len(names))
        for correlation in self.correlations:
            i, j = names.index(correlation.first), names.index(correlation.second)
            matrix[i, j] = matrix[j, i] = correlation.rho
        return names, matrix

    def __repr__(self) -> str:
        timed = f", {self.time.periods} {self.time.unit}s" if self.time else ""
        return f"Tree({self.name!r}, kgi={self.kgi!r}, {len(self.nodes)} nodes{timed})"


def _number(name: str, value: Any, where: Location | None) -> float:
    if isinstance(value, str):  # "12%", "1,200": read as in a CSV of actuals
        try:
            value = parse_cell(value)
        except ValueError:
            raise DataError(
                f"node '{name}': value must be a number, found {value!r}",
                where,
                node=name,
                key="value",
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise DataError(
            f"node '{name}': value must be a number, found {value!r}", where, node=name, key="value"
        )
    try:
        number = float(value)
    except OverflowError:  # an int beyond a float's range
        number = math.inf
    if not math.isfinite(number):
        found = number if isinstance(value, float | np.floating) else "a number too large"
        raise DataError(
            f"node '{name}': value must be finite (at most about 1.8e308), found {found}",
            where,
            node=name,
            key="value",
        )
    return number


Tree = TreeModel
"""The model under its former name, which the analyses' annotations use; ``kpitree.Tree`` is
the facade (:class:`kpitree.facade.Tree`), which adds the analyses as methods."""

__all__ = ["Correlation", "KpiTreeError", "Tree", "TreeModel"]
