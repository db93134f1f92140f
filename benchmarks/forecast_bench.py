"""Forecast of trees/saas_arr.yaml at 100,000 paths x 36 months: kpitree's generic engine
against the same model hand-written in vectorised numpy and as a plain per-path Python loop.

Run from the repository root: ``python benchmarks/forecast_bench.py [--samples N]``.
The Python loop is timed on a subset of paths and scaled linearly (it is a loop over paths,
so its time is proportional to their number); the printed ratios are from this one run.

``python benchmarks/forecast_bench.py --memory [--big-samples N]`` measures peak memory instead:
each run in a fresh subprocess (peak resident set from ``resource.getrusage``), kpitree at
``N`` paths x 36 months (default 10,000,000; goal < 1 GB) and the hand-written numpy version at
a tenth of that (it holds every path, so it cannot run at ``N``), with the time per path of
both (median of ``--repeat`` runs).

``python benchmarks/forecast_bench.py --wide 5000`` forecasts a chain of 5,000 derived nodes
(12 months, 100,000 paths) and prints the peak of numpy's allocations (``tracemalloc``): node
arrays are freed once nothing reads them, so it stays near one chunk's few arrays.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.timeaxis import TimeAxis  # noqa: E402

PERIODS = 36
QUANTILES = (5, 10, 25, 50, 75, 90, 95)


def tree_36() -> kpitree.Tree:
    """saas_arr with a 36-month axis; per-period lists repeated three times."""
    tree = kpitree.load(ROOT / "trees" / "saas_arr.yaml")
    nodes = []
    for node in tree.nodes.values():
        if isinstance(node.value, tuple):
            node = dataclasses.replace(node, value=node.value * (PERIODS // len(node.value)))
        nodes.append(node)
    return kpitree.Tree(
        tree.name, tree.kgi, nodes, time=TimeAxis(PERIODS, "month", "2027-01"),
        scenarios=tree.scenarios, correlations=tree.correlations,
    )  # fmt: skip


def summary(values: np.ndarray, target: float) -> tuple:
    """What the forecast reports: mean, sd, quantiles per period, P(target)."""
    return (
        values.mean(axis=0),
        values.std(axis=0, ddof=1),
        np.percentile(values, QUANTILES, axis=0),
        float(np.mean(values[:, -1] >= target)),
    )


def parameters(tree: kpitree.Tree) -> dict:
    """The model's numbers and scipy laws, read from the tree (so all versions agree)."""
    nodes = tree.nodes
    laws = {
        name: nodes[name].distribution.law() for name in tree.inputs if nodes[name].distribution
    }
    fixed = {name: np.asarray(nodes[name].value, dtype=float) for name in tree.inputs}
    return {
        "laws": laws,
        "fixed": fixed,
        "mrr0": nodes["mrr"].initial,
        "target": nodes["arr"].target,
    }


def numpy_forecast(p: dict, samples: int, seed: int) -> tuple:
    """The model hand-written in vectorised numpy, with numpy's own samplers."""
    rng = np.random.default_rng(seed)
    laws, f = p["laws"], p["fixed"]
    a, b = laws["visit_cvr"].args
    visit_cvr = rng.beta(a, b, (samples, 1))
    s, scale = laws["cpl"].kwds["s"], laws["cpl"].kwds["scale"]
    cpl = scale * np.exp(s * rng.standard_normal((samples, 1)))
    outbound = rng.poisson(laws["outbound_leads"].kwds["mu"], (samples, PERIODS))
    a, b = laws["win_rate"].args
    win_rate = rng.beta(a, b, (samples, 1))
    a, b = laws["churn_rate"].args
    churn_rate = rng.beta(a, b, (samples, 1))
    leads = f["visits"] * visit_cvr + f["ad_budget"] / cpl + outbound
    sql = leads * f["mql_rate"] * f["sql_rate"]
    won = np.empty_like(sql)
    won[:, :2] = 25 * win_rate
    won[:, 2:] = sql[:, :-2] * win_rate
    new_mrr = won * f["new_arpu"]
    growth = 1 + f["expansion_rate"] - churn_rate[:, 0]
    mrr = np.empty((samples, PERIODS))
    previous = np.full(samples, p["mrr0"])
    for t in range(PERIODS):
        previous = previous * growth + new_mrr[:, t]
        mrr[:, t] = previous
    return summary(mrr * 12, p["target"])


def python_loop(p: dict, samples: int, seed: int) -> np.ndarray:
    """The model as a plain per-path, per-period Python loop (scipy draws per path)."""
    rng = np.random.default_rng(seed)
    laws, f = p["laws"], p["fixed"]
    visits = [float(v) for v in f["visits"]]
    arr = np.empty((samples, PERIODS))
    for path in range(samples):
        visit_cvr = rng.beta(*laws["visit_cvr"].args)
        cpl = laws["cpl"].kwds["scale"] * math.exp(laws["cpl"].kwds["s"] * rng.standard_normal())
        win_rate = rng.beta(*laws["win_rate"].args)
        churn_rate = rng.beta(*laws["churn_rate"].args)
        mrr = p["mrr0"]
        sqls = []
        for t in range(PERIODS):
            leads = visits[t] * visit_cvr + float(f["ad_budget"]) / cpl + rng.poisson(40)
            sqls.append(leads * float(f["mql_rate"]) * float(f["sql_rate"]))
            won = (sqls[t - 2] if t >= 2 else 25.0) * win_rate
            mrr = (
                mrr
                + won * float(f["new_arpu"])
                + mrr * float(f["expansion_rate"])
                - mrr * churn_rate
            )
            arr[path, t] = mrr * 12
    return arr


