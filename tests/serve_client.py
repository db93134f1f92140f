"""A running ``kpitree serve`` server in a thread and a urllib client for the serve tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kpitree.serve.app import STATIC, DashboardServer
from kpitree.serve.session import Session

TREES = Path(__file__).resolve().parent.parent / "trees"


@contextmanager
def running(
    tree: Path,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    static: Path = STATIC,
    read_actuals: Any = None,
) -> Iterator[DashboardServer]:
    """A server on a free port of ``host``, serving ``tree``, stopped on exit."""
    server = DashboardServer(host, 0, Session(tree, read_actuals), token=token, static=static)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def request(
    server: DashboardServer,
    path: str,
    body: Any = None,
    *,
    method: str | None = None,
    headers: Mapping[str, str] | None = None,
    raw: bytes | None = None,
    address: str = "127.0.0.1",
) -> tuple[int, Any, Any]:
    """Send a request; return (status, parsed JSON body or raw bytes, response headers)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(
        f"http://{address}:{server.port}{path}",
        data=data,
        method=method or ("GET" if data is None else "POST"),
        # As the page sends it: JSON bodies are refused under any other type.
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, payload, found = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, payload, found = error.code, error.read(), error.headers
    if found.get("Content-Type", "").startswith("application/json"):
        return status, json.loads(payload), found
    return status, payload, found
