"""The live worker: reads the intake stream through a consumer group, stores, announces, then acknowledges.

Several workers (``python -m ingest worker``, on one machine or many) share the consumer group
:data:`GROUP`; Redis hands each entry to exactly one of them. For each batch a worker

1. reads up to ``batch_size`` entries (``XREADGROUP … >``), or first re-takes entries of a consumer that
   went silent for ``claim_idle_ms`` (``XAUTOCLAIM``: a worker that was killed mid-batch);
2. passes the records to the *handler* — the ingest pipeline: locate, de-duplicate, store, commit;
3. announces the stored reports (:mod:`live.announce`), and only then
4. acknowledges the entries (``XACK``).

A crash anywhere before step 4 leaves the entries pending; another worker (or this one, restarted) takes
them again and the handler sees them a second time. That is safe because the store is idempotent on
channel + external id: a report delivered twice is stored once ("exactly once in the store", at-least-once
on the wire).

Failures
--------
*The store is unavailable* (:class:`store.errors.Unavailable`, a dropped database connection, a locked
SQLite file): the worker keeps the batch, waits with exponential back-off and tries again, for as long as
it takes. Meanwhile it reads nothing new, so the backlog waits in the stream (bounded by
:data:`live.intake.MAX_LENGTH`), and it refreshes its claim on the batch so that no other worker takes it.

*A record the handler refuses* (any other exception): the batch is split in halves until the refused
entries are alone; the others are stored. A refused entry stays pending with its error noted in
:data:`ERRORS`; it is delivered again after ``claim_idle_ms``. On its ``max_deliveries``-th failure — or
when found delivered that often without ever being acknowledged (workers dying on it) — it moves to the
dead-letter stream :data:`live.intake.DEAD_LETTERS` with the reason, in one transaction with its
acknowledgement: never lost, listed for an operator, re-sent with :meth:`live.intake.Intake.requeue`.
An entry that does not even decode is dead-lettered at once.

*Redis goes away*: the worker backs off and reconnects, then re-reads its own pending entries first.

*SIGTERM / SIGINT*: the worker finishes the batch in hand (store, announce, acknowledge) and exits; a second
signal is not caught.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from ingest.report import Report
from live.announce import Announcer, report_event
from live.intake import DEAD_LETTERS, STREAM, Entry, Intake, Item, decode, parse_id

log = logging.getLogger(__name__)

GROUP = "ingest"
"""The consumer group every ingest worker joins."""
ERRORS = "cc:intake:errors"
"""Hash: stream entry id → the last error a handler raised on it (cleared on acknowledgement)."""

Handler = Callable[[list[Item]], Sequence[str | None]]
"""Stores a batch; returns the stored id of each record, in order (None for a record that is no stored
report: those are not announced).

