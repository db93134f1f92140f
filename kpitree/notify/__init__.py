"""Alerts that reach people: one message per owner, to a webhook or by e-mail, with retries.

``kpitree check TREE --actuals FILE --notify URL`` reads each URL
(:func:`parse_destination`), groups the alerts that fired by owner (:func:`messages_by_owner`)
and sends every message to every destination (:func:`deliver`).
"""

from kpitree.notify.deliver import Delivery, deliver
from kpitree.notify.destination import (
    Destination,
    DestinationError,
    Mailbox,
    Webhook,
    parse_destination,
)
from kpitree.notify.message import UNOWNED, Message, messages_by_owner
from kpitree.notify.retry import DeliveryError, RetryPolicy

__all__ = [
    "UNOWNED",
    "Delivery",
    "DeliveryError",
    "Destination",
    "DestinationError",
    "Mailbox",
    "Message",
    "RetryPolicy",
    "Webhook",
    "deliver",
    "messages_by_owner",
    "parse_destination",
]
