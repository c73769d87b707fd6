"""The webhook rules, free of I/O: endpoints and deliveries, which events may be subscribed
to, what a URL must look like, the delivery ids that make enqueueing idempotent, the retry
schedule (exponential backoff with jitter) and the payload a delivery carries.

An endpoint belongs to one board and receives the events of the types it chose. Each event
owes each matching endpoint one delivery, whose id (derived from the event and the endpoint)
is also the ``webhook-id`` the receiver sees on every attempt, so a redelivered event adds no
second delivery and a receiver can drop duplicates by it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from hintro_shared.events.catalogue import EVENT_SCHEMAS
from hintro_shared.ids import is_safe_id as is_safe_id
from hintro_shared.refusals import Conflict, RuleBroken
from hintro_webhook.guard import Network, allowed, forbidden_reason, literal_address

DEFAULT_LIMIT = 30
MAX_LIMIT = 100
MAX_URL_LENGTH = 2048
MAX_ENDPOINTS_PER_BOARD = 20
MAX_DESCRIPTION = 200

# The board's own events: what happens to it, its lists, labels, cards and comments.
_BOARD_SCOPED = ("board", "list", "labels", "task", "comment")
EVENT_TYPES: tuple[str, ...] = tuple(
    sorted(t for t in EVENT_SCHEMAS if t.split(".", 1)[0] in _BOARD_SCOPED)
)


class DeliveryStatus(StrEnum):
    """Where a delivery stands (``status`` on the wire)."""

    PENDING = "pending"  # waiting for its turn or its next attempt
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # gave up (retry window over, endpoint disabled or deleted)


class EndpointDisabled(Conflict):
    """A redelivery to an endpoint that is disabled."""

    def __init__(self) -> None:
        super().__init__("The endpoint is disabled; enable it before redelivering.")


class TooManyEndpoints(Conflict):
    def __init__(self) -> None:
        super().__init__(f"A board may have at most {MAX_ENDPOINTS_PER_BOARD} webhook endpoints.")


@dataclass(frozen=True)
class Endpoint:
    """One registered endpoint (its secrets are never part of it: see the store)."""

    id: str
    board_id: str
    url: str
    description: str
    event_types: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    created_by: str
    created_at_ms: int
    updated_at_ms: int
    failing_since_ms: int  # 0: the last attempt succeeded (or none failed yet)
    previous_secret_until_ms: int  # 0: no previous secret signs any more


@dataclass(frozen=True)
class Delivery:
    """One event owed to one endpoint, and how its attempts went."""

    id: str
    endpoint_id: str
    board_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    created_at_ms: int
    next_attempt_ms: int  # 0 when not pending
    last_attempt_ms: int
    last_status_code: int  # 0: no HTTP answer
    last_error: str | None
    delivered_at_ms: int


def delivery_id(event_id: str, endpoint_id: str) -> str:
    """The delivery (and ``webhook-id``) of an event to an endpoint: 32 hex characters."""
    return hashlib.sha256(f"{event_id}\x00{endpoint_id}".encode()).hexdigest()[:32]


def require_event_types(types: Iterable[str]) -> tuple[str, ...]:
    """The chosen event types, sorted and once each, or a refusal naming the unknown one."""
    chosen = sorted(set(types))
    if not chosen:
        raise RuleBroken(
            ("body", "eventTypes"), "choose at least one event type", detail="Choose an event."
        )
    for event_type in chosen:
        if event_type not in EVENT_TYPES:
            raise RuleBroken(
                ("body", "eventTypes"),
                f"unknown event type {event_type[:64]!r}",
                detail="One of the event types does not exist.",
            )
    return tuple(chosen)


@dataclass(frozen=True)
class UrlRules:
    """What a webhook URL may be: ``https`` (``http`` too where the deployment allows it, for
    development), no credentials, and a host that is not a forbidden address."""

    allow_http: bool = False
    allow_networks: tuple[Network, ...] = ()


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (host as written, port) and how."""

    url: str
    scheme: str
    host: str
    port: int


def _bad_url(message: str, detail: str) -> RuleBroken:
    return RuleBroken(("body", "url"), message, type_="url", detail=detail)


def check_url(url: str, rules: UrlRules) -> Target:
    """The URL's parts if it may be registered or called; the host's resolved addresses are
    checked separately (at registration and again on every attempt)."""
    if len(url) > MAX_URL_LENGTH:
        raise _bad_url("too long", "The URL is too long.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _bad_url("malformed", "The URL is not valid.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not rules.allow_http):
        raise _bad_url("https required", "The URL must start with https://.")
    host = parts.hostname or ""
    if not host or any(c.isspace() for c in url):
        raise _bad_url("malformed", "The URL is not valid.")
    if parts.username is not None or parts.password is not None:
        raise _bad_url("credentials", "The URL must not contain a user name or password.")
    address = literal_address(host)
    if address is not None:
        refuse_address(address, rules)
    return Target(url, scheme, host, port or (443 if scheme == "https" else 80))


def refuse_address(address: Any, rules: UrlRules) -> None:
    """A refusal when a webhook may not reach ``address``."""
    if not allowed(address, rules.allow_networks):
        reason = forbidden_reason(address) or "forbidden"
        raise _bad_url(
            f"{reason} address",
            "The URL points to a private or internal address; webhooks only go to public "
            "internet addresses.",
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, for at most ``give_up_after_ms`` after the event."""

    base_ms: int = 5_000
    cap_ms: int = 3_600_000
    give_up_after_ms: int = 24 * 3_600_000

    def delay_ms(self, attempts: int, rng: random.Random | None = None) -> int:
        """The wait before the next attempt after ``attempts`` failed ones: ``base * 2^(n-1)``
        capped, then a random share between half and all of it (so endpoints that failed
        together do not retry together)."""
        ceiling = min(self.cap_ms, self.base_ms * 2 ** max(0, min(attempts - 1, 40)))
        share = (rng or random).uniform(0.5, 1.0)
        return max(1, int(ceiling * share))

    def next_attempt(self, created_ms: int, attempts: int, now_ms: int) -> int | None:
        """When to try again, or ``None`` when the retry window is over."""
        at = now_ms + self.delay_ms(attempts)
        return None if at - created_ms > self.give_up_after_ms else at


def payload(
    event_type: str, event_id: str, time: str, board_id: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """The JSON body of a delivery (Standard Webhooks' recommended ``type``, ``timestamp``,
    ``data`` shape, plus the event's id and board)."""
    return {
        "type": event_type,
        "timestamp": time,
        "eventId": event_id,
        "boardId": board_id,
        "data": dict(data),
    }


def short_error(text: str, limit: int = 300) -> str:
    """An error as the delivery log keeps it: one line, bounded."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
