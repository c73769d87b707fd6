"""Settings every service shares, read from the environment (pydantic-settings).

Each service subclasses :class:`ServiceSettings` and sets its own defaults (name, port, database).
Outside development and test, placeholder secrets are refused at start-up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]
ReadPreferenceMode = Literal[
    "primary", "primaryPreferred", "secondary", "secondaryPreferred", "nearest"
]


def split_commas(value: object) -> object:
    """A ``mode="before"`` validator for a ``NoDecode`` tuple setting given as a comma list:
    ``"a, b,"`` becomes ``("a", "b")``; anything else passes through."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class ServiceSettings(BaseSettings):
    """Common settings; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "service"
    environment: Environment = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    # The event loop every service runs on: uvloop (libuv; faster socket I/O and scheduling,
    # docs/performance.md) or the standard library's asyncio loop (EVENT_LOOP=asyncio).
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # Processes serving the port together (SO_REUSEPORT; hintro_shared.http.run_workers).
    # 1 everywhere by default: scale with replicas (k8s); >1 only for stateless services.
    workers: int = Field(default=1, ge=1, le=64)

    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_db: str = ""
    mongo_max_pool_size: int = Field(default=50, ge=1)
    mongo_min_pool_size: int = Field(default=2, ge=0)
    # Read preference of the lag-tolerant read path (``MONGO_READ_DB``; activity's history
    # pages): secondaries of a replica set can serve it. Writes and reads that must see the
    # latest write always use ``MONGO_DB`` (the primary). docs/database.md.
    mongo_read_preference: ReadPreferenceMode = "primary"
    # How far behind the primary a secondary may be for those reads (MongoDB needs >= 90);
    # -1: no bound.
    mongo_max_staleness_seconds: int = Field(default=-1, ge=-1)
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_exchange: str = "hintro.events"
    # Dead letters of each consumer go back to its queue automatically (hintro_shared.events.
    # replayer): a pass every DLQ_REPLAY_SECONDS, a letter replayed n times waits that times
    # 2**n since it failed, and after DLQ_REPLAY_ATTEMPTS replays (or at once when invalid) it
    # is parked in <queue>.parked for a person. 0 turns the replay off.
    dlq_replay_seconds: float = Field(default=30.0, ge=0)
    dlq_replay_attempts: int = Field(default=5, ge=0, le=20)
    redis_url: str = "redis://127.0.0.1:6379/0"

    auth_url: str = "http://127.0.0.1:8001"
    jwt_issuer: str = "hintro-auth"
    jwt_audience: str = "hintro"
    # Clock skew tolerated on access tokens' iat/exp/nbf between auth and the verifying process.
    token_leeway_seconds: float = Field(default=5.0, ge=0, le=300)
    # The shared secret of service-to-service routes under /internal/ (hintro_shared.internal):
    # the board service answers them only to a caller presenting it, and the services that keep
    # a board projection use it to reconcile that projection. Unset: no internal routes.
    internal_token: SecretStr | None = None

    # How long start-up keeps retrying a dependency before the process gives up.
    startup_timeout_seconds: float = Field(default=60.0, gt=0)
    # Bounded time given to in-flight requests on SIGTERM.
    shutdown_timeout_seconds: float = Field(default=10.0, gt=0)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Requests handled at once by one process (operational routes and Socket.IO aside); past
    # it a request is answered 503 with Retry-After at once (hintro_shared.overload).
    max_in_flight: int = Field(default=256, ge=1)
    # The Retry-After (seconds) of those 503s.
    overload_retry_after_seconds: int = Field(default=1, ge=1, le=300)

    @property
    def database_name(self) -> str:
        """The Mongo database this service owns (``MONGO_DB`` or ``hintro_<service>``)."""
        return self.mongo_db or f"hintro_{self.service_name}"

    @property
    def jwks_url(self) -> str:
        """Where the auth service publishes its public keys."""
        return f"{self.auth_url.rstrip('/')}/api/auth/.well-known/jwks.json"

    @model_validator(mode="after")
    def _staleness_bound_mongo_accepts(self) -> ServiceSettings:
        if self.mongo_max_staleness_seconds != -1:
            if self.mongo_read_preference == "primary":
                raise ValueError("MONGO_MAX_STALENESS_SECONDS needs a non-primary read preference")
            if self.mongo_max_staleness_seconds < 90:
                raise ValueError("MONGO_MAX_STALENESS_SECONDS must be -1 or at least 90")
        return self

    @model_validator(mode="after")
    def _refuse_default_credentials_in_production(self) -> ServiceSettings:
        if self.environment == "production" and "guest:guest@" in self.rabbitmq_url:
            raise ValueError("RABBITMQ_URL uses the default guest credentials in production")
        return self
