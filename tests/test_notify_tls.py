"""TLS on every delivery path: STARTTLS when offered, smtps from the first byte, https webhooks;
a certificate that does not verify is a permanent failure, never a silent downgrade."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from kpitree.analysis.alerts import AlertHit
from kpitree.notify import RetryPolicy, deliver, messages_by_owner, parse_destination
from kpitree.notify import tls as tls_module

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

MESSAGES = messages_by_owner(
    [AlertHit("sql_rate", "2027-01", 0.095, 0.15, "below", "inside sales")], "saas_arr.yaml"
)
POLICY = RetryPolicy(timeout=5.0, sleep=lambda _: None)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by openssl for these tests."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """The servers' side of TLS with the test certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trust_test_certificate(monkeypatch, certificate) -> None:
    """Clients trust the test certificate, with verification and host names still checked."""
    cert = str(certificate[0])
    monkeypatch.setattr(tls_module, "tls_context", lambda: ssl.create_default_context(cafile=cert))


class Inbox:
    """Records each mail and whether its session was encrypted."""

    def __init__(self) -> None:
        self.encrypted: list[bool] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        # STARTTLS sets session.ssl; implicit TLS shows on the transport instead.
        on_transport = server.transport.get_extra_info("ssl_object") is not None
        self.encrypted.append(session.ssl is not None or on_transport)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(server_context) -> Iterator:
    """Start an SMTP server on demand (STARTTLS offered, or TLS from the start); stop it after."""
    controllers = []

    def start(implicit: bool) -> tuple[Inbox, int]:
        inbox, port = Inbox(), _free_port()
        options = {"ssl_context": server_context} if implicit else {"tls_context": server_context}
        controller = aiosmtpd_controller.Controller(
            inbox, hostname="127.0.0.1", port=port, **options
        )
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.mark.usefixtures("trust_test_certificate")
@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_mail_is_encrypted_when_the_server_offers_tls(smtp_server, scheme: str) -> None:
    """STARTTLS is used when offered and smtps speaks TLS at once: the server sees TLS."""
    inbox, port = smtp_server(implicit=scheme == "smtps")
    destination = parse_destination(f"{scheme}://127.0.0.1:{port}?to=ops@example.jp")
    [delivery] = deliver(MESSAGES, [destination], POLICY)
    assert (delivery.error, inbox.encrypted) == (None, [True])


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_mail_to_an_untrusted_certificate_fails_at_once(smtp_server, scheme: str) -> None:
    """With the system's certificates only, the self-signed server is refused: no mail, no retry."""
    inbox, port = smtp_server(implicit=scheme == "smtps")
    destination = parse_destination(f"{scheme}://127.0.0.1:{port}?to=ops@example.jp")
    [delivery] = deliver(MESSAGES, [destination], POLICY)
    assert delivery.error is not None
    assert delivery.error.startswith("certificate not trusted (")
    assert (delivery.attempts, inbox.encrypted) == (1, [])


@pytest.fixture
def https_hook(server_context) -> Iterator[tuple[str, list[dict]]]:
    """An HTTPS webhook receiver on 127.0.0.1 with the test certificate."""
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.usefixtures("trust_test_certificate")
def test_https_webhook_with_a_trusted_certificate(https_hook) -> None:
    """A verified https webhook receives the message."""
    url, bodies = https_hook
    [delivery] = deliver(MESSAGES, [parse_destination(url)], POLICY)
    assert delivery.error is None
    assert [body["kpitree"]["owner"] for body in bodies] == ["inside sales"]


def test_https_webhook_with_an_untrusted_certificate_fails_at_once(https_hook) -> None:
    """A certificate the system does not trust: one attempt, nothing received, the reason said."""
    url, bodies = https_hook
    [delivery] = deliver(MESSAGES, [parse_destination(url)], POLICY)
    assert delivery.error is not None
    assert delivery.error.startswith("certificate not trusted (")
    assert (delivery.attempts, bodies) == (1, [])
