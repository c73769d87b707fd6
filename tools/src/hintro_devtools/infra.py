"""The infrastructure the stack and the tests need: Redis, RabbitMQ and MongoDB.

Redis (6379) and RabbitMQ (5672) are the machine's standard instances. When their URL points at
those default loopback ports and they do not answer, they are started (and installed with apt-get
when missing, as root); a URL pointing anywhere else is only checked. MongoDB is ``MONGO_URL`` when
set, else the embedded nx-27017 (see :mod:`hintro_devtools.mongo`).

Its command line is ``python -m hintro_devtools infra up|down|exec`` (:mod:`hintro_devtools.cli`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import aio_pika
import redis

from hintro_devtools._util import InfraError, is_standard_local, poll, redact, tail
from hintro_devtools.mongo import Mongo, ensure_mongo
from hintro_devtools.workspace import repo_root

__all__ = [
    "PROFILES",
    "Infra",
    "InfraError",
    "Profile",
    "ensure_infra",
    "ensure_mongo",
    "ensure_rabbitmq",
    "ensure_redis",
]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
REDIS_START_WITHIN = 15.0
RABBITMQ_START_WITHIN = 60.0

ProfileName = Literal["run", "test"]


@dataclass(frozen=True)
class Profile:
    """How ``make run`` and ``make test`` differ: embedded Mongo port and data, environment."""

    name: ProfileName
    mongo_port: int
    mongo_dir: str  # relative to the checkout
    fresh_mongo: bool  # wipe the data before starting
    reuse_mongo: bool  # use an nx-27017 already on the port (else start a private one)
    environment: str


PROFILES: dict[str, Profile] = {
    "run": Profile(
        "run", 27017, ".run/mongo", fresh_mongo=False, reuse_mongo=True, environment="development"
    ),
    "test": Profile(
        "test", 27117, ".run/test-mongo", fresh_mongo=True, reuse_mongo=False, environment="test"
    ),
}


def say(message: str) -> None:
    print(f"infra   | {message}", file=sys.stderr, flush=True)


def _ensure_binary(name: str, apt_package: str, what: str, url_var: str) -> str:
    """The path of ``name``; installed with apt-get when missing and we are root."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    found = shutil.which(name, path=search)
    if found:
        return found
    apt_get = shutil.which("apt-get", path=search)
    if apt_get and os.geteuid() == 0:
        say(f"{name} is missing: installing {apt_package} with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for args in ([apt_get, "update"], [apt_get, "install", "-y", apt_package]):
            result = subprocess.run(args, env=env, check=False)  # noqa: S603 - fixed arguments
            if result.returncode != 0:
                raise InfraError(
                    f"`{' '.join(args)}` failed (exit {result.returncode}); install {what} "
                    f"yourself (`apt-get install -y {apt_package}`) or set {url_var} to a "
                    f"running {what}"
                )
        found = shutil.which(name, path=search)
        if found:
            return found
    raise InfraError(
        f"{what} is not running and `{name}` is not installed here (installing needs root and "
        f"apt-get). Install it (`sudo apt-get install -y {apt_package}`), start it, or set "
        f"{url_var} to a running {what}"
    )


def redis_ping(url: str, timeout: float = 1.0) -> None:
    """Raise unless Redis at ``url`` answers PING."""
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def _redis_dirs() -> tuple[Path, Path]:
    """Working directory and log file for a Redis we start: the machine's usual ones when they
    exist, else under the checkout's ``.run/redis``."""
    system_dir, system_logs = Path("/var/lib/redis"), Path("/var/log/redis")
    if system_dir.is_dir() and system_logs.is_dir() and os.access(system_logs, os.W_OK):
        return system_dir, system_logs / "redis-server.log"
    local = repo_root() / ".run" / "redis"
    local.mkdir(parents=True, exist_ok=True)
    return local, local / "redis-server.log"


def start_redis(binary: str, port: int, workdir: Path, logfile: Path) -> None:
    """Start a daemonized, non-persistent Redis on loopback ``port``."""
    command = [binary, "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", str(port)]
    command += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    command += ["--logfile", str(logfile)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise InfraError(
            f"`{shlex.join(command)}` failed (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()}"
        )


def ensure_redis(url: str | None = None) -> str:
    """A Redis that answers PING at ``url`` (default ``REDIS_URL`` or the local 6379)."""
    url = url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    error = poll(lambda: redis_ping(url), within=1.0)
    if error is None:
        return url
    if not is_standard_local(url, 6379):
        raise InfraError(
            f"Redis at REDIS_URL={redact(url)} does not answer PING ({error}). Start it, or "
            "unset REDIS_URL to use the local one on 127.0.0.1:6379"
        )
    binary = _ensure_binary("redis-server", "redis-server", "Redis", "REDIS_URL")
    workdir, logfile = _redis_dirs()
    say("Redis is not answering on 127.0.0.1:6379: starting redis-server")
    start_redis(binary, 6379, workdir, logfile)
    error = poll(lambda: redis_ping(url), within=REDIS_START_WITHIN)
    if error:
        raise InfraError(
            f"redis-server did not answer PING within {REDIS_START_WITHIN:.0f}s ({error}). "
            f"Its log ({logfile}):\n{tail(logfile)}"
        )
    return url


def rabbitmq_check(url: str, timeout: float = 3.0) -> None:
    """Raise unless the broker at ``url`` accepts an AMQP connection (with its credentials)."""

    parts = urlsplit(url)
    # A closed port is answered here, without the AMQP client logging connection errors.
    socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout).close()

    async def connect() -> None:
        connection = await aio_pika.connect(url, timeout=timeout)
        await connection.close()

    asyncio.run(connect())


def ensure_rabbitmq(url: str | None = None) -> str:
    """A RabbitMQ that accepts AMQP connections at ``url`` (default ``RABBITMQ_URL`` or the local
    5672). Blocking; call it from a thread when an event loop is running."""
    url = url or os.environ.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL
    error = poll(lambda: rabbitmq_check(url), within=1.0)
    if error is None:
        return url
    if not is_standard_local(url, 5672):
        raise InfraError(
            f"RabbitMQ at RABBITMQ_URL={redact(url)} does not accept connections ({error}). "
            "Start it, or unset RABBITMQ_URL to use the local one on 127.0.0.1:5672"
        )
    binary = _ensure_binary("rabbitmq-server", "rabbitmq-server", "RabbitMQ", "RABBITMQ_URL")
    say("RabbitMQ is not answering on 127.0.0.1:5672: starting `rabbitmq-server -detached`")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [binary, "-detached"], capture_output=True, text=True, check=False, timeout=60
    )
    error = poll(lambda: rabbitmq_check(url), within=RABBITMQ_START_WITHIN, interval=1.0)
    if error:
        output = (result.stderr or result.stdout).strip() or "(no output)"
        raise InfraError(
            f"RabbitMQ did not accept connections on 127.0.0.1:5672 within "
            f"{RABBITMQ_START_WITHIN:.0f}s after `rabbitmq-server -detached` (exit "
            f"{result.returncode}: {output}; last error: {error}). Look in /var/log/rabbitmq/, "
            "start it yourself, or set RABBITMQ_URL to a running broker"
        )
    return url


