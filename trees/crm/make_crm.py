"""Write the sample CRM export of a fictitious B2B SaaS company (trees/crm/*.csv).

Three files, as a CRM / MA / SFA tool exports them, for November 1, 2026 to June 20, 2027: the
export starts two months before the tree's axis (January 2027), so the deals closing in January
and February come from opportunities created in November and December, as in the tree.

- ``leads.csv``: one row per lead, created at a time with its UTC offset (+09:00), by channel
  (ウェブ web form, 広告 paid campaign, アウトバウンド outbound, ウェビナー webinar);
- ``opportunities.csv``: one row per opportunity (an SQL), created from a lead within three
  weeks, closed won or lost two calendar months after it was created (the tree's sales cycle),
  or still open with an empty ``closed_at``; closing times in local time without an offset;
- ``subscriptions.csv``: one row per subscription, start and end dates (end empty while
  active) and MRR in JPY: 250 customers from before 2027 and every deal won since.

Run ``python trees/crm/make_crm.py`` to write them again: the generator is seeded, so the
files come out identical.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

# 20270101 gave March exactly 35 SQLs from 350 MQLs, an implied opportunity rate equal to the
# plan's 10 % that reads like an unmeasured value; the next seed does not.
SEED = 20270102
FIRST_DAY = dt.date(2026, 11, 1)
AXIS_START = dt.date(2027, 1, 1)
# Before the 2027 plan's campaigns start, lead volume is about three quarters of 2027's, so
# November and December give about the 25 SQLs a month the tree assumes before its axis.
BEFORE_AXIS = 0.74
LAST_DAY = dt.date(2027, 6, 20)
TOKYO = dt.timezone(dt.timedelta(hours=9))
# Leads per day by channel: about 475 web, 150 paid, 40 outbound and 20 webinar a month.
CHANNELS = {"ウェブ": 15.6, "広告": 4.9, "アウトバウンド": 1.3, "ウェビナー": 0.66}
OPPORTUNITY_RATE = 0.05  # lead -> SQL (MQL rate 50 % x opportunity rate 10 %)
WIN_RATE = 0.25
EXISTING_CUSTOMERS = 250
MONTHLY_CHURN = 0.01


def main(folder: Path = Path(__file__).parent) -> None:
    """Write the three CSV files into ``folder``."""
    rng = np.random.default_rng(SEED)
    leads, opportunities, subscriptions = [], [], []
    days = (LAST_DAY - FIRST_DAY).days + 1
    for offset in range(days):
        day = FIRST_DAY + dt.timedelta(days=offset)
        for channel, rate in CHANNELS.items():
            scale = BEFORE_AXIS if day < AXIS_START else 1.0
            for _ in range(rng.poisson(rate * scale)):
                seconds = int(rng.integers(0, 86_400))
                created = dt.datetime.combine(day, dt.time(), TOKYO) + dt.timedelta(seconds=seconds)
                lead_id = f"L{len(leads) + 1:05d}"
                leads.append([lead_id, created.isoformat(), channel])
                if rng.random() < OPPORTUNITY_RATE:
                    opportunities.append(_opportunity(rng, lead_id, created, len(opportunities)))
    for number in range(EXISTING_CUSTOMERS):
        start = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1096)))
        subscriptions.append(_subscription(rng, f"A{number + 1:04d}", start, 300_000))
    for row in opportunities:
        if row[4] == "won":
            closed = dt.datetime.fromisoformat(row[5]).date()
            subscriptions.append(_subscription(rng, row[2], closed, row[6], churn_from=closed))
    _write(folder / "leads.csv", ["lead_id", "created_at", "channel"], leads)
    _write(
        folder / "opportunities.csv",
        ["opportunity_id", "lead_id", "account_id", "created_at", "stage", "closed_at", "amount"],
        opportunities,
    )
    subscriptions = [[f"S{i + 1:04d}", *row] for i, row in enumerate(subscriptions)]
    _write(
        folder / "subscriptions.csv",
        ["subscription_id", "account_id", "start_date", "end_date", "mrr"],
        subscriptions,
    )


def _opportunity(
    rng: np.random.Generator, lead_id: str, lead_created: dt.datetime, count: int
) -> list:
    created = lead_created + dt.timedelta(days=int(rng.integers(0, 21)))
    # Closed in the second calendar month after it was created, on a working-hours day of it:
    # won in month m are exactly the won opportunities created in m - 2.
    month = created.month + 1
    first = dt.date(created.year + month // 12, month % 12 + 1, 1)
    closes = dt.datetime.combine(first, dt.time(9)) + dt.timedelta(
        days=int(rng.integers(0, 28)), hours=int(rng.integers(0, 9))
    )
    account = f"B{count + 1:04d}"
    local_close = closes
    if local_close.date() > LAST_DAY:
        return [f"O{count + 1:04d}", lead_id, account, created.isoformat(), "open", "", ""]
    won = rng.random() < WIN_RATE
    # Monthly revenue of the deal: ACV around 3.6 million JPY, rounded to 10,000 JPY.
    amount = int(round(rng.lognormal(np.log(300_000), 0.3), -4))
    return [
        f"O{count + 1:04d}",
        lead_id,
        account,
        created.isoformat(),
        "won" if won else "lost",
        local_close.isoformat(sep=" "),
        amount if won else "",
    ]


def _subscription(
    rng: np.random.Generator,
    account: str,
    start: dt.date,
    mrr: float,
    churn_from: dt.date = AXIS_START,
) -> list:
    # Churn is only drawn from 2027 on: earlier leavers are not in the export. A customer from
    # before 2027 may leave in January itself (month 0); a new one stays at least a month.
    months = int(rng.geometric(MONTHLY_CHURN)) - (1 if start < AXIS_START else 0)
    end = churn_from + dt.timedelta(days=int(30.4 * months) + int(rng.integers(0, 30)))
    if start < AXIS_START:
        mrr = int(round(rng.lognormal(np.log(mrr), 0.25), -4))
    return [account, start.isoformat(), end.isoformat() if end <= LAST_DAY else "", mrr]


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


if __name__ == "__main__":
    main()
