"""Sobol indices: kpitree against SALib at the same N, for speed and for accuracy.

Run from the repository root: ``python benchmarks/sobol_bench.py``. Prints

- speed: the median of 5 runs of kpitree's ``sobol`` and of SALib doing the same (sample,
  evaluate, analyze with its default 100-fold bootstrap) on a product of 12 independent
  uniforms at N = 2^14, and their ratio (goal >= 10). Both evaluate the model with kpitree's
  compiled engine (one call over all rows), so the difference is the method's own cost;
- accuracy: the RMS error of S1 and ST against the exact indices over 10 and 30 seeds at
  N = 2^14 for the G-function (a = 0, 1, 4.5, 9, 99, 99, 99, 99) and the 12-input product,
  kpitree over SALib (goal <= 1.1). Both use one scrambled Sobol' design and the same
  estimators, so the ratio is 1 in expectation; over 10 seeds it still varies by about 20 %.
  Given the same scrambles (SALib seeded with ``numpy.random.default_rng(s)``) the indices
  are equal to rounding, so the ratio is exactly 1;
- coverage: the share of exact indices inside the 95 % intervals over 40 seeds at N = 2^10,
  kpitree's (spread of 8 blocks) and SALib's (bootstrap over rows), with the mean half-width
  over the RMS error (1.96 would be an exact interval of a normal error).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402

N = 2**14
SEEDS = 30
"""Seeds for the accuracy: the RMS ratio over 10 seeds alone varies by about 20 %."""
FUNNEL = {
    "visits": (15_000, 25_000), "visit_cvr": (0.02, 0.03), "mql_rate": (0.4, 0.6),
    "sql_rate": (0.08, 0.16), "win_rate": (0.2, 0.3), "arpu": (250_000, 350_000),
    "months": (10, 14), "gross_margin": (0.7, 0.9), "retention": (0.85, 1.0),
    "expansion": (1.0, 1.2), "discount": (0.8, 1.0), "uptime": (0.95, 1.0),
}  # fmt: skip


G_A = (0, 1, 4.5, 9, 99, 99, 99, 99)


def g_exact() -> tuple[np.ndarray, np.ndarray]:
    """V_i = 1 / (3 (1 + a_i)^2), V = prod (1 + V_i) - 1, ST_i = V_i prod_{j != i} (1 + V_j)."""
    a = np.array(G_A, dtype=float)
    part = 1 / (3 * (1 + a) ** 2)
    variance = np.prod(1 + part) - 1
    return part / variance, part * np.prod(1 + part) / (1 + part) / variance


def g_tree() -> kpitree.Tree:
    """Saltelli's G-function, prod (|4 x_i - 2| + a_i) / (1 + a_i), x_i ~ U(0, 1), as a tree."""
    lines = ["name: g", "kgi: y", "nodes:"]
    lines += [
        f"  x{i}: {{value: 0.5, distribution: {{dist: uniform, low: 0, high: 1}}}}"
        for i in range(len(G_A))
    ]
    factors = [f"(abs(4 * x{i} - 2) + {a}) / {1 + a}" for i, a in enumerate(G_A)]
    lines.append(f'  y: {{formula: "{" * ".join(factors)}"}}')
    return kpitree.loads("\n".join(lines))


def product_exact() -> tuple[np.ndarray, np.ndarray]:
    """Exact S1, ST of a product of independent uniforms from E[X] and E[X^2]."""
    low, high = np.array(list(FUNNEL.values())).T
    m, q = (low + high) / 2, (low**2 + low * high + high**2) / 3
    variance = np.prod(q) - np.prod(m**2)
    return (q - m**2) * np.prod(m**2) / m**2 / variance, (q - m**2) * np.prod(q) / q / variance


def product_tree() -> kpitree.Tree:
    lines = ["name: funnel12", "kgi: y", "nodes:"]
    lines += [
        f"  {n}: {{value: {lo}, distribution: {{dist: uniform, low: {lo}, high: {hi}}}}}"
        for n, (lo, hi) in FUNNEL.items()
    ]
    lines.append(f"  y: {{formula: {' * '.join(FUNNEL)}}}")
    return kpitree.loads("\n".join(lines))