It must be idempotent on channel + external id and commit before returning; raising
:class:`store.errors.Unavailable` (or a connection error) means "try again later", any other exception
"this batch contains something I cannot store"."""


@dataclass(frozen=True)
class Settings:
    """How a worker reads, retries and gives up. The defaults suit production; tests shorten the times."""

    group: str = GROUP
    consumer: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    stream: str = STREAM
    dead_letters: str = DEAD_LETTERS
    batch_size: int = 200
    block_ms: int = 1000
    """Longest wait for new entries; also how quickly a stop request is noticed."""
    claim_idle_ms: int = 60_000
    """An entry pending this long with its consumer is taken over (the consumer is presumed dead)."""
    claim_every_s: float = 5.0
    max_deliveries: int = 5
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 10.0
    trim_every_s: float = 10.0
    keep_acked_s: float = 60.0
    forget_consumers_idle_s: float = 3600.0
    """Consumers with nothing pending and silent this long are removed from the group (restarts pile up)."""


@dataclass
class Stats:
    """What a worker did, for its log line and the tests.

    ``stored`` and ``quarantined`` count records in batches the handler committed — a redelivered record
    counts again, though the store kept it once.
    """

    stored: int = 0
    quarantined: int = 0
    batches: int = 0
    claimed: int = 0
    retries: int = 0
    failures: int = 0
    dead_lettered: int = 0


class Worker:
    """One consumer of the intake group. ``run()`` until ``stop`` is set.

    Examples
    --------
    >>> worker = Worker(connect(), handler=pipeline_handler(open_store()))   # doctest: +SKIP
    >>> worker.run(stop_event)                                                # doctest: +SKIP
    """

    def __init__(self, client: redis.Redis, handler: Handler, *, settings: Settings | None = None,
                 announcer: Announcer | None = None,
                 transient: Callable[[BaseException], bool] | None = None) -> None:
        self.client = client
        self.handler = handler
        self.settings = settings or Settings()
        self.announcer = announcer if announcer is not None else Announcer(client)
        self.is_transient = transient or is_transient
        self.stats = Stats()
        self.intake = Intake(client, stream=self.settings.stream)
        self._stop = threading.Event()
        self._claim_cursor = "0-0"
        self._next_claim = 0.0
        self._next_housekeeping = 0.0
        self._history_cursor: str | None = "0-0"  # re-read our own pending entries first
        self._group_ready = False

    @property
    def consumer(self) -> str:
        return self.settings.consumer

    # ------------------------------------------------------------------------------------------- the loop

    def run(self, stop: threading.Event | None = None, *, until_idle: bool = False) -> Stats:
        """Consume until ``stop`` is set (or, with ``until_idle``, until the group has nothing left)."""
        if stop is not None:
            self._stop = stop
        delay = self.settings.backoff_initial_s
        log.info("worker %s consuming %s as group %s", self.consumer, self.settings.stream, self.settings.group)
        while not self._stop.is_set():
            try:
                settled = self.step()
                delay = self.settings.backoff_initial_s
                if not settled and until_idle and self.group_drained():
                    break
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("Redis unreachable (%s); retrying in %.1f s", exc, delay)
                self._history_cursor = "0-0"  # whatever was in hand is pending: take it again first
                self._stop.wait(delay)
                delay = min(delay * 2, self.settings.backoff_max_s)
            except redis.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                self._group_ready = False  # Redis lost the group (restarted without persistence)
        self._leave()
        log.info("worker %s stopped: %s", self.consumer, self.stats)
        return self.stats

    def stop(self) -> None:
        """Ask ``run`` to return after the batch in hand."""
        self._stop.set()

    def step(self) -> int:
        """One batch: own pending entries first, then a dead consumer's, then new ones. Entries settled."""
        self._ensure_group()
        now = time.monotonic()
        if self._history_cursor is not None:
            batch = self._read_history()
            if batch:
                return self._settle(batch, self._delivery_counts([i for i, _ in batch]))
        if now >= self._next_claim:
            batch = self._claim()
            if batch:
                return self._settle(batch, self._delivery_counts([i for i, _ in batch]))
        if now >= self._next_housekeeping:
            self._housekeeping()
            self._next_housekeeping = now + self.settings.trim_every_s
        batch = self._read_new()
        return self._settle(batch, {}) if batch else 0

    def group_drained(self) -> bool:
        """Every entry appended so far delivered to the group and acknowledged."""
        s = self.settings
        last = parse_id(self.client.xinfo_stream(s.stream)["last-generated-id"])
        for group in self.client.xinfo_groups(s.stream):
            if _text(group["name"]) == s.group:
                return int(group["pending"]) == 0 and parse_id(group["last-delivered-id"]) >= last
        return False

    # ---------------------------------------------------------------------------------------- reading

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.client.xgroup_create(self.settings.stream, self.settings.group, id="0", mkstream=True)
            log.info("created consumer group %s on %s", self.settings.group, self.settings.stream)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def _read_new(self) -> list[tuple[Any, Any]]:
        s = self.settings
        found = self.client.xreadgroup(s.group, self.consumer, {s.stream: ">"}, count=s.batch_size,
                                       block=s.block_ms)
        return list(found[0][1]) if found else []

    def _read_history(self) -> list[tuple[Any, Any]]:
        """Our own pending entries after the cursor (a restart with the same name, a lost connection)."""
        s = self.settings
        found = self.client.xreadgroup(s.group, self.consumer, {s.stream: self._history_cursor},
                                       count=s.batch_size)
        entries = list(found[0][1]) if found else []
        self._history_cursor = _text(entries[-1][0]) if entries else None
        return entries

    def _claim(self) -> list[tuple[Any, Any]]:
        """Entries idle for ``claim_idle_ms`` with any consumer of the group, now ours."""
        s = self.settings
        reply = self.client.xautoclaim(s.stream, s.group, self.consumer, min_idle_time=s.claim_idle_ms,
                                       start_id=self._claim_cursor, count=s.batch_size)
        cursor, entries = _text(reply[0]), list(reply[1])
        for missing in reply[2] if len(reply) > 2 else ():
            log.error("entry %s was pending but is gone from %s (deleted by hand?): dropped from the group",
                      _text(missing), s.stream)
        self._claim_cursor = cursor
        if cursor == "0-0":  # scanned the whole pending list: rest until the next round
            self._next_claim = time.monotonic() + s.claim_every_s
        if entries:
            self.stats.claimed += len(entries)
            log.warning("took over %d entries idle for %d ms or more (a worker died?)", len(entries),
                        s.claim_idle_ms)
        return entries

    def _delivery_counts(self, ids: list[Any]) -> dict[str, int]:
        s = self.settings
        pipe = self.client.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xpending_range(s.stream, s.group, min=entry_id, max=entry_id, count=1)
        counts = {}
        for entry_id, rows in zip(ids, pipe.execute(), strict=True):
            counts[_text(entry_id)] = int(rows[0]["times_delivered"]) if rows else 1
        return counts

    # --------------------------------------------------------------------------------------- settling

    def _settle(self, raw: list[tuple[Any, Any]], deliveries: dict[str, int]) -> int:
        """Decode, give up on what was tried too often, handle the rest. Returns the entries looked at."""
        s = self.settings
        entries: list[Entry] = []
        for raw_id, fields in raw:
            entry_id = _text(raw_id)
            if not fields:  # pending, but deleted from the stream: nothing left to store
                log.error("entry %s is pending but no longer in %s: acknowledged as lost", entry_id, s.stream)
                self.client.xack(s.stream, s.group, entry_id)
                continue
            tries = deliveries.get(entry_id, 1)
            if tries > s.max_deliveries:
                last = _text(self.client.hget(ERRORS, entry_id) or b"no error recorded: the worker died on it?")
                self._dead_letter(entry_id, fields, f"delivered {tries} times without being stored; last error: "
                                  f"{last}", tries)
                continue
            try:
                entries.append(decode(entry_id, fields))
            except ValueError as exc:
                self._dead_letter(entry_id, fields, f"undecodable: {exc}", tries)
        if entries:
            self._handle(entries, deliveries)
        return len(raw)

    def _handle(self, entries: list[Entry], deliveries: dict[str, int]) -> None:
        delay = self.settings.backoff_initial_s
        while True:
            try:
                stored = self.handler([entry.item for entry in entries])
            except Exception as exc:  # noqa: BLE001 - the handler's errors are sorted below, none escapes
                if self.is_transient(exc):
                    self.stats.retries += 1
                    log.warning("store unavailable (%s): %d entries wait; retrying in %.1f s",
                                _describe(exc), len(entries), delay)
                    self._keep_claim(entries)
                    if self._stop.wait(delay):
                        return  # shutting down: the entries stay pending for the next worker
                    delay = min(delay * 2, self.settings.backoff_max_s)
                    continue
                if len(entries) == 1:
                    self._failed(entries[0], exc, deliveries.get(entries[0].id, 1))
                    return
                half = len(entries) // 2
                self._handle(entries[:half], deliveries)
                self._handle(entries[half:], deliveries)
                return
            self._commit(entries, stored)
            return

    def _commit(self, entries: list[Entry], stored: Sequence[str | None]) -> None:
        """Announce what was stored, then acknowledge: a crash in between re-stores and re-announces."""
        events = []
        if len(stored) == len(entries):
            for entry, stored_id in zip(entries, stored, strict=True):
                if stored_id is not None and isinstance(entry.item, Report):
                    events.append(report_event(entry.item, str(stored_id), stream_id=entry.id,
                                               appended_at=entry.appended_at))
        else:
            log.warning("handler returned %d ids for %d records: announcing ids without details",
                        len(stored), len(entries))
            events = [{"id": str(stored_id)} for stored_id in stored if stored_id is not None]
        self.announcer.announce(events)
        ids = [entry.id for entry in entries]
        pipe = self.client.pipeline(transaction=True)
        pipe.xack(self.settings.stream, self.settings.group, *ids)
        pipe.hdel(ERRORS, *ids)
        pipe.execute()
        self.stats.batches += 1
        reports = sum(isinstance(entry.item, Report) for entry in entries)
        self.stats.stored += reports
        self.stats.quarantined += len(entries) - reports

    def _failed(self, entry: Entry, exc: BaseException, tries: int) -> None:
        reason = _describe(exc)
        self.stats.failures += 1
        if tries >= self.settings.max_deliveries:
            fields = self.client.xrange(self.settings.stream, entry.id, entry.id)
            self._dead_letter(entry.id, fields[0][1] if fields else {}, f"refused {tries} times: {reason}", tries)
            return
        log.warning("entry %s refused (try %d of %d): %s", entry.id, tries, self.settings.max_deliveries, reason)
        self.client.hset(ERRORS, entry.id, reason)

    def _dead_letter(self, entry_id: str, fields: dict[Any, Any], reason: str, tries: int) -> None:
        """Move an entry to the dead-letter stream and acknowledge it, atomically."""
        s = self.settings
        letter = {**{_text(k): v for k, v in fields.items()}, "reason": reason, "entry_id": entry_id,
                  "deliveries": tries, "consumer": self.consumer, "dead_at": datetime.now(UTC).isoformat()}
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(s.dead_letters, letter)
        pipe.xack(s.stream, s.group, entry_id)
        pipe.hdel(ERRORS, entry_id)
        pipe.execute()
        self.stats.dead_lettered += 1
        log.error("entry %s moved to %s: %s", entry_id, s.dead_letters, reason)

    def _keep_claim(self, entries: list[Entry]) -> None:
        """Reset the idle time of entries in hand (no delivery counted) so no other worker takes them."""
        try:
            self.client.xclaim(self.settings.stream, self.settings.group, self.consumer, 0,
                               [entry.id for entry in entries], justid=True)
        except redis.RedisError as exc:
            log.debug("could not refresh the claim: %s", exc)

    # ----------------------------------------------------------------------------------- housekeeping

    def _housekeeping(self) -> None:
        removed = self.intake.trim(keep_acked_seconds=self.settings.keep_acked_s)
        if removed:
            log.debug("trimmed %d acknowledged entries", removed)
        limit_ms = self.settings.forget_consumers_idle_s * 1000
        for consumer in self.client.xinfo_consumers(self.settings.stream, self.settings.group):
            name = _text(consumer["name"])
            if name != self.consumer and not int(consumer["pending"]) and int(consumer["idle"]) > limit_ms:
                self.client.xgroup_delconsumer(self.settings.stream, self.settings.group, name)

    def _leave(self) -> None:
        """On a clean stop, leave the group if nothing is pending with us (keeps XINFO readable)."""
        try:
            mine = self.client.xpending_range(self.settings.stream, self.settings.group, min="-", max="+",
                                              count=1, consumername=self.consumer)
            if not mine:
                self.client.xgroup_delconsumer(self.settings.stream, self.settings.group, self.consumer)
        except redis.RedisError as exc:
            log.debug("could not leave the group: %s", exc)


