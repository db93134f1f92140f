"""--notify URLs: what is accepted, what is refused before anything is sent, what is shown."""

from __future__ import annotations

import pytest

from kpitree.notify import DestinationError, Mailbox, Webhook, parse_destination


def test_https_webhook_keeps_the_url_and_hides_its_secret_path() -> None:
    """A Slack webhook is sent to as given, shown as scheme and host only."""
    url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    assert parse_destination(url) == Webhook(url, "https://hooks.slack.com/…")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.0.2", "[::1]", "localhost"])
def test_plain_http_is_allowed_to_loopback_only(host: str) -> None:
    """http:// to this machine is a webhook (tests, a local relay)."""
    assert isinstance(parse_destination(f"http://{host}:8080/hook"), Webhook)


def test_plain_http_elsewhere_is_refused() -> None:
    """http:// to another machine would carry the alerts in clear: refused."""
    with pytest.raises(DestinationError, match=r"http://10\.0\.0\.5:80 is plain http: use https"):
        parse_destination("http://10.0.0.5:80/hook")


def test_smtp_url_reads_recipients_sender_and_default_port() -> None:
    """to= repeats, from= is the sender, port 25 by default and 465 for smtps."""
    box = parse_destination("smtp://mail.example.com?to=a@x.jp&to=b@y.jp&from=kpi@x.jp")
    assert box == Mailbox(
        "mail.example.com", 25, False, ("a@x.jp", "b@y.jp"), "kpi@x.jp",
        "smtp://mail.example.com:25 (to a@x.jp, b@y.jp)",
    )  # fmt: skip
    tls = parse_destination("smtps://mail.example.com?to=a@x.jp")
    assert isinstance(tls, Mailbox)
    assert (tls.port, tls.implicit_tls, tls.sender) == (465, True, "kpitree@localhost")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://example.com/x", "scheme 'ftp' in ftp://example.com: expected https://"),
        ("hooks.slack.com/services/x", "scheme '(none)'"),
        ("https:///path", "no host in https:// URL"),
        ("https://a..b/x", "'a..b' is not a host name"),
        ("https://example.com:99999/x", "not a URL"),
        ("smtp://mail.example.com", "no recipient in smtp://mail.example.com"),
        ("smtp://mail.example.com?cc=a@x.jp", "unknown field 'cc'"),
        ("smtp://mail.example.com?to=not-an-address", "'not-an-address' in smtp://"),
        ("smtp://mail.example.com?to=a@x.jp,b@y.jp", "is not an address"),
        ("smtp://mail.example.com?to=a@x.jp&from=a@x.jp&from=b@x.jp", "more than one from="),
        ("https://example.com/a b", "spaces or control characters"),
        ("https://example.com/" + "x" * 3000, "a URL of 3,020 characters"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url: str, expected: str) -> None:
    """Each malformed URL names what is wrong."""
    with pytest.raises(DestinationError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        parse_destination(url)


@pytest.mark.parametrize(
    "url", ["smtp://user:hunter2@mail.example.com?to=a@x.jp", "https://user:hunter2@example.com/h"]
)
def test_credentials_in_the_url_are_refused_and_never_repeated(url: str) -> None:
    """A password in the URL is refused, pointing to the environment variables, without echoing it."""
    with pytest.raises(DestinationError) as raised:
        parse_destination(url)
    assert "KPITREE_SMTP_PASSWORD" in str(raised.value)
    assert "hunter2" not in str(raised.value)
    assert "user" not in str(raised.value).split("set")[0]


def test_newline_in_a_recipient_cannot_add_a_header() -> None:
    """An encoded line break in to= is refused, not passed into the mail's headers."""
    with pytest.raises(DestinationError, match="is not an address"):
        parse_destination("smtp://mail.example.com?to=a@x.jp%0ABcc:%20evil@y.jp")


def test_bad_url_on_the_command_line_is_exit_2_before_the_tree_is_read(cli, tmp_path) -> None:
    """A bad --notify stops the command with status 2 even when the tree does not exist."""
    status, out, err = cli(
        "check", tmp_path / "missing.yaml", "--actuals", "x.csv", "--notify", "ftp://x/y"
    )
    assert (status, out) == (2, "")
    assert "argument --notify: scheme 'ftp' in ftp://x" in err
    assert "Traceback" not in err
