"""Sobol indices at N = 2^14 for a 12-input funnel: kpitree against SALib doing the same
(sample, evaluate, analyze with its default 100-fold bootstrap), and the accuracy of both
against the exact indices.

Run from the repository root: ``python benchmarks/sobol_bench.py``. Both evaluate the model
with kpitree's compiled engine (one call over all rows), so the difference is the method's
own cost. The model is a product of 12 independent uniforms, whose exact indices follow from
E[X] and E[X^2] (see tests/test_sobol.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402

N = 2**14
FUNNEL = {
    "visits": (15_000, 25_000), "visit_cvr": (0.02, 0.03), "mql_rate": (0.4, 0.6),
    "sql_rate": (0.08, 0.16), "win_rate": (0.2, 0.3), "arpu": (250_000, 350_000),
    "months": (10, 14), "gross_margin": (0.7, 0.9), "retention": (0.85, 1.0),
    "expansion": (1.0, 1.2), "discount": (0.8, 1.0), "uptime": (0.95, 1.0),
}  # fmt: skip


def exact() -> tuple[np.ndarray, np.ndarray]:
    low, high = np.array(list(FUNNEL.values())).T
    m, q = (low + high) / 2, (low**2 + low * high + high**2) / 3
    variance = np.prod(q) - np.prod(m**2)
    return (q - m**2) * np.prod(m**2) / m**2 / variance, (q - m**2) * np.prod(q) / q / variance


def tree() -> kpitree.Tree:
    lines = ["name: funnel12", "kgi: y", "nodes:"]
    lines += [
        f"  {n}: {{value: {lo}, distribution: {{dist: uniform, low: {lo}, high: {hi}}}}}"
        for n, (lo, hi) in FUNNEL.items()
    ]
    lines.append(f"  y: {{formula: {' * '.join(FUNNEL)}}}")
    return kpitree.loads("\n".join(lines))


def salib_run(model: kpitree.Tree, seed: int) -> dict:
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem = {"num_vars": len(FUNNEL), "names": list(FUNNEL), "bounds": list(FUNNEL.values())}
    x = sample.sample(problem, N, calc_second_order=False, seed=seed)
    inputs = {name: x[:, [i]] for i, name in enumerate(FUNNEL)}
    y = model.engine.run(inputs, samples=x.shape[0], nodes=("y",))["y"][:, 0]
    return analyze.analyze(problem, y, calc_second_order=False, seed=seed)


def timed(function) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(3):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    model = tree()
    model.engine  # noqa: B018 - compile once, outside the timing
    first, total = exact()
    ours_time, ours = timed(lambda: model.sobol(samples=N, seed=1))
    salib_time, salib = timed(lambda: salib_run(model, 1))
    print(f"Sobol S1/ST, 12 inputs, N = {N:,} ({N * 14:,} model evaluations), best of 3")
    print(f"  kpitree sobol (8 scrambles)      {ours_time:7.3f} s   max |error| "
          f"S1 {np.abs(ours.S1 - first).max():.4f}  ST {np.abs(ours.ST - total).max():.4f}  "
          f"mean 95% half-width S1 {ours.S1_conf.mean():.4f}")  # fmt: skip
    print(f"  SALib sample+evaluate+analyze    {salib_time:7.3f} s   max |error| "
          f"S1 {np.abs(salib['S1'] - first).max():.4f}  "
          f"ST {np.abs(salib['ST'] - total).max():.4f}  "
          f"mean 95% half-width S1 {salib['S1_conf'].mean():.4f}")  # fmt: skip
    print(f"  SALib / kpitree = {salib_time / ours_time:5.1f} x  (goal >= 10)")


if __name__ == "__main__":
    main()
