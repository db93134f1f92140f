"""Sending a message by e-mail with the standard library's smtplib."""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from kpitree.notify import tls
from kpitree.notify.destination import PASSWORD_VARIABLE, USER_VARIABLE, is_loopback
from kpitree.notify.retry import DeliveryError

if TYPE_CHECKING:
    from kpitree.notify.destination import Mailbox
    from kpitree.notify.message import Message


def email_message(destination: Mailbox, message: Message) -> EmailMessage:
    """The e-mail: subject, plain text, the mailbox's sender and recipients."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = destination.sender
    mail["To"] = ", ".join(destination.recipients)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=destination.sender.rpartition("@")[2])
    mail.set_content(message.text)
    return mail


def send_mail(
    destination: Mailbox,
    message: Message,
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Send ``message`` in one attempt.

    STARTTLS is used when the server offers it (``smtps://``: TLS from the start), certificates
    verified. A login (from the environment) is never sent in clear to another machine.

    Raises
    ------
    DeliveryError
        Permanent for a 5xx answer or a refused login, temporary for a 4xx or a network error.
    """
    environ = os.environ if environ is None else environ
    user, password = environ.get(USER_VARIABLE), environ.get(PASSWORD_VARIABLE)
    context = tls.tls_context()
    try:
        if destination.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                destination.host, destination.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(destination.host, destination.port, timeout=timeout)
        with client:
            client.ehlo()
            encrypted = destination.implicit_tls
            if not encrypted and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
                encrypted = True
            if user:
                if not encrypted and not is_loopback(destination.host):
                    raise DeliveryError(
                        "the server offers no TLS: the login is not sent in clear", True
                    )
                client.login(user, password or "")
            refused = client.send_message(email_message(destination, message))
        if refused:
            # Delivered to the others already: trying again would send them a second copy.
            names = ", ".join(f"{address} ({code})" for address, (code, _) in refused.items())
            raise DeliveryError(f"recipients refused: {names}", True)
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(f"login refused ({error.smtp_code})", True) from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _ in error.recipients.values()})
        permanent = all(code >= 500 for code in codes)
        raise DeliveryError(f"recipients refused ({codes[0]})", permanent) from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError("the server offers no login (AUTH)", True) from None
    except smtplib.SMTPResponseException as error:
        text = error.smtp_error.decode("utf-8", "replace")[:200] if isinstance(
            error.smtp_error, bytes
        ) else str(error.smtp_error)[:200]  # fmt: skip
        raise DeliveryError(f"SMTP {error.smtp_code} {text}", error.smtp_code >= 500) from None
    except ssl.SSLCertVerificationError as error:
        raise DeliveryError(tls.untrusted(error), True) from None
    except UnicodeError:  # a host name IDNA cannot encode
        raise DeliveryError(f"host '{destination.host}' cannot be looked up", True) from None
    except (smtplib.SMTPException, OSError) as error:
        # smtplib reports a read that timed out as a disconnection, the timeout as its context.
        if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
            raise DeliveryError(f"no answer within {timeout:g} s") from None
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise DeliveryError(reason.lower() if reason else type(error).__name__) from None
