"""The importer database's migrations (``python -m hintro_importer.migrate up|down|status``).

Written out, never derived (see :mod:`hintro_shared.migrations`)."""

from __future__ import annotations

from hintro_shared.migrations import Index, Migration, index_migration

MIGRATIONS: tuple[Migration, ...] = (
    index_migration(
        1,
        "initial indexes: import jobs and their steps",
        # One job per user and file; a user's jobs newest first; the interrupted-job sweep.
        Index("imports", (("ownerId", 1), ("sha256", 1)), "owner_file", unique=True),
        Index("imports", (("ownerId", 1), ("createdAt", -1)), "owner_page"),
        Index("imports", (("status", 1), ("updatedAt", 1)), "status_updated"),
        Index("import_steps", (("jobId", 1),), "job"),
    ),
)
