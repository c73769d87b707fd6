"""Settings every service shares, read from the environment (pydantic-settings).

Each service subclasses :class:`ServiceSettings` and sets its own defaults (name, port, database).
Outside development and test, placeholder secrets are refused at start-up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]


class ServiceSettings(BaseSettings):
    """Common settings; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "service"
    environment: Environment = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"

    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_db: str = ""
    mongo_max_pool_size: int = Field(default=50, ge=1)
    mongo_min_pool_size: int = Field(default=2, ge=0)
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_exchange: str = "hintro.events"
    redis_url: str = "redis://127.0.0.1:6379/0"

    auth_url: str = "http://127.0.0.1:8001"
    jwt_issuer: str = "hintro-auth"
    jwt_audience: str = "hintro"

    # How long start-up keeps retrying a dependency before the process gives up.
    startup_timeout_seconds: float = Field(default=60.0, gt=0)
    # Bounded time given to in-flight requests on SIGTERM.
    shutdown_timeout_seconds: float = Field(default=10.0, gt=0)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    @property
    def database_name(self) -> str:
        """The Mongo database this service owns (``MONGO_DB`` or ``hintro_<service>``)."""
        return self.mongo_db or f"hintro_{self.service_name}"

    @property
    def jwks_url(self) -> str:
        """Where the auth service publishes its public keys."""
        return f"{self.auth_url.rstrip('/')}/api/auth/.well-known/jwks.json"

    @model_validator(mode="after")
    def _refuse_default_credentials_in_production(self) -> ServiceSettings:
        if self.environment == "production" and "guest:guest@" in self.rabbitmq_url:
            raise ValueError("RABBITMQ_URL uses the default guest credentials in production")
        return self
