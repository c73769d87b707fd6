"""Password reset by e-mail: the second aggregate of the auth service (a reset token), its
use cases and ports.

- ``request(email)``: when the address has an account (and it was not mailed ``MAX_LINKS``
  links within the token lifetime already), a single-use token is made, only its
  SHA-256 is stored, and the link ``<PUBLIC_URL>/reset-password#token=<token>`` is mailed. The
  route answers ``202`` before any of it runs (in the background), so the answer and its timing
  are the same whether or not the address exists. The fragment keeps the token out of server
  and proxy logs.
- ``confirm(token, password)``: a live token (unused, younger than ``PASSWORD_RESET_TTL_SECONDS``,
  30 minutes) is claimed with a compare-and-set (so it works once even when two requests race),
  the password is replaced, the user's other reset tokens are spent and every session (every
  refresh-token family) is revoked.

Auth sends the e-mail itself (``hintro_shared.mail``) rather than asking the notification
service through an event: the token would otherwise travel through the broker, whose queues
(dead letters, the unrouted queue) keep messages, and through a second service.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from hintro_auth.domain import User, normalise_email
from hintro_shared.mail import Mail
from hintro_shared.refusals import RuleBroken

_log = logging.getLogger(__name__)

MAX_LINKS = 3
"""Links one account may be mailed per token lifetime (30 minutes): a mailbox cannot be flooded
through it, whatever the number of addresses asking."""


class InvalidResetToken(RuleBroken):
    """The token is unknown, used or expired (one answer for all three)."""

    def __init__(self) -> None:
        super().__init__(
            ("body", "token"),
            "invalid or expired",
            detail="This password reset link is invalid or has expired. Ask for a new one.",
        )


@dataclass(frozen=True)
class ResetToken:
    """A stored reset token (its hash is the id)."""

    token_hash: str
    user_id: str
    created_at: datetime
    expires_at: datetime


def hash_reset_token(token: str) -> str:
    """What is stored of a token: its SHA-256, hex (the token has 256 random bits, so a plain
    hash is enough; a slow hash would add nothing)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ResetStore(Protocol):
    """Reset tokens (see ``reset_repository.MongoPasswordResets``)."""

    async def add(self, record: ResetToken) -> None: ...

    async def take_quota(self, user_id: str, now: datetime, limit: int, window_ms: int) -> bool: ...

    async def find_live(self, token_hash: str, now: datetime) -> ResetToken | None: ...

    async def claim(self, token_hash: str, now: datetime) -> bool: ...

    async def spend_all(self, user_id: str, now: datetime) -> None: ...


class UserStore(Protocol):
    async def by_email(self, email: str) -> User | None: ...

    async def by_id(self, user_id: str) -> User | None: ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None: ...


class Hasher(Protocol):
    async def hash(self, password: str) -> str: ...


class Sessions(Protocol):
    async def families_of(self, user_id: str, now: datetime) -> set[str]: ...

    async def revoke_family(self, family_id: str, now: datetime) -> None: ...


Send = Callable[[Mail], Awaitable[None]]


class PasswordResets:
    """The reset use cases; ``close()`` waits for the mails still being sent."""

    def __init__(
        self,
        *,
        resets: ResetStore,
        users: UserStore,
        passwords: Hasher,
        sessions: Sessions,
        send: Send,
        public_url: str,
        ttl: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._resets = resets
        self._users = users
        self._passwords = passwords
        self._sessions = sessions
        self._send = send
        self._url = public_url.rstrip("/")
        self._ttl = ttl
        self._clock = clock
        self._pending: set[asyncio.Task[None]] = set()

    def request_in_background(self, email: str) -> None:
        """Start :meth:`request` without waiting for it (the route's answer must not depend
        on whether the address has an account)."""
        task = asyncio.create_task(self._request_logged(email))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _request_logged(self, email: str) -> None:
        try:
            await self.request(email)
        except Exception:
            _log.exception("password reset e-mail not sent")

    async def request(self, email: str) -> bool:
        """Mail a reset link to the account of ``email``; ``False`` when none was sent (no
        such account, or too many live links)."""
        user = await self._users.by_email(normalise_email(email))
        if user is None:
            return False
        now = self._clock()
        window_ms = int(self._ttl.total_seconds() * 1000)
        if not await self._resets.take_quota(user.id, now, MAX_LINKS, window_ms):
            _log.warning("password reset refused: too many links", extra={"userId": user.id})
            return False
        token = secrets.token_urlsafe(32)
        await self._resets.add(ResetToken(hash_reset_token(token), user.id, now, now + self._ttl))
        minutes = int(self._ttl.total_seconds() // 60)
        text = (
            f"Hello {user.name},\n\nSomeone (we hope you) asked to reset the password of your "
            f"Hintro account. Open this link within {minutes} minutes to choose a new one:\n\n"
            f"{self._url}/reset-password#token={token}\n\nThe link works once. If you did not "
            "ask for it, ignore this e-mail: your password stays as it is.\n"
        )
        await self._send(Mail(to=user.email, subject="Reset your Hintro password", text=text))
        _log.info("password reset link sent", extra={"userId": user.id})
        return True

    async def confirm(self, token: str, password: str) -> None:
        """Set a new password with a live token; ``InvalidResetToken`` otherwise. Every
        session of the user ends."""
        token_hash = hash_reset_token(token)
        now = self._clock()
        record = await self._resets.find_live(token_hash, now)
        if record is None:
            raise InvalidResetToken
        user = await self._users.by_id(record.user_id)
        if user is None:
            raise InvalidResetToken
        # Hash before claiming: a busy hasher (503) must not use the link up.
        new_hash = await self._passwords.hash(password)
        if not await self._resets.claim(token_hash, self._clock()):
            raise InvalidResetToken
        await self._users.replace_password_hash(user.id, user.password_hash, new_hash)
        now = self._clock()
        await self._resets.spend_all(user.id, now)
        for family in await self._sessions.families_of(user.id, now):
            await self._sessions.revoke_family(family, now)
        _log.info("password reset; every session revoked", extra={"userId": user.id})

    async def close(self) -> None:
        """Wait for the mails being sent (shutdown)."""
        for task in list(self._pending):
            with contextlib.suppress(Exception):
                await task
