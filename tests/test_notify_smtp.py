"""``check --notify smtp://...``: messages sent to a local SMTP server (aiosmtpd) the tests start."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest

from kpitree.cli import notify as notify_cli
from kpitree.notify import RetryPolicy, deliver, messages_by_owner, parse_destination

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

TREE = """
name: shop
kgi: revenue
time: {periods: 2, unit: month, start: 2027-01}
nodes:
  visits: {value: 1000, owner: marketing, alert: {below: 900}}
  cvr: {value: 0.02, bounds: [0, 1], owner: marketing, alert: {below: 0.015}}
  orders: {formula: visits * cvr}
  price: {value: 50, owner: sales, alert: {below: 45}}
  revenue: {formula: orders * price}
"""
FIRING = "period,visits,cvr,price\n2027-01,800,1.4%,40\n"


@dataclass
class Inbox:
    """What the server received, and the answers it gives to DATA in turn (then 250)."""

    port: int
    answers: list[str] = field(default_factory=list)
    refuse_recipients: bool = False
    refused_address: str = ""
    mails: list[tuple[str, list[str], Message]] = field(default_factory=list)
    attempts: int = 0

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802
        if self.refuse_recipients or address == self.refused_address:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.attempts += 1
        if self.answers:
            return self.answers.pop(0)
        mail = message_from_bytes(envelope.original_content or envelope.content)
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
        return "250 OK"


def _free_port() -> int:
    """A port on 127.0.0.1 free right now (aiosmtpd needs a known port to check it started)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1, stopped (thread joined, socket closed) after the test."""
    state = Inbox(_free_port())
    controller = aiosmtpd_controller.Controller(state, hostname="127.0.0.1", port=state.port)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The back-off waits asked for, recorded instead of slept."""
    recorded: list[float] = []
    policy = RetryPolicy(timeout=5.0, sleep=recorded.append)
    monkeypatch.setattr(notify_cli, "retry_policy", lambda: policy)
    return recorded


@pytest.fixture
def shop(write_tree, tmp_path):
    """The tree file and actuals where marketing gets two alerts and sales one."""
    (tmp_path / "firing.csv").write_text(FIRING, encoding="utf-8")
    return write_tree(TREE, "shop.yaml"), tmp_path / "firing.csv"


def _url(inbox: Inbox) -> str:
    return f"smtp://127.0.0.1:{inbox.port}?to=ops@example.jp&to=cro@example.jp&from=kpi@example.jp"


def test_one_mail_per_owner_to_every_recipient(cli, inbox, waits, shop) -> None:
    """Two mails (marketing, sales), each to both recipients from the sender given; exit 1."""
    tree, firing = shop
    status, out, err = cli("check", tree, "--actuals", firing, "--notify", _url(inbox))
    assert (status, err, waits) == (1, "", [])
    assert [(sender, to) for sender, to, _ in inbox.mails] == [
        ("kpi@example.jp", ["ops@example.jp", "cro@example.jp"])
    ] * 2
    subjects = [mail["Subject"] for _, _, mail in inbox.mails]
    assert subjects == [
        "kpitree: 2 alerts for marketing in shop.yaml",
        "kpitree: 1 alert for sales in shop.yaml",
    ]
    body = inbox.mails[1][2].get_payload(decode=True).decode("utf-8")
    assert "ALERT node 'price' at 2027-01: 40 is below 45 (owner: sales)" in body
    assert f"sent: 1 alert for sales to smtp://127.0.0.1:{inbox.port} (to ops@example.jp" in out


def test_server_failing_twice_then_accepting(cli, inbox, waits, shop) -> None:
    """451 twice then 250: the first mail arrives on the third attempt after 1 s and 2 s; exit 1."""
    tree, firing = shop
    inbox.answers = ["451 4.3.0 try again later", "451 4.3.0 try again later"]
    status, _, err = cli("check", tree, "--actuals", firing, "--notify", _url(inbox))
    assert (status, err, waits) == (1, "", [1.0, 2.0])
    assert (inbox.attempts, len(inbox.mails)) == (4, 2)


