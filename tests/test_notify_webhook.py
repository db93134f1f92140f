"""``check --notify https://...``: messages posted to a local HTTP server the tests start."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kpitree.cli import notify as notify_cli
from kpitree.notify import RetryPolicy

TREE = """
name: shop
kgi: revenue
time: {periods: 2, unit: month, start: 2027-01}
nodes:
  visits: {value: 1000, owner: marketing, alert: {below: 900}}
  cvr: {value: 0.02, bounds: [0, 1], owner: marketing, alert: {below: 0.015}}
  orders: {formula: visits * cvr}
  price: {value: 50, owner: sales, alert: {below: 45}}
  discount: {value: 0.1, bounds: [0, 1], alert: {above: 0.2}}
  revenue: {formula: orders * price * (1 - discount)}
"""
FIRING = "period,visits,cvr,price,discount\n2027-01,800,1.4%,40,30%\n"
QUIET = "period,visits,cvr,price,discount\n2027-01,1000,2%,50,10%\n"


@dataclass
class Hook:
    """A webhook receiver: answers with ``statuses`` in turn (then 200), records each body."""

    url: str
    statuses: list[int] = field(default_factory=list)
    bodies: list[dict] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    """An HTTP server on 127.0.0.1 and a free port, stopped and closed after the test."""
    state = Hook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            state.bodies.append(json.loads(self.rfile.read(length)))
            state.paths.append(self.path)
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/services/SECRET"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-off waits the command asked for, recorded instead of slept."""
    recorded: list[float] = []
    policy = RetryPolicy(timeout=5.0, sleep=recorded.append)
    monkeypatch.setattr(notify_cli, "retry_policy", lambda: policy)
    return recorded


@pytest.fixture
def shop(write_tree, tmp_path):
    """The tree file and a CSV of actuals where four alerts fire for three owners."""
    (tmp_path / "firing.csv").write_text(FIRING, encoding="utf-8")
    (tmp_path / "quiet.csv").write_text(QUIET, encoding="utf-8")
    return write_tree(TREE, "shop.yaml"), tmp_path / "firing.csv", tmp_path / "quiet.csv"


def test_one_post_per_owner_and_exit_1_when_delivered(cli, hook, waits, shop) -> None:
    """Marketing, sales and unowned each get one post; the alerts are printed; exit 1."""
    tree, firing, _ = shop
    status, out, err = cli("check", tree, "--actuals", firing, "--notify", hook.url)
    assert (status, err, waits) == (1, "", [])
    assert [body["kpitree"]["owner"] for body in hook.bodies] == ["marketing", "sales", "unowned"]
    assert [len(body["kpitree"]["alerts"]) for body in hook.bodies] == [2, 1, 1]
    assert hook.bodies[1]["text"] == (
        "kpitree: 1 alert for sales in shop.yaml:\n"
        "ALERT node 'price' at 2027-01: 40 is below 45 (owner: sales)\n"
    )
    assert hook.paths == ["/services/SECRET"] * 3
    assert out.count("ALERT node") == 4
    shown = hook.url.split("/services")[0] + "/…"
    assert f"sent: 2 alerts for marketing to {shown}" in out.splitlines()
    assert "SECRET" not in out


def test_no_alert_sends_nothing_exit_0(cli, hook, waits, shop) -> None:
    """Actuals within every threshold: no post at all, exit 0."""
    tree, _, quiet = shop
    status, out, _ = cli("check", tree, "--actuals", quiet, "--notify", hook.url)
    assert (status, hook.bodies) == (0, [])
    assert out.startswith("ok: no alert fired")


def test_server_failing_twice_then_accepting_is_delivered(cli, hook, waits, shop) -> None:
    """503, 503, then 200 for the first message: delivered after waits of 1 s and 2 s, exit 1."""
    tree, firing, _ = shop
    hook.statuses = [503, 503]
    status, _, err = cli("check", tree, "--actuals", firing, "--notify", hook.url)
    assert (status, err, waits) == (1, "", [1.0, 2.0])
    owners = [body["kpitree"]["owner"] for body in hook.bodies]
    assert owners == ["marketing", "marketing", "marketing", "sales", "unowned"]


def test_server_failing_three_times_is_exit_3_with_the_alert_printed(
    cli, hook, waits, shop
) -> None:
    """Three 503s lose no alert: the alerts are on stdout, the failure on stderr, exit 3."""
    tree, firing, _ = shop
    hook.statuses = [503, 503, 503]
    status, out, err = cli("check", tree, "--actuals", firing, "--notify", hook.url)
    assert status == 3
    shown = hook.url.split("/services")[0] + "/…"
    assert err == (
        f"kpitree: NOT DELIVERED: 2 alerts for marketing to {shown}: "
        "HTTP 503 Service Unavailable (3 attempts)\n"
    )
    assert "ALERT node 'visits' at 2027-01: 800 is below 900 (owner: marketing)" in out
    assert "sent: 1 alert for sales" in out  # the other owners still get theirs


def test_client_error_is_not_retried(cli, hook, waits, shop) -> None:
    """A 404 (a deleted webhook) fails at once: one attempt, no wait, exit 3."""
    tree, firing, _ = shop
    hook.statuses = [404]
    status, _, err = cli("check", tree, "--actuals", firing, "--notify", hook.url)
    assert (status, waits) == (3, [])
    assert "HTTP 404 Not Found (1 attempt)" in err


def test_unreachable_server_is_exit_3(cli, waits, shop) -> None:
    """Nothing listening on the port: every message fails after three attempts, exit 3."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tree, firing, _ = shop
    status, out, err = cli(
        "check", tree, "--actuals", firing, "--notify", f"http://127.0.0.1:{port}/h"
    )
    assert status == 3
    assert err.count("NOT DELIVERED") == 3
    assert "connection refused (3 attempts)" in err
    assert out.count("ALERT node") == 4


def test_two_destinations_each_get_every_message(cli, hook, waits, shop) -> None:
    """--notify twice: every owner's message goes to both."""
    tree, firing, _ = shop
    status, _, _ = cli(
        "check", tree, "--actuals", firing, "--notify", hook.url, "--notify", hook.url + "2"
    )
    assert status == 1
    assert hook.paths == ["/services/SECRET"] * 3 + ["/services/SECRET2"] * 3


def test_help_lists_notify_without_heavy_imports() -> None:
    """`check --help` documents --notify and exit 3; reading the option imports no sympy."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kpitree.cli.main import main\n"
        "try:\n    main(['check', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sympy', 'scipy', 'pandas', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "--notify URL" in result.stdout
    assert "exit 3" in result.stdout.replace("\n", " ").replace("  ", " ")
    assert result.stdout.strip().endswith("[]")


def test_after_one_message_fails_the_others_get_one_attempt(cli, hook, waits, shop) -> None:
    """A server down for good: 3 attempts for the first owner, then 1 each; 5 posts, exit 3."""
    tree, firing, _ = shop
    hook.statuses = [503] * 10
    status, _, err = cli("check", tree, "--actuals", firing, "--notify", hook.url)
    assert (status, len(hook.bodies), waits) == (3, 5, [1.0, 2.0])
    assert [line.rsplit("(", 1)[1] for line in err.splitlines()] == [
        "3 attempts)", "1 attempt)", "1 attempt)",
    ]  # fmt: skip
