"""Export of trees/saas_arr.yaml stretched to many periods as an .xlsx workbook: kpitree's
export (formulas translated from sympy, department sheets, styles) against openpyxl writing
the same number of cells as plain numbers, the floor any openpyxl-based export pays.

Run from the repository root: ``python benchmarks/xlsx_bench.py [--periods N] [--runs R]``.
Prints the median of R runs of each and their ratio, measured in this one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import statistics
import sys
import time
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.timeaxis import TimeAxis  # noqa: E402
from kpitree.xlsx import workbook_bytes  # noqa: E402


def stretched(periods: int) -> kpitree.Tree:
    """saas_arr with ``periods`` months; per-period lists repeated to fill them."""
    tree = kpitree.load(ROOT / "trees" / "saas_arr.yaml")
    nodes = []
    for node in tree.nodes.values():
        if isinstance(node.value, tuple):
            repeats = -(-periods // len(node.value))
            node = dataclasses.replace(node, value=(node.value * repeats)[:periods])
        nodes.append(node)
    return kpitree.Tree(tree.name, tree.kgi, nodes, time=TimeAxis(periods, "month", "2027-01"))


def plain_numbers(tree: kpitree.Tree) -> bytes:
    """The baseline: the evaluated values of every node, and the owner sheets' copies, as
    numbers in a workbook of the same shape."""
    values = tree.evaluate().values
    workbook = Workbook()
    sheet = workbook.active
    for row, name in enumerate(tree.nodes, start=1):
        for column, value in enumerate(values[name], start=1):
            sheet.cell(row, column, float(value))
    owned = [name for name, node in tree.nodes.items() if node.owner]
    copy = workbook.create_sheet("owners")
    for row, name in enumerate(owned, start=1):
        for column, value in enumerate(values[name], start=1):
            copy.cell(row, column, float(value))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def median_seconds(function, runs: int) -> float:
    """The median wall time of ``runs`` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Time both exports and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--periods", type=int, default=600)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tree = stretched(args.periods)
    cells = len(tree.nodes) * args.periods
    ours = median_seconds(lambda: workbook_bytes(tree), args.runs)
    floor = median_seconds(lambda: plain_numbers(tree), args.runs)
    print(f"saas_arr, {args.periods} periods, {cells:,} node cells, median of {args.runs} runs")
    print(f"  kpitree export (live formulas): {ours:.2f} s")
    print(f"  openpyxl, plain numbers:        {floor:.2f} s")
    print(f"  ratio: {ours / floor:.2f}x")


if __name__ == "__main__":
    main()
