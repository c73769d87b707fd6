"""Latency samples and what the report shows of them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Samples:
    """Latencies (seconds) of successful operations, the error count and the wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def ok(self, latency: float) -> None:
        """Record one success."""
        self.latencies.append(latency)

    def fail(self, kind: str) -> None:
        """Record one failure (``kind``: status code or exception name)."""
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    def merge(self, other: Samples) -> None:
        """Add another worker's samples (wall time: the longest)."""
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        for kind, count in other.error_kinds.items():
            self.error_kinds[kind] = self.error_kinds.get(kind, 0) + count
        self.elapsed = max(self.elapsed, other.elapsed)

    def figures(self) -> dict[str, Any]:
        """Count, throughput per second, average/p50/p99/max in milliseconds, errors."""
        ordered = sorted(self.latencies)
        count = len(ordered)
        return {
            "requests": count,
            "errors": self.errors,
            "error_kinds": dict(self.error_kinds),
            "seconds": round(self.elapsed, 3),
            "throughput": round(count / self.elapsed, 1) if self.elapsed > 0 else 0.0,
            "avg_ms": round(1000 * sum(ordered) / count, 2) if count else 0.0,
            "p50_ms": round(1000 * percentile(ordered, 0.50), 2),
            "p99_ms": round(1000 * percentile(ordered, 0.99), 2),
            "max_ms": round(1000 * ordered[-1], 2) if count else 0.0,
        }