@dataclass
class Infra:
    """The three dependencies, as URLs; ``stop()`` stops only what was started here."""

    mongo: Mongo
    redis_url: str
    rabbitmq_url: str

    def env(self) -> dict[str, str]:
        """The variables services and tests read."""
        return {
            "MONGO_URL": self.mongo.url,
            "RABBITMQ_URL": self.rabbitmq_url,
            "REDIS_URL": self.redis_url,
        }

    def stop(self) -> None:
        """Stop the nx-27017 we started, if any (Redis and RabbitMQ are the machine's)."""
        self.mongo.stop()


def ensure_infra(
    profile: str = "run",
    *,
    env: Mapping[str, str] | None = None,
    root: Path | None = None,
    detach: bool = False,
) -> Infra:
    """Make Redis, RabbitMQ and MongoDB answer, concurrently (a cold RabbitMQ takes a while).

    URLs come from ``env`` (default ``os.environ``): ``REDIS_URL``, ``RABBITMQ_URL``,
    ``MONGO_URL``; without ``MONGO_URL`` the profile's embedded nx-27017 is used.
    """
    env = os.environ if env is None else env
    settings = PROFILES[profile]
    data_dir = (root or repo_root()) / settings.mongo_dir
    with ThreadPoolExecutor(max_workers=3) as pool:
        redis_future = pool.submit(ensure_redis, env.get("REDIS_URL"))
        rabbit_future = pool.submit(ensure_rabbitmq, env.get("RABBITMQ_URL"))
        mongo_future = pool.submit(
            ensure_mongo,
            env.get("MONGO_URL") or None,
            port=settings.mongo_port,
            data_dir=data_dir,
            fresh=settings.fresh_mongo,
            reuse=settings.reuse_mongo,
            detach=detach,
        )
        try:
            redis_url = redis_future.result()
            rabbitmq_url = rabbit_future.result()
        except BaseException:
            # Do not leave an nx-27017 behind when a sibling dependency failed.
            with contextlib.suppress(Exception):  # its own failure is secondary
                mongo_future.result().stop()
            raise
        mongo = mongo_future.result()
    return Infra(mongo=mongo, redis_url=redis_url, rabbitmq_url=rabbitmq_url)
