"""Where everything sits on the workbook's main sheet: one row per node, one column per period.

Columns: node, label, owner, unit, formula (as written in the tree), target, status, then for a
timed tree the input's value for all periods and period 0 (the ``initial`` values), then one
column per period; a static tree has a single ``value`` column instead. A row of period
numbers (``t``) sits above the nodes, so a formula that uses ``t`` reads it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import sympy
from openpyxl.utils import get_column_letter

from kpitree.errors import FormulaError
from kpitree.formula import TIME, Lag
from kpitree.xlsx.formula import excel_number

if TYPE_CHECKING:
    from kpitree.tree import Tree

MAIN_SHEET = "Tree"

KGI_ROW = 2
"""The summary line: the KGI, its target, its value at the last period and its status."""
VALUES_ROW = 3
"""Which values the inputs hold: the tree's own, a scenario's, overrides."""
HEADER_ROW = 5
TIME_ROW = 6
FIRST_NODE_ROW = 7

NAME, LABEL, OWNER, UNIT, FORMULA, TARGET, STATUS = range(1, 8)
"""Column numbers of the descriptive columns."""


@dataclass(frozen=True)
class Layout:
    """The main sheet's grid for ``tree``: rows, columns and cell addresses.

    Periods are numbered as in the tree: 1..N, and 0 for the ``initial`` column of a timed
    tree. A static tree has the one period 1.
    """

    tree: Tree
    rows: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        rows = {name: FIRST_NODE_ROW + index for index, name in enumerate(self.tree.nodes)}
        object.__setattr__(self, "rows", rows)

    @property
    def periods(self) -> int:
        """The number of period columns."""
        return self.tree.period_count

    @property
    def input_column(self) -> int | None:
        """The column of an input's single value for all periods (timed trees only)."""
        return STATUS + 1 if self.tree.is_timed else None

    @property
    def first_period_column(self) -> int:
        """The column of period 1 (period 0 just before it in a timed tree)."""
        return STATUS + 3 if self.tree.is_timed else STATUS + 1

    @property
    def last_column(self) -> int:
        """The right-most column of the node table."""
        return self.column(self.periods)

    @cached_property
    def period_labels(self) -> list[str]:
        """The header of each period column, period 1 first."""
        return list(self.tree.periods) if self.tree.periods is not None else ["value"]

    def column(self, period: int) -> int:
        """The column of ``period`` (0 is the initial values of a timed tree)."""
        if not 0 <= period <= self.periods or (period == 0 and not self.tree.is_timed):
            raise ValueError(f"period {period} is not a column of this sheet")
        return self.first_period_column + period - 1

    def cell(self, name: str, period: int) -> str:
        """The address of node ``name`` at ``period``: ``J7``."""
        return f"{get_column_letter(self.column(period))}{self.rows[name]}"

    def address(self, row: int, column: int) -> str:
        """``row``/``column`` numbers as an address: ``F7``."""
        return f"{get_column_letter(column)}{row}"

    @cached_property
    def lags(self) -> dict[str, dict[sympy.Symbol, Lag]]:
        """Per derived node: each lag symbol of its formula and the read it stands for."""
        return {
            name: {lag.symbol: lag for lag in formula.lags}
            for name, formula in self.tree.formulas.items()
        }

    def reference(self, name: str, period: int) -> _PeriodReferences:
        """What each symbol in node ``name``'s formula stands for at ``period``."""
        return _PeriodReferences(self, name, period)


@dataclass(frozen=True)
class _PeriodReferences:
    """Symbol -> cell text for one node's formula at one period (a callable)."""

    layout: Layout
    node: str
    period: int

    def __call__(self, symbol: sympy.Symbol) -> str:
        layout = self.layout
        if symbol == TIME:
            return f"{get_column_letter(layout.column(self.period))}${TIME_ROW}"
        lags = layout.lags[self.node]
        if symbol in lags:
            return self.lagged(lags[symbol])
        if symbol.name in layout.rows:
            return layout.cell(symbol.name, self.period)
        raise FormulaError(f"node '{self.node}': the formula reads '{symbol}', which is not a node")

    def lagged(self, lag: Lag) -> str:
        """The cell ``lag.periods`` columns back; before period 1, the node's initial value
        (prev, in the period-0 column) or delay's default (a number in the formula)."""
        earlier = self.period - lag.periods
        if earlier >= 1:
            return self.layout.cell(lag.node, earlier)
        if lag.default is None:
            return self.layout.cell(lag.node, 0)
        return excel_number(lag.default)
