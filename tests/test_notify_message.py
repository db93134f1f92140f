"""Alerts grouped into one message per owner, and the retries with back-off around sending."""

from __future__ import annotations

import json

import pytest

from kpitree.analysis.alerts import AlertHit
from kpitree.notify import UNOWNED, DeliveryError, RetryPolicy, messages_by_owner
from kpitree.notify.retry import with_retries
from kpitree.notify.webhook import webhook_body

HITS = [
    AlertHit("discount", "2027-01", 0.3, 0.2, "above", None),
    AlertHit("visits", "2027-01", 800.0, 900.0, "below", "marketing"),
    AlertHit("price", "2027-01", 40.0, 45.0, "below", "sales"),
    AlertHit("cvr", "2027-02", 0.014, 0.015, "below", "marketing"),
]


def test_one_message_per_owner_unowned_last() -> None:
    """Owners in order of their first alert, each with all of theirs; no owner goes to 'unowned'."""
    messages = messages_by_owner(HITS, "shop.yaml")
    assert [(m.owner, [h.node for h in m.alerts]) for m in messages] == [
        ("marketing", ["visits", "cvr"]),
        ("sales", ["price"]),
        (UNOWNED, ["discount"]),
    ]
    assert messages[0].subject == "kpitree: 2 alerts for marketing in shop.yaml"
    assert messages[0].text.splitlines() == [
        "kpitree: 2 alerts for marketing in shop.yaml:",
        "ALERT node 'visits' at 2027-01: 800 is below 900 (owner: marketing)",
        "ALERT node 'cvr' at 2027-02: 0.014 is below 0.015 (owner: marketing)",
    ]
    assert messages[2].subject == "kpitree: 1 alert for unowned in shop.yaml"


def test_no_alert_no_message() -> None:
    """Nothing fired: nothing to send."""
    assert messages_by_owner([], "shop.yaml") == []


def test_webhook_body_is_slack_text_plus_structured_alerts() -> None:
    """The body has Slack's 'text' and a 'kpitree' field with every alert's fields."""
    message = messages_by_owner(HITS, "shop.yaml")[1]
    body = json.loads(webhook_body(message))
    assert body["text"] == message.text
    assert body["kpitree"] == {
        "owner": "sales",
        "source": "shop.yaml",
        "alerts": [
            {
                "node": "price",
                "period": "2027-01",
                "value": 40.0,
                "threshold": 45.0,
                "direction": "below",
                "owner": "sales",
            }
        ],
    }


class Flaky:
    """A send that fails a given number of times, then succeeds."""

    def __init__(self, failures: int, permanent: bool = False) -> None:
        self.failures, self.permanent, self.calls = failures, permanent, 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError(f"failure {self.calls}", self.permanent)


def test_two_failures_then_success_waits_1_then_2_seconds() -> None:
    """Three attempts with exponential back-off: the waits are 1 s then 2 s."""
    waits: list[float] = []
    send = Flaky(2)
    assert with_retries(send, RetryPolicy(sleep=waits.append)) == 3
    assert (send.calls, waits) == (3, [1.0, 2.0])


def test_three_failures_give_up_with_the_last_reason() -> None:
    """After the third failure the error is raised, saying how many attempts were made."""
    waits: list[float] = []
    with pytest.raises(DeliveryError, match="failure 3") as raised:
        with_retries(Flaky(5), RetryPolicy(first_delay=0.5, sleep=waits.append))
    assert (raised.value.attempts, waits) == (3, [0.5, 1.0])


def test_permanent_failure_is_not_retried() -> None:
    """A refusal that cannot change (a 404, a rejected address) stops at the first attempt."""
    waits: list[float] = []
    send = Flaky(5, permanent=True)
    with pytest.raises(DeliveryError) as raised:
        with_retries(send, RetryPolicy(sleep=waits.append))
    assert (send.calls, raised.value.attempts, waits) == (1, 1, [])


@pytest.mark.parametrize("fields", [{"attempts": 0}, {"first_delay": -1}, {"timeout": 0}])
def test_retry_policy_refuses_impossible_settings(fields: dict[str, float]) -> None:
    """Zero attempts, a negative delay or no time to answer are errors, not silent no-ops."""
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**fields)  # type: ignore[arg-type]


def test_long_webhook_text_stops_after_50_alerts_structured_field_keeps_all() -> None:
    """120 alerts: text shows the heading, 50 alerts and '... and 70 more'; the field has 120."""
    hits = [AlertHit(f"n{i}", "2027-01", 1.0, 2.0, "below", "ops") for i in range(120)]
    [message] = messages_by_owner(hits, "big.yaml")
    body = json.loads(webhook_body(message))
    lines = body["text"].splitlines()
    assert lines[0] == "kpitree: 120 alerts for ops in big.yaml:"
    assert lines[1:51] == [
        f"ALERT node 'n{i}' at 2027-01: 1 is below 2 (owner: ops)" for i in range(50)
    ]
    assert (lines[51:], len(body["kpitree"]["alerts"])) == (["... and 70 more"], 120)
    assert message.text.count("ALERT") == 120  # e-mail keeps them all


def test_line_break_in_an_owner_cannot_add_a_mail_header() -> None:
    """An owner 'evil\\nBcc: x' becomes one line in the subject; the e-mail has no Bcc header."""
    from kpitree.notify import parse_destination
    from kpitree.notify.mail import email_message

    hits = [AlertHit("cvr", None, 0.01, 0.02, "below", "evil\r\nBcc: spy@example.jp")]
    [message] = messages_by_owner(hits, "shop.yaml")
    assert message.subject == "kpitree: 1 alert for evil Bcc: spy@example.jp in shop.yaml"
    mail = email_message(parse_destination("smtp://h?to=a@x.jp"), message)
    assert mail["Bcc"] is None
    assert "\nBcc" not in bytes(mail).decode("ascii").split("\n\n")[0]
