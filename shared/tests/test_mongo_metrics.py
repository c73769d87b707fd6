"""MongoDB metrics (command latency, pool use) and the lag-tolerant read database
(``MONGO_READ_PREFERENCE``), on the test MongoDB."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError
from pymongo import monitoring
from pymongo.read_preferences import Primary, SecondaryPreferred

from hintro_shared.config import ServiceSettings
from hintro_shared.mongo import make_client, read_database, read_preference
from hintro_shared.mongo_metrics import PoolMetrics
from hintro_testkit.infra import mongo_url, unique


def sample(name: str, **labels: str) -> float:
    """A metric's current value (0 when the series does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.integration
async def test_commands_and_pool_check_outs_are_measured() -> None:
    database = unique("metrics")
    settings = ServiceSettings(mongo_url=mongo_url(), mongo_db=database, mongo_max_pool_size=7)
    client = make_client(settings)
    try:
        finds = sample(
            "hintro_mongo_command_duration_seconds_count", database=database, command="find"
        )
        waits = sample("hintro_mongo_pool_checkout_wait_seconds_count")
        await client[database].cards.insert_one({"_id": "c1"})
        await client[database].cards.find_one({"_id": "c1"})
        after = sample(
            "hintro_mongo_command_duration_seconds_count", database=database, command="find"
        )
        assert after == finds + 1
        assert (
            sample(
                "hintro_mongo_command_duration_seconds_count", database=database, command="insert"
            )
            >= 1
        )
        assert sample("hintro_mongo_pool_checkout_wait_seconds_count") >= waits + 2
        assert sample("hintro_mongo_pool_max_connections") == 7
        # Every connection went back to the pool.
        in_use = [
            s.value
            for family in REGISTRY.collect()
            if family.name == "hintro_mongo_pool_checked_out_connections"
            for s in family.samples
        ]
        assert in_use
        assert all(value == 0 for value in in_use)
    finally:
        await client.drop_database(database)
        await client.close()


def test_a_check_out_timeout_counts_as_pool_exhaustion() -> None:
    before = sample("hintro_mongo_pool_checkout_failures_total", reason="timeout")
    PoolMetrics().connection_check_out_failed(
        monitoring.ConnectionCheckOutFailedEvent(("db", 27017), "timeout", 2.5)
    )
    assert sample("hintro_mongo_pool_checkout_failures_total", reason="timeout") == before + 1


def test_read_preference_defaults_to_the_primary() -> None:
    assert isinstance(read_preference(ServiceSettings()), Primary)
    settings = ServiceSettings(
        mongo_read_preference="secondaryPreferred", mongo_max_staleness_seconds=90
    )
    mode = read_preference(settings)
    assert isinstance(mode, SecondaryPreferred)
    assert mode.max_staleness == 90


@pytest.mark.parametrize(
    "settings",
    [
        {"mongo_max_staleness_seconds": 120},
        {"mongo_read_preference": "secondary", "mongo_max_staleness_seconds": 30},
    ],
)
def test_a_staleness_bound_mongodb_would_refuse_is_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="MONGO_MAX_STALENESS_SECONDS"):
        ServiceSettings(**settings)


@pytest.mark.integration
async def test_the_read_database_reads_with_its_preference() -> None:
    database = unique("reads")
    settings = ServiceSettings(
        mongo_url=mongo_url(), mongo_db=database, mongo_read_preference="secondaryPreferred"
    )
    client = make_client(settings)
    try:
        await client[database].entries.insert_one({"_id": "e1", "seq": 1})
        reads = read_database(client, settings)
        assert isinstance(reads.read_preference, SecondaryPreferred)
        assert await reads.entries.find_one({"_id": "e1"}) == {"_id": "e1", "seq": 1}
    finally:
        await client.drop_database(database)
        await client.close()
