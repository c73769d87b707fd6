"""Sending e-mail over SMTP, for every service that mails (notification e-mails, auth's
password reset): the settings and one ``send`` that delivers a message or raises.

The standard library's ``smtplib`` runs in a worker thread, so the event loop never blocks on a
slow mail server and no extra dependency ships in the image. ``SMTP_SECURITY`` picks the
transport: ``starttls`` (upgrade on the submission port, 587), ``tls`` (implicit TLS, 465) or
``none`` (a local sink); production refuses ``none``, so credentials and reset links never
cross the network in clear text.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

Security = Literal["none", "starttls", "tls"]


class MailSettings(BaseSettings):
    """The SMTP settings a service that sends e-mail adds to its own."""

    # The mail server; `make run` points these at its local sink.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    # Login, when the server asks for one (empty: no AUTH).
    smtp_user: str = ""
    smtp_password: str = ""
    # none | starttls | tls; production refuses none.
    smtp_security: Security = "none"
    # Bound on connecting and on each SMTP command.
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # The From header of every message.
    mail_from: str = "Hintro <no-reply@hintro.localhost>"
    # The web app's address, the base of the links in messages.
    public_url: str = "http://127.0.0.1:8080"

    @model_validator(mode="after")
    def _tls_in_production(self) -> MailSettings:
        production = getattr(self, "environment", "development") == "production"
        if production and self.smtp_security == "none":
            raise ValueError("SMTP_SECURITY must be starttls or tls in production")
        return self

    @property
    def smtp(self) -> Smtp:
        """What :func:`send` needs."""
        return Smtp(
            host=self.smtp_host,
            port=self.smtp_port,
            user=self.smtp_user,
            password=self.smtp_password,
            security=self.smtp_security,
            timeout=self.smtp_timeout_seconds,
            sender=self.mail_from,
        )


@dataclass(frozen=True)
class Smtp:
    """A mail server and how to talk to it."""

    host: str
    port: int
    user: str
    password: str
    security: Security
    timeout: float
    sender: str


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    text: str


def build_message(smtp: Smtp, mail: Mail) -> EmailMessage:
    """The message as it goes on the wire."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="hintro")
    message.set_content(mail.text)
    return message


def _send_blocking(smtp: Smtp, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, smtp.password)
        client.send_message(message)


async def send(smtp: Smtp, mail: Mail) -> None:
    """Deliver ``mail`` to the server; raises ``OSError`` or ``smtplib.SMTPException`` when
    the server cannot be reached or refuses it (the caller decides whether to retry)."""
    await asyncio.to_thread(_send_blocking, smtp, build_message(smtp, mail))
