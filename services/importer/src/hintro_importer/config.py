"""Settings of the importer service (environment variables, see ``ServiceSettings``)."""

from __future__ import annotations

from pydantic import Field, model_validator

from hintro_shared.config import ServiceSettings


class Settings(ServiceSettings):
    """The shared settings and the importer's own."""

    service_name: str = "importer"
    port: int = Field(default=8008, ge=1, le=65535)

    # The services an import creates through, called as the importing user (their token).
    board_url: str = "http://127.0.0.1:8002"
    task_url: str = "http://127.0.0.1:8003"
    # Bound on one call to them; a call that fails for want of the service is tried again
    # (``step_retries`` times, backing off) before the job fails, resumable.
    step_timeout_seconds: float = Field(default=10.0, gt=0)
    step_retries: int = Field(default=3, ge=0, le=10)
    # The largest export accepted (bytes): a larger upload is refused with 413 before it is
    # read. The gateway's IMPORT_MAX_BYTES should be the same.
    import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # E-mail addresses a user's imports may look up per hour (members matched to accounts);
    # past it members stay unmatched. Imports must be no way around the gateway's limit on
    # finding out who has an account (RATE_LIMIT_USER_LOOKUP).
    member_lookups_per_hour: int = Field(default=100, ge=0)
    # A job running or queued that nobody touched for this long lost its runner (a restart):
    # the sweep marks it failed, resumable. Every step touches it, and a step takes at most
    # step_timeout_seconds x (step_retries + 1) plus the backoff.
    stale_after_seconds: float = Field(default=120.0, gt=0)
    # How often the sweep looks for interrupted jobs.
    sweep_seconds: float = Field(default=30.0, gt=0)
    # Tests only (refused in production): fail a job's first run right after its step number
    # ``fail_after_steps`` was done and before it was recorded, as a crash there would. 0: off.
    fail_after_steps: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _no_injected_failures_in_production(self) -> Settings:
        if self.environment == "production" and self.fail_after_steps:
            raise ValueError("FAIL_AFTER_STEPS is for tests; production refuses it")
        return self
