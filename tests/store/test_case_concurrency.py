"""Operators acting on one case at the same moment: exactly one step is stored, the others get a Conflict.

Real threads, each with its own store (its own engine and connection pool, as two server processes would
have), on SQLite and on PostGIS.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cases import Actor, Role, TransitionRefused
from store import Conflict, open_store
from store.casework import CaseService

DATONG = "350212001"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ROUNDS, OPERATORS = 8, 4


def _services(url: str, tiny_dir: Path, n: int) -> list[CaseService]:
    first = open_store(url)
    first.upgrade()
    first.seed_jurisdiction(tiny_dir)
    return [CaseService(first)] + [CaseService(open_store(url)) for _ in range(n - 1)]


def _operator(n: int) -> Actor:
    return Actor(f"op-{n}", Role.OPERATOR, township_code=DATONG)


def _open(service: CaseService, code: str) -> int:
    payload = {"case_code": code, "township_code": DATONG, "priority": 3, "item_code": "CG001"}
    return service.open_case(_operator(0), payload, T0).case_id


def test_operators_at_the_same_moment_make_one_step(database_url: str, tiny_dir: Path) -> None:
    services = _services(database_url, tiny_dir, OPERATORS)
    start = threading.Barrier(OPERATORS)

    def take(n: int, case_id: int, version: int) -> str:
        start.wait()
        try:
            services[n].act(case_id, "supervise", Actor(f"sup-{n}", Role.SUPERVISOR), {"level": 1},
                            T0 + timedelta(minutes=1), expected_version=version)
        except Conflict as exc:
            return str(exc)
        return "stored"

    with ThreadPoolExecutor(OPERATORS) as pool:
        for round_ in range(ROUNDS):
            case_id = _open(services[0], f"AJ-{round_}")
            outcomes = list(pool.map(take, range(OPERATORS), [case_id] * OPERATORS, [1] * OPERATORS))
            assert outcomes.count("stored") == 1, outcomes
            trail = services[0].history(case_id)
            assert [e.seq for e in trail] == [1, 2]
            winner = trail[-1].actor
            for message in (o for o in outcomes if o != "stored"):
                assert f"changed by {winner} at 2026-03-02 09:01:00" in message and message.endswith("reload")
    assert services[0].audit() == {}


@pytest.mark.postgis
def test_a_step_read_before_another_commits_is_refused_on_postgis(postgis_url: str, tiny_dir: Path) -> None:
    """No expected version given: A reads version 1, B commits version 2, A's guarded UPDATE finds no row."""
    a, b = _services(postgis_url, tiny_dir, 2)
    case_id = _open(a, "AJ-race")
    b_committed, a_waiting = threading.Event(), threading.Event()

    def pause_before_update(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.startswith("UPDATE cases") and not a_waiting.is_set():
            a_waiting.set()
            assert b_committed.wait(timeout=30), "B never committed"

    sa.event.listen(a.store.engine, "before_cursor_execute", pause_before_update)
    with ThreadPoolExecutor(1) as pool:
        racing = pool.submit(a.act, case_id, "reject", _operator(1), {"reject_reason": "duplicate"},
                             T0 + timedelta(minutes=2))
        assert a_waiting.wait(timeout=30)
        b.act(case_id, "accept", _operator(2), b.acceptance(b.state(case_id)), T0 + timedelta(minutes=1))
        b_committed.set()
        with pytest.raises(Conflict, match=r"changed by op-2 at 2026-03-02 09:01:00 \(accept, version 2; "
                                           r"you saw version 1\), reload"):
            racing.result(timeout=30)
    assert [e.action.value for e in a.history(case_id)] == ["report", "accept"]
    assert a.state(case_id).status.value == "accepted"  # A's cache was refreshed from the trail, not its own step


def test_sqlite_writers_queue_and_the_second_sees_the_first(sqlite_url: str, tiny_dir: Path) -> None:
    """SQLite takes the write lock at BEGIN: the second writer waits, then reads the first one's step."""
    a, b = _services(sqlite_url, tiny_dir, 2)
    case_id = _open(a, "AJ-queue")
    a_inside, release = threading.Event(), threading.Event()

    def hold_before_update(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.startswith("UPDATE cases") and not a_inside.is_set():
            a_inside.set()
            release.wait(timeout=30)

    sa.event.listen(a.store.engine, "before_cursor_execute", hold_before_update)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(a.act, case_id, "accept", _operator(1), a.acceptance(a.state(case_id)),
                            T0 + timedelta(minutes=1))
        assert a_inside.wait(timeout=30)
        second = pool.submit(b.act, case_id, "reject", _operator(2), {"reject_reason": "duplicate"},
                             T0 + timedelta(minutes=2))
        release.set()
        assert first.result(timeout=30).version == 2
        with pytest.raises(TransitionRefused, match="cannot reject a case that is accepted"):
            second.result(timeout=30)  # it waited, then judged the fresh state (not a stale one)
