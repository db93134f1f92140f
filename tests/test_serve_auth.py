"""Who may talk to ``kpitree serve``: the token on a non-loopback bind, the Host guard on
loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from serve_client import TREES, request, running

from kpitree.serve.app import host_name, is_loopback

SAAS = TREES / "saas_arr.yaml"
TOKEN = "s3cret-token_value"


@pytest.fixture(scope="module")
def static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A static folder with a page and a script."""
    folder = tmp_path_factory.mktemp("static")
    (folder / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (folder / "app.js").write_text("1;", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def open_server(static):
    """A server bound to every interface (0.0.0.0), so it needs the token."""
    with running(SAAS, host="0.0.0.0", token=TOKEN, static=static) as server:
        yield server


@pytest.fixture(scope="module")
def local_server():
    """A server on loopback, without token."""
    with running(SAAS) as server:
        yield server


PATHS = ["/", "/static/app.js", "/api/tree", "/api/version", "/api/actuals", "/api/nope"]


@pytest.mark.parametrize("path", PATHS)
def test_no_token_no_service(open_server, path) -> None:
    """Without the token every path, the page and its assets included, is 401 and nothing
    else."""
    status, data, headers = request(open_server, path)
    assert (status, data) == (401, {"error": "token required"})
    assert "Set-Cookie" not in headers


def test_no_token_on_post(open_server) -> None:
    """A POST without the token is 401 and computes nothing."""
    status, data, _ = request(open_server, "/api/evaluate", {"overrides": {}})
    assert (status, data) == (401, {"error": "token required"})


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong"},
        {"Cookie": "kpitree_token=wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Cookie": f"other={TOKEN}"},
        {"Cookie": 'kpitree_token="; bad'},
    ],
)
def test_wrong_token_refused(open_server, headers) -> None:
    """A wrong token, or the right one in the wrong place, is 401."""
    assert request(open_server, "/api/tree", headers=headers)[0] == 401
    assert request(open_server, "/?token=wrong")[0] == 401


@pytest.mark.parametrize("path", PATHS[:3])
def test_token_in_query_header_or_cookie(open_server, path) -> None:
    """The token is accepted in the query, as a Bearer header, or as the cookie."""
    assert request(open_server, f"{path}?token={TOKEN}")[0] == 200
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert request(open_server, path, headers=auth)[0] == 200
    cookie = {"Cookie": f"theme=dark; kpitree_token={TOKEN}"}
    assert request(open_server, path, headers=cookie)[0] == 200


