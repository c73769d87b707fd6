"""docs/asyncapi.json describes every event of the catalogue and is up to date."""

from __future__ import annotations

import json
from pathlib import Path

from hintro_devtools.asyncapi import build_asyncapi, render
from hintro_shared.events import EVENT_SCHEMAS
from hintro_testkit.jsonrefs import refs, resolve

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "asyncapi.json"
EVENTS_MD = ROOT / "docs" / "events.md"
REGENERATE = "run `make openapi`"


def test_committed_asyncapi_document_is_up_to_date() -> None:
    assert COMMITTED.exists(), f"docs/asyncapi.json is missing: {REGENERATE}"
    assert COMMITTED.read_bytes() == render(), f"docs/asyncapi.json is stale: {REGENERATE}"


def test_every_event_type_has_a_channel_an_operation_and_a_payload_schema() -> None:
    document = json.loads(COMMITTED.read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == set(EVENT_SCHEMAS)
    operations = [op["channel"]["$ref"] for op in document["operations"].values()]
    assert sorted(operations) == sorted(f"#/channels/{cid}" for cid in document["channels"])
    schemas = document["components"]["schemas"]
    for model in EVENT_SCHEMAS.values():
        assert model.__name__ in schemas
    assert "EventEnvelope" in schemas


def test_every_reference_in_the_document_resolves() -> None:
    document = build_asyncapi()
    found = refs(document)
    assert found
    for ref in found:
        assert resolve(document, ref) is not None


def test_payload_schemas_use_the_wire_names() -> None:
    schemas = build_asyncapi()["components"]["schemas"]
    assert set(schemas["TaskMoved"]["required"]) >= {"taskId", "fromListId", "toListId", "position"}
    assert "correlationId" in schemas["EventEnvelope"]["properties"]


def test_events_guide_describes_every_event_type() -> None:
    guide = EVENTS_MD.read_text()
    missing = [event_type for event_type in EVENT_SCHEMAS if f"`{event_type}`" not in guide]
    assert not missing, f"docs/events.md does not describe {missing}"
