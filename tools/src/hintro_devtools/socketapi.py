"""The AsyncAPI 3.0 document of the client-facing Socket.IO protocol, built from the pydantic
schemas the service validates and answers with (:mod:`hintro_realtime.schemas`) and the event
catalogue's ``data`` schemas (:mod:`hintro_shared.events.catalogue`).

It describes the realtime service as clients reach it through the gateway (``/socket.io/``):
the *application* is the server, so what a client emits is a ``receive`` operation (with its
ack as the ``reply``) and what the server pushes is a ``send``. The broker's events between
services are another document (``docs/asyncapi.json``): another audience, protocol and server.

``make openapi`` commits its rendering as ``gateway/src/hintro_gateway/asyncapi.json``
(:mod:`hintro_devtools.apidocs`), which the gateway serves at ``/api/asyncapi.json``; a test
fails when it is stale.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hintro_realtime.domain import PUSH_EVENT
from hintro_realtime.schemas import (
    ConnectAuth,
    ConnectRefusal,
    JoinAck,
    JoinPayload,
    LeaveAck,
    LeavePayload,
    PushOut,
    Refusal,
)
from hintro_realtime.sockets import JOIN_EVENT, LEAVE_EVENT
from hintro_shared.events.catalogue import EVENT_SCHEMAS, EventData

REF = "#/components/schemas/{model}"
CHANNEL = "socket"
PUSHED_PREFIXES = ("board.", "list.", "task.", "comment.")
"""Board-scoped event types: the ones pushed to a board's sockets (``user.*`` and
``activity.recorded`` travel between services only)."""


def pushed_types() -> dict[str, type[EventData]]:
    """The catalogue's event types clients receive, with their ``data`` schemas."""
    return {t: m for t, m in EVENT_SCHEMAS.items() if t.startswith(PUSHED_PREFIXES)}


def _message_id(event_type: str) -> str:
    """``board.member_added`` -> ``boardMemberAdded`` (AsyncAPI ids allow no dots)."""
    parts = event_type.replace(".", "_").split("_")
    return parts[0] + "".join(part.title() for part in parts[1:])


def _ref(model: type[Any]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _schemas() -> dict[str, Any]:
    # What clients send is validated ("validation" schemas); the rest is what the server sends.
    sent: list[type[BaseModel]] = [
        ConnectRefusal,
        JoinAck,
        LeaveAck,
        Refusal,
        PushOut,
        *pushed_types().values(),
    ]
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((m, "validation") for m in (ConnectAuth, JoinPayload, LeavePayload)),
        *((m, "serialization") for m in sent),
    ]
    _, top = models_json_schema(models, ref_template=REF, by_alias=True)
    defs: dict[str, Any] = top.get("$defs", {})
    return {name: defs[name] for name in sorted(defs)}


def _push_message(event_type: str, model: type[EventData]) -> dict[str, Any]:
    seq: dict[str, Any] = (
        {"type": "null"} if event_type == "board.deleted" else {"type": "integer", "minimum": 1}
    )
    return {
        "name": PUSH_EVENT,
        "title": f"{event_type} pushed",
        "summary": (model.__doc__ or event_type).strip().splitlines()[0],
        "payload": {
            "allOf": [
                _ref(PushOut),
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": event_type},
                        "seq": seq,
                        "data": _ref(model),
                    },
                },
            ]
        },
        "x-socketio-event": PUSH_EVENT,
    }


