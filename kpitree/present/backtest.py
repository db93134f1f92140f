"""A :class:`~kpitree.analysis.backtest.Backtest` as a terminal table, JSON or CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpitree.present.export import to_csv, to_json
from kpitree.present.numbers import format_number, format_share
from kpitree.present.table import render_table

if TYPE_CHECKING:
    from kpitree.analysis.backtest import Backtest


def backtest_table(result: Backtest) -> str:
    """One row per node scored: coverage of each band and mean CRPS; then the verdict."""
    header = ["node", "actuals", "in 50 % band", "in 90 % band", "mean CRPS"]
    counts = result.rows.groupby("node", sort=False).size()
    rows = [
        [
            name,
            str(int(counts[name])),
            format_share(scores["p50"], 0),
            format_share(scores["p90"], 0),
            format_number(scores["crps"], result.tree.nodes[name].unit),
        ]
        for name, scores in result.by_node.items()
    ]
    rows.append(
        ["all", str(len(result.rows)), format_share(result.coverage['p50'], 0),
         format_share(result.coverage['p90'], 0), ""]
    )  # fmt: skip
    learned = ", learned rates" if result.learned else ""
    title = (
        f"{result.tree.name}: backtest of landing forecasts from {result.cutoffs[0]} to "
        f"{result.cutoffs[-1]} ({len(result.cutoffs)} cut-offs, {result.samples:,} paths, "
        f"seed {result.seed}{learned})"
    )
    text = render_table(header, rows, title=title)
    if result.calibrated:
        text += "\nthe bands cover about their nominal 50 % and 90 %: calibrated on these actuals"
    for note in result.notes:
        text += f"\nnote: {note}"
    return text + "\n"


def backtest_json(result: Backtest) -> str:
    """``result.to_dict()`` as JSON."""
    return to_json(result.to_dict()) + "\n"


def backtest_csv(result: Backtest) -> str:
    """The rows: one per cut-off, node and later period."""
    return to_csv(result.rows, index=False)
