"""A :class:`~kpitree.validation.Validation` as the one line ``kpitree validate`` prints, and as
JSON; no pandas, so validating a tree stays light."""

from __future__ import annotations

import json

from kpitree.validation import Validation


def validation_table(result: Validation) -> str:
    """``FILE: ok: tree 'NAME', kgi 'KGI', N nodes (I inputs, D derived, 12 months), ...``."""
    time = (
        f", {result.period_count} {result.time_unit}s"
        if result.period_count is not None
        else ", static"
    )
    return (
        f"{result.file}: ok: tree '{result.tree}', kgi '{result.kgi}', {result.nodes} nodes "
        f"({result.inputs} inputs, {result.derived} derived{time}), "
        f"{result.scenarios} scenarios, {result.uncertain} uncertain inputs\n"
    )


def validation_json(result: Validation) -> str:
    """:meth:`Validation.to_dict` as indented JSON."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
