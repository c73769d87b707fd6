"""Local JSON references (``#/a/b``) in the API documents, for the tests that check them."""

from __future__ import annotations

from typing import Any


def refs(node: Any) -> list[str]:
    """Every ``$ref`` string in ``node``, depth first."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    """What ``ref`` points at in ``document``; a node that is itself only a reference (a
    channel's message pointing at its component) is followed."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        assert key in node, f"{ref} does not resolve"
        node = node[key]
    if isinstance(node, dict) and set(node) == {"$ref"}:
        return resolve(document, node["$ref"])
    return node
