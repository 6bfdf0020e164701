"""KPIs for every township over 30 days with 1,000,000 cases in PostGIS, beside a bare count(*) of the table.

    python bench/kpis.py [--cases 1000000] [--spread-days 30] [--runs 5] [--folder data/demo] [--postgis-url URL]
                         [--keep] [--database-url URL]

A throw-away database is created, migrated and seeded with the demo city (for the townships, communities,
items and teams the rows refer to). Then, straight through ``COPY`` (not through the case service — a
million cases would take hours that way), it is filled with:

- ``--cases`` case rows opened over the last ``--spread-days`` days (default 30: every case falls in the
  KPI window — the worst case; 365: a year of history of which the window holds a twelfth), in
  chronological order as they would have been inserted, their cached columns as the case service writes
  them: step times drawn step after step (some cases stop early, some are rejected, transferred,
  re-dispatched, reworked, extended, late), so every KPI has work to do;
- one report per case plus 8 % duplicates;
- the officers' events (arrive, feedback) the activity rate looks at.

After ``VACUUM ANALYZE``, it times :func:`store.kpis.kpis` for all townships over those 30 days (every KPI,
step-time medians and p90 included) and, as the bound, a plain ``SELECT count(*) FROM cases`` — one scan of
the same table. Printed: median (and min/max) of ``--runs`` runs of each. Target: median ≤ 1 s.

``--keep`` leaves the filled database in place (its URL is printed) for EXPLAIN ANALYZE;
``--database-url`` times such a kept database again without building it (drop it yourself when done).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scratch import DEFAULT_POSTGIS_URL, demo_city, scratch_database  # noqa: E402
from store import open_store  # noqa: E402
from store.kpis import kpis  # noqa: E402

START = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 2026-10-01 00:00 in Shanghai
DAYS = 30
CHANNELS = np.array(["12345", "12319", "grid", "patrol", "110"])
CHANNEL_SHARE = np.array([0.34, 0.26, 0.20, 0.12, 0.08])
DEPARTMENTS = np.array(["市场监管", "自然资源", "公安", "应急管理"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--spread-days", type=float, default=DAYS,
                        help="the cases are opened over this many days up to the end of the 30-day window")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=350212)
    parser.add_argument("--folder", type=Path, help="a jurisdiction folder (default: generate the demo city)")
    parser.add_argument("--postgis-url", default=DEFAULT_POSTGIS_URL,
                        help="a PostgreSQL server where a throw-away database may be created")
    parser.add_argument("--keep", action="store_true", help="leave the filled database in place (URL printed)")
    parser.add_argument("--database-url", help="time a database kept by --keep again, without building one")
    args = parser.parse_args()

    if args.database_url:
        store = open_store(args.database_url)
        store.upgrade()  # a kept database gets the revisions added since it was built
        _measure(store, args.database_url, args.runs)
        store.close()
        return
    with _database(args.postgis_url, args.keep) as url, demo_city(args.folder) as folder:
        store = open_store(url)
        store.upgrade()
        store.seed_jurisdiction(folder)
        started = time.perf_counter()
        rows = _fill(store, url, args.cases, args.spread_days, np.random.default_rng(args.seed))
        print(f"filled by COPY in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{table} {n:,}" for table, n in rows.items()), flush=True)
        _measure(store, url, args.runs)
        store.close()
        if args.keep:
            print(f"kept: {url}")


@contextmanager
def _database(server_url: str, keep: bool) -> Iterator[str]:
    """A throw-away database, or with ``keep`` a new one left in place afterwards."""
    if not keep:
        with scratch_database(server_url) as url:
            yield url
        return
    name = f"cc_bench_kpis_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    admin.dispose()
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("create extension if not exists postgis")
    engine.dispose()
    yield url


# ------------------------------------------------------------------------------------------------ rows


def _fill(store, url: str, n: int, spread_days: float,  # noqa: ANN001 - store.Store
          rng: np.random.Generator) -> dict[str, int]:
    townships = store.townships()["code"].to_numpy()
    communities = store.communities()[["code", "township_code"]]
    teams = store.teams()
    subs = teams[teams["kind"] == "sub_squad"][["code", "township_code"]]
    officers = store.officers()[["code", "team_code"]]
    with store.transaction() as conn:
        items = pd.DataFrame(conn.execute(sa.text("select code, default_priority from items order by code")).all(),
                             columns=["code", "priority"])
    cases = _cases(n, spread_days, rng, townships, communities, subs, items)
    events = _officer_events(cases, officers, rng)
    reports = _reports(cases, rng)
    conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for table, frame in (("cases", cases), ("reports", reports), ("case_events", events)):
            _copy(connection, table, frame)
        connection.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))")
        connection.execute("VACUUM ANALYZE cases")
        connection.execute("VACUUM ANALYZE reports")
        connection.execute("VACUUM ANALYZE case_events")
    return {"cases": len(cases), "reports": len(reports), "case_events": len(events)}


def _pick(groups: pd.DataFrame, key: str, wanted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each value of ``wanted`` (a township), a random ``code`` among the rows of ``groups`` with it."""
    result = np.empty(len(wanted), dtype=object)
    for value, codes in groups.groupby(key)["code"]:
        mask = wanted == value
        result[mask] = rng.choice(codes.to_numpy(), size=int(mask.sum()))
    return result


