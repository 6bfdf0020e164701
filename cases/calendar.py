"""Working days in China: weekends, public holidays and the make-up working days (调休) that swap them.

Deadlines of normal-priority cases are often counted in working days (工作日). Which days those are is
published each year by the State Council, so the dates live in configuration —
``data/sources/work_calendar.yaml`` — and this module only reads and checks them.

Notes
-----
A *day* is a local day in Asia/Shanghai (UTC+8, no daylight saving), whatever the time zone of the
datetimes handed in. Years not listed in the file fall back to plain weekends; :meth:`WorkCalendar.covers`
tells which years have their holidays loaded, so a page can warn that the file needs next year's dates.

>>> cal = load_calendar()
>>> cal.is_working_day(date(2026, 2, 16)), cal.is_working_day(date(2026, 2, 14))  # 春节; a 调休 Saturday
(False, True)
>>> local_day(datetime(2026, 2, 13, 17, 30, tzinfo=UTC))  # 01:30 the next morning in Shanghai
datetime.date(2026, 2, 14)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR_YAML = Path(__file__).resolve().parents[1] / "data" / "sources" / "work_calendar.yaml"

class CalendarError(ValueError):
    """The calendar file breaks a rule; the message names the year and the entry."""


@dataclass(frozen=True)
class WorkCalendar:
    """Which local days are working days."""

    weekend: frozenset[int] = frozenset({6, 7})  # ISO weekdays
    holidays: frozenset[date] = field(default_factory=frozenset)
    make_up_days: frozenset[date] = field(default_factory=frozenset)  # 调休上班
    years: frozenset[int] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        """A make-up day works; a holiday does not; otherwise weekdays work and weekends do not."""
        if day in self.make_up_days:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() not in self.weekend

    def covers(self, year: int) -> bool:
        """True when the year's holidays are loaded (otherwise only weekends are known)."""
        return year in self.years

    def working_days(self, first: date, last: date) -> list[date]:
        """The working days from ``first`` to ``last``, both included.

        >>> len(load_calendar().working_days(date(2026, 9, 28), date(2026, 10, 11)))  # around 国庆节
        6
        """
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return [d for d in days if self.is_working_day(d)]


def local_day(at: datetime) -> date:
    """The Asia/Shanghai calendar day of an aware datetime."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at}: give a time zone (times are stored in UTC)")
    return at.astimezone(SHANGHAI).date()


def next_local_midnight(at: datetime) -> datetime:
    """The next 00:00 in Asia/Shanghai after ``at``, in UTC."""
    return datetime.combine(local_day(at) + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)


def load_calendar(path: Path = CALENDAR_YAML) -> WorkCalendar:
    """Read and check the calendar file (see ``data/sources/work_calendar.yaml``)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CalendarError(f"{path.name}: not valid YAML ({exc})") from exc
    return parse_calendar(document, source=path.name)


def parse_calendar(document: Any, source: str = "calendar") -> WorkCalendar:
    """Build a calendar from a parsed document; every problem names the year and the entry."""
    if not isinstance(document, Mapping):
        raise CalendarError(f"{source}: expected a mapping with 'weekend' and 'years'")
    weekend = document.get("weekend", [6, 7])
    if not isinstance(weekend, list) or not all(isinstance(d, int) and 1 <= d <= 7 for d in weekend):
        raise CalendarError(f"{source}: weekend: must list ISO weekdays 1 (Monday) … 7 (Sunday), got {weekend!r}")
    years = document.get("years") or {}
    if not isinstance(years, Mapping):
        raise CalendarError(f"{source}: years: must map a year to its holidays")
    holidays: set[date] = set()
    make_up: set[date] = set()
    for year, entry in years.items():
        label = f"{source} year {year}"
        if not isinstance(year, int) or not 1990 <= year <= 2100:
            raise CalendarError(f"{label}: the key must be a year such as 2026")
        if not isinstance(entry, Mapping):
            raise CalendarError(f"{label}: expected a mapping with holidays and make_up_working_days")
        off = _holidays(entry.get("holidays") or [], year, label)
        on = _make_up_days(entry.get("make_up_working_days") or [], year, label, set(weekend))
        clash = sorted(off & on)
        if clash:
            raise CalendarError(f"{label}: {clash[0]} is both a holiday and a make-up working day")
        holidays |= off
        make_up |= on
    return WorkCalendar(weekend=frozenset(weekend), holidays=frozenset(holidays), make_up_days=frozenset(make_up),
                        years=frozenset(years))


def _holidays(entries: Iterable[Any], year: int, label: str) -> set[date]:
    days: set[date] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"{label} holidays[{n}] ({entry.get('name', '?') if isinstance(entry, Mapping) else entry})"
        if not isinstance(entry, Mapping) or not entry.get("name"):
            raise CalendarError(f"{where}: expected {{name, from, to}}")
        first, last = _date(entry.get("from"), f"{where}.from"), _date(entry.get("to"), f"{where}.to")
        if last < first:
            raise CalendarError(f"{where}: 'to' {last} is before 'from' {first}")
        if first.year != year or last.year not in (year, year + 1):
            raise CalendarError(f"{where}: {first}…{last} does not belong to {year}")
        days |= {first + timedelta(days=k) for k in range((last - first).days + 1)}
    return days


def _make_up_days(entries: Iterable[Any], year: int, label: str, weekend: set[int]) -> set[date]:
    days: set[date] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"{label} make_up_working_days[{n}]"
        if not isinstance(entry, Mapping):
            raise CalendarError(f"{where}: expected {{date, for}}")
        day = _date(entry.get("date"), f"{where}.date")
        if day.year not in (year - 1, year):
            raise CalendarError(f"{where}: {day} does not belong to {year}")
        if day.isoweekday() not in weekend:
            raise CalendarError(f"{where}: {day} is a weekday already; a make-up working day (调休) is a weekend day")
        days.add(day)
    return days


def _date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        raise CalendarError(f"{where}: give a date (2026-10-01), not a time")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"{where}: {value!r} is not a date like 2026-10-01") from None
