"""Keep a benchmark stack apart from every other stack on the machine (``make run``, e2e runs,
another benchmark) that shares the local RabbitMQ and Redis.

Queue names are fixed per service (``board.service``, ...), so two stacks on one broker would
share their queues and each get half of the other's events. The benchmark therefore runs in a
RabbitMQ virtual host of its own, made with ``rabbitmqctl`` and deleted afterwards; without
``rabbitmqctl`` (a remote broker) every exchange and queue name gets the run's suffix instead.
The Socket.IO fan-out channel and Redis key prefixes get the suffix either way.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

_TIMEOUT = 60


def _ctl(*args: str) -> bool:
    binary = shutil.which("rabbitmqctl", path="/usr/sbin:/usr/local/sbin:/usr/bin:/sbin")
    if binary is None:
        return False
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [binary, *args], capture_output=True, text=True, check=False, timeout=_TIMEOUT
    )
    return result.returncode == 0


def with_vhost(url: str, vhost: str) -> str:
    """``url`` with its virtual host replaced."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + vhost, parts.query, parts.fragment))


def run_vhost(isolation: dict[str, dict[str, str]]) -> str | None:
    """The virtual host :func:`isolated_env` made for the run, or ``None`` (names suffixed)."""
    url = isolation.get("all", {}).get("RABBITMQ_URL")
    return urlsplit(url).path.lstrip("/") or None if url else None


def list_queues(vhost: str) -> dict[str, int] | None:
    """Every queue of ``vhost`` with its ready messages, as the broker lists them
    (``rabbitmqctl list_queues``); ``None`` without rabbitmqctl or when it fails."""
    binary = shutil.which("rabbitmqctl", path="/usr/sbin:/usr/local/sbin:/usr/bin:/sbin")
    if binary is None:
        return None
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [binary, "list_queues", "-p", vhost, "-q", "--no-table-headers", "name", "messages_ready"],
        capture_output=True,
        text=True,
        check=False,
        timeout=_TIMEOUT,
    )
    if result.returncode != 0:
        return None
    queues: dict[str, int] = {}
    for line in result.stdout.splitlines():
        name, _, ready = line.rpartition("\t")
        if name and ready.strip().isdigit():
            queues[name] = int(ready)
    return queues


@contextlib.contextmanager
def isolated_env(run_id: str, rabbitmq_url: str) -> Iterator[dict[str, dict[str, str]]]:
    """Per-service environment that isolates this run; cleans the vhost up afterwards."""
    parts = urlsplit(rabbitmq_url)
    user = parts.username or "guest"
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    vhost_made = local and _ctl("add_vhost", run_id)
    if vhost_made:
        _ctl("set_permissions", "-p", run_id, user, ".*", ".*", ".*")
        common = {"RABBITMQ_URL": with_vhost(rabbitmq_url, run_id)}
    else:
        common = {"EVENTS_EXCHANGE": f"hintro.events.{run_id}"}
    env = {
        "all": common,
        "board": {} if vhost_made else {"CONSUMER_QUEUE": f"board.service.{run_id}"},
        "task": {}
        if vhost_made
        else {
            "PROJECTION_QUEUE": f"task.projection.{run_id}",
            "SEARCH_QUEUE": f"task.search.{run_id}",
        },
        "activity": {} if vhost_made else {"ACTIVITY_QUEUE": f"activity.log.{run_id}"},
        "notification": {}
        if vhost_made
        else {"NOTIFICATION_QUEUE": f"notification.events.{run_id}"},
        "webhook": {} if vhost_made else {"WEBHOOK_QUEUE": f"webhook.events.{run_id}"},
        "realtime": {
            "SOCKETIO_CHANNEL": f"hintro.realtime.socketio.{run_id}",
            "REDIS_PREFIX": f"hintro:realtime:{run_id}:",
            **(
                {}
                if vhost_made
                else {
                    "PUSH_QUEUE": f"realtime.push.{run_id}",
                    "NOTIFICATION_PUSH_QUEUE": f"realtime.notifications.{run_id}",
                }
            ),
        },
    }
    try:
        yield env
    finally:
        if vhost_made:
            _ctl("delete_vhost", run_id)
