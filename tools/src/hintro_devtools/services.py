"""The services the stack runs, their default ports, and the environment each process gets.

Every service listed here must be installed and runnable (``python -m <module>``): the supervisor
refuses to start a stack with one that is not.
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from hintro_devtools.ports import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ServiceSpec:
    """One service: ``python -m <module>`` listening on ``port`` (replica ``i`` on
    ``port + i * replica_port_step``, e.g. realtime 8005 and 8015)."""

    name: str
    module: str
    port: int
    replicas: int = 1
    replica_port_step: int = 10
    # The gateway gets every other service's URL (NAME_URL, and NAME_URLS for all replicas).
    routes_to_upstreams: bool = False
    # Services this one calls directly: it gets their NAME_URL (e.g. task asks board).
    calls: tuple[str, ...] = ()
    # Files the service keeps between `make run`s: env var -> path relative to the checkout.
    run_paths: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Variables set in development and test only (never in production settings).
    local_env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def url_var(self) -> str:
        """The variable other processes read its URL from, e.g. ``AUTH_URL``."""
        return f"{self.name.upper().replace('-', '_')}_URL"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("gateway", "hintro_gateway", 8080, routes_to_upstreams=True),
    ServiceSpec(
        "auth",
        "hintro_auth",
        8001,
        # Auth generates a signing key there when none is configured and keeps it, so tokens
        # issued before a restart of `make run` stay valid.
        run_paths=MappingProxyType({"JWT_KEY_FILE": ".run/keys/jwt-signing.pem"}),
    ),
    ServiceSpec("board", "hintro_board", 8002),
    # Task asks the board service when its projection denies or misses (BOARD_URL).
    ServiceSpec("task", "hintro_task", 8003, calls=("board",)),
    # Activity asks the board service when its projection denies or misses (BOARD_URL).
    ServiceSpec("activity", "hintro_activity", 8004, calls=("board",)),
    # Realtime asks board (membership) and activity (replay) on board:join; two replicas fan
    # out through Redis, so `make run` exercises the multi-replica path (8005 and 8015).
    ServiceSpec("realtime", "hintro_realtime", 8005, replicas=2, calls=("board", "activity")),
    # Notification asks the board service when its projection denies or misses (BOARD_URL);
    # `make run` points its SMTP settings at the local mail sink.
    ServiceSpec("notification", "hintro_notification", 8006, calls=("board",)),
    # Webhook asks the board service when its projection denies or misses (BOARD_URL); in
    # development and tests it may deliver over http to 127.0.0.1 (a receiver of one's own).
    ServiceSpec(
        "webhook",
        "hintro_webhook",
        8007,
        calls=("board",),
        local_env=MappingProxyType(
            {"WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_ALLOW_CIDRS": "127.0.0.1/32"}
        ),
    ),
    # The importer creates an import's board through the board and task services, as the user.
    ServiceSpec("importer", "hintro_importer", 8008, calls=("board", "task")),
)


@dataclass(frozen=True)
class Instance:
    """One process of a service."""

    spec: ServiceSpec
    name: str  # "realtime", then "realtime-2", ... for replicas
    port: int
    host: str = HOST

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://{self.host}:{self.port}"


def runnable(module: str, extra_paths: Sequence[str] = ()) -> bool:
    """Whether ``python -m module`` would find something to run, without importing anything:
    the module exists (on ``extra_paths`` or this interpreter's path) and, for a package, it has
    a ``__main__``."""
    spec = importlib.machinery.PathFinder.find_spec(module, [*extra_paths, *sys.path])
    if spec is None:
        return False
    if spec.submodule_search_locations is None:
        return True
    return any((Path(where) / "__main__.py").is_file() for where in spec.submodule_search_locations)


def plan_instances(
    services: Sequence[ServiceSpec],
    *,
    ports: Mapping[str, int] | None = None,
    replicas: Mapping[str, int] | None = None,
    free_ports: bool = False,
) -> list[Instance]:
    """Every process of every service with its port.

    ``ports`` overrides by instance name (``realtime-2``; the service name means its first
    replica); ``free_ports`` gives every other instance a free port (tests beside ``make run``).
    """
    ports = ports or {}
    replicas = replicas or {}
    planned: list[Instance] = []
    for spec in services:
        for index in range(replicas.get(spec.name, spec.replicas)):
            name = spec.name if index == 0 else f"{spec.name}-{index + 1}"
            if name in ports:
                port = ports[name]
            elif free_ports:
                port = free_port()
            else:
                port = spec.port + index * spec.replica_port_step
            planned.append(Instance(spec, name, port))
    return planned


def urls_by_service(instances: Sequence[Instance]) -> dict[str, list[str]]:
    """Service name -> the URLs of its instances, in replica order."""
    urls: dict[str, list[str]] = {}
    for instance in instances:
        urls.setdefault(instance.spec.name, []).append(instance.url)
    return urls


def instance_env(
    instance: Instance,
    instances: Sequence[Instance],
    *,
    environment: str,
    infra_env: Mapping[str, str],
    log_level: str = "INFO",
    root: Path | None = None,
    mongo_db: str | None = None,
) -> dict[str, str]:
    """The variables one process gets on top of the inherited environment.

    Every process: HOST, PORT, MONGO_URL, RABBITMQ_URL, REDIS_URL, ENVIRONMENT, LOG_LEVEL,
    AUTH_URL (it fetches the JWKS from there) and MONGO_DB when given. The gateway: every other
    service's URL; a service with ``calls``: the URL of each service it calls. ``root`` (set
    for `make run`) turns on the kept files of ``run_paths``.
    """
    urls = urls_by_service(instances)
    env = {
        "HOST": instance.host,
        "PORT": str(instance.port),
        **infra_env,
        "ENVIRONMENT": environment,
        "LOG_LEVEL": log_level,
        "AUTH_URL": urls.get("auth", [f"http://{HOST}:8001"])[0],
        "PYTHONUNBUFFERED": "1",  # log lines reach the supervisor as they are written
    }
    if mongo_db:
        env["MONGO_DB"] = mongo_db
    for name in instance.spec.calls:
        if name in urls:
            env[f"{name.upper().replace('-', '_')}_URL"] = urls[name][0]
    if instance.spec.routes_to_upstreams:
        for other in instances:
            if other.spec.name == instance.spec.name:
                continue
            env[other.spec.url_var] = urls[other.spec.name][0]
            env[f"{other.spec.url_var}S"] = ",".join(urls[other.spec.name])
    if environment in ("development", "test"):
        env.update(instance.spec.local_env)
    if root is not None:
        for var, relative in instance.spec.run_paths.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            env[var] = str(path)
    return env
