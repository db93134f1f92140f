"""A server that accepts the connection and never answers: each attempt times out, is retried,
and the delivery fails after the last one instead of hanging."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from kpitree.analysis.alerts import AlertHit
from kpitree.notify import RetryPolicy, deliver, messages_by_owner, parse_destination

MESSAGES = messages_by_owner([AlertHit("cvr", "2027-01", 0.01, 0.015, "below", "mkt")], "t.yaml")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listening socket nobody reads from: connections are made by the kernel, never answered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/hook", "no answer within 0.3 s"),
        ("smtp://127.0.0.1:{port}?to=a@x.jp", "no answer within 0.3 s"),
    ],
)
def test_silent_server_times_out_on_every_attempt(silent_port: int, url: str, reason: str) -> None:
    """Two attempts of 0.3 s each, one wait between them, then the failure: well under 5 s."""
    waits: list[float] = []
    policy = RetryPolicy(attempts=2, timeout=0.3, sleep=waits.append)
    started = time.perf_counter()
    [delivery] = deliver(MESSAGES, [parse_destination(url.format(port=silent_port))], policy)
    assert (delivery.error, delivery.attempts, waits) == (reason, 2, [1.0])
    assert time.perf_counter() - started < 5
