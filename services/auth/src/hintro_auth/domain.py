"""Accounts and sessions in the product's words: users, their e-mail addresses, refresh tokens
and the families a chain of rotated refresh tokens forms. No I/O here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from hintro_shared.refusals import Conflict, Forbidden, NotFound, Unauthenticated
from hintro_shared.timeutil import now_millis

EMAIL_MAX_LENGTH = 254  # RFC 5321's limit on a forward path
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
NAME_MIN_LENGTH = 1
NAME_MAX_LENGTH = 100
REFRESH_TOKEN_BYTES = 32
TOKEN_TYPE = "Bearer"  # noqa: S105 (an OAuth token type, not a secret)

# Deliberately permissive: one "@", no spaces, a dot in the domain. Deliverability is the mail
# server's business; this only keeps obvious garbage out of the unique index.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class EmailTaken(Conflict):
    """Another account already uses this e-mail address (compared case-insensitively)."""

    def __init__(self) -> None:
        super().__init__("An account with this e-mail address already exists.")


class InvalidCredentials(Unauthenticated):
    """Unknown e-mail or wrong password; callers must not learn which."""

    def __init__(self) -> None:
        super().__init__("The e-mail address or password is incorrect.")


class InvalidRefreshToken(Unauthenticated):
    """The refresh token is unknown, expired, spent or its family was revoked."""

    def __init__(self) -> None:
        super().__init__("The refresh token is invalid, expired or revoked.")


class UserNotFound(NotFound):
    """No user has this id or e-mail address."""

    def __init__(self) -> None:
        super().__init__("user")


class WrongPassword(Forbidden):
    """A password change named the wrong current password; nothing changed."""

    def __init__(self) -> None:
        super().__init__("The current password is incorrect; nothing was changed.")


class ConcurrentChange(Conflict):
    """The account changed between reading and writing it (another password change)."""

    def __init__(self) -> None:
        super().__init__("The account was changed concurrently; nothing was changed, retry.")


def normalise_email(raw: str) -> str:
    """The canonical form an address is stored and looked up by: trimmed and lower-cased, so
    ``Ada@Example.com`` and ``ada@example.com `` are the same account."""
    return raw.strip().lower()


def parse_email(raw: str) -> str:
    """The normalised address, or ``ValueError`` when it is not plausibly an e-mail address."""
    email = normalise_email(raw)
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.match(email):
        raise ValueError("not a valid e-mail address")
    return email


def truncate_to_millis(moment: datetime) -> datetime:
    """MongoDB keeps milliseconds; truncating first makes what we return equal what we read."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


utc_now = now_millis


@dataclass(frozen=True)
class User:
    """An account. ``password_hash`` never leaves the service (responses have their own
    schemas)."""

    id: str
    email: str
    name: str
    password_hash: str
    created_at: datetime

    def __repr__(self) -> str:
        # Keep the hash out of logs and tracebacks that print the object.
        return f"User(id={self.id!r}, email={self.email!r})"


def new_user(email: str, name: str, password_hash: str, now: datetime) -> User:
    """A user about to be registered, with a fresh opaque id."""
    return User(
        id=uuid.uuid4().hex,
        email=normalise_email(email),
        name=name,
        password_hash=password_hash,
        created_at=truncate_to_millis(now),
    )


def new_refresh_token() -> str:
    """An opaque refresh token: 256 bits from the OS's CSPRNG, URL-safe."""
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def _successor_pad(presented: str) -> bytes:
    # A pad only the holder of the presented token can make (the database keeps its SHA-256,
    # not the token); HMAC keeps it unrelated to that stored hash. Each token seals exactly one
    # successor, so the pad is used once.
    return hmac.new(presented.encode(), b"hintro refresh successor", hashlib.sha256).digest()


def seal_successor(presented: str, successor: str) -> str:
    """The successor token, sealed for whoever presents ``presented`` again: stored on the
    spent token so a refresh inside the reuse grace window can answer the same successor,
    while a copy of the database alone yields no usable token."""
    raw = base64.urlsafe_b64decode(successor + "=" * (-len(successor) % 4))
    if len(raw) != REFRESH_TOKEN_BYTES:
        raise ValueError("not a refresh token issued here")
    return bytes(a ^ b for a, b in zip(raw, _successor_pad(presented), strict=True)).hex()


def open_successor(presented: str, sealed: str) -> str:
    """The successor :func:`seal_successor` sealed with ``presented``."""
    raw = bytes(
        a ^ b for a, b in zip(bytes.fromhex(sealed), _successor_pad(presented), strict=True)
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hash_refresh_token(token: str) -> str:
    """What is stored instead of the token: SHA-256 (the token has full entropy, so a fast hash
    is enough; a database leak does not yield usable tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_family_id() -> str:
    """The id shared by every refresh token rotated from one login."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class RefreshToken:
    """A stored refresh token (by hash). It is ``spent`` once exchanged for a new pair, at
    ``spent_at_ms`` (epoch milliseconds), for the ``successor`` sealed with it
    (:func:`seal_successor`). Presenting it again within the reuse grace window answers that
    successor (two tabs refreshing at once); after the window it is reuse and revokes its
    family."""

    token_hash: str
    family_id: str
    user_id: str
    issued_at: datetime
    expires_at: datetime
    spent: bool = False
    spent_at_ms: int | None = None
    successor: str | None = None

    def __repr__(self) -> str:
        return f"RefreshToken(family_id={self.family_id!r}, user_id={self.user_id!r})"

    def is_expired(self, now: datetime) -> bool:
        """Past its lifetime."""
        return now >= self.expires_at

    def within_grace(self, now: datetime, grace: timedelta) -> bool:
        """Spent, with a sealed successor, no longer than ``grace`` ago: presenting it again
        is a concurrent or retried refresh, not a replay."""
        if grace <= timedelta(0) or not self.spent:
            return False
        if self.spent_at_ms is None or self.successor is None:
            return False
        return epoch_millis(now) - self.spent_at_ms <= grace.total_seconds() * 1000


def epoch_millis(moment: datetime) -> int:
    """``moment`` as whole milliseconds since the epoch (how a spend time is stored: the
    embedded MongoDB keeps datetimes written by ``$set`` as strings)."""
    return int(moment.timestamp() * 1000)


def issue_refresh_token(
    user_id: str, family_id: str, now: datetime, ttl: timedelta
) -> tuple[str, RefreshToken]:
    """A new refresh token (given to the client once) and the record stored for it."""
    token = new_refresh_token()
    issued_at = truncate_to_millis(now)
    record = RefreshToken(
        token_hash=hash_refresh_token(token),
        family_id=family_id,
        user_id=user_id,
        issued_at=issued_at,
        expires_at=issued_at + ttl,
    )
    return token, record


@dataclass(frozen=True)
class AccessToken:
    """A signed access token and its lifetime in seconds."""

    token: str
    expires_in: int


@dataclass(frozen=True)
class TokenPair:
    """What login and refresh answer with."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = TOKEN_TYPE

    def __repr__(self) -> str:
        return f"TokenPair(expires_in={self.expires_in})"
