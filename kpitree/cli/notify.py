"""``--notify URL``: the alerts of a check sent to the people who own them.

Exit status once the alerts are known: 0 none fired (nothing is sent), 1 alerts fired (and,
with ``--notify``, every message was delivered), 3 alerts fired and at least one message could
not be delivered. The alerts are printed in every case, so an undelivered one is never lost.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from kpitree.analysis.alerts import AlertHit
    from kpitree.notify import Destination, RetryPolicy

NO_ALERT, ALERTED, NOT_DELIVERED = 0, 1, 3


def add_notify(parser: argparse.ArgumentParser) -> None:
    """``--notify URL`` (repeatable), each URL checked while the arguments are read, so a bad
    one stops the command (exit 2) before anything is sent."""
    parser.add_argument(
        "--notify",
        metavar="URL",
        action="append",
        type=_destination,
        default=[],
        help="send one message per owner listing their alerts: https://... (a Slack-compatible "
        "webhook) or smtp://host:port?to=a@x&to=b@y&from=k@x (smtps:// for TLS from the start; "
        "login from KPITREE_SMTP_USER / KPITREE_SMTP_PASSWORD); repeatable. Exit 3 when a "
        "message cannot be delivered after 3 attempts",
    )


def _destination(url: str) -> Destination:
    """argparse's reading of one URL: our message, argparse's exit status 2."""
    from kpitree.notify import DestinationError, parse_destination

    try:
        return parse_destination(url)
    except DestinationError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--notify: ")) from None


def alert_status(
    hits: list[AlertHit],
    destinations: list[Destination],
    source: str,
    report: TextIO | None = None,
) -> int:
    """Send the alerts (when any fired and destinations were given) and return the exit status.

    Each delivery is reported on ``report`` (standard output by default); each failure on
    standard error, naming the destination as shown (no secret path) and the owner whose
    alerts did not arrive.
    """
    if not hits:
        return NO_ALERT
    if not destinations:
        return ALERTED
    from kpitree.notify import deliver, messages_by_owner

    failed = False
    for delivery in deliver(messages_by_owner(hits, source), destinations, retry_policy()):
        owner = delivery.message.owner
        count = len(delivery.message.alerts)
        alerts = f"{count} alert{'s' if count > 1 else ''}"
        where = delivery.destination.shown
        if delivery.delivered:
            print(f"sent: {alerts} for {owner} to {where}", file=report or sys.stdout)
        else:
            failed = True
            tries = f"{delivery.attempts} attempt{'s' if delivery.attempts > 1 else ''}"
            print(
                f"kpitree: NOT DELIVERED: {alerts} for {owner} to {where}: {delivery.error} "
                f"({tries})",
                file=sys.stderr,
            )
    return NOT_DELIVERED if failed else ALERTED


def retry_policy() -> RetryPolicy:
    """The retry policy; a seam so tests can make the back-off instant."""
    from kpitree.notify import RetryPolicy

    return RetryPolicy()
