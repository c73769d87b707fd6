"""The soak's bookkeeping (``python -m bench.soak``, not run in CI): per-bucket figures and the
summary docs/performance.md quotes. The soak itself needs minutes; these need none."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.soak import (
    CONSUMER_QUEUES,
    MIX,
    Record,
    flowing,
    held_messages,
    parse,
    step,
    summary,
    watched,
)


def test_buckets_count_5xx_apart_from_other_errors_and_take_p99_per_bucket() -> None:
    record = Record(bucket=60)
    for i in range(100):
        record.add(at=1.0 + i * 0.1, latency=(i + 1) / 1000, outcome="200")
    record.add(at=30.0, latency=0.5, outcome="503")
    record.add(at=30.0, latency=0.5, outcome="404")
    record.add(at=61.0, latency=0.02, outcome="ClientConnectorError")
    first, second = record.rows()
    assert first["from_s"] == 0
    assert first["requests"] == 102
    assert first["5xx"] == 1
    assert first["5xx_by_status"] == {"503": 1}
    assert first["other_errors"] == {"404": 1}
    assert first["p99_ms"] == 500.0  # the two slow answers are the top 2 %
    assert first["p50_ms"] == 51.0
    assert second == {
        "from_s": 60,
        "requests": 1,
        "5xx": 0,
        "5xx_by_status": {},
        "other_errors": {"ClientConnectorError": 1},
        "p50_ms": 20.0,
        "p99_ms": 20.0,
        "max_ms": 20.0,
    }


def test_the_mix_balances_creates_and_deletes() -> None:
    assert MIX.count("create") == MIX.count("delete")
    assert len(MIX) == 20


def test_every_board_gets_as_many_creates_as_deletes() -> None:
    for boards in (1, 3, 4, 5):
        kinds: dict[int, Counter[str]] = {}
        for n in range(len(MIX) * boards * 10):
            kind, board = step(n, boards)
            kinds.setdefault(board, Counter())[kind] += 1
        assert sorted(kinds) == list(range(boards))
        for counted in kinds.values():
            assert counted["create"] == counted["delete"] > 0
            assert counted["board"] > 0


def test_defaults_are_thirty_minutes_at_seventy_percent() -> None:
    args = parse([])
    assert args.duration == 1800
    assert args.load == 0.7


def test_summary_shows_memory_growth_and_queues() -> None:
    result: dict[str, Any] = {
        "options": {"concurrency": 16, "duration": 180.0},
        "capacity_ops": 50.0,
        "capacity_http_ops": 80.0,
        "drain_seconds": 1.5,
        "rate_ops": 35.0,
        "5xx": 0,
        "skipped": 0,
        "buckets": Record(60).rows(),
        "rss_after_warmup_mb": {"gateway": 100.0},
        "rss_end_mb": {"gateway": 110.0},
        "sockets": {"opened": 10, "still_connected": 10, "pushes": 5},
        "queues_at_stop": {"activity": {"depth": 3}},
        "queues_drained": {"activity": {"depth": 0}, "activity.dlq": {"depth": 0}},
    }
    text = summary(result)
    assert "| gateway | 100.0 | 110.0 | +10.0 % |" in text
    assert "queues after draining (1.5s): activity 0, activity.dlq 0" in text
    assert "capacity 50.0 ops/s sustained (80.0 answered" in text
    assert "soak at 35.0 ops/s for 180s; 5xx: 0" in text


def test_without_a_broker_listing_every_consumer_queue_is_watched_with_its_dead_letters() -> None:
    names = {label: default for label, (_, default) in CONSUMER_QUEUES.items()}
    labels = watched(names)
    for queue in ("task.search", "notification.events", "realtime.notifications"):
        assert queue in labels.values()
        assert f"{queue}.dlq" in labels.values()
        assert f"{queue}.parked" in labels.values()


def test_drained_waits_for_flowing_queues_and_held_messages_fail_the_soak() -> None:
    state = {
        "task.projection": {"depth": 0},
        "task.projection.retry.500ms": {"depth": 0},
        "task.projection.dlq": {"depth": 0},
        "activity.log.parked": {"depth": 1},
        "hintro.events.unrouted": {"depth": 7},
    }
    assert flowing(state)
    assert held_messages(state) == 1
    assert not flowing({**state, "notification.events": {"depth": 3}})