def test_query_token_sets_strict_cookie(open_server) -> None:
    """The answer to a request with the token in its query sets it as an HttpOnly,
    SameSite=Strict cookie; a request by header sets none."""
    _, _, headers = request(open_server, f"/?token={TOKEN}")
    assert headers["Set-Cookie"] == f"kpitree_token={TOKEN}; HttpOnly; SameSite=Strict; Path=/"
    _, _, headers = request(open_server, "/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert "Set-Cookie" not in headers


def test_token_post_works(open_server) -> None:
    """With the token an evaluation is served; any Host header is fine off loopback."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Host": "dashboard.example.com"}
    status, data, _ = request(open_server, "/api/evaluate", {}, headers=headers)
    assert status == 200
    assert data["kgi"]["name"] == "arr"


def test_url_carries_the_token(open_server, local_server) -> None:
    """The printed address carries the token when one is needed, and only then."""
    assert open_server.url == f"http://0.0.0.0:{open_server.port}/?token={TOKEN}"
    assert local_server.url == f"http://127.0.0.1:{local_server.port}/"


@pytest.mark.parametrize(
    "host", ["evil.example.com", "evil.example.com:8050", "192.0.2.1", "127.0.0.1.evil.com", ""]
)
def test_loopback_refuses_foreign_host_header(local_server, host) -> None:
    """On loopback, a Host header that is not a loopback name (DNS rebinding) is 403."""
    status, data, _ = request(local_server, "/api/version", headers={"Host": host})
    assert status == 403
    assert data == {"error": "this server answers only to localhost (Host header)"}


@pytest.mark.parametrize("host", ["localhost", "localhost:8050", "127.0.0.1:1", "[::1]:8050"])
def test_loopback_accepts_loopback_host_header(local_server, host) -> None:
    """On loopback, localhost and loopback addresses (with a port) are served without token."""
    assert request(local_server, "/api/version", headers={"Host": host})[0] == 200


def test_loopback_with_explicit_token_requires_it() -> None:
    """A token given for a loopback server is required too (asked for, so enforced)."""
    with running(SAAS, token=TOKEN) as server:
        assert request(server, "/api/version")[0] == 401
        assert request(server, f"/api/version?token={TOKEN}")[0] == 200


@pytest.mark.parametrize(
    ("text", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.6.7", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("0.0.0.0", False),
        ("192.0.2.2", False),
        ("::", False),
        ("example.com", False),
    ],
)
def test_is_loopback(text, loopback) -> None:
    """Loopback names and addresses are told from the rest."""
    assert is_loopback(text) is loopback


@pytest.mark.parametrize(
    ("header", "name"),
    [("localhost:80", "localhost"), ("[::1]:80", "::1"), ("[::1]", "::1"), ("a.b", "a.b")],
)
def test_host_name(header, name) -> None:
    """The Host header's name is read without its port, IPv6 brackets removed."""
    assert host_name(header) == name


# -- another site's page posting to the loopback server (no token there) ------------------------
CROSS_SITE = [
    {"Content-Type": "text/plain"},
    {"Content-Type": "application/x-www-form-urlencoded"},
    {"Origin": "http://evil.example"},
    {"Origin": "http://127.0.0.1:1"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_posts_another_site_could_send_are_refused(tmp_path, headers) -> None:
    """A post a foreign page can send without a preflight (text/plain, a form) or that the
    browser marks as cross-site is refused, and the tree file is left as it was."""
    tree_file = tmp_path / "t.yaml"
    tree_file.write_bytes(SAAS.read_bytes())
    with running(tree_file) as server:
        version = request(server, "/api/tree")[1]["version"]
        body = {"name": "csrf", "overrides": {"churn_rate": 0.5}, "version": version}
        status, data, _ = request(server, "/api/scenario", body, headers=headers)
    assert status in (403, 415)
    assert data["error"] in (
        "requests from another site are refused", "the body must be sent as application/json"
    )  # fmt: skip
    assert tree_file.read_bytes() == SAAS.read_bytes()


def test_same_origin_post_is_served(local_server) -> None:
    """The page's own posts (same origin, same-origin fetch) are served."""
    origin = {"Origin": f"http://127.0.0.1:{local_server.port}", "Sec-Fetch-Site": "same-origin"}
    assert request(local_server, "/api/evaluate", {}, headers=origin)[0] == 200


def test_unread_body_is_not_taken_for_a_request(local_server) -> None:
    """A body sent to a page that does not read it is dropped, not answered as the next
    request on the same connection."""
    import socket

    smuggled = b"GET /api/actuals HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    head = (
        f"POST /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(smuggled)}\r\n"
        "Content-Type: application/json\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", local_server.port), timeout=30) as connection:
        connection.sendall(head + smuggled)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.count(b"HTTP/1.") == 1
    assert answer.startswith(b"HTTP/1.0 404") or answer.startswith(b"HTTP/1.1 404")


def test_hostile_bodies_and_names_are_client_errors(local_server) -> None:
    """Deeply nested JSON is 400 and a static name with a NUL byte or too long 404, never a
    500; a save listing many names that are not inputs is refused before any YAML is written."""
    import time

    deep = b"[" * 100_000 + b"]" * 100_000
    assert request(local_server, "/api/evaluate", raw=deep)[0] == 400
    assert request(local_server, "/static/x%00.js")[0] == 404
    assert request(local_server, "/static/" + "a" * 5000)[0] == 404
    made_up = {f"n{i}": 1 for i in range(40_000)}
    started = time.perf_counter()
    status, data, _ = request(
        local_server, "/api/scenario.yaml", {"name": "x", "overrides": made_up}
    )
    assert (status, data["error"]) == (400, "overrides: 'n0' is not an input of saas_arr")
    assert time.perf_counter() - started < 5  # about 12 s when every name was written as YAML