def median_time(function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def child(which: str, samples: int) -> None:
    """In a subprocess: build the tree, run one forecast, print seconds and peak bytes."""
    tree = tree_36()
    p = parameters(tree)
    tree.engine  # noqa: B018 - compile outside the timing
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    if which == "kpitree":
        tree.forecast(samples=samples, seed=1)
    else:
        numpy_forecast(p, samples, 1)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(seconds, peak, before)


def measure(which: str, samples: int, repeat: int) -> tuple[float, float, float]:
    """Median seconds, peak bytes and bytes before the run, over ``repeat`` fresh processes."""
    runs = []
    for _ in range(repeat):
        command = [sys.executable, __file__, "--child", which, "--samples", str(samples)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs.append(tuple(float(x) for x in output.split()))
    return tuple(statistics.median(run[i] for run in runs) for i in range(3))  # type: ignore[return-value]


def memory_main(samples: int, repeat: int) -> None:
    """Peak memory and time per path: kpitree at ``samples``, numpy at a tenth."""
    small = samples // 10
    ours = measure("kpitree", samples, repeat)
    hand = measure("numpy", small, repeat)
    mb = 2**20
    print(f"saas_arr x {PERIODS} months, peak resident memory (median of {repeat} processes)")
    print(f"  kpitree forecast, {samples:>12,} paths  {ours[1] / mb:8.0f} MB peak "
          f"({ours[1] / mb - ours[2] / mb:.0f} MB above the {ours[2] / mb:.0f} MB before), "
          f"{ours[0]:7.1f} s  (goal < 1024 MB)")  # fmt: skip
    print(f"  hand-written numpy, {small:>10,} paths  {hand[1] / mb:8.0f} MB peak "
          f"({hand[1] / mb - hand[2] / mb:.0f} MB above), {hand[0]:7.1f} s")  # fmt: skip
    per_path = (ours[0] / samples) / (hand[0] / small)
    print(f"  time per path, kpitree / numpy = {per_path:6.2f} x")


def wide_main(nodes: int, samples: int) -> None:
    """Peak traced memory of a forecast of a chain of ``nodes`` derived nodes."""
    lines = ["name: wide", f"kgi: n{nodes - 1}", "time: {periods: 12}", "nodes:",
             "  a: {value: 1, distribution: {dist: normal, mean: 1, sd: 0.1}}",
             "  n0: {formula: a * 2}"]  # fmt: skip
    lines += [f"  n{i}: {{formula: n{i - 1} + a}}" for i in range(1, nodes)]
    tree = kpitree.loads("\n".join(lines))
    tree.engine  # noqa: B018 - compile outside the measure
    tracemalloc.start()
    start = time.perf_counter()
    tree.forecast(samples=samples, seed=1)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    every = min(samples, 4 * 4096) * 12 * 8 * (nodes + 1)
    print(f"chain of {nodes:,} nodes, {samples:,} paths x 12 months: peak traced "
          f"{peak / 2**20:.0f} MB in {seconds:.1f} s (every node of a chunk kept: "
          f"{every / 2**20:,.0f} MB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--loop-samples", type=int, default=2_000)
    parser.add_argument("--memory", action="store_true", help="measure peak memory instead")
    parser.add_argument("--big-samples", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--wide", type=int, metavar="NODES", help="chain-of-nodes memory")
    parser.add_argument("--child", choices=("kpitree", "numpy"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.wide:
        wide_main(args.wide, args.samples)
        return
    if args.child:
        child(args.child, args.samples)
        return
    if args.memory:
        memory_main(args.big_samples, args.repeat)
        return
    tree = tree_36()
    p = parameters(tree)
    tree.engine  # noqa: B018 - compile once, outside the timing
    # Interleaved, so both see the same load on a shared machine.
    generic_times, hand_times = [], []
    for _ in range(args.repeat + 2):
        generic_times.append(median_time(lambda: tree.forecast(samples=args.samples, seed=1), 1))
        hand_times.append(median_time(lambda: numpy_forecast(p, args.samples, 1), 1))
    generic, hand = statistics.median(generic_times), statistics.median(hand_times)
    loop_part = median_time(lambda: python_loop(p, args.loop_samples, 1), repeat=1)
    loop = loop_part * args.samples / args.loop_samples
    ours = tree.forecast(samples=args.samples, seed=1)
    mean, sd, _, p_target = numpy_forecast(p, args.samples, 1)
    print(f"saas_arr, {args.samples:,} paths x {PERIODS} months (median of {args.repeat + 2})")
    print(f"  kpitree forecast (generic engine)   {generic:8.3f} s")
    print(f"  hand-written vectorised numpy       {hand:8.3f} s")
    print(f"  plain Python loop over paths        {loop:8.3f} s  "
          f"({args.loop_samples:,} paths timed, {loop_part:.2f} s, scaled)")  # fmt: skip
    print(f"  kpitree / numpy        = {generic / hand:6.2f} x  (goal <= 1.5)")
    print(f"  Python loop / kpitree  = {loop / generic:6.1f} x")
    print(f"  check: last-month mean {ours.mean[-1]:,.0f} vs numpy {mean[-1]:,.0f}; "
          f"sd {ours.sd[-1]:,.0f} vs {sd[-1]:,.0f}; "
          f"P(target) {ours.p_target:.3f} vs {p_target:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
