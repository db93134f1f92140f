"""Roll-ups as terminal tables, JSON or CSV: a :class:`~kpitree.rollup.Rollup` (``kpitree eval
--by``) and a :class:`~kpitree.analysis.compare_by.BucketComparison` (``kpitree compare --by``)."""

from __future__ import annotations

from kpitree.analysis.compare_by import BucketComparison
from kpitree.present.compare import comparison_table
from kpitree.present.export import to_csv, to_json
from kpitree.present.numbers import format_number
from kpitree.present.table import render_table
from kpitree.rollup import Rollup, partial_note


def rollup_table(rollup: Rollup, scenario: str | None = None) -> str:
    """Nodes as rows with how each rolls up, buckets as columns; a partial bucket is marked
    ``*`` and explained under the table."""
    tree = rollup.tree
    columns = [f"{bucket.label}*" if bucket.partial else bucket.label for bucket in rollup.buckets]
    header = ["node", "unit", "owner", "roll-up", *columns]
    rows = []
    for name, node in tree.nodes.items():
        marker = "* " if name == tree.kgi else "  "
        rows.append(
            [marker + name, node.unit or "", node.owner or "", rollup.rules[name].describe(),
             *(format_number(float(v), node.unit) for v in rollup.values[name])]
        )  # fmt: skip
    scenario_text = f", scenario '{scenario}'" if scenario else ""
    kgi = tree.nodes[tree.kgi]
    value = format_number(float(rollup.values[tree.kgi][-1]), kgi.unit)
    title = (
        f"{tree.name}{scenario_text}: by {rollup.by}, KGI {tree.kgi} = {value} in "
        f"{rollup.periods[-1]} ({rollup.rules[tree.kgi].describe()})"
    )
    text = render_table(header, rows, title=title, align="llll" + "r" * len(columns), marked=0)
    for bucket in rollup.buckets:
        if bucket.partial:
            text += f"\n* {partial_note(tree, bucket)}"
    return text + "\n"


def rollup_json(rollup: Rollup, scenario: str | None = None) -> str:
    """``{"tree", "kgi", "scenario", "by", "periods", "partial", "aggregate", "values"}``."""
    data = rollup.to_dict()
    if scenario:
        data["scenario"] = scenario
    return to_json(data) + "\n"


def rollup_csv(rollup: Rollup, scenario: str | None = None) -> str:
    """One row per bucket: its label, ``partial`` (True/False), then one column per node."""
    from kpitree.render import frame_of

    frame = frame_of(rollup)
    frame.insert(0, "partial", [bucket.partial for bucket in rollup.buckets])
    return to_csv(frame)


def bucket_comparison_table(result: BucketComparison) -> str:
    """``compare``'s table per bucket, then a line per bucket compared on part of its periods."""
    text = comparison_table(result.comparison)
    for label, periods in result.partial.items():
        span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
        text += f"{label}: partial, compared on {span} ({len(periods)} with actuals)\n"
    return text


def bucket_comparison_json(result: BucketComparison) -> str:
    """``compare``'s JSON with ``"by"`` and ``"partial"``."""
    return to_json(result.to_dict()) + "\n"


def bucket_comparison_csv(result: BucketComparison) -> str:
    """``compare``'s CSV with a ``partial`` column after ``period``."""
    frame = result.to_frame()
    frame.insert(1, "partial", frame.pop("partial"))
    return to_csv(frame, index=False)