def _cases(n: int, spread_days: float, rng: np.random.Generator, townships: np.ndarray,
           communities: pd.DataFrame, subs: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Case rows as the case service caches them, drawn step after step; a step after the end is not reached."""
    end = START + timedelta(days=DAYS)
    township = rng.choice(townships, size=n)
    item_index = rng.integers(len(items), size=n)
    opened = end - pd.to_timedelta(np.sort(rng.uniform(0, spread_days * 86400, size=n))[::-1], unit="s")

    def after(previous: pd.Series, mean_hours: float, reached: np.ndarray) -> pd.Series:
        at = previous + pd.to_timedelta(rng.exponential(mean_hours * 3600, size=n), unit="s")
        return at.where(reached & (at < end))

    opened = pd.Series(opened)
    rejected = rng.random(n) < 0.05
    decided = after(opened, 0.6, np.ones(n, bool))
    accepted_at = decided.where(~rejected)
    rejected_at = decided.where(rejected)
    transferred = rng.random(n) < 0.1
    transferred_at = after(accepted_at, 0.6, accepted_at.notna().to_numpy() & transferred)
    dispatched_at = after(accepted_at, 0.6, accepted_at.notna().to_numpy() & ~transferred)
    arrived_at = after(dispatched_at, 4, dispatched_at.notna().to_numpy() & (rng.random(n) < 0.97))
    handled_at = pd.concat([after(arrived_at, 10, arrived_at.notna().to_numpy() & (rng.random(n) < 0.95)),
                            after(transferred_at, 30, transferred_at.notna().to_numpy())], axis=1).min(axis=1)
    verified_at = after(handled_at, 5, handled_at.notna().to_numpy() & (rng.random(n) < 0.95))
    closed_at = after(verified_at, 1, verified_at.notna().to_numpy())
    archived_at = after(closed_at, 40, closed_at.notna().to_numpy())
    status = np.select(
        [archived_at.notna(), closed_at.notna(), verified_at.notna(), handled_at.notna(), arrived_at.notna(),
         dispatched_at.notna(), transferred_at.notna(), accepted_at.notna(), rejected_at.notna()],
        ["archived", "closed", "verified", "handled", "in_progress", "dispatched", "transferred", "accepted",
         "rejected"], default="reported")
    is_open = ~np.isin(status, ["archived", "closed", "rejected"])
    updated_at = pd.concat([opened, decided, transferred_at, dispatched_at, arrived_at, handled_at, verified_at,
                            closed_at, archived_at], axis=1).max(axis=1)
    late = rng.random(n) < 0.12
    extended = accepted_at.notna().to_numpy() & (rng.random(n) < 0.05)
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "code": [f"B{i:07d}" for i in range(1, n + 1)], "status": status,
        "item_code": items["code"].to_numpy()[item_index], "priority": items["priority"].to_numpy()[item_index],
        "township_code": township, "community_code": _pick(communities, "township_code", township, rng),
        "opened_at": opened,
        "deadline_at": (updated_at + pd.to_timedelta(rng.uniform(-12, 36, size=n), unit="h")).where(is_open),
        "closed_at": closed_at,
        "current_team_code": pd.Series(_pick(subs, "township_code", township, rng)).where(dispatched_at.notna()),
        "supervised": late & is_open, "suspended": rng.random(n) < 0.003, "version": 1,
        "channel": rng.choice(CHANNELS, size=n, p=CHANNEL_SHARE),
        "department": pd.Series(rng.choice(DEPARTMENTS, size=n)).where(transferred_at.notna()),
        "updated_at": updated_at, "supervision_level": (late & is_open).astype(int),
        "rework_count": (handled_at.notna().to_numpy() & (rng.random(n) < 0.08)).astype(int),
        "redispatch_count": (dispatched_at.notna().to_numpy() & (rng.random(n) < 0.05)).astype(int),
        "transfer_count": transferred_at.notna().astype(int), "extension": np.where(extended, "approved", "none"),
        "extension_count": extended.astype(int), "extended_hours": np.where(extended, 24.0, 0.0),
        "accepted_at": accepted_at, "rejected_at": rejected_at, "dispatched_at": dispatched_at,
        "transferred_at": transferred_at, "arrived_at": arrived_at, "handled_at": handled_at,
        "verified_at": verified_at, "archived_at": archived_at, "late": late,
        "handled_late": pd.Series(late | (rng.random(n) < 0.05)).where(handled_at.notna()),
    })
    frame["version"] = 1 + frame[["accepted_at", "rejected_at", "dispatched_at", "transferred_at", "arrived_at",
                                  "handled_at", "verified_at", "closed_at", "archived_at"]].notna().sum(axis=1)
    return frame


def _officer_events(cases: pd.DataFrame, officers: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Arrive and feedback events by an officer of the case's team (nine in ten officers ever act)."""
    active = officers[rng.random(len(officers)) < 0.9]
    frames = []
    for seq, (action, column, before, after) in enumerate(
            [("arrive", "arrived_at", "dispatched", "in_progress"), ("feedback", "handled_at", "in_progress",
                                                                      "handled")], start=4):
        rows = cases[cases[column].notna() & cases["current_team_code"].notna()]
        actor = _pick(active.rename(columns={"team_code": "team"}), "team", rows["current_team_code"].to_numpy(), rng)
        frames.append(pd.DataFrame({"case_id": rows["id"].to_numpy(), "seq": seq, "at": rows[column].to_numpy(),
                                    "actor": actor, "role": "officer", "action": action, "from_status": before,
                                    "to_status": after}))
    return pd.concat(frames, ignore_index=True)


def _reports(cases: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    duplicates = cases.sample(frac=0.08, random_state=int(rng.integers(1 << 31)))
    both = pd.concat([cases, duplicates], ignore_index=True)
    received = both["opened_at"] + pd.to_timedelta(np.r_[np.zeros(len(cases)),
                                                         rng.uniform(0, 86400, len(duplicates))], unit="s")
    return pd.DataFrame({"channel": both["channel"], "external_id": [f"BR{i:08d}" for i in range(len(both))],
                         "received_at": received, "item_code": both["item_code"], "priority": both["priority"],
                         "township_code": both["township_code"], "community_code": both["community_code"],
                         "case_id": both["id"]})


def _copy(connection: psycopg.Connection, table: str, frame: pd.DataFrame, chunk: int = 200_000) -> None:
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with connection.cursor() as cursor, cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
        for begin in range(0, len(frame), chunk):
            buffer = io.StringIO()
            frame.iloc[begin:begin + chunk].to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N",
                                                   date_format="%Y-%m-%d %H:%M:%S.%f+00")
            copy.write(buffer.getvalue().replace("\tTrue", "\tt").replace("\tFalse", "\tf"))


# ----------------------------------------------------------------------------------------------- timing


def _measure(store, url: str, runs: int) -> None:  # noqa: ANN001 - store.Store
    end = START + timedelta(days=DAYS)
    frame = kpis(store, "township", START, end)  # warm the caches once, as a dashboard would have
    print(f"{len(frame)} townships × {len(frame.columns)} KPI columns; cases in the window: "
          f"{int(frame['cases_opened'].sum()):,}")
    with pd.option_context("display.width", 200, "display.max_columns", 12, "display.float_format", "{:.3f}".format):
        print(frame[["cases_opened", "acceptance_rate", "on_time_closure_rate", "rework_rate",
                     "time_to_handle_median_h", "time_to_handle_p90_h", "officer_activity_rate"]].to_string())
    conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        bound = _repeat(runs, lambda: connection.execute("SELECT count(*) FROM cases").fetchone())
    by_township = _repeat(runs, lambda: kpis(store, "township", START, end))
    by_day = _repeat(runs, lambda: kpis(store, "day", START, end))
    print(f"\nmedian of {runs} runs, seconds {'':<32} {'median':>8} {'min':>8} {'max':>8}")
    _line("kpis(by='township', 30 days): all KPIs", by_township)
    _line("kpis(by='day', 30 days): all KPIs", by_day)
    _line("bound: SELECT count(*) FROM cases", bound)
    print(f"target: median <= 1 s -> {'met' if statistics.median(by_township) <= 1 else 'NOT met'}")


def _repeat(runs: int, action: Callable[[], object]) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return timings


def _line(label: str, seconds: list[float]) -> None:
    print(f"{label:<56} {statistics.median(seconds):>8.3f} {min(seconds):>8.3f} {max(seconds):>8.3f}", flush=True)




if __name__ == "__main__":
    main()
