"""The auth use cases (register, login, refresh, logout, look users up) over small interfaces,
so the rules can be tested with fakes and the adapters swapped.

Refresh-token rotation rests on one atomic step, the repository's ``spend``: a conditional
update that marks a live token spent, together with its successor sealed for the token's
holder, and succeeds for exactly one caller. The successor is stored before that step, so a
spent token always names a successor that exists. Presenting a spent token again within the
reuse grace window (two tabs waking up at once, a retried request) answers that same successor
with a fresh access token; after the window it is reuse (a stolen token or a replay) and its
whole family is revoked: the thief's and the victim's current tokens stop working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from hintro_auth.domain import (
    AccessToken,
    ConcurrentChange,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshToken,
    TokenPair,
    User,
    UserNotFound,
    WrongPassword,
    epoch_millis,
    hash_refresh_token,
    issue_refresh_token,
    new_family_id,
    new_user,
    normalise_email,
    open_successor,
    seal_successor,
)
from hintro_shared.events.catalogue import UserRegistered, UserRenamed
from hintro_shared.events.envelope import EventEnvelope, new_event
from hintro_shared.events.fastpath import Outbox, SweeperOnly

EVENT_SOURCE = "hintro/auth"
_log = logging.getLogger(__name__)


class Users(Protocol):
    """Where accounts live."""

    async def add(self, user: User, event: EventEnvelope) -> None:
        """Store a new user and its ``user.registered`` event in one write (the outbox);
        ``EmailTaken`` if the address is in use."""
        ...

    async def by_id(self, user_id: str) -> User | None:
        """The user with this id."""
        ...

    async def by_email(self, email: str) -> User | None:
        """The user with this (normalised) address."""
        ...

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        """Swap the hash, only if it is still ``old_hash``."""
        ...

    async def update(
        self,
        user_id: str,
        expected_hash: str,
        *,
        name: str | None,
        password_hash: str | None,
        event: EventEnvelope | None,
    ) -> bool:
        """Set the name and/or the hash (with the name's event in the same write) if the hash
        is still ``expected_hash``; ``False`` when it is not."""
        ...


class RefreshTokens(Protocol):
    """Where refresh tokens (by hash) and revoked families live."""

    async def add(self, record: RefreshToken) -> None:
        """Store a newly issued token."""
        ...

    async def spend(self, token_hash: str, spent_at_ms: int, successor: str) -> RefreshToken | None:
        """Atomically mark the token spent (at ``spent_at_ms``, for the sealed ``successor``)
        if it is not yet; the record, or ``None`` if there is no such token or it was already
        spent."""
        ...

    async def discard(self, token_hash: str) -> None:
        """Delete a token nobody was given (a successor stored by a refresh that lost the race
        to spend its token)."""
        ...

    async def find(self, token_hash: str) -> RefreshToken | None:
        """The token's record, spent or not."""
        ...

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        """Revoke every token of the family, present and future (idempotent)."""
        ...

    async def is_family_revoked(self, family_id: str) -> bool:
        """Whether the family was revoked."""
        ...

    async def families_of(self, user_id: str, now: datetime) -> set[str]:
        """The families of the user's unexpired tokens."""
        ...


class Passwords(Protocol):
    """Password hashing (slow by design, so asynchronous)."""

    async def hash(self, password: str) -> str:
        """A salted hash of ``password``."""
        ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches."""
        ...

    async def verify_dummy(self, password: str) -> None:
        """Cost the same as :meth:`verify`, matching nothing."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash predates the current parameters."""
        ...


class AccessTokens(Protocol):
    """Signs access tokens."""

    def issue(self, user_id: str, now: datetime, session_id: str) -> AccessToken:
        """A signed access token for ``user_id`` in session (refresh family) ``session_id``."""
        ...


# How many rotations inside one grace window a late refresh follows to the live token.
_MAX_GRACE_LINKS = 4

# Without a fast path (unit tests) the relay's sweeper publishes the events.
_SWEEPER_ONLY = SweeperOnly()


class AuthService:
    """The auth service's use cases."""

    def __init__(
        self,
        *,
        users: Users,
        refresh_tokens: RefreshTokens,
        passwords: Passwords,
        access_tokens: AccessTokens,
        refresh_ttl: timedelta,
        clock: Callable[[], datetime],
        outbox: Outbox = _SWEEPER_ONLY,
        reuse_grace: timedelta = timedelta(0),
    ) -> None:
        self._users = users
        self._refresh_tokens = refresh_tokens
        self._passwords = passwords
        self._access_tokens = access_tokens
        self._refresh_ttl = refresh_ttl
        self._reuse_grace = reuse_grace
        self._clock = clock
        self._outbox = outbox

    async def register(self, email: str, password: str, name: str) -> User:
        """Create an account; ``EmailTaken`` if the address is in use (the unique index decides,
        so two concurrent registrations cannot both win)."""
        password_hash = await self._passwords.hash(password)
        user = new_user(email, name, password_hash, self._clock())
        event = new_event(
            "user.registered",
            source=EVENT_SOURCE,
            data=UserRegistered(user_id=user.id, email=user.email, name=user.name),
            actor_id=user.id,
            time=user.created_at,
        )
        await self._users.add(user, event)
        self._outbox.written(user.id)  # publish now, without holding up the response
        _log.info("user registered", extra={"userId": user.id})
        return user

    async def login(self, email: str, password: str) -> TokenPair:
        """A new session for valid credentials; ``InvalidCredentials`` otherwise, after the same
        amount of hashing work whether or not the address exists."""
        user = await self._users.by_email(normalise_email(email))
        if user is None:
            await self._passwords.verify_dummy(password)
            raise InvalidCredentials
        if not await self._passwords.verify(user.password_hash, password):
            raise InvalidCredentials
        if self._passwords.needs_rehash(user.password_hash):
            # The parameters were raised since this hash was made; upgrade while we hold the
            # plain password. Losing a race to another login's upgrade is harmless.
            new_hash = await self._passwords.hash(password)
            await self._users.replace_password_hash(user.id, user.password_hash, new_hash)
        return await self._issue(user.id, new_family_id())

    async def start_session(self, user_id: str) -> TokenPair:
        """A new session for a user who just proved who they are (registration)."""
        return await self._issue(user_id, new_family_id())

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Exchange a live refresh token for a new pair in the same family; the presented one is
        spent. Within ``reuse_grace`` of that, presenting it again answers the same successor;
        later, it revokes its family. ``InvalidRefreshToken`` on failure."""
        now = self._clock()
        token_hash = hash_refresh_token(refresh_token)
        record = await self._refresh_tokens.find(token_hash)
        if record is None or record.is_expired(now):
            raise InvalidRefreshToken
        if not record.spent:
            successor, successor_record = issue_refresh_token(
                record.user_id, record.family_id, now, self._refresh_ttl
            )
            # Stored first: once the presented token is spent, its successor must exist for a
            # concurrent refresh that answers it.
            await self._refresh_tokens.add(successor_record)
            sealed = seal_successor(refresh_token, successor)
            spent = await self._refresh_tokens.spend(token_hash, epoch_millis(now), sealed)
            if spent is not None:
                # Checked after spending, so a revocation racing with this rotation still
                # catches the token issued here the next time it is presented.
                if await self._refresh_tokens.is_family_revoked(record.family_id):
                    raise InvalidRefreshToken
                return self._pair(record.user_id, record.family_id, successor, now)
            # Another refresh of the same token won; answer its successor, not this one.
            await self._refresh_tokens.discard(successor_record.token_hash)
            record = await self._refresh_tokens.find(token_hash)
            if record is None:
                raise InvalidRefreshToken
        return await self._successor_within_grace(refresh_token, record, now)

    async def _successor_within_grace(
        self, presented: str, record: RefreshToken, now: datetime
    ) -> TokenPair:
        """The live end of the chain a spent token started, when every link was spent within
        the grace window (a tab that rotated twice while another was still asking); otherwise
        the token is replayed: its family is revoked."""
        token = presented
        for _ in range(_MAX_GRACE_LINKS):
            if not record.within_grace(now, self._reuse_grace) or record.successor is None:
                break
            if await self._refresh_tokens.is_family_revoked(record.family_id):
                raise InvalidRefreshToken
            token = open_successor(token, record.successor)
            successor = await self._refresh_tokens.find(hash_refresh_token(token))
            if successor is None or successor.is_expired(now):
                break
            if not successor.spent:
                _log.info(
                    "refresh token presented again within the grace window; same successor",
                    extra={"familyId": record.family_id, "userId": record.user_id},
                )
                return self._pair(successor.user_id, successor.family_id, token, now)
            record = successor
        await self._refresh_tokens.revoke_family(record.family_id, now)
        _log.warning(
            "spent refresh token presented again; family revoked",
            extra={"familyId": record.family_id, "userId": record.user_id},
        )
        raise InvalidRefreshToken

    async def logout(self, refresh_token: str) -> None:
        """End the session the token belongs to (its whole family). Unknown tokens are ignored,
        so logout is idempotent and says nothing about which tokens exist."""
        record = await self._refresh_tokens.find(hash_refresh_token(refresh_token))
        if record is not None:
            await self._refresh_tokens.revoke_family(record.family_id, self._clock())

    async def user(self, user_id: str) -> User:
        """The user with this id, or ``UserNotFound``."""
        user = await self._users.by_id(user_id)
        if user is None:
            raise UserNotFound
        return user

    async def update_me(
        self,
        user_id: str,
        session_id: str,
        *,
        name: str | None = None,
        current_password: str | None = None,
        new_password: str | None = None,
    ) -> User:
        """Change the caller's name and/or password.

        A password change needs the current password (``WrongPassword`` otherwise, nothing
        written) and then revokes every other session of the user: every refresh-token family
        but ``session_id`` (the one the caller's access token was issued in; an empty id keeps
        none). A new name is published as ``user.renamed`` in the same write."""
        user = await self.user(user_id)
        new_hash: str | None = None
        if new_password is not None:
            if current_password is None or not await self._passwords.verify(
                user.password_hash, current_password
            ):
                raise WrongPassword
            new_hash = await self._passwords.hash(new_password)
        renamed = name if name is not None and name != user.name else None
        event = None
        if renamed is not None:
            event = new_event(
                "user.renamed",
                source=EVENT_SOURCE,
                data=UserRenamed(user_id=user.id, name=renamed),
                actor_id=user.id,
            )
        if renamed is None and new_hash is None:
            return user
        if not await self._users.update(
            user.id, user.password_hash, name=renamed, password_hash=new_hash, event=event
        ):
            raise ConcurrentChange
        if event is not None:
            self._outbox.written(user.id)  # publish the rename now
        if new_hash is not None:
            now = self._clock()
            for family in await self._refresh_tokens.families_of(user.id, now):
                if family != session_id:
                    await self._refresh_tokens.revoke_family(family, now)
            _log.info("password changed; other sessions revoked", extra={"userId": user.id})
        return User(
            id=user.id,
            email=user.email,
            name=renamed if renamed is not None else user.name,
            password_hash=new_hash if new_hash is not None else user.password_hash,
            created_at=user.created_at,
        )

    async def _issue(self, user_id: str, family_id: str) -> TokenPair:
        now = self._clock()
        token, record = issue_refresh_token(user_id, family_id, now, self._refresh_ttl)
        await self._refresh_tokens.add(record)
        return self._pair(user_id, family_id, token, now)

    def _pair(self, user_id: str, family_id: str, refresh_token: str, now: datetime) -> TokenPair:
        access = self._access_tokens.issue(user_id, now, family_id)
        return TokenPair(
            access_token=access.token, refresh_token=refresh_token, expires_in=access.expires_in
        )
