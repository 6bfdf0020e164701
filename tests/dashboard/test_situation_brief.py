"""The building blocks of the situation page and the township board, without a browser or a server.

A store of the demo city with two simulated days a week apart (Monday 2026-10-05 and Monday 2026-10-12, read
at noon on the Tuesday after): the day's figures, trend and overdue owners are checked against plain SQL
counts of the same rows; the brief is a valid one-page A4 PDF and a PNG; the workbook opens with openpyxl
with its sheets; the board's funnel matches the cases it counts and the league's points add up to the score.
"""

from __future__ import annotations

import doctest
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import briefing.mapdata
import briefing.overdue
import briefing.period
import briefing.situation
from briefing.board import STAGES, board, conversion
from briefing.brief import render
from briefing.mapdata import map_data
from briefing.overdue import COMMAND_CENTER, overdue_cases
from briefing.period import Days, PeriodError, parse_days
from briefing.situation import league_days, situation
from briefing.workbook import SHEETS, workbook_bytes
from cases.calendar import SHANGHAI
from cases.states import OPEN_STATUSES
from sim import Settings, simulate
from store import Store, open_store
from store.models import Case, Report, Team

pypdf = pytest.importorskip("pypdf")
PIL = pytest.importorskip("PIL.Image")

EARLIER, DAY = date(2026, 10, 5), date(2026, 10, 12)  # two Mondays
NOW = datetime(2026, 10, 13, 12, 0, tzinfo=SHANGHAI)
CASES, REPORTS = Case.__table__, Report.__table__
OPEN = [s.value for s in OPEN_STATUSES]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def store(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('situation') / 'store.sqlite'}")
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    simulate(store, Settings(start=midnight(EARLIER), days=1, per_day=50, seed=61))
    simulate(store, Settings(start=midnight(DAY), days=1.2, per_day=60, seed=62))
    yield store
    store.close()


@pytest.fixture(scope="module")
def district(store: Store):
    return situation(store, Days(DAY, DAY), None, NOW, jurisdiction="同安区（示意边界）Tong'an District (demo boundaries)",
                     demo_boundaries=True)


@pytest.fixture(scope="module")
def town(store: Store) -> str:
    with store.transaction() as conn:  # the township with most overdue cases: its scoped view has something
        return conn.execute(sa.select(CASES.c.township_code).where(CASES.c.status.in_(OPEN))
                            .group_by(CASES.c.township_code).order_by(sa.func.count().desc()).limit(1)).scalar_one()


def count(store: Store, *where) -> int:
    """Rows of the table the conditions' first column belongs to (cases or reports) meeting them all."""
    table = REPORTS if where[0].left.table is REPORTS else CASES
    with store.transaction() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


# ------------------------------------------------------------------------------------------ periods


def test_doctests_of_the_building_blocks() -> None:
    for module in (briefing.period, briefing.situation, briefing.overdue, briefing.mapdata):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_a_period_is_local_days_compared_with_the_same_weekdays_before() -> None:
    today = date(2026, 11, 24)
    assert parse_days(None, None, today=today) == Days(today, today)
    assert parse_days("2026-11-20T00:00:00", "2026-11-22", today=today) == Days(date(2026, 11, 20), date(2026, 11, 22))
    assert parse_days("2026-11-20", "2026-12-30", today=today).last == today  # the future is cut off
    days = Days(date(2026, 11, 3), date(2026, 11, 3))
    assert days.start == datetime(2026, 11, 2, 16, tzinfo=UTC) and days.end - days.start == timedelta(days=1)
    assert days.previous() == Days(date(2026, 10, 27), date(2026, 10, 27))
    assert Days(date(2026, 11, 1), date(2026, 11, 8)).shift_days() == 14  # 8 days: two weeks back, same weekdays
    # a day in progress is cut at now, and compared with last week until the same time of day
    now = datetime(2026, 11, 3, 9, 30, tzinfo=SHANGHAI)
    start, end = days.window(now)
    before = days.previous_window(now)
    assert end == now and before == (start - timedelta(days=7), now - timedelta(days=7))
    for first, last, message in (("2026-13-01", None, "not a date"), ("yesterday", None, "not a date"),
                                 ("2026-11-25", None, "after today"), ("2026-11-10", "2026-11-01", "before it starts"),
                                 ("2026-01-01", "2026-11-24", "at most 92 days")):
        with pytest.raises(PeriodError, match=message):
            parse_days(first, last, today=today)
    assert league_days(days) == Days(date(2026, 10, 5), date(2026, 11, 3))


# -------------------------------------------------------------------------------------------- the day


