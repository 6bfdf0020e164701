"""The 2026 working-day calendar (config) and its checks."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from cases.calendar import (
    CALENDAR_YAML,
    CalendarError,
    WorkCalendar,
    load_calendar,
    local_day,
    parse_calendar,
)

# 国务院办公厅关于2026年部分节假日安排的通知, written out by hand
HOLIDAYS_2026 = {
    "元旦": ("2026-01-01", "2026-01-03"), "春节": ("2026-02-15", "2026-02-23"), "清明节": ("2026-04-04", "2026-04-06"),
    "劳动节": ("2026-05-01", "2026-05-05"), "端午节": ("2026-06-19", "2026-06-21"),
    "中秋节": ("2026-09-25", "2026-09-27"), "国庆节": ("2026-10-01", "2026-10-07"),
}
MAKE_UP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


def _days(first: str, last: str) -> set[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return {a + timedelta(days=n) for n in range((b - a).days + 1)}


def test_the_shipped_calendar_is_the_2026_notice() -> None:
    cal = load_calendar()
    assert cal.covers(2026) and not cal.covers(2027)
    assert cal.holidays == set().union(*(_days(a, b) for a, b in HOLIDAYS_2026.values()))
    assert len(cal.holidays) == 33
    assert cal.make_up_days == {date.fromisoformat(d) for d in MAKE_UP_2026}
    assert "CONFIGURATION" in CALENDAR_YAML.read_text(encoding="utf-8")


@pytest.mark.parametrize(("day", "working"), [
    ("2026-03-02", True),  # a Monday
    ("2026-03-07", False),  # a Saturday
    ("2026-02-16", False),  # 除夕, a Monday
    ("2026-02-14", True),  # Saturday, 调休 working day
    ("2026-01-04", True),  # Sunday, 调休 working day
    ("2026-10-08", True),  # first working day after 国庆节
    ("2027-01-01", True),  # a Friday of a year not loaded: weekends only
    ("2027-01-02", False),
])
def test_is_working_day(day: str, working: bool) -> None:
    assert load_calendar().is_working_day(date.fromisoformat(day)) is working


def test_working_days_of_february_2026() -> None:
    # 20 weekdays, 6 of them in the Spring Festival holiday, plus the two 调休 Saturdays
    assert len(load_calendar().working_days(date(2026, 2, 1), date(2026, 2, 28))) == 16


def test_local_day_is_shanghai() -> None:
    assert local_day(datetime(2026, 9, 30, 16, 0, tzinfo=UTC)) == date(2026, 10, 1)
    assert local_day(datetime(2026, 9, 30, 15, 59, tzinfo=UTC)) == date(2026, 9, 30)
    with pytest.raises(ValueError, match="naive datetime"):
        local_day(datetime(2026, 9, 30, 16, 0))


def test_a_configurable_weekend() -> None:
    six_day_week = WorkCalendar(weekend=frozenset({7}))
    assert six_day_week.is_working_day(date(2026, 3, 7)) and not six_day_week.is_working_day(date(2026, 3, 8))


@pytest.mark.parametrize(("document", "message"), [
    ([], "expected a mapping"),
    ({"weekend": [0]}, "weekend: must list ISO weekdays"),
    ({"years": {"2026x": {}}}, "year 2026x: the key must be a year"),
    ({"years": {2026: {"holidays": [{"name": "国庆节", "from": "2026-10-07", "to": "2026-10-01"}]}}},
     "year 2026 holidays[1] (国庆节): 'to' 2026-10-01 is before 'from' 2026-10-07"),
    ({"years": {2026: {"holidays": [{"name": "X", "from": "2026-13-01", "to": "2026-13-02"}]}}},
     "holidays[1] (X).from: '2026-13-01' is not a date like 2026-10-01"),
    ({"years": {2026: {"holidays": [{"from": "2026-10-01", "to": "2026-10-02"}]}}}, "expected {name, from, to}"),
    ({"years": {2026: {"holidays": [{"name": "X", "from": "2025-10-01", "to": "2025-10-02"}]}}},
     "does not belong to 2026"),
    ({"years": {2026: {"make_up_working_days": [{"date": "2026-10-09"}]}}},
     "make_up_working_days[1]: 2026-10-09 is a weekday already"),
    ({"years": {2026: {"holidays": [{"name": "X", "from": "2026-10-10", "to": "2026-10-10"}],
                       "make_up_working_days": [{"date": "2026-10-10"}]}}},
     "2026-10-10 is both a holiday and a make-up working day"),
])
def test_bad_calendars_are_refused_with_the_entry_named(document, message) -> None:
    with pytest.raises(CalendarError, match=re.escape(message)):
        parse_calendar(document, source="test.yaml")


def test_bad_yaml_file(tmp_path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text("years: {2026: [", encoding="utf-8")
    with pytest.raises(CalendarError, match="cal.yaml: not valid YAML"):
        load_calendar(path)
