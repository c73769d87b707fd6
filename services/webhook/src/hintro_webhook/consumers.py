"""Events in: every event of a board (``board.*``, ``list.*``, ``labels.*``, ``task.*``,
``comment.*``). Board events first keep the board view current (who owns the board, for the
routes' checks); then each event becomes the deliveries it owes. Both effects are idempotent
(the view is version-guarded, a delivery's id derives from the event and the endpoint), so
redeliveries and retries are harmless."""

from __future__ import annotations

from collections.abc import Callable

from hintro_shared.boardview import ProjectionWriter, apply_board_event
from hintro_shared.events.envelope import EventEnvelope
from hintro_webhook.service import WebhookService

ROUTING_KEYS = ("board.*", "list.*", "labels.*", "task.*", "comment.*")


class WebhookEvents:
    """The handler the service's :class:`~hintro_shared.events.EventConsumer` calls."""

    def __init__(
        self, service: WebhookService, board_view: ProjectionWriter, clock: Callable[[], int]
    ) -> None:
        self._service = service
        self._board_view = board_view
        self._clock = clock

    async def __call__(self, envelope: EventEnvelope) -> None:
        """Apply one event; raising makes the consumer base retry it, then dead-letter it."""
        await apply_board_event(self._board_view, envelope)
        await self._service.enqueue(envelope, self._clock())
