"""The event layer: envelope and catalogue, outbox and relay, publisher, consumer base and
idempotency helpers. See docs/events.md for the design and docs/asyncapi.json for the schemas.
"""

from hintro_shared.events.catalogue import EVENT_SCHEMAS, EventData
from hintro_shared.events.consumer import EventConsumer
from hintro_shared.events.envelope import EventEnvelope, UnknownEventType, new_event, parse_envelope
from hintro_shared.events.idempotency import apply_if_newer, apply_once, insert_once
from hintro_shared.events.lifecycle import ServiceEvents
from hintro_shared.events.outbox import LIVE, live, outbox_fields, tombstone_update, with_outbox
from hintro_shared.events.publisher import EventPublisher
from hintro_shared.events.relay import OutboxRelay, ensure_outbox_index

__all__ = [
    "EVENT_SCHEMAS",
    "LIVE",
    "EventConsumer",
    "EventData",
    "EventEnvelope",
    "EventPublisher",
    "OutboxRelay",
    "ServiceEvents",
    "UnknownEventType",
    "apply_if_newer",
    "apply_once",
    "ensure_outbox_index",
    "insert_once",
    "live",
    "new_event",
    "outbox_fields",
    "parse_envelope",
    "tombstone_update",
    "with_outbox",
]
