"""Small helpers the infrastructure code shares: bounded polling, log tails, ports and pids."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class InfraError(RuntimeError):
    """Infrastructure could not be provided; the message says what to do about it."""


def poll(
    check: Callable[[], None],
    *,
    within: float,
    interval: float = 0.2,
    abort: Callable[[], str | None] | None = None,
) -> str | None:
    """Call ``check`` until it returns without raising, for at most ``within`` seconds.

    Returns None on success, else why it gave up: the ``abort`` reason (e.g. "the process
    exited") or the last error ``check`` raised.
    """
    deadline = time.monotonic() + within
    last = "no attempt was made"
    while True:
        try:
            check()
            return None
        except Exception as exc:
            last = f"{type(exc).__name__}: {exc}".strip()
        reason = abort() if abort else None
        if reason:
            return reason
        if time.monotonic() >= deadline:
            return last
        time.sleep(interval)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file, or a note that there is none."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log at {path})"


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def is_standard_local(url: str, default_port: int) -> bool:
    """Whether ``url`` names this machine's standard instance (loopback, default port), the only
    kind of server these tools may start."""
    parts = urlsplit(url)
    return (parts.hostname or "127.0.0.1") in LOCAL_HOSTS and (
        parts.port or default_port
    ) == default_port


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (and is not a zombie we could reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def pid_cmdline(pid: int) -> str:
    """The command line of a process, space-separated ('' when unknown)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def stop_pid(pid: int, timeout: float) -> None:
    """SIGTERM a process, wait up to ``timeout`` seconds, then SIGKILL it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
