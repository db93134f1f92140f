"""Database sources against a real PostgreSQL server: the same records give the same actuals
as the files, the session is read-only, an unreachable server is a FILE:LINE error.

The server is a throwaway cluster started for the session (Debian's postgresql, installed by
.ci/run); the tests that need it are skipped, with the reason, where none can start.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from measure_export import LEADS, OPPORTUNITIES, SUBSCRIPTIONS, write_export, write_measured_tree

import kpitree
from kpitree.errors import DataError
from kpitree.measurement import measure

TABLES = {
    "leads": ("lead_id integer, created_at timestamptz, channel text", LEADS),
    "opportunities": (
        "opportunity_id integer, account_id text, stage text, closed_at timestamp, amount numeric",
        OPPORTUNITIES,
    ),
    "subscriptions": (
        "subscription_id integer, account_id text, start_date date, end_date date, mrr numeric",
        SUBSCRIPTIONS,
    ),
}
MEASURES = {
    "leads": "{source: leads, count: true, date: created_at}",
    "web": "{source: leads, count: true, date: created_at, where: \"channel = 'web'\"}",
    "won": "{source: opportunities, count: true, date: closed_at, where: \"stage = 'won'\"}",
    "amount": "{source: opportunities, sum: amount, date: closed_at, where: \"stage = 'won'\"}",
    "accounts": "{source: opportunities, distinct: account_id, date: closed_at}",
    "customers": "{source: subscriptions, count: true, active: [start_date, end_date]}",
    "mrr": "{source: subscriptions, sum: mrr, active: [start_date, end_date]}",
    "raw": "{source: opportunities, sql: \"SELECT strftime(closed_at, '%Y-%m') AS period, "
    "count(*) AS value FROM opportunities WHERE stage = 'won' GROUP BY 1\"}",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    """Run a server tool as the postgres user when we are root (initdb refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, *command], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free localhost port, the three CRM tables loaded;
    yields its URL."""
    tools = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not tools:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
    bin_dir = Path(tools[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="kpitree-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    made = _as_postgres(
        str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
        "-E", "UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    if made.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {made.stderr.strip()[:300]}")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    started = _as_postgres(
        str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options,
        "-w", "start",
    )  # fmt: skip
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {started.stderr.strip()[:300]}")
    try:
        import psycopg

        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with psycopg.connect(url, autocommit=True) as connection:
            for table, (columns, text) in TABLES.items():
                connection.execute(f"CREATE TABLE {table} ({columns})")
                with connection.cursor().copy(
                    f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy:
                    copy.write(text)
        yield url
    finally:
        _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _database_sources(url: str) -> str:
    return "sources:\n" + "".join(f"  {name}: {{url: '{url}', table: {name}}}\n" for name in TABLES)


def test_database_and_files_give_identical_actuals(postgres: str, tmp_path: Path) -> None:
    """The same records in PostgreSQL and in CSV files measure the same, node by node."""
    write_export(tmp_path)
    files = kpitree.load(write_measured_tree(tmp_path, MEASURES, name="files.yaml"))
    database = kpitree.load(
        write_measured_tree(tmp_path, MEASURES, sources=_database_sources(postgres), name="db.yaml")
    )
    from_files = measure(files, as_of="2027-03-31")
    from_database = measure(database, as_of="2027-03-31")
    assert from_database.measured == from_files.measured
    assert from_files.measured["won"] == (2, 1, 1)  # by hand, tests/measure_export.py
    assert from_files.measured["mrr"] == (80, 60, 50)


def test_a_query_that_writes_is_refused(postgres: str, tmp_path: Path) -> None:
    """A query: that deletes rows fails in the read-only transaction; the rows stay."""
    import psycopg

    sources = f"sources:\n  leads: {{url: '{postgres}', query: 'DELETE FROM leads RETURNING *'}}\n"
    tree = kpitree.load(
        write_measured_tree(
            tmp_path, {"leads": "{source: leads, count: true, date: created_at}"}, sources=sources
        )
    )
    with pytest.raises(DataError, match="read-only transaction"):
        measure(tree, as_of="2027-03-31")
    with psycopg.connect(postgres) as connection:
        assert connection.execute("SELECT count(*) FROM leads").fetchone() == (6,)


def test_unreachable_database_exits_2_with_file_line(cli, tmp_path: Path) -> None:
    """kpitree measure on a server that is not there: FILE:LINE of the source, exit 2."""
    url = f"postgresql://nobody@127.0.0.1:{_free_port()}/crm"
    sources = f"sources:\n  leads: {{url: '{url}', table: leads}}\n"
    tree = write_measured_tree(
        tmp_path, {"leads": "{source: leads, count: true, date: created_at}"}, sources=sources
    )
    status, out, err = cli("measure", tree, "--as-of", "2027-03-31")
    assert (status, out) == (2, "")
    assert err.startswith(f"{tree}:5: source 'leads': cannot reach the database: ")
    assert "Traceback" not in err
