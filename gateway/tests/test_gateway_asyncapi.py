"""The AsyncAPI document of the Socket.IO protocol: generated from the realtime service's
schemas, committed, served at /api/asyncapi.json, every reference resolving and every pushed
event type described."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.tests.conftest import Harness
from hintro_devtools.apidocs import generate_socket_asyncapi, render
from hintro_devtools.socketapi import pushed_types
from hintro_devtools.workspace import repo_root
from hintro_gateway.apidoc import ASYNCAPI_FILE
from hintro_realtime.sockets import JOIN_EVENT, LEAVE_EVENT
from hintro_testkit.jsonrefs import refs, resolve

ASYNCAPI_OUTPUT = repo_root() / "gateway" / "src" / "hintro_gateway" / ASYNCAPI_FILE


def _committed() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(ASYNCAPI_OUTPUT.read_bytes())
    return doc


def test_committed_document_is_fresh() -> None:
    assert ASYNCAPI_OUTPUT.read_bytes() == render(generate_socket_asyncapi()), "run `make openapi`"


def test_every_reference_resolves() -> None:
    doc = _committed()
    found = refs(doc)
    assert found
    for ref in found:
        resolve(doc, ref)


def test_the_protocol_is_described_operation_by_operation() -> None:
    doc = _committed()
    assert doc["asyncapi"] == "3.0.0"
    ops = doc["operations"]
    join = ops["joinBoard"]
    assert join["action"] == "receive"
    assert resolve(doc, join["messages"][0]["$ref"])["name"] == JOIN_EVENT
    assert resolve(doc, ops["leaveBoard"]["messages"][0]["$ref"])["name"] == LEAVE_EVENT
    acks = resolve(doc, join["reply"]["messages"][0]["$ref"])["payload"]["oneOf"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in acks} == {"JoinAck", "Refusal"}
    join_schema = doc["components"]["schemas"]["JoinPayload"]
    assert set(join_schema["properties"]) == {"boardId", "sinceSeq"}
    assert join_schema["additionalProperties"] is False
    # One pushed message per board-scoped event type, each with its data schema.
    pushed = [resolve(doc, m["$ref"]) for m in ops["pushEvent"]["messages"]]
    types = {m["payload"]["allOf"][1]["properties"]["type"]["const"] for m in pushed}
    assert types == set(pushed_types())
    assert "user.registered" not in types
    assert "activity.recorded" not in types
    assert all(m["name"] == "event" for m in pushed)
    deleted = next(
        m
        for m in pushed
        if m["payload"]["allOf"][1]["properties"]["type"]["const"] == "board.deleted"
    )
    assert deleted["payload"]["allOf"][1]["properties"]["seq"] == {"type": "null"}


@pytest.mark.integration
async def test_gateway_serves_the_document(gw: Harness) -> None:
    plain = await gw.client.get("/api/asyncapi.json", headers={"Accept-Encoding": "identity"})
    assert plain.status == 200
    assert plain.content_type == "application/json"
    assert await plain.json() == _committed()
    refused = await gw.client.get("/api/asyncapi.json?v=2")
    assert refused.status == 422
    assert refused.content_type == "application/problem+json"