def test_server_failing_every_time_is_exit_3(cli, inbox, waits, shop) -> None:
    """451 on every attempt: exit 3, each owner's failure on stderr (the second owner's after a
    single attempt, the server being down), the alerts on stdout."""
    tree, firing = shop
    inbox.answers = ["451 4.3.0 try again later"] * 6
    status, out, err = cli("check", tree, "--actuals", firing, "--notify", _url(inbox))
    assert status == 3
    assert err.splitlines() == [
        f"kpitree: NOT DELIVERED: {n} for {owner} to smtp://127.0.0.1:{inbox.port} "
        f"(to ops@example.jp, cro@example.jp): SMTP 451 4.3.0 try again later ({tries})"
        for n, owner, tries in (
            ("2 alerts", "marketing", "3 attempts"),
            ("1 alert", "sales", "1 attempt"),
        )
    ]
    assert out.count("ALERT node") == 3
    assert inbox.mails == []


def test_refused_recipient_is_permanent(inbox, shop) -> None:
    """550 for the recipient is not retried: one attempt, the reason kept."""
    from kpitree.analysis.alerts import AlertHit

    inbox.refuse_recipients = True
    waits: list[float] = []
    hits = [AlertHit("cvr", "2027-01", 0.014, 0.015, "below", "marketing")]
    [delivery] = deliver(
        messages_by_owner(hits, "shop.yaml"),
        [parse_destination(_url(inbox))],
        RetryPolicy(timeout=5.0, sleep=waits.append),
    )
    assert (delivery.delivered, delivery.attempts, waits) == (False, 1, [])
    assert delivery.error == "recipients refused (550)"


def test_login_to_a_server_without_auth_fails_without_retrying(inbox, monkeypatch) -> None:
    """Credentials set but the server offers no AUTH: a permanent failure, said plainly."""
    from kpitree.analysis.alerts import AlertHit

    monkeypatch.setenv("KPITREE_SMTP_USER", "kpi")
    monkeypatch.setenv("KPITREE_SMTP_PASSWORD", "hunter2")
    hits = [AlertHit("cvr", "2027-01", 0.014, 0.015, "below", None)]
    [delivery] = deliver(
        messages_by_owner(hits, "shop.yaml"),
        [parse_destination(_url(inbox))],
        RetryPolicy(timeout=5.0, sleep=lambda _: None),
    )
    assert (delivery.error, delivery.attempts, inbox.attempts) == (
        "the server offers no login (AUTH)", 1, 0,
    )  # fmt: skip


def test_japanese_owner_and_node_arrive_intact(inbox) -> None:
    """An owner and node named in Japanese: the subject and body decode to the same text."""
    from kpitree.analysis.alerts import AlertHit

    hits = [AlertHit("商談化率", "2027-01", 0.095, 0.15, "below", "インサイドセールス")]
    [delivery] = deliver(
        messages_by_owner(hits, "売上ツリー.yaml"),
        [parse_destination(_url(inbox))],
        RetryPolicy(timeout=5.0, sleep=lambda _: None),
    )
    assert delivery.error is None
    from email.header import decode_header, make_header

    mail = inbox.mails[0][2]
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "kpitree: 1 alert for インサイドセールス in 売上ツリー.yaml"
    body = mail.get_payload(decode=True).decode("utf-8")
    assert (
        "ALERT node '商談化率' at 2027-01: 0.095 is below 0.15 (owner: インサイドセールス)" in body
    )


def test_one_recipient_refused_is_reported_and_not_resent(inbox) -> None:
    """550 for one of two recipients: the other gets the mail once, the refusal is the error."""
    from kpitree.analysis.alerts import AlertHit

    inbox.refused_address = "cro@example.jp"
    hits = [AlertHit("cvr", "2027-01", 0.014, 0.015, "below", "marketing")]
    [delivery] = deliver(
        messages_by_owner(hits, "shop.yaml"),
        [parse_destination(_url(inbox))],
        RetryPolicy(timeout=5.0, sleep=lambda _: None),
    )
    assert (delivery.error, delivery.attempts) == ("recipients refused: cro@example.jp (550)", 1)
    assert [to for _, to, _ in inbox.mails] == [["ops@example.jp"]]
