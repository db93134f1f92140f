"""``kpitree serve TREE``: the live dashboard, a local web app over the tree and its analyses."""

from __future__ import annotations

import argparse
import errno
import re
import sys
from typing import TYPE_CHECKING

from kpitree.cli.actuals_source import add_actuals_source, read_actuals_source
from kpitree.cli.options import UsageError, add_tree, parse_whole

if TYPE_CHECKING:
    from kpitree.actuals import Actuals
    from kpitree.facade import Tree

DEFAULT_PORT = 8050


def register(commands: argparse._SubParsersAction) -> None:
    """Add the sub-command."""
    parser = commands.add_parser(
        "serve",
        help="the live dashboard in a web browser",
        description="Serve the tree as a live dashboard: the diagram with values and status, "
        "every input editable within its bounds, goal seek, the forecast fan, plan vs actual. "
        "Every asset ships with kpitree (no network needed). The page reloads its data when "
        "the tree file or its record sources change. Listens on 127.0.0.1 by default; any "
        "other --host requires a token on every request. Stop with Ctrl-C.",
    )
    add_tree(parser)
    add_actuals_source(parser, ": show plan vs actual and the attribution of the gap")
    parser.add_argument(
        "--port",
        metavar="N",
        default=str(DEFAULT_PORT),
        help=f"the port to listen on; 0 picks a free one (default: {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1, this machine only); any address "
        "other than loopback (0.0.0.0 for every interface) requires the token",
    )
    parser.add_argument(
        "--token",
        metavar="T",
        help="the token every request must carry (?token=T, 'Authorization: Bearer T' or the "
        "cookie the page sets); default with a non-loopback --host: a random one, printed",
    )
    parser.add_argument(
        "--no-open", action="store_true", help="do not open the page in a web browser"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the tree and actuals, bind, print the address, serve until Ctrl-C."""
    import secrets
    from pathlib import Path

    from kpitree.serve import api
    from kpitree.serve.app import DashboardServer, is_loopback
    from kpitree.serve.session import Session, load_state

    port = parse_whole(args.port, "--port")
    if port is None or port > 65535:
        raise UsageError(f"--port: expected a port number 0..65535, found '{args.port}'")
    # The token travels in a URL, a header and a cookie: characters safe in all three only.
    if args.token is not None and not re.fullmatch(r"[A-Za-z0-9._~-]{8,200}", args.token):
        raise UsageError(
            "--token: expected 8 to 200 letters, digits or . _ ~ - "
            "(it goes into the page's address and a cookie)"
        )

    def read_actuals(tree: Tree) -> Actuals | None:
        return read_actuals_source(args, tree)

    path = Path(args.tree)
    # Everything that can be wrong with the input (the actuals' options too) is found before
    # the port is taken.
    session = Session(path, read_actuals, load_state(path, read_actuals))
    # The engine compiled and the diagram laid out now, so the page's first requests are quick.
    api.tree_info(session.state)
    session.state.tree.evaluate()
    token = args.token
    if token is None and not is_loopback(args.host):
        token = secrets.token_urlsafe(24)
    try:
        server = DashboardServer(args.host, port, session, token=token)
    except OSError as error:
        raise UsageError(_bind_message(args.host, port, error)) from None
    print(f"kpitree serve: {server.url}", flush=True)
    if not args.no_open:
        _open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _bind_message(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"--port {port}: the port is in use on {host} (another server?); try --port 0"
    if error.errno == errno.EACCES:
        return f"--port {port}: not allowed to listen on it (ports below 1024 need privileges)"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"--host {host}: not an address of this machine"
    reason = getattr(error, "strerror", None) or str(error)
    return f"--host {host} --port {port}: cannot listen: {reason}"


def _open(url: str) -> None:
    """Open the page in the user's browser; no browser (a server over SSH) is no error."""
    import webbrowser

    try:
        webbrowser.open(url)
    except Exception as error:  # a broken browser setup must not stop serving
        print(f"kpitree serve: could not open a browser: {error}", file=sys.stderr)
