"""Settings of the realtime service (environment variables, upper-case field names)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from hintro_shared.config import ServiceSettings, split_commas

# The afterSeq replay endpoint of the activity service answers at most this many entries.
ACTIVITY_MAX_PAGE = 500


class Settings(ServiceSettings):
    """The shared settings plus the realtime service's own."""

    service_name: str = "realtime"
    port: int = Field(default=8005, ge=1, le=65535)

    # Where membership (GET /api/boards/{id}) and the replay (GET …/activity?afterSeq=) are asked.
    board_url: str = "http://127.0.0.1:8002"
    activity_url: str = "http://127.0.0.1:8004"
    # Bound on each call to board or activity made while answering a board:join.
    upstream_timeout_seconds: float = Field(default=5.0, gt=0)

    # A board:join with sinceSeq replays at most this many missed events; a larger gap is
    # answered {ok: true, resync: true} (the client reloads the board instead).
    replay_max_events: int = Field(default=ACTIVITY_MAX_PAGE, ge=1, le=ACTIVITY_MAX_PAGE)

    # The ordered push queue: single active consumer across replicas (x-single-active-consumer).
    push_queue: str = "realtime.push"
    # Unacked messages the active pusher may hold: out-of-order activity.recorded events wait
    # (unacked) in memory for the missing seq, so this bounds how far ahead one board can run.
    push_prefetch: int = Field(default=256, ge=1, le=65535)
    # How long a board's later events wait for a missing seq before it is given up on (the
    # clients see the gap in seq and rejoin with sinceSeq).
    gap_wait_seconds: float = Field(default=2.0, gt=0)

    # The queue of notification.created events (competing consumers: each is pushed once, to
    # the user's room on every replica through Redis).
    notification_push_queue: str = "realtime.notifications"

    # Redis pub/sub channel the replicas fan out on (python-socketio's AsyncRedisManager).
    socketio_channel: str = "hintro.realtime.socketio"
    # Prefix of the Redis keys holding each board's last pushed seq.
    redis_prefix: str = "hintro:realtime:"
    # Life of a board's last-pushed-seq key after its last push (an idle board beyond it only
    # costs one gap wait on its next out-of-order event).
    seq_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)

    # Origins allowed to open a socket besides the gateway's own (the Origin equal to
    # X-Forwarded-Proto://X-Forwarded-Host, which the gateway sets). No origin is echoed that is
    # not one of these, and "*" is refused: list each origin the web app is served from.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    # Resource bounds (docs/api.md, "Realtime"): Engine.IO sessions in this process in all and
    # per client address (the gateway's X-Client-Address: IPv4, or an IPv6 /64); past them a new
    # session is refused (503 / 429 with Retry-After).
    max_sockets: int = Field(default=10_000, ge=1)
    max_sockets_per_address: int = Field(default=200, ge=1)
    # An Engine.IO session must carry an authenticated Socket.IO connection this soon, or it is
    # closed (a session that never sends CONNECT would otherwise live as long as it pings).
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    # board:join per socket: this many at once, then one every join_interval_seconds; beyond,
    # the join is refused {ok: false, error: "rate_limited"} without any work.
    join_burst: int = Field(default=10, ge=1)
    join_interval_seconds: float = Field(default=2.0, gt=0)
    # Every joined socket's token and board memberships are checked again this often: a socket
    # whose token expired, or whose user lost access through an event this replica never saw,
    # is disconnected (the client reconnects with a fresh token and rejoins; a board it lost
    # answers not_found).
    membership_recheck_seconds: float = Field(default=60.0, gt=0)
    # Engine.IO heartbeat: a dead client is noticed within interval + timeout seconds.
    ping_interval_seconds: float = Field(default=25.0, gt=0)
    ping_timeout_seconds: float = Field(default=20.0, gt=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return split_commas(value)

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "*" in value:
            raise ValueError("CORS_ORIGINS='*' is refused: list the web app's origins")
        return tuple(origin.rstrip("/") for origin in value)
