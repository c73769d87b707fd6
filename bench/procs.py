"""What the benchmark reads of processes from /proc: resident memory, CPU time, which process
listens on a port (for a suite the benchmark did not start)."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (VmRSS), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise ValueError(f"no VmRSS for pid {pid}")


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (a service's extra workers, ``WORKERS`` > 1)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cpu_seconds(pid: int, with_children: bool = True) -> float:
    """User + system CPU seconds ``pid`` (and its direct children) have used so far."""
    total = 0.0
    for one in (pid, *(children(pid) if with_children else ())):
        try:
            stat = Path(f"/proc/{one}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[11], fields[12] are utime, stime (fields 14 and 15 of proc(5), counted from 1).
        total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return total


def pid_listening_on(port: int) -> int | None:
    """The pid of the process listening on TCP ``port`` on this machine, if visible to us."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in targets:
                    return int(entry.name)
        except OSError:
            continue
    return None


class CpuMeter:
    """CPU seconds used by a set of processes between ``start()`` and ``stop()``."""

    def __init__(self, pids: dict[str, int], own: int | None = None) -> None:
        """``pids``: name -> pid, counted with their children (a service's workers); ``own``:
        this process, counted alone as ``bench`` (its children are the stack it started)."""
        self.pids = pids
        self.own = own
        self._before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        values: dict[str, float] = {}
        for name, pid in self.pids.items():
            try:
                values[name] = cpu_seconds(pid)
            except OSError:
                continue
        if self.own is not None:
            values["bench"] = cpu_seconds(self.own, with_children=False)
        return values

    def start(self) -> None:
        """Take the first reading."""
        self._before = self._read()

    def stop(self, elapsed: float) -> dict[str, float]:
        """CPU use of each process in percent of one core over ``elapsed`` seconds."""
        after = self._read()
        self.used = {
            name: round(100 * (after[name] - self._before[name]) / elapsed, 1)
            for name in after
            if name in self._before and elapsed > 0
        }
        return self.used


async def per_call(
    pid: int | None, call: Callable[[int], Awaitable[object]], times: int
) -> dict[str, float | int | None]:
    """Run ``call(0..times-1)`` one after another; the CPU each call cost the database process
    ``pid`` (``None``: not measured, a server the tool did not start) and this process."""
    server = cpu_seconds(pid) if pid else 0.0
    own = time.process_time()
    for n in range(times):
        await call(n)
    return {
        "calls": times,
        "db_cpu_ms": round(1000 * (cpu_seconds(pid) - server) / times, 2) if pid else None,
        "caller_cpu_ms": round(1000 * (time.process_time() - own) / times, 2),
    }
