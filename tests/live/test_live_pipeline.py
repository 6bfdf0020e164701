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
