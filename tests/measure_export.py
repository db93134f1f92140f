"""A small CRM export whose per-period counts are worked out by hand, and trees that read it.

leads (created_at with offsets; channel):
  1 2027-01-05T10:00+09:00 web   Jan
  2 2027-01-31T23:59+09:00 web   Jan in Tokyo (14:59 UTC)
  3 2027-02-01T00:30+09:00 web   Feb in Tokyo, Jan in UTC
  4 2027-02-15T12:00+09:00 ad    Feb
  5 2027-03-01T08:00+00:00 web   Mar (17:00 in Tokyo)
  6 2027-03-31T16:00+00:00 ad    Apr 1 in Tokyo (off a Jan-Mar axis), Mar in UTC
  Tokyo: Jan 2, Feb 2, Mar 1 (web: 2, 1, 1); UTC: Jan 3, Feb 1, Mar 2.
opportunities (closed_at local, no offset): won Jan 10 (A, 100), won Jan 20 (A, 200), lost
  Jan 25 (B), won Feb 28 23:30 (C, 300), won Mar 1 00:10 (B, 50), open (D).
  won count 2, 1, 1; won amount 300, 300, 50; distinct accounts won 1, 1, 1; all closed 2, 1, 1.
subscriptions (dates; end empty while active):
  A 2026-12-01..      10   active at every month end
  B 2027-01-31..02-15 20   end of Jan only
  C 2027-02-01..02-28 30   never at a month end (ended on Feb 28)
  D 2027-03-31..      40   end of Mar
  E 2027-01-15..03-01 50   end of Jan and Feb
  active count 3, 2, 2; active MRR 80, 60, 50.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

LEADS = """\
lead_id,created_at,channel
1,2027-01-05T10:00:00+09:00,web
2,2027-01-31T23:59:00+09:00,web
3,2027-02-01T00:30:00+09:00,web
4,2027-02-15T12:00:00+09:00,ad
5,2027-03-01T08:00:00+00:00,web
6,2027-03-31T16:00:00+00:00,ad
"""
OPPORTUNITIES = """\
opportunity_id,account_id,stage,closed_at,amount
1,A,won,2027-01-10 10:00:00,100
2,A,won,2027-01-20 10:00:00,200
3,B,lost,2027-01-25 10:00:00,
4,C,won,2027-02-28 23:30:00,300
5,B,won,2027-03-01 00:10:00,50
6,D,open,,
"""
SUBSCRIPTIONS = """\
subscription_id,account_id,start_date,end_date,mrr
1,A,2026-12-01,,10
2,B,2027-01-31,2027-02-15,20
3,C,2027-02-01,2027-02-28,30
4,D,2027-03-31,,40
5,E,2027-01-15,2027-03-01,50
"""
SOURCES = """\
sources:
  leads: crm/leads.csv
  opportunities: crm/opportunities.csv
  subscriptions: crm/subscriptions.csv
"""
TIME = "{periods: 3, unit: month, start: 2027-01, timezone: Asia/Tokyo}"


def write_export(folder: Path) -> Path:
    """Write the three CSV files into ``folder/crm`` and return that folder."""
    crm = folder / "crm"
    crm.mkdir(exist_ok=True)
    for name, text in (
        ("leads", LEADS),
        ("opportunities", OPPORTUNITIES),
        ("subscriptions", SUBSCRIPTIONS),
    ):
        (crm / f"{name}.csv").write_text(text, encoding="utf-8")
    return crm


def write_measured_tree(
    folder: Path,
    measures: dict[str, str],
    *,
    sources: str = SOURCES,
    time: str = TIME,
    name: str = "tree.yaml",
) -> Path:
    """Write a tree with one input per entry of ``measures`` (node -> measure mapping text)
    and a KGI summing them; return its path."""
    lines = [f"name: measured\nkgi: total\ntime: {time}\n", textwrap.dedent(sources), "nodes:\n"]
    for node, measure in measures.items():
        lines.append(f"  {node}:\n    value: 0\n    measure: {measure}\n")
    lines.append(f"  total: {{formula: {' + '.join(measures)}}}\n")
    path = folder / name
    path.write_text("".join(lines), encoding="utf-8")
    return path
