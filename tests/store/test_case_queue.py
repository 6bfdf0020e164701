"""The case queue's queries on a simulated day, on SQLite and PostGIS: every filter, sort and block checked
against the cases read one by one and their lights computed by :func:`cases.deadlines.light`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from cases.calendar import SHANGHAI
from cases.deadlines import light
from cases.permissions import Actor
from cases.states import Role
from sim import Settings, simulate
from store import InvalidData, NotFound, open_store
from store.case_queue import (
    DEFAULT_SORT,
    LIGHTS,
    OPEN,
    QueueQuery,
    case_reports,
    case_summary,
    names,
    product_policy,
    queue_block,
    queue_count,
    township_options,
)
from store.casework import CaseService
from store.models import Case, Report

DATONG, TINGXI = "350212001", "350212109"
SETTINGS = Settings(start=datetime(2026, 10, 12, tzinfo=SHANGHAI), days=1, per_day=90, seed=5,
                    townships=(DATONG, TINGXI))
NOW = SETTINGS.end + timedelta(hours=12)
"""Half a day after the last step: the day's open cases show every light."""


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def day_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store URL of its own for this module's simulated day (a throw-away PostGIS database, or a SQLite file)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('queue') / 'store.sqlite'}"
        return
    server = request.getfixturevalue("postgis_server_url")
    admin = sa.create_engine(sa.engine.make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"cc_queue_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'create database "{name}"')
    url = sa.engine.make_url(server).set(database=name)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("create extension if not exists postgis")
    engine.dispose()
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
    admin.dispose()


@pytest.fixture(scope="module")
def day(day_url: str, demo_dir: Path) -> Iterator[tuple]:
    """A store with a simulated day in two townships, and every case's row and light as of :data:`NOW`.
    Shared by the module's reading tests; tests that write use :func:`seeded`."""
    store = open_store(day_url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    service = CaseService(store)
    simulate(store, SETTINGS, service=service)
    with store.transaction() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(Case.__table__).order_by(Case.id)).mappings()]
    for row in rows:
        value = light(service.state(row["id"]), NOW, product_policy())
        row["light"] = value.value if value is not None else "none"
    yield store, service, rows
    store.close()


@pytest.fixture
def seeded(database_url: str, demo_dir: Path) -> Iterator[tuple]:
    """A store with the demo city and no case yet, and its case service."""
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    yield store, CaseService(store)
    store.close()


def expected(rows: list[dict], keep=lambda row: row["status"] in OPEN, sort=DEFAULT_SORT) -> list[str]:
    """Codes of the rows ``keep`` selects, in the queue's order: each key nulls last, then id descending."""
    chosen = [row for row in rows if keep(row)]
    chosen.sort(key=lambda row: -row["id"])
    for key, descending in reversed(sort):
        column = {"township": "township_code", "item": "item_code", "team": "current_team_code"}.get(key, key)
        present = sorted((r for r in chosen if r[column] is not None), key=lambda r: r[column], reverse=descending)
        chosen = present + [r for r in chosen if r[column] is None]
    return [row["code"] for row in chosen]


def whole(store, query: QueueQuery, block: int = 17) -> tuple[list[dict], int | None]:
    """Every row of the queue, block after block as the grid asks; and the row count the last block gave."""
    result: list[dict] = []
    for start in range(0, 10_000, block):
        got = queue_block(store, query, start, start + block, NOW)
        result.extend(got.rows)
        if got.last_row is not None and start + block >= got.last_row:
            return result, got.last_row
        assert len(got.rows) == block, "a block short of rows must say where the queue ends"
    raise AssertionError("the queue never ended")


def test_the_open_queue_in_blocks_is_every_open_case_soonest_deadline_first(day) -> None:
    store, _, rows = day
    got, last = whole(store, QueueQuery())
    assert [r["code"] for r in got] == expected(rows)
    assert last == len(got) == sum(r["status"] in OPEN for r in rows) > 20
    assert queue_count(store, QueueQuery(), NOW) == (len(got), False)
    assert queue_count(store, QueueQuery(), NOW, cap=10) == (10, True)
    by_code = {r["code"]: r for r in rows}
    assert all(r["light"] == by_code[r["code"]]["light"] for r in got), "every row carries the domain's light"
    assert {"id", "code", "status", "township_code", "item_code", "channel", "deadline_at",
            "current_team_code", "version"} <= set(got[0])


