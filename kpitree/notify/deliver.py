"""Every message to every destination, each with its own retries, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kpitree.notify.destination import Destination, Mailbox
from kpitree.notify.mail import send_mail
from kpitree.notify.message import Message
from kpitree.notify.retry import DeliveryError, RetryPolicy, with_retries
from kpitree.notify.webhook import post


@dataclass(frozen=True)
class Delivery:
    """What became of one message at one destination (``error`` is ``None`` when delivered)."""

    message: Message
    destination: Destination
    attempts: int
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """True when the destination accepted the message."""
        return self.error is None


def deliver(
    messages: list[Message], destinations: list[Destination], policy: RetryPolicy | None = None
) -> list[Delivery]:
    """Send each message to each destination; a failure does not stop the others.

    Once a message has failed at a destination after all its attempts, the next ones there get
    a single attempt each: a server that is down would otherwise hold a scheduled job for
    (attempts x timeout + back-off) per owner.

    Parameters
    ----------
    messages : list of Message
        One per owner (:func:`kpitree.notify.message.messages_by_owner`).
    destinations : list of Webhook or Mailbox
        From :func:`kpitree.notify.destination.parse_destination`.
    policy : RetryPolicy, optional
        Attempts, back-off and timeout (default: 3 attempts, 1 s then 2 s, 10 s timeout).

    Returns
    -------
    list of Delivery
        Destination by destination, message by message.
    """
    policy = policy or RetryPolicy()
    results = []
    for destination in destinations:
        patience = policy
        for message in messages:
            delivery = _deliver_one(message, destination, patience)
            if delivery.attempts == policy.attempts and not delivery.delivered:
                patience = replace(policy, attempts=1)
            results.append(delivery)
    return results


def _deliver_one(message: Message, destination: Destination, policy: RetryPolicy) -> Delivery:
    """One message to one destination, with retries."""
    if isinstance(destination, Mailbox):
        mailbox = destination

        def send() -> None:
            send_mail(mailbox, message, policy.timeout)
    else:
        webhook = destination

        def send() -> None:
            post(webhook, message, policy.timeout)

    try:
        attempts = with_retries(send, policy)
    except DeliveryError as failure:
        return Delivery(message, destination, failure.attempts, failure.reason)
    return Delivery(message, destination, attempts)
