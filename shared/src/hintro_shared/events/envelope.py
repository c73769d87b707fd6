"""The event envelope (CloudEvents-shaped) every message on the bus carries, and the one way
to build a valid event: :func:`new_event`.

Wire form (JSON, camelCase, optional keys omitted when absent)::

    {"id", "type", "source", "time", "boardId"?, "actorId"?, "correlationId",
     "originSocketId"?, "version", "data"}
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from hintro_shared import jsonutil
from hintro_shared.events.catalogue import EVENT_SCHEMAS, WIRE_CONFIG, EventData
from hintro_shared.logging import request_id_var

# Version of the envelope and event schemas; bump it (and keep reading the old one) on a
# breaking change.
ENVELOPE_VERSION = 1

D = TypeVar("D", bound=EventData)


class UnknownEventType(ValueError):
    """An event type that is not in the catalogue was produced."""


class EventEnvelope(BaseModel):
    """One event as it travels: identity, routing, provenance and the type-specific ``data``."""

    model_config = WIRE_CONFIG

    # Letters, digits, "-" and "_" only: the id is also a key in outbox and applied-event maps.
    id: Annotated[
        str, Field(pattern=r"^[A-Za-z0-9_-]{1,100}$", description="Unique event id (a UUID).")
    ]
    type: Annotated[
        str,
        Field(pattern=r"^[a-z]+\.[a-z_]+$", description="Event type; also the routing key."),
    ]
    source: Annotated[str, Field(min_length=1, description="Producing service, e.g. hintro/board")]
    time: AwareDatetime = Field(description="When the change happened (RFC 3339, UTC).")
    board_id: str | None = Field(default=None, description="The board it belongs to, if any.")
    actor_id: str | None = Field(default=None, description="The user who caused it, if any.")
    correlation_id: Annotated[
        str, Field(min_length=1, description="Request id of the HTTP call that caused it.")
    ]
    origin_socket_id: str | None = Field(
        default=None, description="Socket.IO sid of the browser that caused it (no echo)."
    )
    version: Annotated[int, Field(ge=1, description="Schema version of the event.")] = (
        ENVELOPE_VERSION
    )
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: camelCase keys, RFC 3339 time, absent optional keys omitted
        (``data`` is kept as is, so a ``null`` in it still means "cleared")."""
        body = self.model_dump(mode="json", exclude_none=True, exclude={"data"})
        body["data"] = self.data
        return body

    def to_json(self) -> bytes:
        """The message body."""
        return jsonutil.dumps_bytes(self.to_dict())

    def data_as(self, model: builtins.type[D]) -> D:
        """``data`` parsed into its catalogue model (raises ``ValidationError`` if it does not
        fit)."""
        return model.model_validate(self.data)

    def parsed_data(self) -> EventData | None:
        """``data`` parsed with the catalogue schema of ``type``; ``None`` for a type this
        build does not know (a newer producer's)."""
        schema = EVENT_SCHEMAS.get(self.type)
        return None if schema is None else schema.model_validate(self.data)


def _validated_data(event_type: str, data: EventData | Mapping[str, Any]) -> dict[str, Any]:
    schema = EVENT_SCHEMAS.get(event_type)
    if schema is None:
        raise UnknownEventType(f"{event_type!r} is not in the event catalogue")
    if isinstance(data, EventData):
        if not isinstance(data, schema):
            raise TypeError(f"{event_type} needs {schema.__name__}, not {type(data).__name__}")
        model = data
    else:
        # Producers must not send keys the schema does not know: most likely a typo.
        known = {info.alias or name for name, info in schema.model_fields.items()}
        known |= set(schema.model_fields)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{event_type}: unknown data fields {unknown}")
        model = schema.model_validate(dict(data))
    # Only what the producer set: for partial updates a missing key means "unchanged".
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True)
    return dumped


def new_event(
    event_type: str,
    *,
    source: str,
    data: EventData | Mapping[str, Any],
    board_id: str | None = None,
    actor_id: str | None = None,
    correlation_id: str | None = None,
    origin_socket_id: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> EventEnvelope:
    """Build an event whose ``data`` has been validated against the catalogue schema of
    ``event_type``.

    ``correlation_id`` defaults to the current request id (set by the HTTP middleware), else a
    fresh id. Raises :class:`UnknownEventType`, ``ValueError`` (unknown data keys) or pydantic's
    ``ValidationError``.
    """
    payload = _validated_data(event_type, data)
    eid = event_id or str(uuid.uuid4())
    return EventEnvelope(
        id=eid,
        type=event_type,
        source=source,
        time=time or datetime.now(UTC),
        board_id=board_id,
        actor_id=actor_id,
        correlation_id=correlation_id or request_id_var.get() or eid,
        origin_socket_id=origin_socket_id,
        data=payload,
    )


def parse_envelope(body: bytes | str) -> EventEnvelope:
    """Parse a message body into an envelope, validating ``data`` when the type is known.

    Raises ``ValueError`` (pydantic's ``ValidationError`` is one) for anything malformed."""
    try:
        raw = jsonutil.loads(body)
    except ValueError as exc:
        raise ValueError(f"body is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError("body is not a JSON object")
    envelope = EventEnvelope.model_validate(raw)
    envelope.parsed_data()
    return envelope


__all__ = [
    "ENVELOPE_VERSION",
    "EventEnvelope",
    "UnknownEventType",
    "ValidationError",
    "new_event",
    "parse_envelope",
]
