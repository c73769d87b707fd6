"""The AsyncAPI 3.0 description of the event bus, generated from the catalogue.

``make openapi`` writes it to ``docs/asyncapi.json`` (:mod:`hintro_devtools.apidocs`); a test
fails when the committed file is stale or an event type is missing from it.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic.json_schema import models_json_schema

from hintro_shared.events.catalogue import EVENT_SCHEMAS, PRODUCERS, EventData
from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.topology import DEFAULT_EXCHANGE, unrouted_name

REF = "#/components/schemas/{model}"
AMQP_BINDING_VERSION = "0.3.0"


def _camel(event_type: str) -> str:
    """``board.member_added`` -> ``boardMemberAdded`` (AsyncAPI ids allow no dots)."""
    parts = event_type.replace(".", "_").split("_")
    return parts[0] + "".join(part.title() for part in parts[1:])


def _schemas() -> dict[str, Any]:
    models: list[tuple[type[Any], Any]] = [(EventEnvelope, "serialization")]
    models += [(model, "serialization") for model in EVENT_SCHEMAS.values()]
    _, top = models_json_schema(models, ref_template=REF)
    schemas: dict[str, Any] = top.get("$defs", {})
    return schemas


def _message(event_type: str, model: type[EventData]) -> dict[str, Any]:
    return {
        "name": event_type,
        "title": event_type,
        "summary": (model.__doc__ or event_type).strip().splitlines()[0],
        "contentType": "application/json",
        "correlationId": {"location": "$message.header#/x-correlation-id"},
        "headers": {
            "type": "object",
            "properties": {
                "x-correlation-id": {"type": "string"},
                "x-publisher": {"type": "string", "description": "Publishing process id."},
                "x-event-version": {"type": "integer"},
            },
        },
        "payload": {
            "allOf": [
                {"$ref": REF.format(model="EventEnvelope")},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": event_type},
                        "data": {"$ref": REF.format(model=model.__name__)},
                    },
                },
            ]
        },
        "bindings": {"amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING_VERSION}},
    }


def build_asyncapi(exchange: str = DEFAULT_EXCHANGE) -> dict[str, Any]:
    """The AsyncAPI 3.0 document: one channel (routing key) and one send operation per type."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, model in EVENT_SCHEMAS.items():
        cid = _camel(event_type)
        messages[cid] = _message(event_type, model)
        channels[cid] = {
            "address": event_type,
            "title": event_type,
            "messages": {cid: {"$ref": f"#/components/messages/{cid}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": exchange,
                        "type": "topic",
                        "durable": True,
                        "autoDelete": False,
                        "vhost": "/",
                    },
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
        operations[f"publish_{cid}"] = {
            "action": "send",
            "title": f"{PRODUCERS[event_type]} publishes {event_type}",
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{cid}"}],
            "bindings": {
                "amqp": {
                    "deliveryMode": 2,
                    "mandatory": True,
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Hintro events",
            "version": "1.0.0",
            "description": (
                f"Domain events on the durable topic exchange `{exchange}`; routing key = "
                "event type. Delivery is at-least-once (transactional outbox, publisher "
                f"confirms); unroutable events are kept in `{unrouted_name(exchange)}`. "
                "Consumers dedupe by event id / aggregate version. See docs/events.md."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "RabbitMQ (each environment sets RABBITMQ_URL)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": _schemas()},
    }


def render(exchange: str = DEFAULT_EXCHANGE) -> bytes:
    """The document as committed: indented, keys in a stable order, trailing newline."""
    return orjson.dumps(build_asyncapi(exchange), option=orjson.OPT_INDENT_2) + b"\n"