def test_each_traffic_light_selects_exactly_its_cases(day) -> None:
    store, _, rows = day
    for value in LIGHTS:  # "none" (no clock runs) is mostly history: asked over every status
        statuses = None if value == "none" else OPEN
        want = expected(rows, keep=lambda r, v=value, s=statuses: (s is None or r["status"] in s) and r["light"] == v)
        assert want, f"the simulated day has no {value} case at {NOW}: the test would prove nothing"
        got, last = whole(store, QueueQuery(light=value, statuses=statuses), block=5)
        assert [r["code"] for r in got] == want, value
        assert last == len(want)
    red = queue_count(store, QueueQuery(light="red"), NOW)
    assert red == (sum(r["status"] in OPEN and r["light"] == "red" for r in rows), False)
    assert queue_count(store, QueueQuery(light="yellow"), NOW) is None  # needs each candidate's light


def test_scope_and_filters(day) -> None:
    store, _, rows = day
    assert township_options(store, DATONG) == [DATONG]
    assert len(township_options(store, None)) == 11
    scoped, _ = whole(store, QueueQuery(scope=DATONG))
    assert [r["code"] for r in scoped] == expected(rows, keep=lambda r: r["status"] in OPEN and r["township_code"] == DATONG)
    # a township filter outside the scope finds nothing: the scope is part of the SQL
    assert whole(store, QueueQuery(scope=DATONG, township=TINGXI))[0] == []
    assert [r["code"] for r in whole(store, QueueQuery(township=TINGXI))[0]] == \
        expected(rows, keep=lambda r: r["status"] in OPEN and r["township_code"] == TINGXI)

    item = next(r["item_code"] for r in rows if r["status"] in OPEN)
    assert [r["code"] for r in whole(store, QueueQuery(item=item))[0]] == \
        expected(rows, keep=lambda r: r["status"] in OPEN and r["item_code"] == item)
    everything, _ = whole(store, QueueQuery(statuses=None))
    assert [r["code"] for r in everything] == expected(rows, keep=lambda r: True)
    closed = [s for s in ("closed", "rejected") if any(r["status"] == s for r in rows)]
    assert closed, "the simulated day closed or rejected nothing"
    assert [r["code"] for r in whole(store, QueueQuery(statuses=tuple(closed)))[0]] == \
        expected(rows, keep=lambda r: r["status"] in closed)
    assert whole(store, QueueQuery(statuses=()))[0] == []

    code = rows[7]["code"]
    found = whole(store, QueueQuery(statuses=None, text=code[-5:].lower()))[0]
    assert code in [r["code"] for r in found] and all(code[-5:] in r["code"] for r in found)
    assert whole(store, QueueQuery(statuses=None, text="%"))[0] == []  # LIKE wildcards are plain text
    assert whole(store, QueueQuery(statuses=None, text="  "))[0] == whole(store, QueueQuery(statuses=None))[0]


@pytest.mark.parametrize("key", ["opened_at", "deadline_at", "priority", "township", "code"])
def test_every_sort_in_both_directions(day, key: str) -> None:
    store, _, rows = day
    for descending in (False, True):
        sort = ((key, descending),)
        got = [r["code"] for r in whole(store, QueueQuery(statuses=None, sort=sort), block=50)[0]]
        assert got == expected(rows, keep=lambda r: True, sort=sort), (key, descending)


def test_text_search_reads_description_and_address(seeded) -> None:
    store, service = seeded
    actor = Actor("op", Role.OPERATOR)
    opened = service.open_case(actor, {"case_code": "AJ-Q-1", "township_code": DATONG, "priority": 2},
                               NOW, description="东山路夜市占道经营 100%", address="东山路%18号")
    assert [r["id"] for r in whole(store, QueueQuery(text="夜市占道"))[0]] == [opened.case_id]
    assert [r["id"] for r in whole(store, QueueQuery(text="路%18"))[0]] == [opened.case_id]
    assert [r["id"] for r in whole(store, QueueQuery(text="100%"))[0]] == [opened.case_id]