def salib_run(model: kpitree.Tree, bounds: list, n: int, seed, resamples: int = 100):
    """SALib's sample, kpitree's engine on its rows, SALib's analyze."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    names = list(model.inputs)
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    x = sample.sample(problem, n, calc_second_order=False, seed=seed)
    inputs = {name: x[:, [i]] for i, name in enumerate(names)}
    y = model.engine.run(inputs, samples=x.shape[0], nodes=(model.kgi,))[model.kgi][:, -1]
    return analyze.analyze(problem, y, calc_second_order=False, num_resamples=resamples, seed=seed)


def errors(result, first: np.ndarray, total: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(result["S1"]) - first, np.asarray(result["ST"]) - total])


def as_dict(result) -> dict:
    return {"S1": result.S1, "ST": result.ST, "S1_conf": result.S1_conf, "ST_conf": result.ST_conf}


def main() -> None:
    product = product_tree()
    g = g_tree()
    cases = {
        "G-function (8 inputs)": (g, [[0, 1]] * len(G_A), g_exact()),
        "product (12 inputs)": (product, list(FUNNEL.values()), product_exact()),
    }
    for model, _, _ in cases.values():
        model.engine  # noqa: B018 - compile once, outside the timing

    ours_times, salib_times = [], []
    for run in range(5):  # interleaved, so load on the machine hits both alike
        start = time.perf_counter()
        product.sobol(samples=N, seed=run)
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        salib_run(product, list(FUNNEL.values()), N, run)
        salib_times.append(time.perf_counter() - start)
    ours_time, salib_time = statistics.median(ours_times), statistics.median(salib_times)
    print(f"speed: 12 inputs, N = {N:,} ({N * 14:,} model evaluations), median of 5")
    print(f"  kpitree sobol                  {ours_time:7.3f} s")
    print(f"  SALib sample+evaluate+analyze  {salib_time:7.3f} s  (bootstrap of 100)")
    print(f"  SALib / kpitree = {salib_time / ours_time:5.1f} x  (goal >= 10)")

    print(f"accuracy: RMS error of S1 and ST against the exact indices, N = {N:,}")
    for label, (model, bounds, (first, total)) in cases.items():
        ours = [errors(as_dict(model.sobol(samples=N, seed=s)), first, total) for s in range(SEEDS)]
        theirs = [
            errors(salib_run(model, bounds, N, 100 + s, resamples=2), first, total)
            for s in range(SEEDS)
        ]
        same = [salib_run(model, bounds, N, np.random.default_rng(s), 2) for s in range(10)]
        gap = max(
            np.abs(errors(as_dict(model.sobol(samples=N, seed=s)), first, total)
                   - errors(same[s], first, total)).max()
            for s in range(10)
        )  # fmt: skip
        rms_same = np.sqrt(
            np.mean(np.square(ours[:10]))
            / np.mean(np.square([errors(r, first, total) for r in same]))
        )
        print(f"  {label:22s} same scrambles as SALib: max |difference| {gap:.1e}, "
              f"RMS ratio over 10 seeds {rms_same:4.2f}")  # fmt: skip
        for seeds in (10, SEEDS):
            rms_ours = np.sqrt(np.mean(np.square(ours[:seeds])))
            rms_theirs = np.sqrt(np.mean(np.square(theirs[:seeds])))
            print(f"  {label:22s} {seeds:2d} seeds: kpitree {rms_ours:.5f}  SALib "
                  f"{rms_theirs:.5f}  kpitree / SALib = {rms_ours / rms_theirs:4.2f}")  # fmt: skip

    small = 2**10
    print(f"coverage of the 95 % intervals, 40 seeds, N = {small:,}")
    for label, (model, bounds, (first, total)) in cases.items():
        for who, runs in (
            ("kpitree", [as_dict(model.sobol(samples=small, seed=s)) for s in range(40)]),
            ("SALib", [salib_run(model, bounds, small, 100 + s) for s in range(40)]),
        ):
            error = np.array([errors(r, first, total) for r in runs])
            half = np.array([np.concatenate([r["S1_conf"], r["ST_conf"]]) for r in runs])
            coverage = np.mean(np.abs(error) <= half)
            width = half.mean() / np.sqrt(np.mean(error**2))
            print(f"  {label:22s} {who:8s} coverage {coverage:5.1%}  "
                  f"half-width / RMS error {width:5.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
