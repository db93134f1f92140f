"""The compiled evaluator: every formula lambdified to numpy, vectorised over samples and
periods.

Values are 2-D arrays ``(samples, periods)`` in which either axis may have length 1 and
broadcast: an input fixed for every sample stays one row, a constant stays one cell, so a
Monte Carlo run pays only for what actually varies. A static tree is a tree of one period.

Nodes are evaluated one strongly connected component of the dependency graph at a time (edges
that read earlier periods included). A component of one node that does not read its own past
is evaluated for all periods in one vectorised call; a component that feeds back on itself
through prev()/delay() (an MRR balance, a customer count) steps through the periods.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import sympy
from numpy.typing import ArrayLike
from sympy.printing.numpy import NumPyPrinter

from kpitree.codegen import compile_functions
from kpitree.errors import DataError, EvaluationError, did_you_mean
from kpitree.formula import TIME, Lag, node_symbol
from kpitree.intermediate import Guard

if TYPE_CHECKING:
    from kpitree.tree import Tree


class _Printer(NumPyPrinter):
    """The numpy printer with the changes the engine and the derivatives need.

    - numpy's amin/amax of a tuple cannot mix array shapes: nest minimum/maximum instead.
    - Heaviside (the derivative of min, max and clip) prints as ``numpy.heaviside``: sympy's
      own printer rewrites it through Piecewise and simplify_logic, seconds per node and a
      broken ``numpy.select`` beyond four arguments.
    - Integers and rationals print as float64 literals (correctly rounded): a large
      integer reaching numpy as a Python int makes an object array (or fails in a ufunc such
      as log), and a constant result (a derivative of 1) is then a float64 too.
    """

    def __init__(
        self, settings: dict[str, Any], names: Mapping[sympy.Symbol, str] | None = None
    ) -> None:
        super().__init__(settings)
        self._names = dict(names or {})

    def _print_Symbol(self, expr: sympy.Symbol) -> str:  # noqa: N802 - sympy's printer protocol
        if expr in self._names:
            return self._names[expr]
        return super()._print_Symbol(expr)

    def _nested(self, function: str, args: tuple[sympy.Expr, ...]) -> str:
        name = self._module_format(f"numpy.{function}")
        code = self._print(args[0])
        for arg in args[1:]:
            code = f"{name}({code}, {self._print(arg)})"
        return code

    def _print_Min(self, expr: sympy.Min) -> str:  # noqa: N802 - sympy's printer protocol
        return self._nested("minimum", expr.args)

    def _print_Max(self, expr: sympy.Max) -> str:  # noqa: N802 - sympy's printer protocol
        return self._nested("maximum", expr.args)

    def _print_Heaviside(self, expr: sympy.Heaviside) -> str:  # noqa: N802 - printer protocol
        # The value at 0 is sympy's own (1/2 unless the expression says otherwise), so the
        # compiled derivative at a tie equals sympy's exact one.
        at_zero = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
        name = self._module_format("numpy.heaviside")
        return f"{name}({self._print(expr.args[0])}, {self._float(at_zero)})"

    def _print_Integer(self, expr: sympy.Integer) -> str:  # noqa: N802 - printer protocol
        return self._float(expr)

    def _print_Rational(self, expr: sympy.Rational) -> str:  # noqa: N802 - printer protocol
        return self._float(expr)

    def _print_Half(self, expr: sympy.Rational) -> str:  # noqa: N802 - printer protocol
        return self._float(expr)

    def _float(self, number: sympy.Expr) -> str:
        """``number`` as a float64 literal, correctly rounded; beyond float64's range, inf."""
        value = float(number)
        if math.isfinite(value):
            return repr(value)
        if math.isnan(value):
            return self._module_format("numpy.nan")
        return ("-" if value < 0 else "") + self._module_format("numpy.inf")


def compile_expression(
    expr: sympy.Expr | Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol]
) -> Callable[..., Any]:
    """Lambdify ``expr`` of ``symbols`` to a numpy function that broadcasts its arguments.

    Parameters
    ----------
    expr : sympy.Expr or sequence of sympy.Expr
        One expression, or several (the function then returns a list, one value each).
    symbols : sequence of sympy.Symbol
        The function's positional arguments, in order.

    Returns
    -------
    callable
        Constants in it are float64 (or small integers), so it never builds object arrays.
    """
    (function,) = compile_expressions([(expr, symbols)])
    return function


