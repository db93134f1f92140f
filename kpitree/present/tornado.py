"""A :class:`~kpitree.analysis.tornado.Tornado` as a terminal table, JSON or CSV."""

from __future__ import annotations

from kpitree.analysis.sampling import cut_share
from kpitree.analysis.tornado import Tornado
from kpitree.present.export import to_csv, to_json
from kpitree.present.kgi import kgi_formatter, kgi_heading
from kpitree.present.numbers import format_number
from kpitree.present.table import render_table


def swing_text(result: Tornado) -> str:
    """How the inputs were swung, in words."""
    if result.range == "swing":
        return f"each input ±{format_number(100 * (result.swing or 0))} %"
    if result.range == "benchmark":
        return "each input across its benchmark range"
    return "each input from the 5th to the 95th percentile of its distribution"


def tornado_table(result: Tornado) -> str:
    """One row per bar, largest spread first, with notes on clipping and skipped inputs."""
    header = ["input", "low", "high", "unit", "KGI low", "KGI high", "spread", "owner"]
    rows = []
    unit = result.kgi_unit
    differences = [bar.kgi_low - result.kgi_value for bar in result.bars]
    differences += [bar.kgi_high - result.kgi_value for bar in result.bars]
    show = kgi_formatter(differences, unit)
    for bar in result.bars:
        mark = " *" if bar.clipped else ""
        rows.append(
            [bar.name + mark, format_number(bar.low_value, bar.unit),
             format_number(bar.high_value, bar.unit), bar.unit or "",
             show(bar.kgi_low), show(bar.kgi_high), format_number(bar.spread, unit),
             bar.owner or ""]
        )  # fmt: skip
    title = kgi_heading(result.tree, "tornado of", result.kgi, result.period, result.kgi_value,
                        unit, result.scenario) + f", {swing_text(result)}"  # fmt: skip
    lines = [render_table(header, rows, title=title, align="lrrlrrrl")]
    if any(bar.clipped for bar in result.bars):
        lines.append("* swing clipped to the input's bounds")
    per_period = [bar.name for bar in result.bars if bar.per_period]
    if per_period:
        lines.append(
            f"given per period (low/high are means, every period swung): {', '.join(per_period)}"
        )
    if result.truncated:
        cut = ", ".join(
            f"{name} ({cut_share(share)} cut)" for name, share in result.truncated.items()
        )
        lines.append(f"percentiles of the law truncated to the input's bounds: {cut}")
    if result.range == "benchmark":
        lines.append("an open end of a benchmark range (null) stays at the base value")
    if result.skipped:
        what = "benchmark" if result.range == "benchmark" else "distribution"
        lines.append(f"no {what}, not swung: {', '.join(result.skipped)}")
    if result.not_upstream:
        lines.append(f"not upstream of the KGI: {', '.join(result.not_upstream)}")
    return "\n".join(lines) + "\n"


def tornado_json(result: Tornado) -> str:
    """``{"tree", "kgi", "period", "kgi_value", "range", "swing", "bars", ...}``."""
    return to_json(result.to_dict()) + "\n"


def tornado_csv(result: Tornado) -> str:
    """One row per bar."""
    return to_csv(result.to_frame())