def _messages() -> dict[str, Any]:
    messages: dict[str, Any] = {
        "connect": {
            "name": "connect",
            "title": "Handshake",
            "summary": "The handshake's `auth` object: io(url, {auth: {token}}).",
            "payload": _ref(ConnectAuth),
        },
        "connectError": {
            "name": "connect_error",
            "title": "Handshake refused",
            "summary": "The connection is refused; `message` says why.",
            "payload": _ref(ConnectRefusal),
        },
        "boardJoin": {
            "name": JOIN_EVENT,
            "title": "Join a board's stream",
            "summary": "Membership is checked with the socket's token; with `sinceSeq` the "
            "missed events are sent (as `event`s) before the ack.",
            "payload": _ref(JoinPayload),
            "x-socketio-event": JOIN_EVENT,
        },
        "boardJoinAck": {
            "name": f"{JOIN_EVENT} ack",
            "title": "board:join acknowledgement",
            "payload": {"oneOf": [_ref(JoinAck), _ref(Refusal)]},
        },
        "boardLeave": {
            "name": LEAVE_EVENT,
            "title": "Leave a board's stream",
            "payload": _ref(LeavePayload),
            "x-socketio-event": LEAVE_EVENT,
        },
        "boardLeaveAck": {
            "name": f"{LEAVE_EVENT} ack",
            "title": "board:leave acknowledgement",
            "payload": {"oneOf": [_ref(LeaveAck), _ref(Refusal)]},
        },
    }
    for event_type, model in pushed_types().items():
        messages[_message_id(event_type)] = _push_message(event_type, model)
    return messages


def _channel_messages(ids: list[str]) -> list[dict[str, str]]:
    return [{"$ref": f"#/channels/{CHANNEL}/messages/{mid}"} for mid in ids]


def build_socket_asyncapi(
    *, version: str, host: str = "127.0.0.1:8080", description: str = ""
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the Socket.IO protocol (``host``: the gateway's)."""
    messages = _messages()
    pushes = [_message_id(t) for t in pushed_types()]
    channel_messages = {mid: {"$ref": f"#/components/messages/{mid}"} for mid in messages}
    channel = {"$ref": f"#/channels/{CHANNEL}"}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Hintro realtime (Socket.IO)",
            "version": version,
            "description": description
            or (
                "Live board changes over Socket.IO v5 (Engine.IO 4; socket.io-client 4) at "
                "`/socket.io/` on the gateway, default namespace `/`. The application "
                "described is the server: `receive` operations are what a client emits (the "
                "ack is the reply), `send` operations what the server emits. Message `name` is "
                "the Socket.IO event name. Prose, ordering and replay rules: docs/api.md, "
                '"Realtime (Socket.IO)".'
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "gateway": {
                "host": host,
                "pathname": "/socket.io/",
                "protocol": "ws",
                "description": "The gateway (`make run`); Engine.IO long-polling over http "
                "works too. Connect with auth: {token: <accessToken>}.",
            }
        },
        "channels": {
            CHANNEL: {
                "address": "/",
                "title": "Default namespace",
                "servers": [{"$ref": "#/servers/gateway"}],
                "messages": channel_messages,
            }
        },
        "operations": {
            "connect": {
                "action": "receive",
                "title": "Connect",
                "summary": "The handshake; refused with connect_error.",
                "channel": channel,
                "messages": _channel_messages(["connect"]),
                "reply": {"channel": channel, "messages": _channel_messages(["connectError"])},
            },
            "joinBoard": {
                "action": "receive",
                "title": JOIN_EVENT,
                "channel": channel,
                "messages": _channel_messages(["boardJoin"]),
                "reply": {"channel": channel, "messages": _channel_messages(["boardJoinAck"])},
            },
            "leaveBoard": {
                "action": "receive",
                "title": LEAVE_EVENT,
                "channel": channel,
                "messages": _channel_messages(["boardLeave"]),
                "reply": {"channel": channel, "messages": _channel_messages(["boardLeaveAck"])},
            },
            "pushEvent": {
                "action": "send",
                "title": PUSH_EVENT,
                "summary": "Each change of a joined board, in seq order; the socket whose id a "
                "REST write named in X-Socket-Id is not sent that write's event.",
                "channel": channel,
                "messages": _channel_messages(pushes),
            },
        },
        "components": {"messages": messages, "schemas": _schemas()},
    }
