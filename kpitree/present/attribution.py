"""An :class:`~kpitree.analysis.attribution.Attribution` as a table or JSON."""

from __future__ import annotations

from kpitree.analysis.attribution import Attribution
from kpitree.present.export import to_json
from kpitree.present.numbers import format_number, format_share, format_signed
from kpitree.present.table import render_table


def attribution_table(result: Attribution) -> str:
    """Contributions per changed input (largest first), then per owner. A change from one
    period to the previous also lists the drivers carried over (``carried over: prev(mrr)``)."""
    tree = result.tree
    unit = tree.nodes[result.node].unit
    when = f" at {result.period}" if result.period and result.previous is None else ""
    players = "inputs" if result.previous is None else "inputs and drivers"
    title = (
        f"{tree.name}: {result.node}{when} {result.base_label} "
        f"{format_number(result.base, unit)} -> {result.new_label} "
        f"{format_number(result.new, unit)} ({format_signed(result.delta, unit)}), "
        f"{result.method} values over {len(result.changed)} {players}"
    )
    rows = [
        [result.label_of(name), result.owner_of(name) or "",
         format_signed(result.contributions[name], unit),
         _share(result.contributions[name], result.delta)]
        for name in result.changed
    ]  # fmt: skip
    rows.append(["total", "", format_signed(sum(result.contributions.values()), unit), ""])
    header = "input" if result.previous is None else "input or driver"
    inputs = render_table([header, "owner", "contribution", "share"], rows, title=title,
                          align="llrr")  # fmt: skip
    owners = [
        [owner, format_signed(value, unit), _share(value, result.delta)]
        for owner, value in sorted(result.by_owner.items(), key=lambda item: -abs(item[1]))
    ]
    by_owner = render_table(["owner", "contribution", "share"], owners, title="by owner")
    return inputs + "\n\n" + by_owner + "\n"


def attribution_json(result: Attribution) -> str:
    """``{"kgi", "base", "new", "delta", "contributions", "by_owner", ...}``."""
    return to_json(result.to_dict()) + "\n"


def _share(value: float, delta: float) -> str:
    return format_share(value / delta) if delta else "-"
