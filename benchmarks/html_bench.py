"""HTML of a result laid out like the terminal table against the frame's HTML table it
replaced, on saas_arr: the comparison of three months of actuals, the solution (with its
cascade) and the evaluation.

Run from the repository root: ``python benchmarks/html_bench.py [--repeat R]``. Each result is
rendered both ways in turn, ``--repeat`` times; the printed ratio is the median laid-out time
over the median frame time, both from this one run (goal: the laid-out page in a few
milliseconds, so that the report and ``_repr_html_`` stay instant).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.render import _frame_html, _laid_out_html  # noqa: E402


def _median_ms(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    repeat = parser.parse_args().repeat
    tree = kpitree.load(ROOT / "trees" / "saas_arr.yaml")
    actuals = kpitree.read_actuals(ROOT / "trees" / "saas_arr_actuals.csv", tree)
    results = {
        "comparison": tree.compare(actuals),
        "solution": tree.solve(["win_rate"]),
        "evaluation": tree.evaluate(),
    }
    print(f"{'result':<12} {'frame ms':>9} {'laid out ms':>12} {'ratio':>6}   (median of {repeat})")
    for name, result in results.items():
        _laid_out_html(result, None)  # imports and caches out of the timing
        frame = _median_ms(lambda r=result: _frame_html(r, None), repeat)
        laid = _median_ms(lambda r=result: _laid_out_html(r, None), repeat)
        print(f"{name:<12} {frame:>9.2f} {laid:>12.2f} {laid / frame:>6.2f}")


if __name__ == "__main__":
    main()
