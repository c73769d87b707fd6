"""The refusals a use case may answer with, free of HTTP: domain and use-case code raise these,
and the shared problem middleware (:mod:`hintro_shared.problems`) is the one place that turns
each into its problem+json status, so every service answers the same refusal the same way.

A service subclasses them for its own vocabulary (``AlreadyMember(Conflict)``) so its code
reads in domain terms while the wire answer stays decided here.
"""

from __future__ import annotations

from collections.abc import Sequence

VALIDATION_FAILED = "The request failed validation."


class DomainError(Exception):
    """A use case refused the request; ``detail`` is what the client is told."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The thing does not exist, or the caller may not learn that it does (non-members)."""

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"The {what} does not exist or you do not have access to it.")
        self.what = what


class Forbidden(DomainError):
    """The caller is known and allowed to see the thing, but their role forbids the action."""

    def __init__(self, detail: str = "Your role on this board does not allow this action.") -> None:
        super().__init__(detail)


class Unauthenticated(DomainError):
    """The credentials the caller presented (password, refresh token) are not good."""


class RuleBroken(DomainError):
    """A well-formed request that breaks a rule; ``loc`` names the offending field the way a
    schema failure does (``("body", "afterId")``), ``type`` is an optional machine code."""

    def __init__(
        self,
        loc: Sequence[str],
        message: str,
        *,
        type_: str | None = None,
        detail: str = VALIDATION_FAILED,
    ) -> None:
        super().__init__(detail)
        self.loc = tuple(loc)
        self.message = message
        self.type = type_


class Conflict(DomainError):
    """The request conflicts with the resource's current state; ``retry_after`` (seconds) says
    that retrying the same request may succeed."""

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class IdTaken(Conflict):
    """A create named its own ``id`` (create-if-absent) and that id is already used by
    something else: another kind of resource, another parent, or another creator."""

    def __init__(self, what: str) -> None:
        super().__init__(f"The id is already used by another {what}; choose another id.")


class PreconditionFailed(DomainError):
    """The client's copy (its ``If-Match`` version) is out of date."""

    def __init__(
        self, detail: str = "The resource has changed since you read it; fetch it again and retry."
    ) -> None:
        super().__init__(detail)


__all__ = [
    "VALIDATION_FAILED",
    "Conflict",
    "DomainError",
    "Forbidden",
    "IdTaken",
    "NotFound",
    "PreconditionFailed",
    "RuleBroken",
    "Unauthenticated",
]
