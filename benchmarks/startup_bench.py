"""How long commands take to start, as whole processes, against ``python -c "import numpy"``.

Run from the repository root: ``python benchmarks/startup_bench.py [--runs 9]``. Each round
runs the baseline and every command once, in turn, so a load spike on a shared machine hits
them alike; the table gives each one's median wall time over the rounds and its ratio to the
baseline's median. Goals (issue 10): ``kpitree --help`` within 4x of the baseline,
``kpitree validate trees/saas_arr.yaml`` within 8x. The row "... + import scipy.stats" runs
the same validation after importing scipy.stats, as reading its distributions did before
they were checked by closed forms: the cost that change removed, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    'python -c "import numpy"': ["-c", "import numpy"],
    "kpitree --help": ["-m", "kpitree", "--help"],
    "kpitree eval --help": ["-m", "kpitree", "eval", "--help"],
    "kpitree validate trees/nrr.yaml": ["-m", "kpitree", "validate", "trees/nrr.yaml"],
    "kpitree validate trees/saas_arr.yaml": ["-m", "kpitree", "validate", "trees/saas_arr.yaml"],
    "kpitree validate saas_arr + import scipy.stats": [
        "-c",
        "import sys, scipy.stats; from kpitree.cli.main import main; "
        "sys.exit(main(['validate', 'trees/saas_arr.yaml']))",
    ],
    "kpitree eval trees/saas_arr.yaml": ["-m", "kpitree", "eval", "trees/saas_arr.yaml"],
}
GOALS = {"kpitree --help": 4.0, "kpitree validate trees/saas_arr.yaml": 8.0}


def wall_time(arguments: list[str]) -> float:
    """Seconds from spawning the interpreter to its exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *arguments], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="rounds (default: 9)")
    runs = parser.parse_args().runs
    for arguments in COMMANDS.values():  # warm the file cache and .pyc files
        wall_time(arguments)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, arguments in COMMANDS.items():
            times[name].append(wall_time(arguments))
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians['python -c "import numpy"']
    print(f"median of {runs} runs each, whole processes, {sys.executable}")
    print(f"{'command':48} {'median s':>9} {'ratio':>7}  goal")
    for name, median in medians.items():
        goal = GOALS.get(name)
        verdict = (
            ""
            if goal is None
            else f"<= {goal:g}x: {'met' if median / baseline <= goal else 'MISSED'}"
        )
        print(f"{name:48} {median:9.3f} {median / baseline:6.2f}x  {verdict}")


if __name__ == "__main__":
    main()
