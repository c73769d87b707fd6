"""The infrastructure helpers behind `make run` and `make test`: the embedded MongoDB's lifecycle,
clear failures, and the `infra` command line's promises (exit code kept, nothing left running)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pymongo import MongoClient

from hintro_devtools._util import InfraError, is_standard_local, port_open, stop_pid
from hintro_devtools.infra import ensure_rabbitmq, ensure_redis, start_redis
from hintro_devtools.mongo import Mongo, check_mongo, ensure_mongo, mongo_ping, pid_file
from hintro_devtools.ports import free_port


@pytest.fixture
def mongos() -> Iterator[list[Mongo]]:
    """Embedded servers a test started; stopped afterwards whatever happens."""
    started: list[Mongo] = []
    yield started
    for mongo in started:
        mongo.stop()


def count(url: str, database: str) -> int:
    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=2000)
    try:
        return client[database].things.count_documents({})
    finally:
        client.close()


def insert(url: str, database: str) -> None:
    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=2000)
    try:
        client[database].things.insert_one({"kept": True})
    finally:
        client.close()


def test_embedded_mongo_starts_answers_and_stops(tmp_path: Path, mongos: list[Mongo]) -> None:
    port = free_port()
    mongo = ensure_mongo(None, port=port, data_dir=tmp_path / "db")
    mongos.append(mongo)
    assert mongo.owned
    assert mongo.url == f"mongodb://127.0.0.1:{port}"
    mongo_ping(mongo.url)
    assert pid_file(tmp_path / "db").read_text().strip() == str(mongo.process.pid)  # type: ignore[union-attr]
    mongo.stop()
    assert not port_open("127.0.0.1", port)


def test_a_server_already_on_the_port_is_reused_not_wiped_nor_stopped(
    tmp_path: Path, mongos: list[Mongo]
) -> None:
    port = free_port()
    first = ensure_mongo(None, port=port, data_dir=tmp_path / "db", fresh=True)
    mongos.append(first)
    insert(first.url, "reuse")
    second = ensure_mongo(None, port=port, data_dir=tmp_path / "db", fresh=True)
    assert second.url == first.url
    assert not second.owned
    second.stop()
    assert count(first.url, "reuse") == 1


def test_tests_never_share_a_server_someone_else_will_stop(
    tmp_path: Path, mongos: list[Mongo]
) -> None:
    port = free_port()
    theirs = ensure_mongo(None, port=port, data_dir=tmp_path / "db", fresh=True, reuse=False)
    mongos.append(theirs)
    ours = ensure_mongo(None, port=port, data_dir=tmp_path / "db", fresh=True, reuse=False)
    mongos.append(ours)
    assert ours.owned
    assert ours.url != theirs.url
    assert ours.data_dir != theirs.data_dir
    insert(theirs.url, "theirs")
    theirs.stop()
    mongo_ping(ours.url)  # unaffected by the other run's end
    private_dir = ours.data_dir
    ours.stop()
    assert private_dir is not None
    assert not private_dir.exists()
    assert (tmp_path / "db").exists()  # theirs is left for inspection


def test_fresh_wipes_the_data_and_persistent_keeps_it(tmp_path: Path, mongos: list[Mongo]) -> None:
    data_dir = tmp_path / "db"
    port = free_port()
    mongo = ensure_mongo(None, port=port, data_dir=data_dir)
    mongos.append(mongo)
    insert(mongo.url, "kept")
    mongo.stop()
    mongo = ensure_mongo(None, port=port, data_dir=data_dir)  # `make run`: persistent
    mongos.append(mongo)
    assert count(mongo.url, "kept") == 1
    mongo.stop()
    mongo = ensure_mongo(None, port=port, data_dir=data_dir, fresh=True)  # `make test`
    mongos.append(mongo)
    assert count(mongo.url, "kept") == 0


def test_a_stale_pid_file_does_not_block_the_start(tmp_path: Path, mongos: list[Mongo]) -> None:
    data_dir = tmp_path / "db"
    data_dir.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()
    pid_file(data_dir).write_text(str(gone.pid))
    mongo = ensure_mongo(None, port=free_port(), data_dir=data_dir)
    mongos.append(mongo)
    mongo_ping(mongo.url)


def test_a_mongo_url_that_does_not_answer_fails_saying_what_to_do() -> None:
    with pytest.raises(InfraError, match=r"MONGO_URL=mongodb://127\.0\.0\.1:\d+ does not answer"):
        check_mongo(f"mongodb://127.0.0.1:{free_port()}", within=0.5)


def test_a_port_held_by_something_else_fails_clearly(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(InfraError, match=f"port {port} is in use by something"):
            ensure_mongo(None, port=port, data_dir=tmp_path / "db")
    assert not (tmp_path / "db").exists()


def test_only_the_standard_loopback_ports_count_as_ours_to_start() -> None:
    assert is_standard_local("redis://127.0.0.1:6379/0", 6379)
    assert is_standard_local("redis://localhost/0", 6379)
    assert is_standard_local("amqp://guest:guest@127.0.0.1/", 5672)
    assert not is_standard_local("redis://127.0.0.1:6380/0", 6379)
    assert not is_standard_local("amqp://guest:guest@rabbit.internal:5672/", 5672)


def test_a_redis_elsewhere_is_only_checked_never_started() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(InfraError, match="unset REDIS_URL"):
        ensure_redis(url)
    assert not port_open("127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0]))


def test_a_broker_elsewhere_is_only_checked_and_its_password_not_shown() -> None:
    url = f"amqp://guest:secret@127.0.0.1:{free_port()}/"
    with pytest.raises(InfraError) as failure:
        ensure_rabbitmq(url)
    assert "secret" not in str(failure.value)
    assert "unset RABBITMQ_URL" in str(failure.value)


@pytest.mark.integration
def test_the_machine_redis_and_broker_answer() -> None:
    assert ensure_redis() == os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert ensure_rabbitmq().startswith("amqp://")


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_redis_is_started_with_the_documented_command(tmp_path: Path) -> None:
    port = free_port()
    start_redis(str(shutil.which("redis-server")), port, tmp_path, tmp_path / "redis.log")
    client = redis.Redis(port=port)
    pid = int(client.info("server")["process_id"])
    try:
        assert client.ping()
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.close()
        stop_pid(pid, timeout=5.0)
    assert not port_open("127.0.0.1", port)


def run_infra_cli(tmp_path: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m hintro_devtools infra`` with the test profile's Mongo on ``port`` and the
    checkout root at ``tmp_path`` (so it cannot touch a real `make test`)."""
    script = tmp_path / "infra_cli.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            from hintro_devtools import infra
            from hintro_devtools.cli import main
            infra.PROFILES["test"] = infra.Profile(
                "test", {port}, ".run/test-mongo", fresh_mongo=True, reuse_mongo=False,
                environment="test",
            )
            sys.exit(main(["infra", *sys.argv[1:]]))
            """
        )
    )
    env = {key: value for key, value in os.environ.items() if key != "MONGO_URL"}
    env["HINTRO_ROOT"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.integration
def test_exec_keeps_the_exit_code_and_stops_the_mongo_it_started(tmp_path: Path) -> None:
    port = free_port()
    probe = (
        "import os, sys; from hintro_devtools.mongo import mongo_ping; "
        "mongo_ping(os.environ['MONGO_URL']); print(os.environ['MONGO_URL'], "
        "os.environ['ENVIRONMENT']); sys.exit(7)"
    )
    result = run_infra_cli(
        tmp_path, port, "exec", "--for", "test", "--", sys.executable, "-c", probe
    )
    assert result.returncode == 7, result.stderr
    assert result.stdout.strip() == f"mongodb://127.0.0.1:{port} test"
    assert not port_open("127.0.0.1", port)


@pytest.mark.integration
def test_up_leaves_the_mongo_running_and_down_stops_it(tmp_path: Path) -> None:
    port = free_port()
    try:
        up = run_infra_cli(tmp_path, port, "up", "--for", "test")
        assert up.returncode == 0, up.stderr
        assert f"MONGO_URL=mongodb://127.0.0.1:{port}" in up.stdout.splitlines()
        assert "REDIS_URL=" in up.stdout
        assert "RABBITMQ_URL=" in up.stdout
        mongo_ping(f"mongodb://127.0.0.1:{port}")
    finally:
        down = run_infra_cli(tmp_path, port, "down", "--for", "test")
    assert down.returncode == 0, down.stderr
    assert "stopped nx-27017" in down.stderr
    assert not port_open("127.0.0.1", port)
