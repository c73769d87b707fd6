"""Initials and colours shown for people (hintro_shared.people)."""

from __future__ import annotations

import pytest

from hintro_shared.people import PALETTE, badge, color, initials


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "AL"),
        ("ada", "AD"),
        ("  grace  brewster murray hopper ", "GH"),
        ("Émile Zola", "ÉZ"),
        ("J", "J"),
        ("42", ""),
        ("", ""),
        ("o'brien 3rd", "OR"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_colour_is_stable_per_id_and_spread_over_the_palette() -> None:
    assert color("abc") == color("abc")
    assert len(PALETTE) == 12
    colours = {color(f"user-{i}") for i in range(500)}
    assert colours == set(PALETTE)


def test_badge_depends_on_id_for_colour_and_name_for_initials() -> None:
    assert badge("u1", "Ada Lovelace") == {"initials": "AL", "color": color("u1")}
    assert badge("u1", "Grace")["color"] == badge("u1", "Ada")["color"]
