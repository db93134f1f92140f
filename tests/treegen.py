"""Generated trees of any size, for layout and report tests: YAML text with readable labels."""

from __future__ import annotations

import numpy as np

WORDS = [
    "pipeline", "qualified", "enterprise", "renewal", "expansion", "partner", "inbound",
    "outbound", "conversion", "regional", "webinar", "trial", "activation", "retention",
    "mid-market", "referral", "budget", "meetings", "accounts", "upsell",
]  # fmt: skip
OWNERS = ["marketing", "inside sales", "field sales", "customer success", "finance"]
UNITS = ["leads/month", "ratio", "JPY/month", "customers", "%", "deals/month"]


def generated_tree_yaml(size: int, seed: int = 0, *, timed: bool = True) -> str:
    """A tree of ``size`` nodes: node n0 is the KGI, each other node is read by an earlier one
    (sometimes two), nodes nobody reads from are inputs; a few prev() reads, targets and
    alerts. Every formula is a sum or product of its children, so values stay finite."""
    rng = np.random.default_rng(seed)
    children: dict[int, list[int]] = {0: []}
    derived_pool = [0]
    for node in range(1, size):
        children[node] = []
        # Readers come from recent derived nodes so the tree has depth, not just breadth.
        reader = derived_pool[rng.integers(max(0, len(derived_pool) - 6), len(derived_pool))]
        children[reader].append(node)
        if rng.random() < 0.15 and len(derived_pool) > 2:
            second = derived_pool[rng.integers(0, len(derived_pool))]
            if second != reader:
                children[second].append(node)
        if rng.random() < 0.45:
            derived_pool.append(node)
    lines = [
        "name: generated",
        f"description: A generated tree of {size} nodes.",
        "kgi: n0",
    ]
    if timed:
        lines.append("time: {periods: 6, unit: month, start: 2027-01}")
    lines.append("nodes:")
    for node in range(size):
        words = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 5))))
        label = f"{words} {node}".capitalize()
        owner = OWNERS[int(rng.integers(len(OWNERS)))]
        unit = UNITS[int(rng.integers(len(UNITS)))]
        fields = [f"label: '{label}'", f"owner: {owner}", f"unit: '{unit}'"]
        if children[node]:
            operator = " + " if rng.random() < 0.6 else " * "
            formula = operator.join(f"n{child}" for child in children[node])
            if timed and rng.random() < 0.15:
                formula = f"prev(n{node}) * 0.5 + {formula}"
                fields.append("initial: 1")
            fields.append(f"formula: '{formula}'")
        else:
            fields.append(f"value: {float(rng.uniform(0.1, 0.9)):.3f}")
        if rng.random() < 0.15:
            fields.append(f"alert: {{below: {float(rng.uniform(0.2, 2)):.2f}}}")
        if node == 0:
            fields.append("target: 10")
        lines.append(f"  n{node}: {{{', '.join(fields)}}}")
    return "\n".join(lines) + "\n"


def generated_kinked_tree_yaml(size: int, seed: int = 0, *, periods: int | None = 36) -> str:
    """A tree of ``size`` nodes for sensitivity at scale: node n0 is the KGI, every other
    node is read by an earlier one; a derived node is the sum, mean, min or max (up to six
    arguments) or a product of two of its children. In a timed tree (``periods`` not None)
    some nodes also carry ``prev()`` of themselves and a tenth of the inputs take one value
    per period. Values stay in a few orders of magnitude, so every derivative is finite."""
    rng = np.random.default_rng(seed)
    children: dict[int, list[int]] = {0: []}
    derived_pool = [0]
    for node in range(1, size):
        children[node] = []
        reader = derived_pool[rng.integers(max(0, len(derived_pool) - 8), len(derived_pool))]
        children[reader].append(node)
        if rng.random() < 0.45:
            derived_pool.append(node)
    lines = ["name: kinked", f"description: {size} nodes, min/max of up to six.", "kgi: n0"]
    if periods is not None:
        lines.append(f"time: {{periods: {periods}, unit: month, start: 2027-01}}")
    lines.append("nodes:")
    for node in range(size):
        reads = [f"n{child}" for child in children[node]]
        if not reads:
            if periods is not None and rng.random() < 0.1:
                series = ", ".join(f"{v:.3f}" for v in rng.uniform(0.1, 0.9, periods))
                lines.append(f"  n{node}: {{value: [{series}]}}")
            else:
                lines.append(f"  n{node}: {{value: {float(rng.uniform(0.1, 0.9)):.3f}}}")
            continue
        kind = rng.random()
        if 2 <= len(reads) <= 6 and kind < 0.45:
            formula = f"{'max' if kind < 0.25 else 'min'}({', '.join(reads)})"
        elif len(reads) == 2 and kind < 0.6:
            formula = f"{reads[0]} * {reads[1]}"
        elif kind < 0.8:
            formula = f"({' + '.join(reads)}) / {len(reads)}"
        else:
            formula = " + ".join(reads)
        fields = ""
        if periods is not None and rng.random() < 0.15:
            formula = f"prev(n{node}) * 0.5 + {formula}"
            fields = ", initial: 1"
        lines.append(f"  n{node}: {{formula: '{formula}'{fields}}}")
    return "\n".join(lines) + "\n"
