"""Learned rates (:class:`~kpitree.analysis.learn.Learning`) and a landing forecast's start as
text: a table, JSON, and the lines a forecast from actuals adds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpitree.present.export import to_json
from kpitree.present.numbers import format_share
from kpitree.present.table import render_table

if TYPE_CHECKING:
    from kpitree.analysis.learn import Learning


def learn_table(result: Learning) -> str:
    """One row per rate: prior, successes / trials, posterior mean and 90 % interval."""
    header = ["rate", "prior", "prior mean", "successes", "trials", "posterior mean", "p5", "p95"]
    rows = []
    for rate in result.rates:
        data = rate.to_dict()
        prior, posterior = data["prior"], data["posterior"]
        rows.append(
            [
                rate.name,
                f"Beta({prior['a']:.4g}, {prior['b']:.4g})",
                format_share(prior["mean"], 2),
                f"{rate.successes:,.1f}",
                f"{rate.trials:,.1f}",
                format_share(posterior["mean"], 2),
                format_share(posterior["p5"], 2),
                format_share(posterior["p95"], 2),
            ]
        )
    data = result.to_dict()
    window = "all periods" if result.window is None else f"last {result.window} periods"
    title = (
        f"{result.tree.name}: rates learned from counts through {data['actual_through']} "
        f"({window} with actuals)"
    )
    text = render_table(header, rows, title=title)
    for note in result.notes:
        text += f"\nnote: {note}"
    return text + "\n"


def learn_json(result: Learning) -> str:
    """``result.to_dict()`` as JSON."""
    return to_json(result.to_dict()) + "\n"
