"""A small real store for the worker tests: SQLite, idempotent on channel + external id like the real one.

The worker's guarantees do not depend on locating or de-duplicating, only on the store's promise that a
record stored twice is stored once. This sink keeps that promise with a UNIQUE constraint and also logs
every delivery it sees (``deliveries``), so a test can tell "handled twice, stored once" from "handled once".

Run as a script it is a worker process (for the SIGKILL and SIGTERM tests)::

    python tests/live/sink.py --redis-url URL --db FILE [--consumer NAME] [--pause-after-batches N --marker F]
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ingest.report import Point, Quarantined, Report, SourceRef  # noqa: E402
from store.errors import Unavailable  # noqa: E402

SCHEMA = """
create table if not exists reports (id integer primary key, channel text not null, external_id text not null,
                                    kind text not null, unique (channel, external_id));
create table if not exists deliveries (channel text, external_id text, at real);
"""


class SqliteSink:
    """A batch handler for :class:`live.worker.Worker`.

    ``down`` set: every call raises :class:`store.errors.Unavailable` (the database is away).
    ``refuse``: external ids whose batch raises ValueError (a record the store cannot take).
    ``after_commit(batch_number)``: called after each commit (the SIGKILL test stops there).
    """

    def __init__(self, path: Path, *, refuse: set[str] | None = None,
                 after_commit: Callable[[int], None] | None = None, delay: float = 0.0) -> None:
        self.path = Path(path)
        self.down = threading.Event()
        self.refuse = set(refuse or ())
        self.after_commit = after_commit
        self.delay = delay
        self.batches = 0
        self.calls = 0
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    def __call__(self, items: list[Report | Quarantined]) -> list[str | None]:
        self.calls += 1
        if self.down.is_set():
            raise Unavailable("database unreachable (the test took it away)")
        refused = [key(item)[1] for item in items if key(item)[1] in self.refuse]
        if refused:
            raise ValueError(f"cannot store {refused[0]}: the test refuses it")
        if self.delay:
            time.sleep(self.delay)
        keys = [(*key(item), "report" if isinstance(item, Report) else "quarantined") for item in items]
        conn = self._connect()
        try:
            with conn:
                now = time.time()
                conn.executemany("insert into deliveries values (?, ?, ?)", [(c, e, now) for c, e, _ in keys])
                conn.executemany("insert or ignore into reports (channel, external_id, kind) values (?, ?, ?)",
                                 keys)
                ids = [conn.execute("select id from reports where channel = ? and external_id = ?",
                                    (c, e)).fetchone()[0] for c, e, _ in keys]
        finally:
            conn.close()
        self.batches += 1
        if self.after_commit:
            self.after_commit(self.batches)
        return [str(i) for i in ids]

    def stored(self) -> list[tuple[str, str]]:
        """(channel, external id) of every stored record."""
        with self._connect() as conn:
            return conn.execute("select channel, external_id from reports order by id").fetchall()

    def delivered(self) -> int:
        """How many records the handler was given in committed batches (redeliveries included)."""
        with self._connect() as conn:
            return conn.execute("select count(*) from deliveries").fetchone()[0]

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)


def key(item: Report | Quarantined) -> tuple[str, str]:
    if isinstance(item, Report):
        return item.channel, item.external_id
    return item.channel, item.external_id or str(item.source)


def report(n: int, *, channel: str = "patrol", prefix: str = "T") -> Report:
    """A small, valid report numbered ``n``."""
    return Report(channel=channel, external_id=f"{prefix}-{n:05d}", received_at=datetime(2026, 11, 16, 2, 0, tzinfo=UTC),
                  item_code="ZF001", category="ZF001", source=SourceRef("live/test.json", n, "record"),
                  description=f"test report {n}", address="同安区大同街道环城西路127号",
                  point=Point(118.14 + n * 1e-5, 24.73, "wgs84"), reporter_name="张三",
                  reporter_phone="13800138000", raw={"n": n})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--consumer", default=None)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--claim-idle-ms", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each batch takes")
    parser.add_argument("--pause-after-batches", type=int, default=None)
    parser.add_argument("--marker", type=Path, default=None)
    args = parser.parse_args()

    from live.connection import connect
    from live.worker import Settings, Worker

    def after_commit(batches: int) -> None:
        if args.marker is not None:
            args.marker.write_text(str(batches))
        if args.pause_after_batches is not None and batches >= args.pause_after_batches:
            time.sleep(3600)  # committed, not acknowledged: wait here for SIGKILL

    sink = SqliteSink(args.db, after_commit=after_commit, delay=args.delay)
    settings = Settings(batch_size=args.batch, claim_idle_ms=args.claim_idle_ms, claim_every_s=0.1,
                        block_ms=200, **({"consumer": args.consumer} if args.consumer else {}))
    worker = Worker(connect(args.redis_url), sink, settings=settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
