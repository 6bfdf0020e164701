"""The live path on a real Redis: append → worker → store → announce → acknowledge, and what can go wrong.

The store here is :class:`tests.live.sink.SqliteSink`, a real SQLite table idempotent on channel + external
id — the one property of the store the worker relies on. ``test_live_pipeline.py`` runs the real pipeline.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from ingest.report import Quarantined, Report, SourceRef
from live.announce import Announcer, Subscription
from live.connection import connect
from live.intake import DEAD_LETTERS, STREAM, Intake, IntakeFull, decode, parse_id
from live.worker import GROUP, Settings, Worker, is_transient
from store.errors import InvalidData, Unavailable
from tests.live.sink import SqliteSink, report

FAST = Settings(consumer="w1", batch_size=25, block_ms=100, claim_idle_ms=200, claim_every_s=0.05,
                backoff_initial_s=0.05, backoff_max_s=0.2, trim_every_s=0.2, keep_acked_s=0.0)


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    c = connect(redis_url)
    yield c
    c.close()


def wait_for(condition: Callable[[], bool], timeout: float = 120.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start(worker: Worker) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def pending(client: redis.Redis) -> int:
    return int(client.xpending(STREAM, GROUP)["pending"])


def quarantined(n: int) -> Quarantined:
    from datetime import UTC, datetime

    return Quarantined(channel="police_110", source=SourceRef("live/110.jsonl", n, "line"),
                       reason="missing required field transfer_no", raw=b'{"call_time": "2026-11-16 10:00:00"\xff}',
                       content_type="application/json", received_at=datetime(2026, 11, 16, 2, tzinfo=UTC),
                       external_id=f"Q-{n}")


# --------------------------------------------------------------------------------------------- the path


@pytest.mark.redis
def test_append_worker_store_announce_ack(client: redis.Redis, tmp_path: Path) -> None:
    intake = Intake(client)
    sink = SqliteSink(tmp_path / "store.sqlite")
    with Subscription(client) as feed:
        ids = intake.append_many([report(n) for n in range(60)] + [quarantined(1)])
        assert len(ids) == 61 and ids == sorted(ids, key=parse_id)
        stats = Worker(client, sink, settings=FAST).run(until_idle=True)
        events = list(feed.drain(timeout=0.5))

    assert sorted(sink.stored()) == sorted([("patrol", f"T-{n:05d}") for n in range(60)] + [("police_110", "Q-1")])
    assert (stats.stored, stats.quarantined, stats.dead_lettered) == (60, 1, 0)
    assert pending(client) == 0
    # one announcement per stored report, naming it, with nothing personal on the broadcast channel
    assert sorted(e["external_id"] for e in events) == [f"T-{n:05d}" for n in range(60)]
    assert {e["stream_id"] for e in events} == set(ids[:60])
    assert all(e["id"] and e["appended_at"] <= e["announced_at"] for e in events)
    assert "13800138000" not in json.dumps(events) and "张三" not in json.dumps(events, ensure_ascii=False)
    assert Announcer(client).version() >= 1


@pytest.mark.redis
def test_stream_entries_round_trip_reports_and_quarantined_bytes(client: redis.Redis) -> None:
    intake = Intake(client)
    items = [report(1), quarantined(2)]
    intake.append_many(items)
    decoded = [decode(i, f) for i, f in client.xrange(STREAM)]
    assert [d.item for d in decoded] == items
    assert decoded[1].item.raw.endswith(b"\xff}")  # undecodable bytes kept as received
    assert all(d.appended_at for d in decoded)


@pytest.mark.redis
def test_append_is_refused_at_the_ceiling_and_nothing_half_appended(client: redis.Redis) -> None:
    intake = Intake(client, max_length=10)
    intake.append_many([report(n) for n in range(8)])
    with pytest.raises(IntakeFull, match="ceiling of 10"):
        intake.append_many([report(n) for n in range(8, 11)])
    assert intake.length() == 8
    assert intake.append_many([report(8), report(9)])
    with pytest.raises(IntakeFull):
        intake.append(report(10))


@pytest.mark.redis
def test_trim_removes_only_what_every_group_acknowledged(client: redis.Redis) -> None:
    intake = Intake(client)
    ids = intake.append_many([report(n) for n in range(300)])
    assert intake.trim(keep_acked_seconds=0) == 0  # no group has read anything: nothing may go
    client.xgroup_create(STREAM, GROUP, id="0")
    client.xgroup_create(STREAM, "analytics", id="0")
    delivered = client.xreadgroup(GROUP, "a", {STREAM: ">"}, count=200)[0][1]
    client.xack(STREAM, GROUP, *[i for i, _ in delivered[:150]])  # 150 acked, 50 pending, 100 undelivered
    assert intake.trim(keep_acked_seconds=0) == 0  # the analytics group has acknowledged nothing
    for i, _ in client.xreadgroup("analytics", "b", {STREAM: ">"}, count=300)[0][1]:
        client.xack(STREAM, "analytics", i)
    intake.trim(keep_acked_seconds=0)
    remaining = [i.decode() for i, _ in client.xrange(STREAM)]
    assert set(ids[150:]) <= set(remaining)  # every entry some group has not acknowledged is still there
    # approximate trimming only ever removes less: whole nodes of acknowledged entries
    client.xtrim(STREAM, minid=ids[150], approximate=False)
    assert [i.decode() for i, _ in client.xrange(STREAM)] == ids[150:]
    # and the grace period keeps acknowledged entries for inspection
    client.delete(STREAM)
    ids = intake.append_many([report(n) for n in range(10)])
    client.xgroup_create(STREAM, GROUP, id="0")
    client.xack(STREAM, GROUP, *[i for i, _ in client.xreadgroup(GROUP, "a", {STREAM: ">"})[0][1]])
    assert intake.trim(keep_acked_seconds=3600) == 0 and intake.length() == 10


@pytest.mark.redis
def test_two_workers_share_the_group(client: redis.Redis, redis_url: str, tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "store.sqlite", delay=0.01)
    workers = [Worker(connect(redis_url), sink, settings=Settings(**{**FAST.__dict__, "consumer": name,
                                                                       "batch_size": 10}))
               for name in ("w1", "w2")]
    threads = [start(w) for w in workers]
    Intake(client).append_many([report(n) for n in range(600)])
    wait_for(lambda: len(sink.stored()) == 600 and pending(client) == 0, what="600 stored and acknowledged")
    for thread, stop in threads:
        stop.set()
        thread.join(10)
    assert sink.delivered() == 600  # no entry went to both
    assert all(w.stats.stored > 0 for w in workers), [w.stats for w in workers]
    assert sum(w.stats.stored for w in workers) == 600


# -------------------------------------------------------------------------------------------- failures


@pytest.mark.redis
def test_store_unavailable_keeps_the_backlog_then_drains(client: redis.Redis, tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "store.sqlite")
    sink.down.set()
    worker = Worker(client, sink, settings=FAST)
    thread, stop = start(worker)
    Intake(client).append_many([report(n) for n in range(200)])
    wait_for(lambda: worker.stats.retries >= 5, what="the worker to retry")
    assert sink.stored() == []
    assert Intake(client).length() == 200  # the backlog waits in the stream …
    group = next(g for g in client.xinfo_groups(STREAM) if g["name"] == GROUP.encode())
    assert int(group["pending"]) <= FAST.batch_size  # … one batch in hand, the rest not even read
    sink.down.clear()
    wait_for(lambda: len(sink.stored()) == 200 and pending(client) == 0, what="the backlog to drain")
    stop.set()
    thread.join(10)
    assert sink.delivered() == 200 and worker.stats.dead_lettered == 0


@pytest.mark.redis
def test_poison_entries_go_to_dead_letters_with_the_reason(client: redis.Redis, tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "store.sqlite", refuse={"T-00007"})
    intake = Intake(client)
    intake.append_many([report(n) for n in range(20)])
    client.xadd(STREAM, {"kind": "report", "body": b"{not json"})  # not an entry a producer writes
    settings = Settings(**{**FAST.__dict__, "max_deliveries": 3})
    stats = Worker(client, sink, settings=settings).run(until_idle=True)

    assert sorted(e for _, e in sink.stored()) == [f"T-{n:05d}" for n in range(20) if n != 7]
    assert pending(client) == 0 and stats.dead_lettered == 2
    letters = {letter["entry_id"]: letter for letter in intake.dead_letters()}
    poison = next(v for v in letters.values() if "T-00007" in v["body"])
    assert poison["reason"] == "refused 3 times: ValueError: cannot store T-00007: the test refuses it"
    assert poison["deliveries"] == 3
    garbage = next(v for v in letters.values() if v is not poison)
    assert garbage["reason"].startswith("undecodable: stream entry") and "body is not JSON" in garbage["reason"]
    assert garbage["deliveries"] == 1
    assert client.hlen("cc:intake:errors") == 0

    # fixed and sent again: stored, and the dead letter is gone
    sink.refuse.clear()
    intake.requeue(poison["id"])
    Worker(client, sink, settings=settings).run(until_idle=True)
    assert ("patrol", "T-00007") in sink.stored()
    assert [letter["entry_id"] for letter in intake.dead_letters()] == [garbage["entry_id"]]
    assert client.xlen(DEAD_LETTERS) == 1


@pytest.mark.redis
def test_entries_of_a_silent_consumer_are_reclaimed(client: redis.Redis, tmp_path: Path) -> None:
    Intake(client).append_many([report(n) for n in range(30)])
    client.xgroup_create(STREAM, GROUP, id="0")
    taken = client.xreadgroup(GROUP, "dead-worker", {STREAM: ">"}, count=10)[0][1]  # and never acknowledged
    sink = SqliteSink(tmp_path / "store.sqlite")
    worker = Worker(client, sink, settings=FAST)
    worker.run(until_idle=True)
    assert len(sink.stored()) == 30 and worker.stats.claimed == len(taken) == 10
    assert pending(client) == 0


def test_errors_are_sorted_into_transient_and_refusals() -> None:
    import sqlalchemy.exc

    assert is_transient(Unavailable("database is down"))
    assert is_transient(redis.ConnectionError("gone"))
    assert is_transient(sqlalchemy.exc.OperationalError("select 1", {}, Exception("server closed")))
    try:
        try:
            raise ConnectionRefusedError("connect() refused")
        except OSError as exc:
            raise RuntimeError("commit failed") from exc
    except RuntimeError as wrapped:
        assert is_transient(wrapped)  # looks through the causes
    assert not is_transient(InvalidData("patrol record 3: no location"))
    assert not is_transient(ValueError("bad"))


@pytest.mark.redis
def test_announcer_counts_and_subscription_receives(client: redis.Redis) -> None:
    announcer = Announcer(client)
    assert announcer.announce([]) is None and announcer.version() == 0
    with Subscription(client) as feed:
        assert announcer.announce([{"id": "1"}, {"id": "2"}]) == 1
        assert [e["id"] for e in feed.drain(timeout=0.5)] == ["1", "2"]
        assert feed.get(timeout=0.05) is None
    assert announcer.version() == 1


def test_the_embedded_server_runs_the_same_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    client = connect()  # no REDIS_URL: the embedded Valkey
    try:
        client.delete(STREAM, DEAD_LETTERS)
        Intake(client).append_many([report(n) for n in range(10)])
        sink = SqliteSink(tmp_path / "store.sqlite")
        with Subscription(client) as feed:
            Worker(client, sink, settings=FAST).run(until_idle=True)
            assert len(list(feed.drain(timeout=0.5))) == 10
        assert len(sink.stored()) == 10
    finally:
        client.delete(STREAM, DEAD_LETTERS)
        client.close()


def test_reports_decode_errors_name_the_entry() -> None:
    with pytest.raises(ValueError, match="stream entry 1-0 has no body"):
        decode(b"1-0", {b"kind": b"report"})
    with pytest.raises(ValueError, match="stream entry 2-0: not a report"):
        decode("2-0", {b"kind": b"report", b"body": b'{"channel": "patrol"}'})
    with pytest.raises(ValueError, match="unknown kind 'photo'"):
        decode("3-0", {b"kind": b"photo", b"body": b"{}"})
    assert isinstance(decode("4-0", {b"kind": b"report", b"body": json.dumps(report(4).to_dict()).encode()}).item,
                      Report)
