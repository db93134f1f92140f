"""An :class:`~kpitree.analysis.attribution.Attribution` as a table or JSON."""

from __future__ import annotations

from kpitree.analysis.attribution import Attribution
from kpitree.present.export import to_json
from kpitree.present.numbers import format_number, format_signed
from kpitree.present.table import render_table


def attribution_table(result: Attribution) -> str:
    """Contributions per changed input (largest first), then per owner."""
    tree = result.tree
    unit = tree.nodes[result.node].unit
    when = f" at {result.period}" if result.period else ""
    title = (
        f"{tree.name}: {result.node}{when} {result.base_label} "
        f"{format_number(result.base, unit)} -> {result.new_label} "
        f"{format_number(result.new, unit)} ({format_signed(result.delta, unit)}), "
        f"{result.method} values over {len(result.changed)} inputs"
    )
    rows = [
        [name, tree.nodes[name].owner or "", format_signed(result.contributions[name], unit),
         _share(result.contributions[name], result.delta)]
        for name in result.changed
    ]  # fmt: skip
    rows.append(["total", "", format_signed(sum(result.contributions.values()), unit), ""])
    inputs = render_table(["input", "owner", "contribution", "share"], rows, title=title,
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
    return f"{value / delta:.1%}" if delta else "-"
