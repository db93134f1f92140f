"""Measuring a 24-month tree from 1,000,000 leads and 200,000 opportunities (CSV exports).

Run from the repository root: ``python benchmarks/measure_bench.py [--leads 1000000]
[--opportunities 200000] [--runs 3]``. The exports are generated (seeded) into a temporary
folder: leads created at times with a +09:00 offset over 2027-2028 in four channels,
opportunities with a stage, a local closing time, an account and an amount. The tree buckets
them by month in Asia/Tokyo with five measures: all leads, web leads, won deals, won amount,
distinct accounts won. Three ways, each reading the CSV files and aggregating, in this process,
median of the runs:

- kpitree: ``kpitree.measure(tree)`` (sources loaded into DuckDB, locked, five queries);
- direct DuckDB: the same five aggregations hand-written in DuckDB SQL with ``date_trunc``
  in the Tokyo session time zone, the baseline of the ratio (goal: kpitree within 1.5x);
- pandas: ``read_csv``, ``tz_convert`` and ``groupby``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import kpitree  # noqa: E402

CHANNELS = np.array(["ウェブ", "広告", "アウトバウンド", "ウェビナー"])
TREE = """\
name: measure_bench
kgi: leads
time: {periods: 24, unit: month, start: 2027-01, timezone: Asia/Tokyo}
sources:
  leads: leads.csv
  opportunities: opportunities.csv
nodes:
  leads: {value: 0, measure: {source: leads, count: true, date: created_at}}
  web_leads:
    value: 0
    measure: {source: leads, count: true, date: created_at, where: "channel = 'ウェブ'"}
  won:
    value: 0
    measure: {source: opportunities, count: true, date: closed_at, where: "stage = 'won'"}
  won_amount:
    value: 0
    measure: {source: opportunities, sum: amount, date: closed_at, where: "stage = 'won'"}
  accounts:
    value: 0
    measure: {source: opportunities, distinct: account_id, date: closed_at,
              where: "stage = 'won'"}
"""
START = pd.Timestamp("2027-01-01")
SECONDS = 2 * 365 * 86_400


def write_exports(folder: Path, leads: int, opportunities: int) -> None:
    """Seeded leads.csv and opportunities.csv, written through DuckDB for speed."""
    rng = np.random.default_rng(0)
    created = START + pd.to_timedelta(rng.integers(0, SECONDS, leads), unit="s")
    lead_frame = pd.DataFrame(
        {
            "lead_id": np.arange(leads),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S+09:00"),
            "channel": CHANNELS[rng.integers(0, len(CHANNELS), leads)],
        }
    )
    closed = START + pd.to_timedelta(rng.integers(0, SECONDS, opportunities), unit="s")
    opportunity_frame = pd.DataFrame(
        {
            "opportunity_id": np.arange(opportunities),
            "account_id": rng.integers(0, opportunities // 4, opportunities),
            "stage": np.where(rng.random(opportunities) < 0.25, "won", "lost"),
            "closed_at": closed.strftime("%Y-%m-%d %H:%M:%S"),
            "amount": rng.integers(100, 1000, opportunities) * 1000,
        }
    )
    with duckdb.connect() as connection:
        for name, frame in (("leads", lead_frame), ("opportunities", opportunity_frame)):
            connection.register("frame", frame)
            connection.execute(f"COPY frame TO '{folder / name}.csv' (HEADER)")
            connection.unregister("frame")


def direct_duckdb(folder: Path) -> dict[str, list]:
    """The five aggregations written by hand in DuckDB SQL."""
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'Asia/Tokyo'")
        for name in ("leads", "opportunities"):
            connection.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder / name}.csv')"
            )
        queries = {
            "leads": "SELECT date_trunc('month', created_at) m, count(*) FROM leads GROUP BY m",
            "web_leads": "SELECT date_trunc('month', created_at) m, count(*) FROM leads "
            "WHERE channel = 'ウェブ' GROUP BY m",
            "won": "SELECT date_trunc('month', closed_at) m, count(*) FROM opportunities "
            "WHERE stage = 'won' GROUP BY m",
            "won_amount": "SELECT date_trunc('month', closed_at) m, sum(amount) "
            "FROM opportunities WHERE stage = 'won' GROUP BY m",
            "accounts": "SELECT date_trunc('month', closed_at) m, count(DISTINCT account_id) "
            "FROM opportunities WHERE stage = 'won' GROUP BY m",
        }
        return {
            name: [float(row[1]) for row in connection.execute(query + " ORDER BY m").fetchall()]
            for name, query in queries.items()
        }


def with_pandas(folder: Path) -> dict[str, list]:
    """The five aggregations with pandas groupby."""
    leads = pd.read_csv(folder / "leads.csv")
    months = pd.to_datetime(leads["created_at"], utc=True).dt.tz_convert("Asia/Tokyo")
    leads["month"] = months.dt.strftime("%Y-%m")
    opportunities = pd.read_csv(folder / "opportunities.csv")
    opportunities["month"] = pd.to_datetime(opportunities["closed_at"]).dt.strftime("%Y-%m")
    won = opportunities[opportunities["stage"] == "won"].groupby("month")
    return {
        "leads": leads.groupby("month").size().astype(float).tolist(),
        "web_leads": leads[leads["channel"] == "ウェブ"]
        .groupby("month")
        .size()
        .astype(float)
        .tolist(),
        "won": won.size().astype(float).tolist(),
        "won_amount": won["amount"].sum().astype(float).tolist(),
        "accounts": won["account_id"].nunique().astype(float).tolist(),
    }


def timed(action: Callable[[], dict[str, list]]) -> tuple[float, dict[str, list]]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--opportunities", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="runs (default: 3)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_exports(folder, options.leads, options.opportunities)
        (folder / "tree.yaml").write_text(TREE, encoding="utf-8")
        tree = kpitree.load(folder / "tree.yaml")

        def measured() -> dict[str, list]:
            result = kpitree.measure(tree, as_of="2028-12-31")
            return {node: list(values) for node, values in result.measured.items()}

        ways = {"kpitree.measure": measured, "direct DuckDB SQL": lambda: direct_duckdb(folder)}
        ways["pandas groupby"] = lambda: with_pandas(folder)
        times: dict[str, list[float]] = {way: [] for way in ways}
        answers = {}
        for _ in range(options.runs):
            for way, action in ways.items():  # interleaved: drift hits every way alike
                elapsed, answers[way] = timed(action)
                times[way].append(elapsed)
    if not answers["kpitree.measure"] == answers["direct DuckDB SQL"] == answers["pandas groupby"]:
        raise SystemExit("the three ways disagree: the benchmark compares different work")
    print(
        f"{options.leads:,} leads and {options.opportunities:,} opportunities, 24 months, "
        f"5 measures; median of {options.runs} runs (the three ways agree on every value)"
    )
    baseline = statistics.median(times["direct DuckDB SQL"])
    for way, values in times.items():
        median = statistics.median(values)
        print(f"  {way:<20} {median:7.3f} s   {median / baseline:5.2f}x direct DuckDB")


if __name__ == "__main__":
    main()
