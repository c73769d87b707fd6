"""The auth use cases over in-memory fakes: registration, login (including the equal-cost path
for unknown e-mails and rehashing), refresh-token rotation and reuse detection, logout."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from hintro_auth.domain import (
    AccessToken,
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    RefreshToken,
    TokenPair,
    User,
    UserNotFound,
    WrongPassword,
    open_successor,
)
from hintro_auth.service import AuthService
from hintro_shared.events.envelope import EventEnvelope

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@dataclass
class FakeUsers:
    by_key: dict[str, User] = field(default_factory=dict)
    events: list[EventEnvelope] = field(default_factory=list)

    async def add(self, user: User, event: EventEnvelope) -> None:
        if any(existing.email == user.email for existing in self.by_key.values()):
            raise EmailTaken
        self.by_key[user.id] = user
        self.events.append(event)

    async def by_id(self, user_id: str) -> User | None:
        return self.by_key.get(user_id)

    async def by_email(self, email: str) -> User | None:
        return next((u for u in self.by_key.values() if u.email == email), None)

    async def replace_password_hash(self, user_id: str, old_hash: str, new_hash: str) -> None:
        user = self.by_key[user_id]
        if user.password_hash == old_hash:
            self.by_key[user_id] = replace(user, password_hash=new_hash)

    async def update(
        self,
        user_id: str,
        expected_hash: str,
        *,
        name: str | None,
        password_hash: str | None,
        event: EventEnvelope | None,
    ) -> bool:
        user = self.by_key[user_id]
        if user.password_hash != expected_hash:
            return False
        self.by_key[user_id] = replace(
            user,
            name=user.name if name is None else name,
            password_hash=user.password_hash if password_hash is None else password_hash,
        )
        if event is not None:
            self.events.append(event)
        return True


@dataclass
class FakeRefreshTokens:
    tokens: dict[str, RefreshToken] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    async def add(self, record: RefreshToken) -> None:
        self.tokens[record.token_hash] = record

    async def spend(self, token_hash: str, spent_at_ms: int, successor: str) -> RefreshToken | None:
        # Atomic in the real repository (a conditional find_one_and_update); a dict update with
        # no await in between is atomic here too.
        record = self.tokens.get(token_hash)
        if record is None or record.spent:
            return None
        self.tokens[token_hash] = replace(
            record, spent=True, spent_at_ms=spent_at_ms, successor=successor
        )
        return self.tokens[token_hash]

    async def discard(self, token_hash: str) -> None:
        self.tokens.pop(token_hash, None)

    async def find(self, token_hash: str) -> RefreshToken | None:
        return self.tokens.get(token_hash)

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        self.revoked.add(family_id)

    async def is_family_revoked(self, family_id: str) -> bool:
        return family_id in self.revoked

    async def families_of(self, user_id: str, now: datetime) -> set[str]:
        live = (t for t in self.tokens.values() if not t.is_expired(now))
        return {t.family_id for t in live if t.user_id == user_id}


@dataclass
class FakePasswords:
    version: int = 1
    verified: list[str] = field(default_factory=list)
    dummy_checks: int = 0

    async def hash(self, password: str) -> str:
        return f"v{self.version}:{password[::-1]}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return password_hash.split(":", 1)[1] == password[::-1]

    async def verify_dummy(self, password: str) -> None:
        self.dummy_checks += 1

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"v{self.version}:")


class FakeAccessTokens:
    def issue(self, user_id: str, now: datetime, session_id: str) -> AccessToken:
        return AccessToken(token=f"access:{user_id}:{now.isoformat()}:{session_id}", expires_in=900)


@dataclass
class World:
    service: AuthService
    users: FakeUsers
    tokens: FakeRefreshTokens
    passwords: FakePasswords
    clock: list[datetime]


def make_world(reuse_grace: timedelta = timedelta(0)) -> World:
    users, tokens, passwords = FakeUsers(), FakeRefreshTokens(), FakePasswords()
    clock = [START]
    service = AuthService(
        users=users,
        refresh_tokens=tokens,
        passwords=passwords,
        access_tokens=FakeAccessTokens(),
        refresh_ttl=timedelta(days=30),
        clock=lambda: clock[0],
        reuse_grace=reuse_grace,
    )
    return World(service, users, tokens, passwords, clock)


@pytest.fixture
def world() -> World:
    """Without a reuse grace window: any second presentation of a token is reuse."""
    return make_world()


GRACE = timedelta(seconds=10)


@pytest.fixture
def graced() -> World:
    """With a 10 s reuse grace window."""
    return make_world(GRACE)


PASSWORD = "correct horse battery"


async def test_register_normalises_email_and_records_user_registered(world: World) -> None:
    user = await world.service.register(" Ada@Example.COM ", PASSWORD, "Ada")
    assert user.email == "ada@example.com"
    assert user.password_hash != PASSWORD
    (event,) = world.users.events
    assert event.type == "user.registered"
    assert event.data == {"userId": user.id, "email": "ada@example.com", "name": "Ada"}
    assert PASSWORD not in event.to_json().decode()
    assert user.password_hash not in event.to_json().decode()


async def test_register_same_email_in_another_case_is_taken(world: World) -> None:
    await world.service.register("ada@example.com", PASSWORD, "Ada")
    with pytest.raises(EmailTaken):
        await world.service.register("ADA@example.com", PASSWORD, "Ada again")
    assert len(world.users.events) == 1


async def test_login_with_any_case_of_the_email_gives_a_token_pair(world: World) -> None:
    user = await world.service.register("ada@example.com", PASSWORD, "Ada")
    pair = await world.service.login("ADA@Example.com", PASSWORD)
    assert pair.access_token.startswith(f"access:{user.id}:")
    assert pair.refresh_token
    assert pair.expires_in == 900
    assert pair.token_type == "Bearer"
    stored = world.tokens.tokens.values()
    assert all(pair.refresh_token not in record.token_hash for record in stored)


async def test_wrong_password_and_unknown_email_are_the_same_error(world: World) -> None:
    await world.service.register("ada@example.com", PASSWORD, "Ada")
    with pytest.raises(InvalidCredentials):
        await world.service.login("ada@example.com", "wrong password")
    with pytest.raises(InvalidCredentials):
        await world.service.login("nobody@example.com", PASSWORD)


async def test_unknown_email_still_costs_a_password_verification(world: World) -> None:
    with pytest.raises(InvalidCredentials):
        await world.service.login("nobody@example.com", PASSWORD)
    assert world.passwords.dummy_checks == 1


async def test_login_rehashes_a_password_hashed_with_old_parameters(world: World) -> None:
    user = await world.service.register("ada@example.com", PASSWORD, "Ada")
    world.passwords.version = 2
    await world.service.login("ada@example.com", PASSWORD)
    assert world.users.by_key[user.id].password_hash.startswith("v2:")
    await world.service.login("ada@example.com", PASSWORD)  # still logs in with the new hash


async def test_refresh_rotates_and_spends_the_presented_token(world: World) -> None:
    await world.service.register("ada@example.com", PASSWORD, "Ada")
    first = await world.service.login("ada@example.com", PASSWORD)
    second = await world.service.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    third = await world.service.refresh(second.refresh_token)
    assert third.refresh_token not in {first.refresh_token, second.refresh_token}


async def test_reusing_a_spent_token_revokes_the_whole_family(world: World) -> None:
    await world.service.register("ada@example.com", PASSWORD, "Ada")
    stolen = await world.service.login("ada@example.com", PASSWORD)
    legit = await world.service.refresh(stolen.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await world.service.refresh(stolen.refresh_token)
    # The family's live token stops working too.
    with pytest.raises(InvalidRefreshToken):
        await world.service.refresh(legit.refresh_token)


async def test_reuse_revokes_only_its_own_family(world: World) -> None:
    await world.service.register("ada@example.com", PASSWORD, "Ada")
    laptop = await world.service.login("ada@example.com", PASSWORD)
    phone = await world.service.login("ada@example.com", PASSWORD)
    await world.service.refresh(laptop.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await world.service.refresh(laptop.refresh_token)
    assert (await world.service.refresh(phone.refresh_token)).refresh_token


async def test_concurrent_refreshes_of_one_token_let_exactly_one_win(world: World) -> None:
    await world.service.register("ada@example.com", PASSWORD, "Ada")
    pair = await world.service.login("ada@example.com", PASSWORD)
    results = await asyncio.gather(
        *(world.service.refresh(pair.refresh_token) for _ in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(result, BaseException) for result in results) == 1


async def test_unknown_refresh_token_is_refused_without_revoking_anything(world: World) -> None:
    with pytest.raises(InvalidRefreshToken):
        await world.service.refresh("made-up")
    assert world.tokens.revoked == set()


async def test_expired_refresh_token_is_refused(world: World) -> None:
    await world.service.register("ada@example.com", PASSWORD, "Ada")
    pair = await world.service.login("ada@example.com", PASSWORD)
    world.clock[0] = START + timedelta(days=30)
    with pytest.raises(InvalidRefreshToken):
        await world.service.refresh(pair.refresh_token)


async def test_logout_revokes_the_family_and_is_idempotent(world: World) -> None:
    await world.service.register("ada@example.com", PASSWORD, "Ada")
    pair = await world.service.login("ada@example.com", PASSWORD)
    rotated = await world.service.refresh(pair.refresh_token)
    await world.service.logout(pair.refresh_token)  # an earlier token of the family is enough
    await world.service.logout(pair.refresh_token)
    await world.service.logout("never-issued")
    with pytest.raises(InvalidRefreshToken):
        await world.service.refresh(rotated.refresh_token)


async def test_users_are_found_by_id(world: World) -> None:
    user = await world.service.register("ada@example.com", PASSWORD, "Ada")
    assert (await world.service.user(user.id)).email == "ada@example.com"
    with pytest.raises(UserNotFound):
        await world.service.user("nobody")


def _session_of(pair: TokenPair) -> str:
    return pair.access_token.rsplit(":", 1)[1]


async def test_rename_writes_the_name_and_user_renamed_in_one_write(world: World) -> None:
    user = await world.service.register("ren@example.com", PASSWORD, "Ada")
    updated = await world.service.update_me(user.id, "s", name="Ada Lovelace")
    assert updated.name == "Ada Lovelace"
    assert (await world.service.user(user.id)).name == "Ada Lovelace"
    event = world.users.events[-1]
    assert (event.type, event.data) == ("user.renamed", {"userId": user.id, "name": "Ada Lovelace"})
    assert event.actor_id == user.id
    # The same name again changes nothing and says nothing.
    await world.service.update_me(user.id, "s", name="Ada Lovelace")
    assert len(world.users.events) == 2


async def test_password_change_keeps_this_session_and_revokes_the_others(world: World) -> None:
    user = await world.service.register("pw@example.com", PASSWORD, "Ada")
    mine = await world.service.login("pw@example.com", PASSWORD)
    other = await world.service.login("pw@example.com", PASSWORD)
    await world.service.update_me(
        user.id, _session_of(mine), current_password=PASSWORD, new_password="new password 1"
    )
    await world.service.refresh(mine.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await world.service.refresh(other.refresh_token)
    with pytest.raises(InvalidCredentials):
        await world.service.login("pw@example.com", PASSWORD)
    await world.service.login("pw@example.com", "new password 1")


async def test_wrong_current_password_changes_nothing(world: World) -> None:
    user = await world.service.register("wrong@example.com", PASSWORD, "Ada")
    session = await world.service.login("wrong@example.com", PASSWORD)
    with pytest.raises(WrongPassword):
        await world.service.update_me(
            user.id,
            "elsewhere",
            name="Mallory",
            current_password="not it at all",
            new_password="new password 1",
        )
    assert (await world.service.user(user.id)).name == "Ada"
    assert len(world.users.events) == 1
    await world.service.refresh(session.refresh_token)
    await world.service.login("wrong@example.com", PASSWORD)


async def test_concurrent_refreshes_within_the_grace_window_share_one_successor(
    graced: World,
) -> None:
    await graced.service.register("tabs@example.com", PASSWORD, "Ada")
    pair = await graced.service.login("tabs@example.com", PASSWORD)
    results = await asyncio.gather(*(graced.service.refresh(pair.refresh_token) for _ in range(5)))
    assert len({result.refresh_token for result in results}) == 1
    # The losers' own successors were discarded: the family holds the login's token and one
    # successor, and that successor rotates normally.
    assert len(graced.tokens.tokens) == 2
    assert graced.tokens.revoked == set()
    following = await graced.service.refresh(results[0].refresh_token)
    assert following.refresh_token != results[0].refresh_token


async def test_a_retry_within_the_window_gets_the_same_successor(graced: World) -> None:
    await graced.service.register("retry@example.com", PASSWORD, "Ada")
    pair = await graced.service.login("retry@example.com", PASSWORD)
    first = await graced.service.refresh(pair.refresh_token)
    graced.clock[0] = START + GRACE  # the last moment of the window
    again = await graced.service.refresh(pair.refresh_token)
    assert again.refresh_token == first.refresh_token
    assert again.access_token != first.access_token  # a fresh access token each time
    assert graced.tokens.revoked == set()


async def test_a_late_presentation_follows_rotations_made_within_the_window(graced: World) -> None:
    await graced.service.register("chain@example.com", PASSWORD, "Ada")
    pair = await graced.service.login("chain@example.com", PASSWORD)
    first = await graced.service.refresh(pair.refresh_token)
    second = await graced.service.refresh(first.refresh_token)
    late = await graced.service.refresh(pair.refresh_token)
    assert late.refresh_token == second.refresh_token


async def test_a_presentation_after_the_window_revokes_the_family(graced: World) -> None:
    await graced.service.register("late@example.com", PASSWORD, "Ada")
    stolen = await graced.service.login("late@example.com", PASSWORD)
    legit = await graced.service.refresh(stolen.refresh_token)
    graced.clock[0] = START + GRACE + timedelta(milliseconds=1)
    with pytest.raises(InvalidRefreshToken):
        await graced.service.refresh(stolen.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await graced.service.refresh(legit.refresh_token)


async def test_no_successor_is_answered_for_a_family_logged_out_in_the_window(
    graced: World,
) -> None:
    await graced.service.register("out@example.com", PASSWORD, "Ada")
    pair = await graced.service.login("out@example.com", PASSWORD)
    rotated = await graced.service.refresh(pair.refresh_token)
    await graced.service.logout(rotated.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await graced.service.refresh(pair.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await graced.service.refresh(rotated.refresh_token)


async def test_the_database_alone_does_not_give_the_successor_away(graced: World) -> None:
    await graced.service.register("leak@example.com", PASSWORD, "Ada")
    pair = await graced.service.login("leak@example.com", PASSWORD)
    rotated = await graced.service.refresh(pair.refresh_token)
    stored = [record.successor for record in graced.tokens.tokens.values() if record.successor]
    assert len(stored) == 1
    assert rotated.refresh_token not in stored[0]
    assert open_successor(pair.refresh_token, stored[0]) == rotated.refresh_token
    assert open_successor("another token", stored[0]) != rotated.refresh_token
