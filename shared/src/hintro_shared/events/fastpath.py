"""The outbox's fast path as a port: after a write that stored events commits, its owner says
so, and the document's events go out now instead of at the sweeper's next pass.

Every service does it this one way: the composition root makes one :class:`RelayOutbox` per
collection (``ServiceEvents.outbox``) and hands it to the code that completes the write (the use
case, or the activity log's seq protocol, which completes entries in two places). The call never
waits for the broker and never raises; a flush that fails is the sweeper's to retry, so the
fast path adds speed, never a guarantee.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from hintro_shared.events.envelope import EventEnvelope
from hintro_shared.events.relay import Collection, OutboxRelay


class Outbox(Protocol):
    """Get a written document's pending events out now."""

    def written(self, doc_id: Any, pending: Sequence[EventEnvelope] | None = None) -> None:
        """``pending``: the events the caller just inserted the document with (see
        :meth:`~hintro_shared.events.relay.OutboxRelay.flush`): spares reading them back."""
        ...


class RelayOutbox:
    """:class:`Outbox` over the relay of one collection (publishes in the background)."""

    def __init__(self, relay: OutboxRelay, collection: Collection) -> None:
        self._relay = relay
        self._collection = collection

    def written(self, doc_id: Any, pending: Sequence[EventEnvelope] | None = None) -> None:
        """Publish the document's pending events in the background (``relay.stop`` waits)."""
        self._relay.flush_soon(self._collection, doc_id, pending)


class SweeperOnly:
    """:class:`Outbox` with no fast path: the sweeper publishes (unit tests, tools)."""

    def written(self, doc_id: Any, pending: Sequence[EventEnvelope] | None = None) -> None:
        """Nothing now; the relay's sweeper finds the pending events."""


__all__ = ["Outbox", "RelayOutbox", "SweeperOnly"]
