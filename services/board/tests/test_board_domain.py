"""Pure rules of the board domain and the cache entry format (no I/O)."""

from __future__ import annotations

import pytest

from hintro_board.cache import decode_entry, encode_entry
from hintro_board.domain import (
    Board,
    InvalidAnchor,
    InvalidTransfer,
    Member,
    OwnerIsFixed,
    Placement,
    check_grantable,
    is_valid_user_id,
    members_from,
    normalise_email,
    now,
    position_between,
    transferred,
)
from hintro_shared.authz import Role


def test_members_list_the_owner_first_then_in_joining_order() -> None:
    members = members_from("o", ["a", "o", "b"], {"o": "owner", "a": "viewer", "b": "editor"})
    assert members == (
        Member("o", Role.OWNER),
        Member("a", Role.VIEWER),
        Member("b", Role.EDITOR),
    )


def test_an_id_without_a_role_is_not_a_member() -> None:
    assert members_from("o", ["o", "ghost"], {"o": "owner"}) == (Member("o", Role.OWNER),)


def test_owner_role_cannot_be_granted() -> None:
    assert check_grantable(Role.EDITOR) is Role.EDITOR
    assert check_grantable(Role.VIEWER) is Role.VIEWER
    with pytest.raises(OwnerIsFixed):
        check_grantable(Role.OWNER)


@pytest.mark.parametrize("anchor", ["after_id", "before_id"])
def test_a_list_cannot_be_its_own_anchor(anchor: str) -> None:
    placement = Placement(**{anchor: "l1"})
    with pytest.raises(InvalidAnchor) as raised:
        placement.check_not_self("l1")
    assert raised.value.field == {"after_id": "afterId", "before_id": "beforeId"}[anchor]
    Placement(**{anchor: "l2"}).check_not_self("l1")


def test_positions_fall_strictly_between_their_neighbours() -> None:
    assert "a0" < position_between("a0", "a1") < "a1"
    assert position_between(None, "a0") < "a0"
    assert position_between("a0", None) > "a0"


@pytest.mark.parametrize(
    ("user_id", "valid"),
    [("0f" * 16, True), ("user-1_x", True), ("a.b", False), ("$where", False), ("", False)],
)
def test_user_ids_usable_as_map_keys(user_id: str, valid: bool) -> None:
    assert is_valid_user_id(user_id) is valid


def test_emails_match_case_insensitively() -> None:
    assert normalise_email("  Ada@Example.COM ") == "ada@example.com"


def test_times_are_utc_milliseconds() -> None:
    current = now()
    assert current.utcoffset() is not None
    assert current.microsecond % 1000 == 0


def test_cache_entry_round_trips_without_parsing_the_body() -> None:
    body = b'{"id":"b1","title":"line\\nbreak"}'
    entry = decode_entry(encode_entry({"u1": "owner"}, 7, body))
    assert (entry.roles, entry.version, entry.body) == ({"u1": "owner"}, 7, body)


def test_a_transfer_makes_the_member_owner_and_the_old_owner_editor() -> None:
    at = now()
    members = members_from("o", ["o", "a", "b"], {"o": "owner", "a": "viewer", "b": "editor"})
    board = Board("b1", "T", "", "o", members, at, at, 3)
    assert transferred(board, "b") == (
        Member("b", Role.OWNER),
        Member("o", Role.EDITOR),
        Member("a", Role.VIEWER),
    )
    # The same order the stored arrays give once the transfer is written.
    assert transferred(board, "b") == members_from(
        "b", ["o", "a", "b"], {"o": "editor", "a": "viewer", "b": "owner"}
    )
    for target in ("o", "stranger"):
        with pytest.raises(InvalidTransfer):
            transferred(board, target)
