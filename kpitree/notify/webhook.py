"""Posting a message to a Slack-compatible webhook with the standard library's urllib."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from kpitree.notify import tls
from kpitree.notify.retry import DeliveryError

if TYPE_CHECKING:
    from kpitree.notify.destination import Webhook
    from kpitree.notify.message import Message

# Worth another try: the server is busy or briefly broken. Any other 4xx will not change.
_RETRYABLE = {408, 425, 429}
MAX_TEXT_ALERTS = 50
"""Alerts listed in ``text`` at most: chat tools cut long posts (Slack at 40,000 characters),
so the rest are counted there and listed in the structured field."""
# The answer is only acknowledged, never used: a server cannot make us read a gigabyte.
_MAX_ANSWER = 64 * 1024


def webhook_body(message: Message) -> bytes:
    """``{"text": ..., "kpitree": {"owner": ..., "alerts": [...]}}``: Slack shows ``text`` and
    ignores the rest; other receivers can read the structured field, which lists every alert
    even when ``text`` stops after :data:`MAX_TEXT_ALERTS`."""
    text = message.text
    hidden = len(message.alerts) - MAX_TEXT_ALERTS
    if hidden > 0:
        lines = text.splitlines()[: 1 + MAX_TEXT_ALERTS]  # the heading, then the first alerts
        text = "\n".join([*lines, f"... and {hidden:,} more"]) + "\n"
    return json.dumps({"text": text, "kpitree": message.to_dict()}).encode("utf-8")


def post(destination: Webhook, message: Message, timeout: float) -> None:
    """Send ``message`` in one attempt.

    Raises
    ------
    DeliveryError
        The server could not be reached, timed out or did not answer 2xx; permanent for a 4xx
        other than 408, 425 and 429, and for a certificate that does not verify.
    """
    request = urllib.request.Request(
        destination.url,
        data=webhook_body(message),
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "kpitree"},
        method="POST",
    )
    # TLS verified against the system's certificates; no redirects to somewhere else followed
    # with the alert's content.
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(
        context=tls.tls_context()
    ))  # fmt: skip
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(_MAX_ANSWER)
    except urllib.error.HTTPError as error:
        error.close()
        permanent = 400 <= error.code < 500 and error.code not in _RETRYABLE
        raise DeliveryError(f"HTTP {error.code} {error.reason}", permanent) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise DeliveryError(tls.untrusted(reason), True) from None
        raise DeliveryError(_describe(reason)) from None
    except TimeoutError:
        raise DeliveryError(f"no answer within {timeout:g} s") from None
    except (OSError, ValueError) as error:  # a connection reset mid-answer, a bad status line
        raise DeliveryError(_describe(error)) from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as a failure: the message is not re-sent to another address."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _describe(reason: object) -> str:
    """A short reason: the OS's words for a socket error, the text of anything else."""
    if isinstance(reason, TimeoutError):
        return "no answer in time"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__
