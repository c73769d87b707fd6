"""Scenario 8's open loop (``bench.load.open_loop``) keeps to its rate whatever the requests
do and times each from its scheduled start; the report checks search's target on that figure
and still shows the closed loop's (the capacity). No stack: a fake operation stands in."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bench.load import open_loop
from bench.report import table


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


async def test_requests_start_on_schedule_and_overlap_when_slow() -> None:
    started: list[int] = []
    in_flight = 0
    most = 0

    async def slow(session: aiohttp.ClientSession, n: int) -> str | None:
        nonlocal in_flight, most
        started.append(n)
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.1)  # 5 intervals: a closed loop would fall behind
        in_flight -= 1
        return "503" if n == 7 else None

    async with _session() as session:
        paced = await open_loop(session, slow, rate=50.0, duration=0.4, warmup=0.1)
    figures = paced.figures()
    assert len(started) == 5 + 20  # the warmup's 5, then 20 measured
    assert figures["requests"] + figures["errors"] == 20
    assert figures["error_kinds"] == {"503": 1}
    assert most >= 4  # later requests did not wait for earlier ones
    assert figures["target_rate"] == 50.0
    assert 35 <= figures["achieved_rate"] <= 55
    assert figures["p50_ms"] >= 100  # from the scheduled start: at least the operation's time


async def test_a_failing_operation_is_counted_not_raised() -> None:
    async def broken(session: aiohttp.ClientSession, n: int) -> str | None:
        raise aiohttp.ClientConnectionError("refused")

    async with _session() as session:
        figures = (await open_loop(session, broken, rate=100.0, duration=0.05)).figures()
    assert figures["requests"] == 0
    assert figures["errors"] == 5
    assert figures["error_kinds"] == {"ClientConnectionError": 5}


def _search_result(open_p99: float, closed_p99: float) -> dict[str, Any]:
    closed = {"throughput": 91.0, "avg_ms": 80.0, "p50_ms": 70.0, "p99_ms": closed_p99}
    return {
        "name": "search across 200 boards, 50000 tasks",
        "clients": 8,
        **closed,
        "max_ms": 400.0,
        "errors": 0,
        "cpu_ms_per_request": {"nx": 10.5},
        "hits_per_query_avg": 12.0,
        "common_word": {"p50_ms": 30.0},
        "one_client": {"p50_ms": 12.0, "p99_ms": 40.0},
        "open_loop": {
            "target_rate": 20.0,
            "achieved_rate": 20.0,
            "requests": 300,
            "errors": 0,
            "error_kinds": {},
            "avg_ms": 15.0,
            "p50_ms": 13.0,
            "p99_ms": open_p99,
            "max_ms": 90.0,
        },
    }


def _rows_of_8(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| 8 |")]


def test_the_target_is_checked_on_the_open_loop_and_the_closed_loop_is_shown() -> None:
    met, closed = _rows_of_8(table({"8": _search_result(60.0, 264.0)}, markdown=True))
    assert "open loop at 20/s" in met
    assert "| 60.00 |" in met
    assert met.rstrip(" |").endswith("yes")
    assert "closed loop" in closed
    assert "| 264.00 |" in closed
    assert "8 clients" in closed
    assert "91.0" in closed  # the capacity, searches/s


def test_a_slow_open_loop_misses_the_target_whatever_the_closed_loop() -> None:
    met, _ = _rows_of_8(table({"8": _search_result(140.0, 50.0)}, markdown=True))
    assert met.rstrip(" |").endswith("no")


def test_a_run_without_an_open_loop_cannot_say() -> None:
    result = _search_result(60.0, 50.0)
    del result["open_loop"]
    (row,) = _rows_of_8(table({"8": result}, markdown=True))
    assert row.rstrip(" |").endswith("?")
