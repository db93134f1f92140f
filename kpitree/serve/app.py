"""The dashboard's HTTP server: routing, JSON in and out, static files, the token and Host checks.

The standard library's :class:`~http.server.ThreadingHTTPServer`, no web framework: it starts
at once and adds no dependency. Each request runs in its own thread; the session's lock lets
one at a time use the tree (the compiled engine is built once and reused by every request).

Security, by where the server listens:

- a loopback address (``127.0.0.1``, ``::1``, ``localhost``): no token, but a request whose
  ``Host`` header is not a loopback name is refused (403): a web page elsewhere cannot reach the
  server through a DNS name rebound to 127.0.0.1;
- any other address: every request, the page and its assets included, carries the token as
  ``?token=``, ``Authorization: Bearer``, or the ``kpitree_token`` cookie (set, HttpOnly and
  SameSite=Strict, by the answer to a request that carried it in the query); without it the
  answer is 401 and nothing else.

Errors are JSON ``{"error": message}``: 400 bad input (``--set``'s message naming the input),
404, 405, 409 a save conflict, 413 a body over 1 MB, 500 anything unforeseen (one line on
standard error, never a traceback to the page).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kpitree.errors import KpiTreeError, ScenarioConflict
from kpitree.serve import api
from kpitree.serve.session import Session

MAX_BODY = 1024 * 1024
"""The largest request body accepted, in bytes: a page's values are a few kilobytes."""
STATIC = Path(__file__).parent / "static"
"""The page and its assets, shipped in the package."""
COOKIE = "kpitree_token"
LOOPBACK_NAMES = ("localhost",)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
}

Route = Callable[["Handler", dict[str, Any]], "Reply"]


