"""Notification e-mails: each owed immediate e-mail, and each due daily digest, sent through
the SMTP server (:mod:`hintro_shared.mail`).

At least once: an immediate e-mail's flag is cleared only after the server accepted the
message, so a crash in between sends it again after the restart, never loses it. A digest is
claimed first (a compare-and-set on the user's digest mark, so one replica sends it) and the
claim is given back when the server refuses, so the next poll tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from hintro_notification.domain import Notification, link, sentence
from hintro_notification.repository import Facts, NotificationStore, Preferences
from hintro_shared.mail import Mail

_log = logging.getLogger(__name__)

Send = Callable[[Mail], Awaitable[None]]
BATCH = 50
_FOOTER = "You receive this e-mail because of your notification settings: {url}/settings"


class Mailer:
    """Sends what is owed; ``send_owed`` and ``send_digests`` are called periodically."""

    def __init__(
        self,
        store: NotificationStore,
        facts: Facts,
        preferences: Preferences,
        send: Send,
        *,
        public_url: str,
        digest_interval_ms: int,
    ) -> None:
        self._store = store
        self._facts = facts
        self._preferences = preferences
        self._send = send
        self._url = public_url.rstrip("/")
        self._digest_interval_ms = digest_interval_ms

    async def _line(self, n: Notification) -> str:
        names = await self._facts.names([n.actor_id] if n.actor_id else [])
        return sentence(n, names.get(n.actor_id or ""))

    async def send_owed(self) -> int:
        """Send the owed immediate e-mails, oldest first; returns how many were sent."""
        sent = 0
        for n in await self._store.owed_emails(BATCH):
            user = await self._facts.user(n.user_id)
            address = (user or {}).get("email")
            if isinstance(address, str) and address:
                line = await self._line(n)
                text = f"{line}\n\n{link(n, self._url)}\n\n{_FOOTER.format(url=self._url)}\n"
                await self._send(Mail(to=address, subject=line, text=text))
                sent += 1
            await self._store.email_sent(n.id)
        return sent

    async def send_digests(self, now_ms: int) -> int:
        """Send each due daily digest (unread notifications since the last one)."""
        sent = 0
        due = await self._preferences.digest_due(now_ms - self._digest_interval_ms, BATCH)
        for user_id, last_ms in due:
            if not await self._preferences.claim_digest(user_id, last_ms, now_ms):
                continue  # another replica has it
            items = await self._store.unread_since(user_id, last_ms, BATCH)
            user = await self._facts.user(user_id)
            address = (user or {}).get("email")
            if not items or not isinstance(address, str) or not address:
                continue
            lines = [f"- {await self._line(n)}\n  {link(n, self._url)}" for n in items]
            count = len(items)
            text = "\n".join(lines) + f"\n\n{_FOOTER.format(url=self._url)}\n"
            subject = f"Hintro: {count} unread notification{'s' if count != 1 else ''}"
            try:
                await self._send(Mail(to=address, subject=subject, text=text))
            except Exception:
                await self._preferences.claim_digest(user_id, now_ms, last_ms)
                raise
            sent += 1
        return sent
