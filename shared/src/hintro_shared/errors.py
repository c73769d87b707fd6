"""Exception types that mean "a dependency is down", shared by the error middleware and the
readiness checks, so every service answers 503 for them instead of 500."""

from __future__ import annotations

import aiormq.exceptions
import pymongo.errors
import redis.exceptions


class DependencyUnavailable(Exception):
    """Raised by our own code when a required dependency cannot be reached."""


UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    DependencyUnavailable,
    pymongo.errors.ConnectionFailure,  # includes AutoReconnect and ServerSelectionTimeoutError
    pymongo.errors.NetworkTimeout,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    aiormq.exceptions.AMQPConnectionError,
    ConnectionError,
)
