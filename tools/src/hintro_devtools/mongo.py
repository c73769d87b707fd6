"""MongoDB for development and tests: a given ``MONGO_URL``, or the embedded nx-27017 wire server.

nx-27017 keeps one SQLite file per database under its data directory. Its default pid file
(``/tmp/nx_27017.pid``) is shared by every instance on the machine and it refuses to start while
that file names a live process, so each instance here gets its own pid and log file.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pymongo import MongoClient

from hintro_devtools._util import (
    InfraError,
    pid_alive,
    pid_cmdline,
    poll,
    port_open,
    redact,
    stop_pid,
    tail,
)
from hintro_devtools.ports import free_port

START_WITHIN_SECONDS = 30.0
STOP_WITHIN_SECONDS = 10.0


def mongo_ping(url: str, timeout: float = 1.0) -> None:
    """Raise unless the server at ``url`` answers ``ping``."""
    millis = int(timeout * 1000)
    client: MongoClient[dict[str, object]] = MongoClient(
        url, serverSelectionTimeoutMS=millis, connectTimeoutMS=millis, socketTimeoutMS=millis
    )
    try:
        client.admin.command("ping")
    finally:
        client.close()


@dataclass
class Mongo:
    """A MongoDB the stack can use; ``process`` is set only when we started it and must stop it."""

    url: str
    data_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    scratch: bool = False  # its data directory is removed when it stops

    @property
    def owned(self) -> bool:
        """Whether stopping it is our job."""
        return self.process is not None

    def stop(self, timeout: float = STOP_WITHIN_SECONDS) -> None:
        """Stop the nx-27017 we started (SIGTERM, bounded wait, SIGKILL); no-op otherwise."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.scratch and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def nx_binary() -> Path:
    """The nx-27017 of this environment (installed by ``uv sync`` from the dev group)."""
    beside = Path(sys.executable).parent / "nx-27017"
    if beside.exists():
        return beside
    found = shutil.which("nx-27017")
    if found:
        return Path(found)
    raise InfraError(
        "nx-27017 is not installed in this environment: run `make install` (it runs "
        "`uv sync --frozen`), or set MONGO_URL to a running MongoDB"
    )


def pid_file(data_dir: Path) -> Path:
    """Where the nx-27017 serving ``data_dir`` writes its pid."""
    return data_dir / "nx.pid"


def running_nx_pid(data_dir: Path) -> int | None:
    """The pid of a live nx-27017 recorded in ``data_dir``'s pid file, if any."""
    try:
        pid = int(pid_file(data_dir).read_text().strip())
    except (OSError, ValueError):
        return None
    cmdline = pid_cmdline(pid)
    if pid_alive(pid) and ("nx-27017" in cmdline or "nx_27017" in cmdline):
        return pid
    return None


def check_mongo(url: str, within: float = 5.0) -> Mongo:
    """Use a MongoDB given by URL; fail clearly if it does not answer."""
    error = poll(lambda: mongo_ping(url), within=within, interval=0.5)
    if error:
        raise InfraError(
            f"MONGO_URL={redact(url)} does not answer a ping ({error}). Start that server, or "
            "unset MONGO_URL to use the embedded nx-27017"
        )
    return Mongo(url)


def ensure_mongo(
    url: str | None,
    *,
    port: int,
    data_dir: Path,
    fresh: bool = False,
    reuse: bool = True,
    detach: bool = False,
    within: float = START_WITHIN_SECONDS,
) -> Mongo:
    """A MongoDB that answers: ``url`` if given; else the nx-27017 on ``127.0.0.1:port``, reused
    when one already serves there, started on ``data_dir`` otherwise.

    ``fresh`` wipes ``data_dir`` before starting. ``reuse=False`` (tests) never shares a server:
    when ``port`` is taken, a private one starts on a free port with its own scratch directory,
    because whoever started the shared one would stop it under us when their run ends.
    ``detach`` lets the server outlive this process (``infra up``); otherwise it sits in its own
    process group, so a Ctrl-C meant for the supervisor does not take the database away from
    services that are still draining.
    """
    if url:
        return check_mongo(url)
    scratch = False
    if not reuse and port_open("127.0.0.1", port):
        port = free_port()
        data_dir = data_dir.with_name(f"{data_dir.name}-{port}")
        fresh = scratch = True
    url = f"mongodb://127.0.0.1:{port}"
    if port_open("127.0.0.1", port):
        error = poll(lambda: mongo_ping(url), within=1.5, interval=0.3)
        if error is None:
            return Mongo(url, data_dir=data_dir)
        raise InfraError(
            f"port {port} is in use by something that does not answer a MongoDB ping ({error}); "
            "stop it, or set MONGO_URL to a MongoDB to use"
        )
    stale = running_nx_pid(data_dir)
    if stale is not None:
        raise InfraError(
            f"an nx-27017 (pid {stale}) already serves {data_dir} but not on port {port}; "
            f"stop it (kill {stale}) and rerun"
        )
    if fresh:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        pid_file(data_dir).unlink()  # stale: its process is gone (checked above)
    stderr_path = data_dir / "nx.stderr"
    command = [
        str(nx_binary()),
        "--data-dir",
        str(data_dir),
        "-p",
        str(port),
        "--pid-file",
        str(pid_file(data_dir)),
        "--log-file",
        str(data_dir / "nx.log"),
    ]
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own venv's binary, fixed arguments
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=detach,
            process_group=None if detach else 0,
        )
    mongo = Mongo(url, data_dir=data_dir, process=process, scratch=scratch)

    def exited() -> str | None:
        code = process.poll()
        return None if code is None else f"nx-27017 exited with code {code}"

    error = poll(lambda: mongo_ping(url), within=within, interval=0.2, abort=exited)
    if error:
        mongo.stop()
        raise InfraError(
            f"nx-27017 on port {port} did not become ready within {within:.0f}s ({error}). "
            f"Its output ({stderr_path}):\n{tail(stderr_path)}"
        )
    return mongo


def stop_detached(data_dir: Path, timeout: float = STOP_WITHIN_SECONDS) -> int | None:
    """Stop the nx-27017 recorded in ``data_dir`` (started detached by ``infra up``); returns its
    pid, or None when none was running."""
    pid = running_nx_pid(data_dir)
    if pid is not None:
        stop_pid(pid, timeout)
    return pid
