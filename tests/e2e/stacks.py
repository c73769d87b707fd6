"""Stacks for end-to-end tests: every run on free ports with names of its own."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import aio_pika
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from hintro_devtools.stack import Stack
from hintro_devtools.workspace import repo_root
from hintro_shared.events.consumer import DEFAULT_RETRY_DELAYS
from hintro_shared.events.topology import dlq_name, parked_name, unrouted_name
from hintro_testkit.events import delete_event_objects

# The queues of the services' consumers, by the setting that names each (all are renamed per run).
CONSUMER_QUEUES = {
    "CONSUMER_QUEUE": "board.service",
    "PROJECTION_QUEUE": "task.projection",
    "SEARCH_QUEUE": "task.search",
    "ACTIVITY_QUEUE": "activity.log",
    "PUSH_QUEUE": "realtime.push",
    "NOTIFICATION_QUEUE": "notification.events",
    "NOTIFICATION_PUSH_QUEUE": "realtime.notifications",
    "WEBHOOK_QUEUE": "webhook.events",
}
# Realtime's own consumers keep no automatic replay, so they have no parked queue.
UNREPLAYED = {"PUSH_QUEUE", "NOTIFICATION_PUSH_QUEUE"}


@contextlib.asynccontextmanager
async def isolated_stack(
    keys_dir: Path,
    *,
    name: str,
    only: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    web_dist: Path | None = None,
    service_env: Mapping[str, Mapping[str, str]] | None = None,
    ready_timeout: float = 180.0,
) -> AsyncIterator[Stack]:
    """A stack on free ports whose databases, broker objects, Redis keys and pub/sub channel are
    its own, and whose exchange and queues are deleted when it stops. ``env`` is laid over every
    process's environment (e.g. ``REDIS_URL`` of a Redis of the test's own); ``web_dist``: a
    built web app (``web/dist``) the gateway serves at ``/`` (``WEB_DIST_DIR``);
    ``service_env``: per service, laid over that service's environment; ``ready_timeout``:
    how long every process may take to answer ``/readyz`` (generous: the machines the suite
    runs on are often loaded far past their cores, and a slow start is not what is tested).

    The broker and Redis are shared with any other stack on this machine (`make run`, a
    parallel e2e run): with the default names, two board services would share the
    "board.service" queue and each get only half of the user.registered events.
    """
    run_id = f"{name}_{uuid.uuid4().hex[:10]}"
    exchange = f"hintro.events.{run_id}"
    queues = {setting: f"{queue}.{run_id}" for setting, queue in CONSUMER_QUEUES.items()}
    async with Stack(
        profile="test",
        free_ports=True,
        only=only or None,
        mongo_db_suffix=run_id,
        env={
            "EVENTS_EXCHANGE": exchange,
            **queues,
            "BOARD_CACHE_PREFIX": f"hintro:board:{run_id}:",
            "REDIS_PREFIX": f"hintro:realtime:{run_id}:",
            "SOCKETIO_CHANNEL": f"hintro.realtime.socketio.{run_id}",
            **(env or {}),
        },
        service_env={
            **{name: dict(values) for name, values in (service_env or {}).items()},
            "auth": {
                "JWT_KEY_FILE": str(keys_dir / "jwt-signing.pem"),
                **(service_env or {}).get("auth", {}),
            },
            "gateway": {
                # Rate-limit state lives in the shared Redis: not shared with other runs.
                "RATE_LIMIT_PREFIX": f"hintro:rl:{run_id}:",
                # Every e2e client comes from 127.0.0.1, so the per-IP login/register budget
                # would be shared by all test users; the per-email limit (what the 429 test
                # hammers) stays at its default.
                "RATE_LIMIT_AUTH_IP": "10000/60",
                # The board e2e tests make over a thousand requests a minute as one user (the
                # role matrix builds a fresh board for each of its ~90 cases); 600/60 per user
                # would throttle the suite itself, not the behaviour under test.
                "RATE_LIMIT_DEFAULT": "100000/60",
                # The same scenes add members (an e-mail-resolving route) hundreds of times.
                "RATE_LIMIT_USER_LOOKUP": "100000/60",
                **({"WEB_DIST_DIR": str(web_dist)} if web_dist is not None else {}),
                **(service_env or {}).get("gateway", {}),
            },
        },
        echo=False,
        log_path=repo_root() / ".run" / "e2e" / f"{name}.log",
        ready_timeout=ready_timeout,
    ) as running:
        yield running
    connection = await aio_pika.connect_robust(running.infra_env["RABBITMQ_URL"])
    async with connection:
        await delete_event_objects(
            connection,
            exchange=exchange,
            consumer_queues=list(queues.values()),
            retry_delays=DEFAULT_RETRY_DELAYS,
        )


def event_queues(stack: Stack) -> dict[str, str]:
    """The stack's own consumer queues, their dead-letter (and parked) queues and its unrouted
    queue: label (``activity.log``, ``activity.log.dlq``, ``unrouted``) -> broker name."""
    env = stack.env_for(stack.instances[0])
    names: dict[str, str] = {}
    for setting, default in CONSUMER_QUEUES.items():
        names[default] = env[setting]
        names[dlq_name(default)] = dlq_name(env[setting])
        if setting not in UNREPLAYED:
            names[parked_name(default)] = parked_name(env[setting])
    names["unrouted"] = unrouted_name(env["EVENTS_EXCHANGE"])
    return names


async def queue_depths(stack: Stack) -> dict[str, int | None]:
    """Messages ready in each of :func:`event_queues` (None: the queue does not exist)."""
    depths: dict[str, int | None] = {}
    connection = await aio_pika.connect_robust(stack.infra_env["RABBITMQ_URL"])
    async with connection:
        for label, queue in event_queues(stack).items():
            # A passive declare of a missing queue closes its channel: one channel each.
            channel = await connection.channel()
            try:
                underlay = await channel.get_underlay_channel()
                declared = await underlay.queue_declare(queue, passive=True)
                depths[label] = int(declared.message_count or 0)
            except CONNECTION_EXCEPTIONS:
                # A parked queue is declared by the first replay pass: none yet, none parked.
                depths[label] = 0 if label.endswith(".parked") else None
            finally:
                with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                    await channel.close()
    return depths
