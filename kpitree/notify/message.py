"""One message per owner, listing the alerts on the nodes that owner holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kpitree.analysis.alerts import AlertHit

# Line breaks and other control characters in an owner's name or a file name would end an
# e-mail header (or add one): the subject gets them as single spaces.
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")

UNOWNED = "unowned"
"""The recipient named for alerts on nodes without an ``owner:``."""


@dataclass(frozen=True)
class Message:
    """The alerts of one owner, as a subject, a plain text and JSON-ready fields."""

    owner: str
    source: str
    subject: str
    text: str
    alerts: tuple[AlertHit, ...]

    def to_dict(self) -> dict[str, Any]:
        """The structured form sent alongside the text."""
        return {
            "owner": self.owner,
            "source": self.source,
            "alerts": [hit.to_dict() for hit in self.alerts],
        }


def messages_by_owner(hits: list[AlertHit], source: str) -> list[Message]:
    """Group alerts by owner, owners in order of their first alert, ``unowned`` last.

    Parameters
    ----------
    hits : list of AlertHit
        The alerts that fired (as :func:`kpitree.analysis.compare.check_actuals` returns them).
    source : str
        What the alerts were checked on, named in the subject (e.g. the tree file's name).

    Returns
    -------
    list of Message
        Empty when no alert fired.
    """
    groups: dict[str, list[AlertHit]] = {}
    for hit in hits:
        groups.setdefault(hit.owner or UNOWNED, []).append(hit)
    if UNOWNED in groups:  # the owned ones first: they have someone to act
        groups[UNOWNED] = groups.pop(UNOWNED)
    messages = []
    for owner, alerts in groups.items():
        count = f"{len(alerts)} alert{'s' if len(alerts) > 1 else ''}"
        subject = _BREAKS.sub(" ", f"kpitree: {count} for {owner} in {source}").strip()
        lines = [f"{subject}:", *(f"ALERT {hit.message()}" for hit in alerts)]
        messages.append(Message(owner, source, subject, "\n".join(lines) + "\n", tuple(alerts)))
    return messages
