"""A :class:`~kpitree.analysis.forecast.Forecast` as a terminal table, JSON or CSV."""

from __future__ import annotations

from kpitree.analysis.forecast import Forecast
from kpitree.present.assumptions import assumption_lines
from kpitree.present.export import to_csv, to_json
from kpitree.present.numbers import format_number, format_share
from kpitree.present.table import render_table


def forecast_table(result: Forecast) -> str:
    """Periods as rows; mean, sd and the quantiles as columns; the chance of the target."""
    from kpitree.render import frame_of

    unit = result.unit
    frame = frame_of(result)  # the roll-up's labels (2027-Q1, FY2027-Q1), not pandas' names
    header = ["period", *frame.columns]
    rows = [
        [str(period), *(format_number(float(v), unit) for v in row)]
        for period, row in zip(frame.index, frame.to_numpy(), strict=True)
    ]
    counts = ", binomial counts" if result.counts else ""
    scenario = f" (scenario {result.scenario})" if result.scenario else ""
    title = (
        f"{result.tree.name}{scenario}: forecast of {result.node}"
        + (f" ({unit})" if unit else "")
        + f", {result.samples:,} paths, seed {result.seed}{counts}"
    )
    text = render_table(header, rows, title=title)
    if result.target is not None and result.p_target is not None:
        where = f" at {result.periods[-1]}" if result.periods else ""
        if result.target_label is not None:
            where = f" in {result.target_label}"
        text += (
            f"\nP({result.node} {result.meets} {format_number(result.target, unit)}{where}) = "
            + format_share(result.p_target)
        )
    for line in assumption_lines(result.tree, result.fixed, result.notes):
        text += f"\n{line}"
    for line in landing_lines(result):
        text += f"\n{line}"
    return text + "\n"


def forecast_json(result: Forecast) -> str:
    """``result.to_dict()`` as JSON."""
    return to_json(result.to_dict()) + "\n"


def forecast_csv(result: Forecast) -> str:
    """One row per period (labelled as the table labels it): period, mean, sd, p5 .. p95."""
    from kpitree.render import frame_of

    return to_csv(frame_of(result))


def landing_lines(result: Forecast) -> list[str]:
    """What a forecast from actuals starts from: the cut-off and the learned rates."""
    if result.actual_through is None:
        return []
    lines = [
        f"from actuals through {result.actual_through}: periods up to it are the actuals, "
        "the chance of the target is as of now"
    ]
    if result.learned:
        learned = ", ".join(f"{r.name} ({r.trials:,.0f} trials)" for r in result.learned)
        lines.append(f"rates drawn from their posteriors: {learned}")
    return lines
