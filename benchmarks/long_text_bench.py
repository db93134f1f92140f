"""Long text in tables: the eval table and the report of a tree whose every node has one 1 MB
owner and label, against the same tree with a short owner and label, in the same run.

Run from the repository root: ``python benchmarks/long_text_bench.py``. The goal: the 1 MB
text costs a small constant factor (cells are cut to a fixed width before being measured), not
time proportional to the text's length times the number of nodes.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpitree.facade import Tree  # noqa: E402
from kpitree.node import Node  # noqa: E402
from kpitree.present.evaluation import evaluation_table  # noqa: E402
from kpitree.report import build_report  # noqa: E402

RUNS = 5


def tree(count: int, text: str) -> Tree:
    nodes = [Node(f"n{i}", value=1.0, owner=text, label=text) for i in range(count)]
    nodes.append(Node("k", formula="n0 * 2 + n1", owner=text, label=text, target=10))
    return Tree("big", "k", nodes)


def median_seconds(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    for what, count, render in (
        ("eval table", 5000, lambda t: evaluation_table(t.evaluate())),
        ("report", 1000, lambda t: build_report(t, samples=100)),
    ):
        short, huge = tree(count, "field sales"), tree(count, "d" * 1_000_000)
        base = median_seconds(lambda t=short, r=render: r(t))
        long = median_seconds(lambda t=huge, r=render: r(t))
        print(
            f"{what}, {count:,} nodes: short owner {base:.3f} s, 1 MB owner {long:.3f} s "
            f"(median of {RUNS}): {long / base:.2f}x"
        )


if __name__ == "__main__":
    main()
