"""The dashboard's scenario save and version poll, against reading the tree once.

Run from the repository root: ``python benchmarks/scenario_save_bench.py [--repeat R]``.
On a copy of trees/saas_arr_measured.yaml (with its CRM exports) in a temporary folder, each
round times ``kpitree.load`` of the file (the baseline: what a reload costs), one
``save_scenario`` (lock, read, edit, read back with the tree reader, atomic write) and one
``fingerprint`` (what each 2 s poll of the page costs). It prints the medians over
``--repeat`` rounds and each median's ratio to the load's, all from this one run (goals: a
save within the page's 100 ms round trip, about the cost of a few loads since it reads the
tree back and flushes the file and its folder to disk; a poll under 1 % of a load).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.serve.scenario_file import save_scenario  # noqa: E402
from kpitree.serve.watch import fingerprint  # noqa: E402


def timed(function, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        trees = Path(folder) / "trees"
        shutil.copytree(ROOT / "trees", trees)
        path = trees / "saas_arr_measured.yaml"
        tree = kpitree.load(path)
        version = fingerprint(path, tree)
        loads, saves, polls = [], [], []
        for round_ in range(args.repeat):
            seconds, tree = timed(kpitree.load, path)
            loads.append(seconds)
            overrides = {"win_rate": 0.25 + round_ * 1e-4, "visits": [20000] * 12}
            seconds, version = timed(save_scenario, path, "bench", overrides, version)
            saves.append(seconds)
            seconds, _ = timed(fingerprint, path, tree)
            polls.append(seconds)
    load = statistics.median(loads)
    print(f"{path.name}, {args.repeat} rounds (medians)")
    print(f"  load (baseline)  {load * 1e3:8.2f} ms")
    for label, times in (("save_scenario", saves), ("fingerprint", polls)):
        median = statistics.median(times)
        print(f"  {label:<16} {median * 1e3:8.2f} ms  {median / load:6.3f}x load")


if __name__ == "__main__":
    main()