_PRINTER_SETTINGS: dict[str, Any] = {
    "fully_qualified_modules": False,
    "inline": True,
    "allow_unknown_functions": False,
    "user_functions": {},
}


def compile_expressions(
    items: Sequence[tuple[sympy.Expr | Sequence[sympy.Expr], Sequence[sympy.Symbol]]],
) -> list[Callable[..., Any]]:
    """Compile many expressions at once, as :func:`compile_expression` does one.

    One printer prints them all and :func:`kpitree.codegen.compile_functions` compiles them
    in one go into lambdify's namespace: the code lambdify would make with this printer (so
    the same values bit for bit) without its cost per call, most of a large tree's first
    evaluation. Node names never reach the namespace, so a node called ``minimum`` or
    ``nan`` cannot hide numpy's.

    Parameters
    ----------
    items : sequence of (sympy.Expr or sequence of sympy.Expr, sequence of sympy.Symbol)
        Each expression (or several, returned as a list) and its function's positional
        arguments, in order; every symbol of the expression must be one of its arguments.

    Returns
    -------
    list of callable
        One function per item, in order.

    Raises
    ------
    ValueError
        When an expression has a symbol that is not among its arguments.
    """
    printer = _Printer(dict(_PRINTER_SETTINGS))
    bodies = []
    for expr, symbols in items:
        names = {symbol: f"_x{index}" for index, symbol in enumerate(symbols)}
        parts = list(expr) if isinstance(expr, Sequence) else [expr]
        # Every symbol prints as a generated argument name, never as its own text.
        stray = set().union(*(sympy.sympify(part).free_symbols for part in parts)) - names.keys()
        if stray:
            raise ValueError(f"{expr} reads {sorted(map(str, stray))}, not among its arguments")
        printer._names = names
        printed = [printer.doprint(part) for part in parts]
        body = f"[{', '.join(printed)}]" if isinstance(expr, Sequence) else printed[0]
        bodies.append((len(names), body))
    return compile_functions(bodies, printer.module_imports)


@dataclass(frozen=True)
class _Argument:
    """What a compiled formula reads: a node this period, a node earlier, or the period."""

    node: str | None = None
    lag: Lag | None = None

    @property
    def reads(self) -> str | None:
        """The node read, in whichever period; ``None`` for the period number."""
        if self.lag is not None:
            return self.lag.node
        return self.node


@dataclass(frozen=True)
class _Formula:
    node: str
    function: Callable[..., Any]
    arguments: tuple[_Argument, ...]


@dataclass(frozen=True)
class _Step:
    """Nodes evaluated together: all periods at once, or period by period when recurrent."""

    formulas: tuple[_Formula, ...]
    recurrent: bool