def test_the_days_figures_and_trend_count_the_stored_rows(store: Store, district) -> None:
    r = REPORTS.c
    reports = count(store, r.received_at >= midnight(DAY), r.received_at < midnight(DAY + timedelta(days=1)))
    before = count(store, r.received_at >= midnight(EARLIER), r.received_at < midnight(EARLIER + timedelta(days=1)))
    assert reports > 30 and before > 30
    assert district.figures["reports"] == reports and district.previous_figures["reports"] == before
    closed = count(store, CASES.c.closed_at >= midnight(DAY), CASES.c.closed_at < midnight(DAY + timedelta(days=1)))
    assert district.figures["closed"] == closed
    assert district.by_township["reports"].sum() == reports and len(district.by_township) == 11
    assert district.trend_unit == "hour" and list(district.trend.index) == [f"{h:02d}:00" for h in range(24)]
    assert district.trend["reports"].sum() == reports and district.trend["reports_previous"].sum() == before
    assert district.trend["closed"].sum() == closed
    # the league ranks the 30 days ending with the day, every township, best first
    assert district.league_days == Days(DAY - timedelta(days=29), DAY)
    assert list(district.league["rank"]) == sorted(district.league["rank"]) and set(district.league["of"]) == {11}


def test_overdue_cases_and_their_owners(store: Store, district) -> None:
    c = CASES.c
    as_of = district.as_of
    assert as_of == midnight(DAY + timedelta(days=1))
    total = count(store, c.status.in_(OPEN), c.deadline_at < as_of)
    assert total > 0, "nothing overdue at the day's end: the owners would prove nothing"
    assert district.overdue_total == total == int(district.owners["cases"].sum()) == len(district.overdue)
    assert list(district.overdue["days_over"]) == sorted(district.overdue["days_over"], reverse=True)
    with store.transaction() as conn:
        rows = {row.code: row for row in conn.execute(
            sa.select(c.code, c.status, c.deadline_at, c.department, Team.name.label("team"))
            .select_from(CASES.outerjoin(Team.__table__, Team.code == c.current_team_code))
            .where(c.status.in_(OPEN), c.deadline_at < as_of))}
    for case in district.overdue.itertuples():
        row = rows[case.code]
        assert case.days_over == round((as_of - row.deadline_at).total_seconds() / 86400, 1)
        if row.status == "transferred":
            assert (case.owner_kind, case.owner) == ("department", row.department)
        elif row.team:
            assert (case.owner_kind, case.owner) == ("team", row.team)
        else:
            assert case.owner_kind == COMMAND_CENTER
    # nothing is overdue for a scope of no township, and nothing before anything was opened
    assert overdue_cases(store, as_of, ())[0].empty
    assert overdue_cases(store, midnight(EARLIER), None)[1].empty


def test_a_township_scope_shows_that_township_only_with_its_district_rank(store: Store, district, town: str) -> None:
    own = situation(store, Days(DAY, DAY), (town,), NOW)
    assert list(own.by_township.index) == [town] and list(own.league.index) == [town]
    assert int(own.league.loc[town, "rank"]) == int(district.league.loc[town, "rank"]) and own.league.loc[town, "of"] == 11
    assert own.figures["reports"] == district.by_township.loc[town, "reports"]
    assert len(own.overdue) > 0 and set(own.overdue["township_code"]) == {town}
    assert set(own.owners["township_code"]) == {town}
    assert own.scope_name("zh") == own.names[town][0]


# ------------------------------------------------------------------------------------------- exports


def test_the_brief_is_a_one_page_a4_pdf_and_a_png(store: Store, district) -> None:
    pdf, png = render(district, map_data(store, district), "zh")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    words = reader.pages[0].extract_text()
    assert "每日简报" in words and "同安区" in words and "示意边界" in words  # the demo boundaries are said
    assert f"{int(district.figures['reports']):,}" in words
    worst = district.overdue.iloc[0]
    assert worst["code"] in words and worst["owner"][:6] in words  # the most overdue case and who owns it
    image = PIL.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1075, 1519)  # A4 at 130 dpi
    english = pypdf.PdfReader(io.BytesIO(render(district, None, "en")[0]))
    assert len(english.pages) == 1 and "Daily brief" in english.pages[0].extract_text()


def test_the_map_of_the_brief_uses_the_layers_for_the_scope(store: Store, district, town: str) -> None:
    own = situation(store, Days(DAY, DAY), (town,), NOW)
    mapped = map_data(store, own)
    assert list(mapped.townships["code"]) == [town]
    assert mapped.density["features"], "the day's reports should show as density"
    total = sum(f["properties"]["count"] for f in mapped.density["features"])
    assert total == count(store, REPORTS.c.township_code == town, REPORTS.c.cell_code.is_not(None),
                          REPORTS.c.received_at >= midnight(DAY), REPORTS.c.received_at < midnight(DAY + timedelta(days=1)))


