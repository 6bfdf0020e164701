"""How long one case transition takes to commit on PostGIS, beside a bare INSERT+UPDATE round trip.

    python bench/case_transitions.py [--cases 450] [--folder data/demo] [--postgis-url URL]

A throw-away database is created, migrated and seeded with the demo city (generated into a temporary
folder unless ``--folder`` is given). ``--cases`` cases are opened, then taken round the loop step by step
(accept → dispatch → arrive → feedback → verify → close: six transitions each, ≥ 2,000 in all), one step for
every case before the next, each through :meth:`store.casework.CaseService.act` with its expected version:
load the state, ``apply`` the rules, UPDATE the row guarded by its version, INSERT the audit event,
COMMIT. Printed, per transition (milliseconds, p50 / p99 / max):

- ``act (warm)``: the service as a running server has it, states cached in memory (three cases in four);
- ``act (cold)``: a fresh service for every step, each state replayed from the stored trail first (the
  fourth case: as when another process moved it last);
- the bound: a bare psycopg round trip on a single row — INSERT one event, UPDATE one case row, COMMIT —
  the floor a transition with its audit event cannot go below on this server.

Target: p99 ≤ 20 ms for a warm transition.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scratch import DEFAULT_POSTGIS_URL, demo_city, scratch_database  # noqa: E402
from cases import Actor, Role  # noqa: E402
from store import open_store  # noqa: E402
from store.casework import CaseService  # noqa: E402

T0 = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)
EVIDENCE = ["https://evidence.invalid/bench.jpg"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=450, help="cases taken round the loop (6 steps each)")
    parser.add_argument("--folder", type=Path, help="a jurisdiction folder (default: generate the demo city)")
    parser.add_argument("--postgis-url", default=DEFAULT_POSTGIS_URL,
                        help="a PostgreSQL server where a throw-away database may be created")
    args = parser.parse_args()

    with scratch_database(args.postgis_url) as url, demo_city(args.folder) as folder:
        store = open_store(url)
        store.upgrade()
        store.seed_jurisdiction(folder)
        _run(store, url, args.cases)
        store.close()


def _run(store, url: str, cases: int) -> None:  # noqa: ANN001 - a store.Store
    teams = store.teams()
    team = teams[(teams["kind"] == "sub_squad")].iloc[0]
    township = team["township_code"]
    officer = store.officers(team["code"])["code"].iloc[0]
    with store.transaction() as conn:
        item = conn.execute(sa.text("select item_code from item_authority where township_code = :t and "
                                    "authority <> '部门' order by item_code limit 1"), {"t": township}).scalar()
    operator = Actor("op-bench", Role.OPERATOR, township_code=township)
    field = Actor(officer, Role.OFFICER, township_code=township, teams={team["code"]})
    service = CaseService(store)
    opened = [service.open_case(operator, {"case_code": f"BENCH-{n:05d}", "township_code": township, "priority": 3,
                                           "item_code": item}, T0) for n in range(cases)]
    versions = {step.case_id: step.version for step in opened}
    states = {step.case_id: step.state for step in opened}
    plan = [("accept", operator, None), ("dispatch", operator, {"team_code": team["code"]}), ("arrive", field, {}),
            ("feedback", field, {"note": "已处置", "evidence": EVIDENCE}), ("verify", operator, {}),
            ("close", operator, {})]
    warm: list[float] = []
    cold: list[float] = []
    for n, (action, actor, payload) in enumerate(plan, start=1):
        at = T0 + timedelta(minutes=10 * n)
        for case_id in versions:
            if action == "accept":
                payload = service.acceptance(states[case_id])
            cold_case = case_id % 4 == 0  # a quarter of the cases always through a fresh service: no cache
            worker = CaseService(store, policy=service.policy) if cold_case else service
            started = time.perf_counter()
            step = worker.act(case_id, action, actor, payload, at, expected_version=versions[case_id])
            (cold if cold_case else warm).append(time.perf_counter() - started)
            versions[case_id] = step.version
    bare = _bare_round_trips(url, list(versions), len(warm) + len(cold))
    print(f"PostGIS {store.engine.dialect.server_version_info}, {cases} cases, "
          f"{len(warm) + len(cold)} transitions (each with its audit event), {len(bare)} bare round trips")
    print(f"{'per transition, ms':<52} {'p50':>7} {'p99':>7} {'max':>7} {'n':>6}")
    _line("CaseService.act, warm (state cached)", warm)
    _line("CaseService.act, cold (state replayed from trail)", cold)
    _line("CaseService.act, all", warm + cold)
    _line("bound: bare INSERT event + UPDATE row + COMMIT", bare)
    print(f"target: p99 <= 20 ms warm -> {'met' if _pct(warm, 99) <= 20 else 'NOT met'}")
    with store.transaction() as conn:
        events = conn.execute(sa.text("select count(*) from case_events")).scalar()
    print(f"case_events now holds {events} rows")


def _bare_round_trips(url: str, case_ids: list[int], count: int) -> list[float]:
    """INSERT one event row and UPDATE one case row, then COMMIT — psycopg directly, same tables, same indexes
    and triggers; the row's version goes up, the event gets a fresh seq."""
    conninfo = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    timings = []
    with psycopg.connect(conninfo) as connection:
        for n in range(count):
            case_id = case_ids[n % len(case_ids)]
            started = time.perf_counter()
            with connection.transaction():
                connection.execute(
                    "INSERT INTO case_events (case_id, seq, at, actor, action, to_status) "
                    "VALUES (%s, %s, now(), 'bench', 'bare', 'closed')", (case_id, 1000 + n))
                connection.execute("UPDATE cases SET version = version + 1 WHERE id = %s", (case_id,))
            timings.append(time.perf_counter() - started)
    return timings


def _pct(seconds: list[float], q: float) -> float:
    return statistics.quantiles([s * 1000 for s in seconds], n=100, method="inclusive")[int(q) - 1]


def _line(label: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(f"{label:<52} {statistics.median(ms):>7.2f} {_pct(seconds, 99):>7.2f} {max(ms):>7.2f} {len(ms):>6}")





if __name__ == "__main__":
    main()
