"""Retries with exponential back-off: a server that is down for a moment does not lose an
alert, and one that refuses the message for good is not asked again."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kpitree.errors import DeliveryError

__all__ = ["DeliveryError", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try.

    Attributes
    ----------
    attempts : int
        Tries in all (the first one included).
    first_delay : float
        Seconds before the second try; each later delay doubles.
    timeout : float
        Seconds a connection or an answer may take before the attempt counts as failed.
    sleep : callable
        Waits the given seconds; tests pass one that records instead of waiting.
    """

    attempts: int = 3
    first_delay: float = 1.0
    timeout: float = 10.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_delay < 0 or self.timeout <= 0:
            raise ValueError(
                f"RetryPolicy: attempts {self.attempts} (at least 1), first_delay "
                f"{self.first_delay} (at least 0), timeout {self.timeout} (above 0)"
            )

    def delays(self) -> list[float]:
        """The waits between tries: ``[1.0, 2.0]`` for three tries from 1 s."""
        return [self.first_delay * 2**index for index in range(self.attempts - 1)]


def with_retries(send: Callable[[], None], policy: RetryPolicy) -> int:
    """Call ``send`` until it succeeds, at most ``policy.attempts`` times.

    Returns
    -------
    int
        The number of attempts made.

    Raises
    ------
    DeliveryError
        The last failure, with ``attempts`` set to the number of attempts made.
    """
    waits = policy.delays()
    for attempt in range(1, policy.attempts + 1):
        try:
            send()
        except DeliveryError as failure:
            if failure.permanent or attempt == policy.attempts:
                raise DeliveryError(failure.reason, failure.permanent, attempt) from None
            policy.sleep(waits[attempt - 1])
        else:
            return attempt
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
