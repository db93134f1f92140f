"""Several levers, every solve mode, in process: the median of ``--runs`` solves of a static
product (sales_velocity: opportunities, win rate and deal size; balanced and min-effort take
their closed form or linear program) and of the timed saas_arr (sql_rate, win_rate and
visit_cvr for the 1.4 billion JPY ARR target; line searches and SLSQP), each against one plain
``tree.evaluate()`` of the same tree timed in the same loop (the runs alternate, so both see
the same machine load), as processor time (``time.process_time``).

Run from the repository root: ``python benchmarks/modes_bench.py [--runs 20]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.analysis.multilever import MODES  # noqa: E402

CASES = (
    ("sales_velocity.yaml", None),
    ("saas_arr.yaml", ["sql_rate", "win_rate", "visit_cvr"]),
)


def cpu(function: Callable[[], object]) -> float:
    """Processor seconds one call of ``function`` takes."""
    started = time.process_time()
    function()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    print(f"median processor time of {runs} in-process runs each")
    for name, levers in CASES:
        tree = kpitree.load(ROOT / "trees" / name)
        chosen = levers or tree.inputs_of(tree.kgi)[:3]
        for mode in MODES:
            solve = partial(tree.solve, chosen, mode=mode)
            solution = solve()
            tree.evaluate()  # compile and fill the caches outside the timing
            ours, base = [], []
            for _ in range(runs):
                ours.append(cpu(solve))
                base.append(cpu(tree.evaluate))
            ms, evaluate_ms = statistics.median(ours) * 1e3, statistics.median(base) * 1e3
            print(
                f"{name} {mode:10} ({', '.join(chosen)}): {ms:7.2f} ms, one evaluate() "
                f"{evaluate_ms:.3f} ms, ratio {ms / evaluate_ms:6.1f}x, "
                f"feasible {solution.feasible}"
            )


if __name__ == "__main__":
    main()