def test_a_step_moves_the_version_and_the_block_follows(seeded) -> None:
    store, service = seeded
    operator = Actor("op", Role.OPERATOR)
    opened = service.open_case(operator, {"case_code": "AJ-Q-2", "township_code": DATONG, "priority": 3,
                                          "item_code": "ZF001"}, NOW)
    row = next(r for r in whole(store, QueueQuery())[0] if r["id"] == opened.case_id)
    assert (row["status"], row["version"], row["light"]) == ("reported", 1, "green")
    service.act(opened.case_id, "accept", operator, service.acceptance(opened.state), NOW + timedelta(minutes=5),
                expected_version=1)
    row = next(r for r in whole(store, QueueQuery())[0] if r["id"] == opened.case_id)
    assert (row["status"], row["version"]) == ("accepted", 2)  # the kept state was replaced, not reused


def test_one_case_its_reports_and_names(seeded) -> None:
    store, service = seeded
    with store.transaction(write=True) as conn:
        ids = [conn.execute(sa.insert(Report.__table__).values(
            channel="12345", external_id=f"Q-TEST-{n}", received_at=NOW - timedelta(minutes=10 - n),
            description="请联系13812345678", reporter_name="张三丰", reporter_phone="13812345678",
            township_code=DATONG, geom=Point(118.1 + n / 1000, 24.7), min_lon=118.1 + n / 1000, min_lat=24.7,
            max_lon=118.1 + n / 1000, max_lat=24.7,
        ).returning(Report.__table__.c.id)).scalar_one() for n in (2, 1)]
    opened = service.open_case(Actor("op", Role.OPERATOR), {"case_code": "AJ-Q-3", "township_code": DATONG,
                                                            "priority": 1}, NOW, channel="12345",
                               location=Point(118.1, 24.7), report_ids=ids, address="东山路1号")
    summary = case_summary(store, opened.case_id)
    assert (summary["code"], summary["status"], summary["channel"], summary["address"]) == \
        ("AJ-Q-3", "reported", "12345", "东山路1号")
    assert "geom" not in summary and (summary["lon"], summary["lat"]) == (118.1, 24.7)
    with pytest.raises(NotFound, match="no case with id 987654"):
        case_summary(store, 987654)

    reports = case_reports(store, opened.case_id)
    assert [r["id"] for r in reports] == [ids[1], ids[0]]  # oldest first
    assert reports[0]["reporter_phone"] == "13812345678"  # stored whole: masking is the page's, per role
    assert (reports[0]["lon"], reports[0]["lat"]) == (118.101, 24.7)
    assert case_reports(store, 987654) == []

    known = names(store)
    assert known.name("townships", DATONG) == "大同街道" and known.name("townships", DATONG, "en").startswith("Datong")
    assert known.name("teams", "no-such-team") == "no-such-team" and known.name("items", None) == ""
    teams = known.teams_of(DATONG)
    assert teams and all(t.startswith(DATONG) for t in teams)
    assert not [t for t in teams if known.team_kind[t] == "department_unit"]


def test_bad_requests_name_the_problem(sqlite_url: str) -> None:
    with pytest.raises(InvalidData, match="unknown status 'open'"):
        QueueQuery(statuses=("open",))
    with pytest.raises(InvalidData, match="unknown traffic light 'blue'"):
        QueueQuery(light="blue")
    with pytest.raises(InvalidData, match="cannot sort by 'geom'"):
        QueueQuery(sort=(("geom", False),))
    with pytest.raises(InvalidData, match="at most 100 characters"):
        QueueQuery(text="x" * 101)
    store = open_store(sqlite_url)
    store.upgrade()
    with pytest.raises(InvalidData, match="at most 500 rows"):
        queue_block(store, QueueQuery(), 0, 501)
    with pytest.raises(InvalidData, match="not a range"):
        queue_block(store, QueueQuery(), 10, 5)
    assert queue_block(store, QueueQuery(), 0, 10).rows == []
