"""Where alert messages go: a ``--notify`` URL read into a checked destination.

Two kinds, told by the scheme:

- a webhook, ``https://host/path`` (Slack-compatible JSON body); ``http://`` only to a loopback
  address, since anything else would carry the alerts, and a webhook's secret path, in clear;
- e-mail, ``smtp://host:port?to=a@x&to=b@y&from=k@x`` (STARTTLS when the server offers it) or
  ``smtps://`` (TLS from the first byte). Credentials come from the environment
  (:data:`USER_VARIABLE`, :data:`PASSWORD_VARIABLE`), never from the URL, so that a URL shown in
  a log or a message gives nothing away.

Every destination has a ``shown`` form for messages: a webhook's path (often the secret) and
query are left out.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from kpitree.errors import DestinationError

USER_VARIABLE = "KPITREE_SMTP_USER"
PASSWORD_VARIABLE = "KPITREE_SMTP_PASSWORD"
SMTP_PORT, SMTPS_PORT = 25, 465
DEFAULT_SENDER = "kpitree@localhost"
MAX_URL = 2000
# One address, no display name: anything with spaces, commas, angle brackets or line breaks
# could add recipients or headers.
_ADDRESS = re.compile(r"[^@\s,;<>\"'()]+@[^@\s,;<>\"'()]+")


@dataclass(frozen=True)
class Webhook:
    """A Slack-compatible incoming webhook."""

    url: str
    shown: str


@dataclass(frozen=True)
class Mailbox:
    """An SMTP server and the recipients of the messages sent through it."""

    host: str
    port: int
    implicit_tls: bool
    recipients: tuple[str, ...]
    sender: str
    shown: str


Destination = Webhook | Mailbox


def parse_destination(url: str) -> Destination:
    """Read a ``--notify`` URL.

    Parameters
    ----------
    url : str
        ``https://...`` (``http://`` to a loopback host only), ``smtp://host:port?to=...`` or
        ``smtps://host:port?to=...``.

    Returns
    -------
    Webhook or Mailbox

    Raises
    ------
    DestinationError
        The URL is malformed or unsafe; the message never repeats a secret path or password.
    """
    if len(url) > MAX_URL:
        raise DestinationError(f"--notify: a URL of {len(url):,} characters (at most {MAX_URL:,})")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise DestinationError("--notify: the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise DestinationError(f"--notify: not a URL ({error})") from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    shown = f"{scheme}://{host}" + (f":{port}" if port else "")
    if scheme not in ("http", "https", "smtp", "smtps"):
        raise DestinationError(
            f"--notify: scheme '{scheme or '(none)'}' in {shown}: expected https:// (a webhook), "
            "smtp:// or smtps:// (e-mail)"
        )
    if not host:
        raise DestinationError(f"--notify: no host in {scheme}:// URL")
    try:
        host.encode("idna")
    except UnicodeError:
        raise DestinationError(f"--notify: '{host[:80]}' is not a host name") from None
    if parts.username is not None or parts.password is not None:
        raise DestinationError(
            f"--notify: credentials in the URL {shown}: set {USER_VARIABLE} and "
            f"{PASSWORD_VARIABLE} instead (a URL is shown in logs and messages)"
        )
    if scheme in ("http", "https"):
        if scheme == "http" and not is_loopback(host):
            raise DestinationError(
                f"--notify: {shown} is plain http: use https:// (http:// only to this machine)"
            )
        if parts.query or parts.path not in ("", "/"):
            shown += "/…"
        return Webhook(url, shown)
    return _mailbox(parts.query, scheme, host, port, shown)


def _mailbox(query: str, scheme: str, host: str, port: int | None, shown: str) -> Mailbox:
    """The e-mail destination of an ``smtp://`` or ``smtps://`` URL."""
    try:
        fields = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise DestinationError(f"--notify: cannot read the query of {shown}") from None
    unknown = sorted(set(fields) - {"to", "from"})
    if unknown:
        raise DestinationError(
            f"--notify: unknown field '{unknown[0]}' in {shown} (expected to=, from=)"
        )
    recipients = tuple(fields.get("to", []))
    if not recipients:
        raise DestinationError(f"--notify: no recipient in {shown}: add ?to=name@example.com")
    senders = fields.get("from", [DEFAULT_SENDER])
    if len(senders) > 1:
        raise DestinationError(f"--notify: more than one from= in {shown}")
    for address in (*recipients, senders[0]):
        if not _ADDRESS.fullmatch(address):
            raise DestinationError(f"--notify: '{address[:80]}' in {shown} is not an address")
    implicit_tls = scheme == "smtps"
    port = port or (SMTPS_PORT if implicit_tls else SMTP_PORT)
    shown = f"{scheme}://{host}:{port} (to {', '.join(recipients)})"
    return Mailbox(host, port, implicit_tls, recipients, senders[0], shown)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
