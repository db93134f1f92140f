"""Latency of the dashboard's ``POST /api/evaluate`` over HTTP, against evaluating in-process.

Run from the repository root: ``python benchmarks/serve_api_bench.py [--repeat R] [--requests N]``.
A server on trees/saas_arr.yaml listens on a free loopback port in this process (a thread); a
client on one kept-alive connection sends N evaluations with a changed ``win_rate`` each, R
rounds. In the same run it times the baseline, ``tree.evaluate(overrides=...).to_dict()`` in
process (what the request computes), and what a request would cost if it read and compiled the
tree each time (``kpitree.load`` + the first evaluation). It prints the median per round (and
the median of the per-round 95th percentiles for the HTTP request) and the ratios to the
baseline. Goal: an edit's request well under the page's 100 ms round trip, a small multiple of
the baseline (JSON, HTTP and statuses on top), far below a recompile.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kpitree  # noqa: E402
from kpitree.serve.app import DashboardServer  # noqa: E402
from kpitree.serve.session import Session  # noqa: E402

TREE = ROOT / "trees" / "saas_arr.yaml"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    server = DashboardServer("127.0.0.1", 0, Session(TREE))
    server.start()
    tree = kpitree.load(TREE)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Content-Type": "application/json"}

    def post(value: float) -> dict:
        body = json.dumps({"overrides": {"win_rate": value}})
        connection.request("POST", "/api/evaluate", body, headers)
        response = connection.getresponse()
        data = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(data)
        return data

    post(0.25)  # the engine compiled and the connection open before timing
    tree.evaluate()
    rounds: dict[str, list[float]] = {"http": [], "http_p95": [], "baseline": [], "reload": []}
    try:
        for _ in range(args.repeat):
            requests, direct = [], []
            for index in range(args.requests):
                value = 0.2 + 0.001 * index
                start = time.perf_counter()
                post(value)
                requests.append(time.perf_counter() - start)
                start = time.perf_counter()
                tree.evaluate(overrides={"win_rate": value}).to_dict()
                direct.append(time.perf_counter() - start)
            start = time.perf_counter()
            kpitree.load(TREE).evaluate(overrides={"win_rate": 0.25}).to_dict()
            rounds["reload"].append(time.perf_counter() - start)
            rounds["http"].append(statistics.median(requests))
            rounds["http_p95"].append(percentile(requests, 0.95))
            rounds["baseline"].append(statistics.median(direct))
    finally:
        connection.close()
        server.stop()
    base = statistics.median(rounds["baseline"])
    print(f"{TREE.name}: {args.repeat} rounds x {args.requests} requests (medians over rounds)")
    rows = (
        ("evaluate in process (baseline)", "baseline"),
        ("POST /api/evaluate, median", "http"),
        ("POST /api/evaluate, 95th pct", "http_p95"),
        ("load + compile + evaluate", "reload"),
    )
    for label, key in rows:
        median = statistics.median(rounds[key])
        print(f"  {label:<32} {median * 1e3:8.2f} ms  {median / base:7.1f}x baseline")


if __name__ == "__main__":
    main()
