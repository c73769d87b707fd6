"""Fractional-index positions for ordered lists and tasks.

A position is a string that sorts lexicographically (byte order, as MongoDB and SQLite compare
strings). Moving an item computes a new key strictly between its new neighbours' keys, so a move
rewrites only the moved item and never renumbers the others. The algorithm is the well-known
base-62 "fractional indexing" scheme: an integer part whose first character encodes its length
(``a0``, ``a1``, ... ``b10``), then a fraction that never ends in the zero digit.

Two concurrent moves to the same place would compute the same key; :func:`jittered_key_between`
appends random digits so they differ, and the repositories' unique index on (container, position)
turns the remaining tiny chance of a tie into a retry.
"""

from __future__ import annotations

import random

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ZERO = DIGITS[0]
_SMALLEST_INTEGER = "A" + _ZERO * 26
_JITTER_DIGITS = 3
_rng = random.SystemRandom()


class InvalidPosition(ValueError):
    """A stored or supplied key is not a valid fractional index, or the bounds are reversed."""


def _midpoint(a: str, b: str | None) -> str:
    """A fraction strictly between fractions ``a`` and ``b`` (``None`` = no upper bound)."""
    if b is not None and a >= b:
        raise InvalidPosition(f"{a!r} is not below {b!r}")
    if a.endswith(_ZERO) or (b is not None and b.endswith(_ZERO)):
        raise InvalidPosition("fraction ends with the zero digit")
    if b:
        n = 0
        while (a[n] if n < len(a) else _ZERO) == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = DIGITS.index(a[0]) if a else 0
    digit_b = DIGITS.index(b[0]) if b else len(DIGITS)
    if digit_b - digit_a > 1:
        return DIGITS[(digit_a + digit_b + 1) // 2]
    if b and len(b) > 1:
        return b[:1]
    return DIGITS[digit_a] + _midpoint(a[1:], None)


def _integer_length(head: str) -> int:
    if "a" <= head <= "z":
        return ord(head) - ord("a") + 2
    if "A" <= head <= "Z":
        return ord("Z") - ord(head) + 2
    raise InvalidPosition(f"invalid head {head!r}")


def _split(key: str) -> tuple[str, str]:
    if not key:
        raise InvalidPosition("empty key")
    length = _integer_length(key[0])
    if length > len(key) or any(ch not in DIGITS for ch in key[1:]):
        raise InvalidPosition(f"invalid key {key!r}")
    integer, fraction = key[:length], key[length:]
    if key == _SMALLEST_INTEGER or fraction.endswith(_ZERO):
        raise InvalidPosition(f"invalid key {key!r}")
    return integer, fraction


def _increment(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        d = DIGITS.index(digits[i]) + 1
        if d < len(DIGITS):
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = _ZERO
    if head == "Z":
        return "a" + _ZERO
    if head == "z":
        return None
    new_head = chr(ord(head) + 1)
    if new_head > "a":
        digits.append(_ZERO)
    else:
        digits.pop()
    return new_head + "".join(digits)


def _decrement(integer: str) -> str | None:
    head, digits = integer[0], list(integer[1:])
    for i in reversed(range(len(digits))):
        d = DIGITS.index(digits[i]) - 1
        if d >= 0:
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = DIGITS[-1]
    if head == "a":
        return "Z" + DIGITS[-1]
    if head == "A":
        return None
    new_head = chr(ord(head) - 1)
    if new_head < "Z":
        digits.append(DIGITS[-1])
    else:
        digits.pop()
    return new_head + "".join(digits)


def key_between(a: str | None, b: str | None) -> str:
    """The shortest-ish key strictly between ``a`` and ``b`` (``None`` means open end)."""
    if a is not None and b is not None and a >= b:
        raise InvalidPosition(f"{a!r} is not below {b!r}")
    if a is None:
        if b is None:
            return "a" + _ZERO
        int_b, frac_b = _split(b)
        if int_b == _SMALLEST_INTEGER:
            return int_b + _midpoint("", frac_b)
        if int_b < b:
            return int_b
        lower = _decrement(int_b)
        if lower is None:
            raise InvalidPosition("cannot go below the smallest key")
        return lower
    int_a, frac_a = _split(a)
    if b is None:
        higher = _increment(int_a)
        return int_a + _midpoint(frac_a, None) if higher is None else higher
    int_b, frac_b = _split(b)
    if int_a == int_b:
        return int_a + _midpoint(frac_a, frac_b)
    higher = _increment(int_a)
    if higher is None:
        raise InvalidPosition("cannot go above the largest key")
    if higher < b:
        return higher
    return int_a + _midpoint(frac_a, None)


def jittered_key_between(a: str | None, b: str | None, rng: random.Random = _rng) -> str:
    """Like :func:`key_between`, plus random digits so concurrent writers pick distinct keys."""
    base = key_between(a, b)
    suffix = "".join(rng.choice(DIGITS) for _ in range(_JITTER_DIGITS - 1))
    suffix += rng.choice(DIGITS[1:])  # a fraction never ends with the zero digit
    candidate = base + suffix
    # Appending keeps candidate above base (and so above a); it stays below b unless base is a
    # prefix of b, in which case the plain midpoint is still a correct, ordered answer.
    return candidate if b is None or candidate < b else base


def validate_key(key: str) -> str:
    """Return ``key`` if it is a valid position, else raise :class:`InvalidPosition`."""
    _split(key)
    return key


class PositionTaken(Exception):
    """Another item of the same parent already holds the computed position (the unique index
    refused the write); the writer picks another key between fresh neighbours and retries."""
