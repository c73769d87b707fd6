"""Load generators: a closed-loop asyncio one (aiohttp, any request mix) and wrk (C, for the
plain authenticated GET of scenarios 1 and 2, so the client takes less of the two cores)."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.stats import Samples

# One operation of a worker: returns an error kind, or None on success.
Operation = Callable[[aiohttp.ClientSession, int], Awaitable[str | None]]


def client_session(connections: int) -> aiohttp.ClientSession:
    """A session with a keep-alive pool of ``connections`` and no per-request timeouts but a
    generous total one."""
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=0, force_close=False)
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30), auto_decompress=True
    )


async def closed_loop(
    session: aiohttp.ClientSession,
    operation: Operation,
    *,
    concurrency: int,
    duration: float,
    warmup: float = 0.0,
) -> Samples:
    """``concurrency`` workers each run ``operation`` back to back for ``duration`` seconds
    (after ``warmup`` seconds whose samples are dropped)."""
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + duration
    samples = Samples()

    async def worker(index: int) -> None:
        count = 0
        while True:
            begin = time.perf_counter()
            if begin >= stop_at:
                return
            try:
                error = await operation(session, index + count * concurrency)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = type(exc).__name__
            end = time.perf_counter()
            count += 1
            if begin < measure_from:
                continue
            if error is None:
                samples.ok(end - begin)
            else:
                samples.fail(error)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    samples.elapsed = time.perf_counter() - measure_from
    return samples


@dataclass
class Paced:
    """What an open-loop run measured: the samples and the rate it kept to."""

    samples: Samples
    target_rate: float
    achieved_rate: float

    def figures(self) -> dict[str, Any]:
        """:meth:`Samples.figures` with the rates asked for and kept."""
        return {
            "target_rate": self.target_rate,
            "achieved_rate": self.achieved_rate,
            **self.samples.figures(),
        }


async def open_loop(
    session: aiohttp.ClientSession,
    operation: Operation,
    *,
    rate: float,
    duration: float,
    warmup: float = 0.0,
) -> Paced:
    """``operation`` started ``rate`` times a second for ``duration`` seconds (after ``warmup``
    seconds whose samples are dropped), each on its schedule whatever the earlier ones are
    doing: the latency a request sees at that arrival rate, queueing included. Each latency
    runs from the request's scheduled start, so a late start counts against it too."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    interval = 1.0 / rate
    skipped = int(warmup * rate)
    total = skipped + max(1, int(duration * rate))
    samples = Samples()
    running: list[asyncio.Task[None]] = []

    async def one(n: int, scheduled: float) -> None:
        try:
            error = await operation(session, n)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = type(exc).__name__
        if n < skipped:
            return
        if error is None:
            samples.ok(time.perf_counter() - scheduled)
        else:
            samples.fail(error)

    began = time.perf_counter()
    for n in range(total):
        scheduled = began + n * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        running.append(asyncio.create_task(one(n, scheduled)))
    # From the first measured start to one interval after the last: ``rate`` when on time.
    span = time.perf_counter() - (began + skipped * interval) + interval
    await asyncio.gather(*running)
    measured = total - skipped
    samples.elapsed = measured * interval
    return Paced(samples, rate, round(measured / span, 1))


def get_operation(url: str, headers_for: Callable[[int], dict[str, str]]) -> Operation:
    """GET ``url`` with the headers of worker call ``n``; anything but 200 is an error."""

    async def operation(session: aiohttp.ClientSession, n: int) -> str | None:
        async with session.get(url, headers=headers_for(n)) as response:
            await response.read()
            return None if response.status == 200 else str(response.status)

    return operation


_WRK_SCRIPT = """
local tokens = {%(tokens)s}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("token", tokens[(counter - 1) %% #tokens + 1])
end
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Accept-Encoding"] = "gzip"
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"status":%%d,"timeout":%%d,"mean_us":%%f,"p50_us":%%d,"p99_us":%%d,"max_us":%%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class WrkResult:
    """wrk's figures in the shape of :meth:`Samples.figures`, and the CPU wrk used."""

    figures: dict[str, Any]
    cpu_percent: float


def wrk_path() -> str | None:
    """The wrk binary, if installed (``make bench`` installs it when it can)."""
    if os.environ.get("BENCH_NO_WRK"):
        return None
    return shutil.which("wrk")


async def run_wrk(
    url: str, tokens: list[str], *, connections: int, duration: float, threads: int = 1
) -> WrkResult:
    """GET ``url`` with wrk (keep-alive, ``connections`` open) for ``duration`` seconds."""
    binary = wrk_path()
    if binary is None:
        raise RuntimeError("wrk is not installed")
    quoted = ", ".join(json.dumps(token) for token in tokens)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.lua"
        script.write_text(_WRK_SCRIPT % {"tokens": quoted})
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        process = await asyncio.create_subprocess_exec(
            binary,
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = output.decode(errors="replace")
    line = next((item for item in text.splitlines() if item.startswith("WRKJSON ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {process.returncode}): {text[-500:]}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds = raw["duration_us"] / 1e6
    errors = {
        kind: raw[kind] for kind in ("connect", "read", "write", "status", "timeout") if raw[kind]
    }
    ok = raw["requests"] - raw["status"]
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    figures = {
        "requests": ok,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "seconds": round(seconds, 3),
        "throughput": round(ok / seconds, 1) if seconds else 0.0,
        "avg_ms": round(raw["mean_us"] / 1000, 2),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "generator": "wrk",
    }
    return WrkResult(figures, round(100 * cpu / seconds, 1) if seconds else 0.0)
