"""The label palette (hintro_shared.labels): readable text on every colour, stable import ids."""

from __future__ import annotations

import typing

import pytest

from hintro_shared.labels import (
    LABEL_COLORS,
    LabelColor,
    imported_label_color,
    imported_label_id,
)


def _luminance(hex_colour: str) -> float:
    value = int(hex_colour[1:], 16)

    def channel(shift: int) -> float:
        c = ((value >> shift) & 255) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", sorted(LABEL_COLORS))
def test_every_colour_keeps_small_text_readable(name: str) -> None:
    background, text = LABEL_COLORS[name]
    assert _contrast(background, text) >= 4.5


def test_the_schema_names_are_the_palette() -> None:
    assert set(typing.get_args(LabelColor)) == set(LABEL_COLORS)
    assert len(LABEL_COLORS) == 10


def test_import_ids_are_per_board_and_name() -> None:
    first = imported_label_id("b1", "Bug")
    assert first == imported_label_id("b1", "Bug")
    assert len(first) == 32
    assert all(ch in "0123456789abcdef" for ch in first)
    assert first != imported_label_id("b2", "Bug")
    assert first != imported_label_id("b1", "bug")
    assert imported_label_color("Bug") in LABEL_COLORS
    assert {imported_label_color(f"l{i}") for i in range(200)} == set(LABEL_COLORS)
