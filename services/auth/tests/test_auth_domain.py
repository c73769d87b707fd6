"""The auth domain's rules: e-mail normalisation, refresh-token material, what objects reveal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hintro_auth.domain import (
    TokenPair,
    hash_refresh_token,
    issue_refresh_token,
    new_refresh_token,
    new_user,
    normalise_email,
    parse_email,
    truncate_to_millis,
)

NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada@Example.COM\t", "ada@example.com"),
        ("ADA.LOVELACE+kanban@EXAMPLE.org", "ada.lovelace+kanban@example.org"),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected
    assert parse_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "a@b@c.com"]
)
def test_implausible_email_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="e-mail"):
        parse_email(raw)


def test_overlong_email_is_refused() -> None:
    with pytest.raises(ValueError, match="e-mail"):
        parse_email("a" * 250 + "@example.com")


def test_new_user_has_normalised_email_and_millisecond_timestamp() -> None:
    user = new_user(" Ada@Example.com ", "Ada", "hash", NOW)
    assert user.email == "ada@example.com"
    assert user.created_at == datetime(2026, 11, 28, 12, 0, 0, 123000, tzinfo=UTC)
    assert user.id
    assert user.id != new_user("b@example.com", "B", "hash", NOW).id


def test_user_repr_does_not_reveal_the_password_hash() -> None:
    user = new_user("ada@example.com", "Ada", "$argon2id$secret-hash", NOW)
    assert "argon2" not in repr(user)
    assert "secret-hash" not in str(user)


def test_refresh_tokens_are_long_random_and_stored_only_as_hash() -> None:
    tokens = {new_refresh_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) >= 43 for token in tokens)  # 32 bytes, base64url
    token, record = issue_refresh_token("user-1", "family-1", NOW, timedelta(days=30))
    assert record.token_hash == hash_refresh_token(token)
    assert token not in record.token_hash
    assert len(record.token_hash) == 64
    assert token not in repr(record)


def test_refresh_token_expires_after_its_lifetime() -> None:
    _, record = issue_refresh_token("user-1", "family-1", NOW, timedelta(days=30))
    assert record.expires_at == truncate_to_millis(NOW) + timedelta(days=30)
    assert not record.is_expired(NOW + timedelta(days=29))
    assert record.is_expired(NOW + timedelta(days=30))
    assert not record.spent


def test_token_pair_repr_does_not_reveal_tokens() -> None:
    pair = TokenPair(access_token="access-secret", refresh_token="refresh-secret", expires_in=900)
    assert "secret" not in repr(pair)
    assert pair.token_type == "Bearer"