def test_the_workbook_has_the_tables(district) -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook_bytes(district, "zh")))
    assert book.sheetnames == list(SHEETS)
    townships = list(book["镇街 Townships"].iter_rows(values_only=True))
    assert len(townships) == 12 and townships[0][:3] == ("镇街", "code", "上报")
    assert sum(row[2] for row in townships[1:]) == district.figures["reports"]
    league = list(book["排名 League"].iter_rows(min_row=2, max_row=12, values_only=True))
    assert [row[0] for row in league] == sorted(row[0] for row in league) and len(league) == 11
    overdue = list(book["超期 Overdue"].iter_rows(min_row=2, values_only=True))
    assert len(overdue) == district.overdue_total and overdue[0][0] == district.overdue.iloc[0]["code"]
    assert isinstance(overdue[0][7], datetime)  # deadlines stay times, in local time
    trend = list(book["趋势 Trend"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 24 and sum(row[1] for row in trend) == district.figures["reports"]
    summary = {row[0]: row[1] for row in book["概况 Summary"].iter_rows(values_only=True)}
    assert summary["上报"] == district.figures["reports"] and summary["范围"] == "同安区"
    english = load_workbook(io.BytesIO(workbook_bytes(district, "en")))
    assert english.sheetnames == list(SHEETS) and english["镇街 Townships"]["A1"].value == "Township"


# ---------------------------------------------------------------------------------------------- board


def test_the_board_funnel_follows_the_cases_opened_in_the_period(store: Store, town: str) -> None:
    start, end = midnight(DAY), midnight(DAY + timedelta(days=1))
    codes = tuple(sorted(store.townships()["code"]))
    result = board(store, "township", start, end, None, codes)
    assert list(result.table.index) == list(codes)
    c = CASES.c
    in_period = (c.opened_at >= start, c.opened_at < end)
    for code in codes:
        row = result.table.loc[code]
        assert row["reported"] == count(store, c.township_code == code, *in_period)
        assert row["accepted"] == count(store, c.township_code == code, c.accepted_at.is_not(None), *in_period)
        assert row["closed"] == count(store, c.township_code == code, c.closed_at.is_not(None), *in_period)
        assert row["reported"] >= row["accepted"] >= row["closed"]
    assert result.totals()["reported"] == count(store, *in_period)
    points = result.league[[f"{name}_points" for name in ("handling_rate", "on_time_handling_rate", "rework_rate",
                                                         "overdue_pending_rate", "extension_rate")]].sum(axis=1)
    assert (points - result.league["score"]).abs().max() < 1e-9 and set(result.league["of"]) == {11}
    assert "time_to_close_median_h" in result.table and "rework_rate" in result.table
    # drill down: the township's communities, each case counted once
    communities = tuple(sorted(store.communities(town)["code"]))
    by_community = board(store, "community", start, end, (town,), communities)
    assert list(by_community.table.index) == list(communities) and by_community.league.empty
    assert by_community.totals()["reported"] == count(store, c.township_code == town, c.community_code.is_not(None),
                                                      *in_period)
    shares = conversion(pd.DataFrame({s: [4, 3, 2, 2, 1][i:i + 1] for i, s in enumerate(STAGES)}))
    assert shares.iloc[0].tolist() == [1.0, 0.75, 0.5, 0.5, 0.25]


# ------------------------------------------------------------------------------------------- PostGIS


@pytest.mark.postgis
@pytest.mark.slow
def test_the_same_building_blocks_on_postgis(postgis_url: str, demo_dir: Path) -> None:
    store = open_store(postgis_url)
    try:
        store.upgrade()
        store.seed_jurisdiction(demo_dir)
        simulate(store, Settings(start=midnight(EARLIER), days=1, per_day=30, seed=63))
        simulate(store, Settings(start=midnight(DAY), days=1.2, per_day=40, seed=64))
        sit = situation(store, Days(DAY, DAY), None, NOW)
        r, c = REPORTS.c, CASES.c
        start, end = midnight(DAY), midnight(DAY + timedelta(days=1))
        assert sit.figures["reports"] == count(store, r.received_at >= start, r.received_at < end) > 0
        assert sit.previous_figures["reports"] == count(store, r.received_at >= midnight(EARLIER),
                                                        r.received_at < midnight(EARLIER + timedelta(days=1))) > 0
        assert sit.trend["reports"].sum() == sit.figures["reports"] and len(sit.trend) == 24
        assert sit.overdue_total == count(store, c.status.in_(OPEN), c.deadline_at < end)
        assert len(sit.league) == 11 and set(sit.league["of"]) == {11}
        result = board(store, "township", start, end, None, tuple(sorted(store.townships()["code"])))
        assert result.totals()["reported"] == count(store, c.opened_at >= start, c.opened_at < end)
        assert result.totals()["closed"] == count(store, c.opened_at >= start, c.opened_at < end,
                                                  c.closed_at.is_not(None))
        pdf, png = render(sit, map_data(store, sit), "zh")
        assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1 and png[:4] == b"\x89PNG"
        assert workbook_bytes(sit)[:2] == b"PK"  # a zip: the xlsx container
    finally:
        store.close()
