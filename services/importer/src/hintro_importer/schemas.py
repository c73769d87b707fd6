"""HTTP bodies of the importer: the job as the API shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hintro_importer.domain import Job, Status

_RESPONSE = ConfigDict(alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True)


class ImportOut(BaseModel):
    """An import job."""

    model_config = _RESPONSE

    id: str
    status: Literal["queued", "running", "done", "failed"]
    phase: Literal[
        "board", "labels", "lists", "members", "cards", "checklists", "comments", "archive", "done"
    ] = Field(description="What the step being run makes.")
    done: int = Field(description="Steps done so far (each makes one thing).")
    total: int = Field(description="Steps in all.")
    board_id: str = Field(description="The board the import makes (it exists once a step ran).")
    board_title: str
    error: str | None = Field(description="Why the job failed, as a sentence (while failed).")
    resumable: bool = Field(description="`POST /api/imports/{importId}/resume` would continue it.")
    unmatched_members: list[str] = Field(
        description="Names of the export's members no Hintro account matched by e-mail."
    )
    matched_members: int = Field(description="Members matched by e-mail and added to the board.")
    warnings: list[str] = Field(description="What had to change to fit (a title cut short...).")
    attempts: int = Field(description="How many times the job was started (upload, resumes).")
    created_at: datetime
    updated_at: datetime


class ImportList(BaseModel):
    """``GET /api/imports``: my latest imports, newest first."""

    items: list[ImportOut]


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def import_json(job: Job) -> ImportOut:
    """The job as :class:`ImportOut` shows it."""
    return ImportOut(
        id=job.id,
        status=job.status.value,
        phase=job.phase.value,
        done=job.done,
        total=job.total,
        board_id=job.board_id,
        board_title=job.board_title,
        error=job.error if job.status is Status.FAILED else None,
        resumable=job.status is Status.FAILED,
        unmatched_members=job.unmatched,
        matched_members=len(job.members),
        warnings=job.warnings,
        attempts=job.attempts,
        created_at=_time(job.created_at),
        updated_at=_time(job.updated_at),
    )
