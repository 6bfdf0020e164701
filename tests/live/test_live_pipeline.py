"""The live path with the real ingest pipeline: stream → worker → locate, de-duplicate, store → announce.

On both stores (embedded SQLite and PostGIS) and a real Redis: every report of the sample files arrives in
the store, every quarantined record in the quarantine, each stored report is announced, and delivering
the whole stream a second time changes nothing in the store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import Report, parse
from live.announce import Subscription
from live.connection import connect
from live.intake import STREAM, Intake
from live.worker import GROUP, Settings, Worker, pipeline_handler
from store.ready import open_ready_store

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FAST = Settings(consumer="w1", batch_size=40, block_ms=100, claim_idle_ms=500, claim_every_s=0.1)


@pytest.mark.redis
@pytest.mark.slow
def test_samples_through_the_live_path_into_the_store(redis_url: str, database_url: str, demo_dir: Path) -> None:
    store = open_ready_store(database_url, demo_dir)
    records = [*parse("patrol", SAMPLES / "patrol.json"), *parse("police_110", SAMPLES / "police_110.jsonl"),
               *parse("grid_worker", SAMPLES / "grid_worker.json")]
    reports = [r for r in records if isinstance(r, Report)]
    client = connect(redis_url)
    intake = Intake(client)
    handler = pipeline_handler(store)
    before = store.counts()

    with Subscription(client) as feed:
        intake.append_many(records)
        stats = Worker(client, handler, settings=FAST).run(until_idle=True)
        events = list(feed.drain(timeout=0.5))
    after = store.counts()
    assert stats.dead_lettered == 0 and int(client.xpending(STREAM, GROUP)["pending"]) == 0
    assert after["reports"] - before["reports"] == len(reports) == 139
    assert after["quarantine"] - before["quarantine"] == len(records) - len(reports) == 18
    assert sorted(e["external_id"] for e in events) == sorted(r.external_id for r in reports)
    assert all(e["id"].startswith("report/") for e in events)

    # the same messages delivered again (a producer that re-sent everything): the store does not change
    intake.append_many(records)
    with Subscription(client) as feed:
        Worker(client, handler, settings=FAST).run(until_idle=True)
        again = list(feed.drain(timeout=0.5))
    assert store.counts() == after
    assert sorted(e["id"] for e in again) == sorted(e["id"] for e in events)  # announced again, same ids
    client.close()


@pytest.mark.redis
@pytest.mark.postgis
@pytest.mark.slow
def test_postgis_unreachable_for_a_while_keeps_the_backlog_then_drains(redis_url: str, postgis_url: str,
                                                                      demo_dir: Path) -> None:
    import threading
    import time

    import sqlalchemy as sa

    store = open_ready_store(postgis_url, demo_dir)
    handler = pipeline_handler(store)  # built while the database is up
    records = [*parse("patrol", SAMPLES / "patrol.json"), *parse("police_110", SAMPLES / "police_110.jsonl")]
    reports = sum(isinstance(r, Report) for r in records)
    database = sa.engine.make_url(postgis_url).database
    admin = sa.create_engine(sa.engine.make_url(postgis_url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    def allow_connections(allowed: bool) -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'alter database "{database}" allow_connections {str(allowed).lower()}')
            if not allowed:  # and cut the ones the pipeline holds
                conn.exec_driver_sql("select pg_terminate_backend(pid) from pg_stat_activity "
                                     f"where datname = '{database}' and pid <> pg_backend_pid()")

    client = connect(redis_url)
    worker = Worker(client, handler, settings=Settings(**{**FAST.__dict__, "backoff_initial_s": 0.1,
                                                          "backoff_max_s": 0.5}))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    try:
        allow_connections(False)
        thread.start()
        Intake(client).append_many(records)
        deadline = time.monotonic() + 60
        while worker.stats.retries < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.stats.retries >= 5 and worker.stats.stored == 0 and worker.stats.dead_lettered == 0
        assert client.xlen(STREAM) == len(records)  # the backlog waits in the stream
    finally:
        allow_connections(True)
    deadline = time.monotonic() + 120
    while not worker.group_drained() and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    thread.join(30)
    assert worker.group_drained() and worker.stats.dead_lettered == 0
    counts = store.counts()
    assert counts["reports"] == reports and counts["quarantine"] == len(records) - reports
    admin.dispose()
    client.close()