def is_transient(exc: BaseException) -> bool:
    """Whether an error means "the store (or Redis) is unavailable now", as opposed to "this record is bad".

    Looks through the exception's causes: the store wraps driver errors in :class:`store.errors.Unavailable`,
    a pipeline may let SQLAlchemy's ``OperationalError`` (server gone, database locked) through.
    """
    from store.errors import Unavailable

    kinds: list[type[BaseException]] = [Unavailable, ConnectionError, TimeoutError, redis.ConnectionError,
                                        redis.TimeoutError]
    try:
        from sqlalchemy import exc as sa_exc

        kinds += [sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError]
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency of the store
        pass
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, tuple(kinds)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# ------------------------------------------------------------------------------------------ command line


def add_worker(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``worker`` on the ``python -m ingest`` command line."""
    parser = subparsers.add_parser(
        "worker", help="consume the live intake stream: store, announce, acknowledge (run several)",
        description="Consume the Redis intake stream through the consumer group 'ingest': locate, "
                    "de-duplicate and store each report, announce it to the dashboards, then acknowledge. "
                    "The store is migrated (and seeded when empty) first. SIGTERM or Ctrl-C finishes the "
                    "batch in hand and exits.")
    parser.add_argument("--database-url", help="store URL (default: DATABASE_URL, else the embedded SQLite)")
    parser.add_argument("--jurisdiction", type=Path, default=None, metavar="DIR",
                        help="seed an empty store from DIR first (default data/demo, generated if missing)")
    parser.add_argument("--redis-url", help="Redis URL (default: REDIS_URL, else an embedded server)")
    parser.add_argument("--consumer", help="consumer name (default: HOST-PID); reuse it to resume its entries")
    parser.add_argument("--batch", type=int, default=Settings.batch_size, help="entries per batch")
    parser.add_argument("--claim-idle", type=float, default=Settings.claim_idle_ms / 1000, metavar="SECONDS",
                        help="take over entries another worker has held this long (default 60)")
    parser.add_argument("--max-deliveries", type=int, default=Settings.max_deliveries,
                        help="tries before an entry goes to the dead-letter stream (default 5)")
    parser.add_argument("--until-idle", action="store_true", help="exit once the stream is drained")
    parser.add_argument("--dead-letters", action="store_true",
                        help="list the dead-letter stream (entry, reason, deliveries) as JSON lines and exit")
    parser.add_argument("--requeue", metavar="DEAD_ID", action="append",
                        help="send a dead letter through the stream again (after fixing the cause) and exit")
    parser.set_defaults(run=run_worker)
    return parser


def run_worker(args: argparse.Namespace) -> int:
    """``python -m ingest worker``: the real pipeline into the store, until SIGTERM/SIGINT."""
    from live.connection import connect
    from store.ready import open_ready_store

    if args.dead_letters or args.requeue:
        intake = Intake(connect(args.redis_url))
        for dead_id in args.requeue or ():
            try:
                print(f"{dead_id} → {intake.requeue(dead_id)}")
            except KeyError as exc:
                raise ValueError(exc.args[0]) from None
        if args.dead_letters:
            for letter in intake.dead_letters(count=1000):
                print(json.dumps(letter, ensure_ascii=False))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = open_ready_store(args.database_url, *([args.jurisdiction] if args.jurisdiction else []))
    overrides: dict[str, Any] = {"batch_size": args.batch, "claim_idle_ms": int(args.claim_idle * 1000),
                                 "max_deliveries": args.max_deliveries}
    if args.consumer:
        overrides["consumer"] = args.consumer
    worker = Worker(connect(args.redis_url), pipeline_handler(store), settings=Settings(**overrides))
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("%s: finishing the batch in hand, then stopping", signal.Signals(signum).name)
        stop.set()
        signal.signal(signum, signal.SIG_DFL)  # a second signal is not caught

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stats = worker.run(stop, until_idle=args.until_idle)
    print(f"stored {stats.stored}, quarantined {stats.quarantined}, dead-lettered {stats.dead_lettered}, "
          f"retries {stats.retries}")
    return 0


def pipeline_handler(store: Any) -> Handler:
    """The ingest pipeline (locate, de-duplicate, store; :class:`ingest.pipeline.Pipeline`) as a handler.

    The pipeline is built here, before the first batch (its jurisdiction index and geocoder take a few
    seconds), and kept: it also remembers the open cases between batches. Ids come back as the pipeline
    gives them (``report/<id>``); a record that ended in the quarantine (``quarantine/<id>``) gets None, so
    that only stored reports are announced.
    """
    from ingest.pipeline import Pipeline  # imported here: live/ stays importable without the geo stack

    pipeline = Pipeline.from_store(store)

    def handle(items: list[Item]) -> Sequence[str | None]:
        ids = pipeline.submit(items).ids
        return [i if i.startswith("report/") else None for i in ids]

    return handle