class Engine:
    """Evaluates a tree on arrays of input values.

    Parameters
    ----------
    tree : Tree
        The checked tree; compiled once here.
    replacements : mapping, optional
        Node name -> a function used instead of the node's compiled formula. It is called
        with the same arguments, in the order :meth:`arguments` names them, and must return
        one row per sample (it may be random: count noise in a Monte Carlo forecast). A
        recurrent step that holds a replaced node is then evaluated for every sample row.
    """

    def __init__(
        self, tree: Tree, replacements: Mapping[str, Callable[..., Any]] | None = None
    ) -> None:
        self.tree = tree
        self.periods = tree.period_count
        self.replacements = dict(replacements or {})
        for name in self.replacements:
            if name not in tree.formulas:
                raise DataError(f"only a derived node's formula can be replaced, not '{name}'")
        self.steps = self._plan()
        self._guards: dict[str, Guard] = {}
        self._flagged = False
        self._time = np.arange(1, self.periods + 1, dtype=float)[None, :]

    def run(
        self,
        inputs: Mapping[str, ArrayLike],
        samples: int = 1,
        *,
        nodes: Collection[str] | None = None,
        free: bool = False,
        nonfinite: dict[str, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """Evaluate every node.

        Parameters
        ----------
        inputs : mapping
            A value for every input. Each broadcasts to ``(samples, periods)``: a number, a
            ``(periods,)`` list, a ``(samples, 1)`` column (one draw per path) or a full
            ``(samples, periods)`` array. A static tree has one period.
        samples : int
            The number of samples (paths).
        nodes : collection of str, optional
            Evaluate only these nodes and what they depend on (faster, and a node that is not
            needed cannot fail); by default every node.
        free : bool
            With ``nodes``: return only those nodes, and drop every other array as soon as no
            formula left to run reads it, so memory holds only the arrays still needed (see
            :meth:`peak_arrays`).
        nonfinite : dict, optional
            Where to record, per node, the ``(samples,)`` mask of the rows on which a part of
            its formula was not finite although the node's value is (``min(x / 0, 5)``; see
            :mod:`kpitree.intermediate`); masks already there are or-ed. By default such a
            row is an :class:`EvaluationError`.

        Returns
        -------
        dict
            Every node's (or every evaluated node's) values as a read-only
            ``(samples, periods)`` array.

        Raises
        ------
        EvaluationError
            When a node's value is not finite (division by zero, log of a negative number),
            or a part of its formula is not when ``nonfinite`` is not given.
        """
        values = self._input_arrays(inputs, samples)
        needed = set(self.tree.nodes) if nodes is None else self._needed(nodes)
        kept = needed if nodes is None or not free else set(nodes)
        release = self._releases(needed, kept) if free else {}
        # A flag from a formula's call means some part of it was not finite; the parts are
        # looked at only then (see kpitree.intermediate).
        flags = np.errstate(
            divide="call", over="call", invalid="call", under="ignore", call=self._flag
        )
        with flags:
            for index, step in enumerate(self.steps):
                if step.formulas[0].node not in needed:
                    continue
                if step.recurrent:
                    self._run_recurrent(step, values, samples, nonfinite)
                else:
                    (formula,) = step.formulas
                    arguments = [self._vector_argument(a, values) for a in formula.arguments]
                    self._flagged = False
                    result = _as_2d(formula.function(*arguments))
                    self._check_finite(formula.node, result)
                    if self._flagged:
                        shape = np.broadcast_shapes(result.shape, *(np.shape(a) for a in arguments))
                        self._intermediate(formula, arguments, shape, samples, nonfinite)
                    values[formula.node] = result
                for name in release.get(index, ()):
                    del values[name]
        shape = (samples, self.periods)
        return {
            name: np.broadcast_to(values[name], shape) for name in self.tree.nodes if name in kept
        }

    def _flag(self, kind: str, code: int) -> None:
        self._flagged = True

    def _intermediate(
        self,
        formula: _Formula,
        arguments: list[Any],
        shape: tuple[int, ...],
        samples: int,
        nonfinite: dict[str, np.ndarray] | None,
        period: int | None = None,
    ) -> None:
        """Report or record the rows on which a part of ``formula`` was not finite."""
        if formula.node in self.replacements:
            return
        guard = self._guards.get(formula.node)
        if guard is None:
            symbols = [
                node_symbol(a.node) if a.node else a.lag.symbol if a.lag else TIME
                for a in formula.arguments
            ]
            guard = Guard(self.tree.formulas[formula.node].expr, symbols, compile_expression)
            self._guards[formula.node] = guard
        with np.errstate(all="ignore"):
            finding = guard.find(arguments, shape)
        if finding is None:
            return
        rows = np.broadcast_to(finding.rows, (samples,))
        if nonfinite is not None:
            previous = nonfinite.get(formula.node)
            nonfinite[formula.node] = rows.copy() if previous is None else previous | rows
            return
        column = period if period is not None else finding.column
        where = ""
        if self.tree.periods is not None:
            where = f" at period {self.tree.periods[column]}"
        if samples > 1:
            where += f" in {int(np.count_nonzero(rows)):,} of {samples:,} samples"
        node = self.tree.nodes[formula.node]
        raise EvaluationError(
            f"node '{formula.node}': {finding.text} = {finding.value} inside its formula{where} "
            f"(a division by zero or an undefined value that the rest of the formula hides); "
            f"formula: {node.formula}",
            node.location,
        )

    def _releases(self, needed: set[str], kept: set[str]) -> dict[int, list[str]]:
        """Step index -> the arrays no later step reads (and not asked for): dropped after it."""
        last: dict[str, int] = {}
        for index, step in enumerate(self.steps):
            if step.formulas[0].node not in needed:
                continue
            for formula in step.formulas:
                for argument in formula.arguments:
                    if argument.reads is not None:
                        last[argument.reads] = index
        release: dict[int, list[str]] = {}
        for name, index in last.items():
            if name not in kept:
                release.setdefault(index, []).append(name)
        return release

    def peak_arrays(self, nodes: Collection[str]) -> int:
        """The most ``(samples, periods)`` arrays alive at once in ``run(nodes=nodes,
        free=True)``, counting every needed input and node as a full array (an upper bound
        for memory estimates)."""
        needed = self._needed(nodes)
        release = self._releases(needed, set(nodes))
        alive = len(needed & set(self.tree.inputs))
        peak = alive
        for index, step in enumerate(self.steps):
            if step.formulas[0].node not in needed:
                continue
            alive += len(step.formulas)
            peak = max(peak, alive)
            alive -= len(release.get(index, ()))
        return peak

    def _needed(self, nodes: Collection[str]) -> set[str]:
        needed = set()
        for name in nodes:
            needed |= self.tree.upstream(name) | {name}
        return needed

    def arguments(self, node: str) -> tuple[str, ...]:
        """What derived ``node``'s compiled function reads, in call order: node names read
        in the same period, then lag symbols such as ``prev(mrr)`` or ``delay(sql,2,25.0)``,
        then ``t`` when the formula uses the period number."""
        return tuple(
            a.node if a.node else a.lag.symbol.name if a.lag else "t" for a in self._arguments(node)
        )

    def lagged(self, lag: Lag, history: ArrayLike) -> np.ndarray:
        """What ``lag`` reads in each period from node ``lag.node``'s ``(samples, periods)``
        values ``history``: the value ``lag.periods`` back, and before period 1 the node's
        ``initial`` (prev) or delay's default."""
        return self._shifted(lag, _as_2d(history))

    # -- planning ----------------------------------------------------------------------------
    def _plan(self) -> list[_Step]:
        tree = self.tree
        graph = tree.graph.subgraph(tree.derived)
        position: dict[str, int] = {}
        condensed = nx.condensation(graph)
        components = []
        for component in nx.topological_sort(condensed):
            members = list(condensed.nodes[component]["members"])
            if len(members) > 1:
                # A loop's members run in same-period order; the order of the whole tree is
                # worked out only when a tree has such a loop.
                position = position or {name: index for index, name in enumerate(tree.order())}
                members.sort(key=position.__getitem__)
            recurrent = len(members) > 1 or graph.has_edge(members[0], members[0])
            components.append((members, recurrent))
        compiled = self._compile([name for members, _ in components for name in members])
        return [
            _Step(tuple(compiled[name] for name in members), recurrent)
            for members, recurrent in components
        ]

    def _arguments(self, name: str) -> list[_Argument]:
        formula = self.tree.formulas[name]
        arguments = [_Argument(node=dependency) for dependency in sorted(formula.names)]
        arguments += [_Argument(lag=lag) for lag in formula.lags]
        if formula.uses_time:
            arguments.append(_Argument())
        return arguments

    def _compile(self, names: Sequence[str]) -> dict[str, _Formula]:
        """Each node's formula compiled (all in one go), or its replacement."""
        arguments = {name: self._arguments(name) for name in names}
        printed = [name for name in names if name not in self.replacements]
        items = [
            (
                self.tree.formulas[name].expr,
                [
                    node_symbol(a.node) if a.node else a.lag.symbol if a.lag else TIME
                    for a in arguments[name]
                ],
            )
            for name in printed
        ]
        functions = dict(self.replacements)
        functions.update(zip(printed, compile_expressions(items), strict=True))
        return {name: _Formula(name, functions[name], tuple(arguments[name])) for name in names}

    # -- running -----------------------------------------------------------------------------
    def _input_arrays(self, inputs: Mapping[str, ArrayLike], samples: int) -> dict[str, np.ndarray]:
        missing = [name for name in self.tree.inputs if name not in inputs]
        if missing:
            raise DataError(f"no value given for input(s) {', '.join(missing)}")
        arrays = {}
        for name, raw in inputs.items():
            if name not in self.tree.nodes or not self.tree.nodes[name].is_input:
                raise DataError(f"'{name}' is not an input{did_you_mean(name, self.tree.inputs)}")
            array = np.asarray(raw, dtype=float)
            if array.ndim < 2:
                array = array.reshape(1, -1) if array.ndim == 1 else array.reshape(1, 1)
            rows, columns = array.shape
            if rows not in (1, samples) or columns not in (1, self.periods) or array.ndim != 2:
                raise DataError(
                    f"input '{name}': values of shape {np.shape(raw)} do not fit "
                    f"{samples} samples x {self.periods} periods"
                )
            arrays[name] = array
        return arrays

    def _vector_argument(self, argument: _Argument, values: dict[str, np.ndarray]) -> np.ndarray:
        if argument.node is not None:
            return values[argument.node]
        if argument.lag is not None:
            return self._shifted(argument.lag, values[argument.lag.node])
        return self._time

    def _shifted(self, lag: Lag, history: np.ndarray) -> np.ndarray:
        """``history`` read ``lag.periods`` back, the fill value before period 1."""
        history = np.broadcast_to(history, (history.shape[0], self.periods))
        shifted = np.empty_like(history)
        k = min(lag.periods, self.periods)
        shifted[:, :k] = self._fill(lag)
        shifted[:, k:] = history[:, : self.periods - k]
        return shifted

    def _fill(self, lag: Lag) -> float:
        if lag.default is not None:
            return lag.default
        initial = self.tree.nodes[lag.node].initial
        return float(initial) if initial is not None else float("nan")

    def _run_recurrent(
        self,
        step: _Step,
        values: dict[str, np.ndarray],
        samples: int,
        nonfinite: dict[str, np.ndarray] | None = None,
    ) -> None:
        members = {formula.node for formula in step.formulas}
        external = [
            self._vector_argument(a, values)
            for formula in step.formulas
            for a in formula.arguments
            if a.reads not in members
        ]
        rows = max((array.shape[0] for array in external), default=1)
        if members & self.replacements.keys():
            rows = samples
        for formula in step.formulas:
            values[formula.node] = np.empty((rows, self.periods))
        columns = {
            formula.node: [
                a if a.reads in members else self._vector_argument(a, values)
                for a in formula.arguments
            ]
            for formula in step.formulas
        }
        for period in range(self.periods):
            for formula in step.formulas:
                arguments = [
                    self._column(argument, period, values) for argument in columns[formula.node]
                ]
                self._flagged = False
                result = np.asarray(formula.function(*arguments), dtype=float)
                if not np.isfinite(result).all():
                    self._check_finite(formula.node, result.reshape(-1, 1), period)
                if self._flagged:
                    shape = (values[formula.node].shape[0],)
                    self._intermediate(formula, arguments, shape, samples, nonfinite, period)
                values[formula.node][:, period] = result

    def _column(
        self, argument: _Argument | np.ndarray, period: int, values: dict[str, np.ndarray]
    ) -> np.ndarray | np.float64:
        if isinstance(argument, np.ndarray):
            return argument[:, period if argument.shape[1] > 1 else 0]
        if argument.node is not None:
            return values[argument.node][:, period]
        lag = argument.lag
        if lag is None:
            return np.float64(period + 1)
        earlier = period - lag.periods
        if earlier < 0:
            return np.float64(self._fill(lag))
        return values[lag.node][:, earlier]

    def _check_finite(self, node: str, result: np.ndarray, period: int | None = None) -> None:
        bad = ~np.isfinite(result)
        if not bad.any():
            return
        rows, columns = np.nonzero(bad)
        column = period if period is not None else int(columns[0])
        found = result[rows[0], columns[0]]
        where = ""
        if self.tree.periods is not None:
            where = f" at period {self.tree.periods[column]}"
        if result.shape[0] > 1:
            where += f" in {len(set(rows.tolist()))} of {result.shape[0]} samples"
        what = (
            "division by zero or an undefined result" if np.isnan(found) else "an infinite result"
        )
        raise EvaluationError(
            f"node '{node}': {what} ({found}){where}; formula: {self.tree.nodes[node].formula}",
            self.tree.nodes[node].location,
        )


def _as_2d(result: Any) -> np.ndarray:
    array = np.asarray(result, dtype=float)
    if array.ndim == 2:
        return array
    return array.reshape(1, -1) if array.ndim == 1 else array.reshape(1, 1)
