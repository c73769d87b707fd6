"""How a person is shown when there is no picture: initials and a colour.

One function for every service (and, through the API, every client), so the same user gets the
same badge everywhere. The colour depends only on the user id, never on the name, so renaming
keeps it.
"""

from __future__ import annotations

import hashlib

# Twelve colours of similar lightness that carry white initials legibly.
PALETTE: tuple[str, ...] = (
    "#E53935",
    "#D81B60",
    "#8E24AA",
    "#5E35B1",
    "#3949AB",
    "#1E88E5",
    "#00897B",
    "#43A047",
    "#7CB342",
    "#F4511E",
    "#6D4C41",
    "#546E7A",
)


def initials(name: str) -> str:
    """Up to two upper-case letters: the first letters of the first and last words, or the
    first two letters of a single word ("Ada Lovelace" -> "AL", "ada" -> "AD"); empty when the
    name has no letter."""
    words = ["".join(ch for ch in word if ch.isalpha()) for word in name.split()]
    words = [word for word in words if word]
    if not words:
        return ""
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def color(user_id: str) -> str:
    """The user's colour: one of :data:`PALETTE`, picked by a stable hash of the id (not
    Python's ``hash``, which changes between processes)."""
    digest = hashlib.sha256(user_id.encode()).digest()
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]


def badge(user_id: str, name: str) -> dict[str, str]:
    """``{"initials", "color"}`` for a user, ready to merge into a JSON body."""
    return {"initials": initials(name), "color": color(user_id)}
