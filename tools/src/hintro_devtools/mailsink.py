"""A local SMTP server that keeps what it is sent: ``make run`` points the services' SMTP
settings at it and says where to read the mail (one ``.eml`` file per message in
``.run/mail/``); tests start one of their own and read the transcript it keeps in memory.

aiosmtpd (a development dependency) runs in its own thread, so it answers even while the
caller's event loop is busy.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from hintro_devtools.ports import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the server received it: the envelope and the raw data."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        return "" if body is None else str(body.get_content())


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        received = Received(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(str(r) for r in envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
        )
        self._sink.keep(received)
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP server on ``host:port`` keeping every message (and writing it to ``directory``
    when given); ``start()``/``stop()``."""

    def __init__(self, *, port: int | None = None, directory: Path | None = None) -> None:
        self.host = HOST
        self.port = port or free_port()
        self.directory = directory
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Any = None

    def start(self) -> MailSink:
        from aiosmtpd.controller import Controller

        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def keep(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)
            count = len(self._received)
        if self.directory is not None:
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{count:04d}.eml"
            (self.directory / name).write_bytes(received.data)

    @property
    def received(self) -> list[Received]:
        """Every message so far, in arrival order."""
        with self._lock:
            return list(self._received)

    def to(self, address: str) -> list[Received]:
        """The messages addressed to ``address``."""
        return [r for r in self.received if address in r.rcpt_tos]

    def env(self) -> dict[str, str]:
        """The SMTP settings that point a service here."""
        return {"SMTP_HOST": self.host, "SMTP_PORT": str(self.port), "SMTP_SECURITY": "none"}
