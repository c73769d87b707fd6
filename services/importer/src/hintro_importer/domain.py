"""Import jobs: their states, the ids the import gives what it creates, and the importer's
refusals. No I/O.

A job turns one uploaded export into an ordered list of steps (:mod:`hintro_importer.trello`)
and runs them one by one, recording after each how many are done. Every step creates at most
one thing, under an id derived from the job and the Trello id (:func:`hintro_id`), and the
board and task services create a thing named by its id only if it is absent, so a step run a
second time (after a crash between the call and the record, or on a resume) changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hintro_shared.ids import is_safe_id as is_safe_id
from hintro_shared.refusals import Conflict, RuleBroken

Step = dict[str, Any]
"""One step of a plan: ``k`` (its kind) and the fields of the call it makes (JSON)."""


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Phase(StrEnum):
    """What the step being run makes (the order steps run in)."""

    BOARD = "board"
    LABELS = "labels"
    LISTS = "lists"
    MEMBERS = "members"
    CARDS = "cards"
    CHECKLISTS = "checklists"
    COMMENTS = "comments"
    ARCHIVE = "archive"
    DONE = "done"


PHASE_OF_KIND: dict[str, Phase] = {
    "board": Phase.BOARD,
    "label": Phase.LABELS,
    "list": Phase.LISTS,
    "member": Phase.MEMBERS,
    "task": Phase.CARDS,
    "checklist": Phase.CHECKLISTS,
    "item": Phase.CHECKLISTS,
    "comment": Phase.COMMENTS,
    "archive_task": Phase.ARCHIVE,
    "archive_list": Phase.ARCHIVE,
    "archive_board": Phase.ARCHIVE,
}


def hintro_id(job_id: str, kind: str, trello_id: str) -> str:
    """The id the import gives what it makes of a Trello thing: 32 hex characters (the shape
    the services accept as a given id), the same on every run of the job and different for
    every job, so two imports of the same file (by two people) never share an id."""
    digest = hashlib.sha256(f"{job_id}\n{kind}\n{trello_id}".encode()).hexdigest()
    return digest[:32]


@dataclass
class Job:
    """An import: whose, of which file, how far it got, and what it made."""

    id: str
    owner_id: str
    sha256: str
    board_title: str
    status: Status
    phase: Phase
    done: int
    total: int
    board_id: str
    created_at: int
    updated_at: int
    members: dict[str, str] = field(default_factory=dict)
    """Trello member id -> the Hintro user it was matched to (by e-mail)."""
    unmatched: list[str] = field(default_factory=list)
    """Names of the export's members that no Hintro account matched."""
    warnings: list[str] = field(default_factory=list)
    """What the import had to change to fit (a title cut short, a checklist left out)."""
    error: str | None = None
    """Why the job failed (a sentence), while it is failed."""
    attempts: int = 0
    """How many times the job was started (the upload and every resume)."""


@dataclass(frozen=True)
class Answer:
    """What a service answered a step's call: its status and JSON body (``None`` when empty)."""

    status: int
    body: Any


class NotATrelloExport(RuleBroken):
    """The upload is not JSON, or not a Trello board export; the sentence says which."""

    def __init__(self, message: str) -> None:
        super().__init__(("body",), message, type_="not_a_trello_export", detail=message)


class NotResumable(Conflict):
    """A resume of a job that is done, or running now."""

    def __init__(self, status: Status) -> None:
        why = "it is finished" if status is Status.DONE else "it is running"
        super().__init__(f"The import cannot be resumed: {why}.")


class StepFailed(Exception):
    """A step could not be done; ``reason`` is the sentence the job shows. ``retryable``: the
    same step may succeed later (a service down, the session ended), so a resume is offered."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