class Reply:
    """An answer: status, body bytes, content type and extra headers."""

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})

    @classmethod
    def json(cls, data: Any, status: int = HTTPStatus.OK) -> Reply:
        """``data`` as JSON: numpy values made plain, non-finite numbers ``null`` (as the
        command line's ``--format json``)."""
        from kpitree.present.export import _clean

        text = json.dumps(_clean(data), ensure_ascii=False, allow_nan=False)
        return cls(status, text.encode("utf-8"))

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        """``{"error": message}`` with ``status``."""
        return cls(status, json.dumps({"error": message}, ensure_ascii=False).encode("utf-8"))


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.1``, ``::1``)."""
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port (``[::1]:8050`` -> ``::1``)."""
    header = header.strip()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class DashboardServer(ThreadingHTTPServer):
    """The HTTP server of ``kpitree serve``.

    Parameters
    ----------
    host : str
        The address to listen on.
    port : int
        The port (0 picks a free one: see :attr:`port`).
    session : Session
        The tree served.
    token : str, optional
        The token every request must carry; ``None`` for none (a loopback host only).
    static : pathlib.Path
        The folder of the page and its assets.

    Raises
    ------
    OSError
        When the address cannot be bound (a port in use, a host not of this machine).
    """

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        host: str,
        port: int,
        session: Session,
        *,
        token: str | None = None,
        static: Path = STATIC,
    ) -> None:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        self.address_family = info[0][0]
        self.session = session
        self.token = token
        self.loopback = is_loopback(host)
        self.static = static
        self.host = host
        super().__init__((host, port), Handler)

    @property
    def port(self) -> int:
        """The port listened on (the one picked for port 0)."""
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The page's address, with the token when one is needed."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?token={self.token}" if self.token is not None else ""
        return f"http://{host}:{self.port}/{query}"

    def start(self) -> threading.Thread:
        """Serve in a background thread (for tests and embedding); stop with :meth:`stop`."""
        thread = threading.Thread(target=self.serve_forever, name="kpitree-serve", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    """One request: checks, routing, and the answer."""

    server: DashboardServer
    protocol_version = "HTTP/1.1"  # keep-alive: the page's requests reuse one connection
    # Headers and body leave in two writes: with Nagle's algorithm on, the second waits for
    # the client's delayed ACK, 40 ms on Linux, on every kept-alive request.
    disable_nagle_algorithm = True
    # A connection that sends nothing for this long is closed, so an idle or stalled client
    # does not keep a thread forever (the page reconnects on its next request).
    timeout = 120

    def do_GET(self) -> None:  # the name http.server calls
        """Answer a GET."""
        self._answer("GET")

    def do_POST(self) -> None:
        """Answer a POST."""
        self._answer("POST")

    def do_HEAD(self) -> None:
        """Refuse HEAD like any other unsupported method."""
        self._send(Reply.error(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed"), head=True)

    def version_string(self) -> str:
        """The ``Server`` header: the program, not its Python version."""
        return "kpitree"

    def log_message(self, format: str, *args: Any) -> None:
        """Say nothing per request: the terminal is the user's."""

    def _answer(self, method: str) -> None:
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        set_cookie = None
        try:
            refusal = self._refusal(query)
            if refusal is not None:
                self._send(refusal, drop_body=True)
                return
            if self.server.token is not None and query.get("token"):
                set_cookie = f"{COOKIE}={self.server.token}; HttpOnly; SameSite=Strict; Path=/"
            reply = self._route(method, split.path)
        except Exception as error:  # the page gets one line, never a traceback
            print(
                f"kpitree serve: {method} {split.path}: {type(error).__name__}: {error}",
                file=sys.stderr,
            )
            reply = Reply.error(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                "internal error: the server logged it; please report it with the request",
            )
        if set_cookie is not None:
            reply.headers["Set-Cookie"] = set_cookie
        self._send(reply)

    # -- checks ----------------------------------------------------------------------------
    def _refusal(self, query: dict[str, list[str]]) -> Reply | None:
        """The answer that refuses this request, or ``None`` when it may be served."""
        server = self.server
        if server.loopback and not is_loopback(host_name(self.headers.get("Host", ""))):
            return Reply.error(
                HTTPStatus.FORBIDDEN, "this server answers only to localhost (Host header)"
            )
        if server.token is not None and not self._has_token(query, server.token):
            return Reply.error(HTTPStatus.UNAUTHORIZED, "token required")
        if self.command == "POST" and self._cross_site():
            return Reply.error(HTTPStatus.FORBIDDEN, "requests from another site are refused")
        return None

    def _cross_site(self) -> bool:
        """Whether a browser says this request comes from another site's page (which could
        otherwise post to a loopback server, where no token is asked): ``Sec-Fetch-Site``
        other than same-origin or none, or an ``Origin`` whose host is not this one's."""
        fetch_site = self.headers.get("Sec-Fetch-Site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return True
        origin = self.headers.get("Origin")
        if origin is None:
            return False
        return urlsplit(origin).netloc.lower() != self.headers.get("Host", "").lower()

    def _has_token(self, query: dict[str, list[str]], token: str) -> bool:
        given = list(query.get("token", []))
        authorization = self.headers.get("Authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer":
            given.append(credentials.strip())
        try:
            cookie = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            cookie = SimpleCookie()
        if COOKIE in cookie:
            given.append(cookie[COOKIE].value)
        expected = token.encode("utf-8")
        return any(hmac.compare_digest(item.encode("utf-8"), expected) for item in given)

    # -- routing ---------------------------------------------------------------------------
    def _route(self, method: str, path: str) -> Reply:
        if method == "GET" or path not in ROUTES or ROUTES[path][0] != method:
            # A body nobody reads would be taken for the next request on the connection.
            self._drop_body()
        if path == "/" or path.startswith("/static/"):
            if method != "GET":
                return Reply.error(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed")
            return self._static("index.html" if path == "/" else path[len("/static/") :])
        route = ROUTES.get(path)
        if route is None:
            return Reply.error(HTTPStatus.NOT_FOUND, f"no such page: {path[:200]}")
        wanted, function = route
        if method != wanted:
            return Reply.error(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} takes {wanted}")
        body: dict[str, Any] = {}
        if method == "POST":
            read = self._body()
            if isinstance(read, Reply):
                return read
            body = read
        try:
            return function(self, body)
        except KpiTreeError as error:
            return Reply.error(_status_of(error), str(error))

    def _static(self, name: str) -> Reply:
        """A file of the page; any path leaving the static folder is refused."""
        name = unquote(name)
        parts = name.split("/")
        if not name or any(part in ("", ".", "..") or "\\" in part for part in parts):
            return Reply.error(HTTPStatus.NOT_FOUND, "no such file")
        root = self.server.static.resolve()
        try:
            path = (root / name).resolve()
            found = path.is_relative_to(root) and path.is_file()
        except (OSError, ValueError):  # a NUL byte, a name too long for the file system
            found = False
        if not found:
            return Reply.error(HTTPStatus.NOT_FOUND, "no such file")
        content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return Reply(HTTPStatus.OK, path.read_bytes(), content_type, {"Cache-Control": "no-cache"})

    def _body(self) -> dict[str, Any] | Reply:
        """The request's JSON object, or the answer refusing it."""
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return Reply.error(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length")
        try:
            length = int(length_text) if length_text is not None else 0
        except ValueError:
            self.close_connection = True
            return Reply.error(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
        if length < 0:
            self.close_connection = True
            return Reply.error(HTTPStatus.BAD_REQUEST, "Content-Length is negative")
        if length > MAX_BODY:
            self.close_connection = True  # the body is left unread
            return Reply.error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the body is {length:,} bytes, more than the {MAX_BODY:,} accepted",
            )
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        # A form or text/plain post needs no preflight from another site's page; JSON does.
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return Reply.error(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "the body must be sent as application/json"
            )
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError) as error:
            return Reply.error(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {error}")
        except RecursionError:
            return Reply.error(HTTPStatus.BAD_REQUEST, "the body is not JSON: nested too deeply")
        if not isinstance(data, dict):
            return Reply.error(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return data

    def _drop_body(self) -> None:
        """Read and drop a body not wanted, so the connection stays usable."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if 0 < length <= MAX_BODY:
            self.rfile.read(length)
        elif length != 0:
            self.close_connection = True

    def _send(self, reply: Reply, *, head: bool = False, drop_body: bool = False) -> None:
        if drop_body:
            self._drop_body()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")  # no page may frame the dashboard
        if reply.content_type.startswith("application/json"):
            self.send_header("Cache-Control", "no-store")
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(reply.body)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _status_of(error: KpiTreeError) -> int:
    """409 for a save that would overwrite a tree changed since it was loaded, else 400."""
    if isinstance(error, ScenarioConflict):
        return HTTPStatus.CONFLICT
    return HTTPStatus.BAD_REQUEST


# -- the routes ---------------------------------------------------------------------------------
def _tree(handler: Handler, body: dict[str, Any]) -> Reply:
    session = handler.server.session
    with session.lock:
        return Reply.json(api.tree_info(session.state))


def _evaluate(handler: Handler, body: dict[str, Any]) -> Reply:
    session = handler.server.session
    with session.lock:
        return Reply.json(api.evaluate(session.state, body))


def _solve(handler: Handler, body: dict[str, Any]) -> Reply:
    session = handler.server.session
    with session.lock:
        return Reply.json(api.solve(session.state, body))


def _forecast(handler: Handler, body: dict[str, Any]) -> Reply:
    session = handler.server.session
    with session.lock:
        return Reply.json(api.forecast(session.state, body))


def _actuals(handler: Handler, body: dict[str, Any]) -> Reply:
    session = handler.server.session
    with session.lock:
        return Reply.json(api.actuals(session.state))


def _version(handler: Handler, body: dict[str, Any]) -> Reply:
    session = handler.server.session
    with session.lock:
        version, error = session.refresh()
    data = {"version": version}
    if error is not None:
        data["error"] = error
    return Reply.json(data)


def _scenario(handler: Handler, body: dict[str, Any]) -> Reply:
    session = handler.server.session
    with session.lock:
        saved = api.save_scenario(session.path, body, session.state.tree)
        # The saved scenario is served at once (and a save the file watcher would also see
        # does not make the page reload twice).
        version, _ = session.refresh()
    return Reply.json({**saved, "version": version})


def _scenario_yaml(handler: Handler, body: dict[str, Any]) -> Reply:
    session = handler.server.session
    with session.lock:
        tree = session.state.tree
    filename, text = api.scenario_download(body, tree)
    return Reply(
        HTTPStatus.OK,
        text.encode("utf-8"),
        "text/yaml; charset=utf-8",
        {"Content-Disposition": f'attachment; filename="{filename}"'},
    )


ROUTES: dict[str, tuple[str, Route]] = {
    "/api/tree": ("GET", _tree),
    "/api/evaluate": ("POST", _evaluate),
    "/api/solve": ("POST", _solve),
    "/api/forecast": ("POST", _forecast),
    "/api/actuals": ("GET", _actuals),
    "/api/version": ("GET", _version),
    "/api/scenario": ("POST", _scenario),
    "/api/scenario.yaml": ("POST", _scenario_yaml),
}
"""Path -> (method, function answering it)."""
