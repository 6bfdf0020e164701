"""Which days a leader asks about: one local day or a run of them, and the same weekdays a week before.

A leader opens the daily situation map (每日态势图) for *today so far*, *yesterday* or a range of days;
the figures are compared with the same weekdays of the week before (for a range longer than a week, the
same number of whole weeks before, so weekdays still line up). Days are Asia/Shanghai calendar days; a
day that has not ended yet is cut at *now* — and so is its comparison, at the same time of day, so that
"today so far" is compared with "last Tuesday until this hour", not with the whole of last Tuesday.

>>> from datetime import date, datetime, UTC
>>> days = Days(date(2026, 11, 3), date(2026, 11, 3))
>>> days.previous().first.isoformat(), days.label()
('2026-10-27', '2026-11-03')
>>> Days(date(2026, 11, 1), date(2026, 11, 10)).previous().first.isoformat()  # 10 days: two weeks back
'2026-10-18'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from cases.calendar import SHANGHAI

MAX_DAYS = 92
"""The longest range one page or brief covers (a quarter)."""

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


class PeriodError(ValueError):
    """A period a browser (or a caller) sent that cannot be used; the message says which value and why."""


@dataclass(frozen=True)
class Days:
    """Local calendar days ``first`` … ``last`` (both included)."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError(f"the period ends ({self.last.isoformat()}) before it starts ({self.first.isoformat()})")

    @property
    def count(self) -> int:
        """How many days."""
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """Local midnight starting the first day (aware)."""
        return datetime.combine(self.first, time(0), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """Local midnight after the last day (aware): the period is ``[start, end)``."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=SHANGHAI)

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """``[start, min(end, now))``: the part of the period that has happened (at least one second)."""
        end = min(self.end, now)
        return self.start, max(end, self.start + timedelta(seconds=1))

    def shift_days(self) -> int:
        """How many days back the comparison lies: a week, or the whole weeks covering the period."""
        return 7 * max(1, math.ceil(self.count / 7))

    def previous(self) -> Days:
        """The same weekdays a week (or whole weeks) earlier."""
        back = timedelta(days=self.shift_days())
        return Days(self.first - back, self.last - back)

    def previous_window(self, now: datetime) -> tuple[datetime, datetime]:
        """:meth:`window` moved back by :meth:`shift_days`: cut at the same time of day when this one is."""
        start, end = self.window(now)
        back = timedelta(days=self.shift_days())
        return start - back, end - back

    def label(self) -> str:
        """``2026-11-03`` or ``2026-11-01 – 2026-11-07``."""
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"

    def key(self) -> tuple[str, str]:
        return self.first.isoformat(), self.last.isoformat()


def local_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai."""
    return (now or datetime.now(UTC)).astimezone(SHANGHAI).date()


def parse_day(value: object, name: str) -> date:
    """``YYYY-MM-DD`` (a date picker may add a time: ignored) → date; PeriodError naming ``name`` otherwise."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    match = _DAY.match(str(value or "").strip())
    if not match:
        raise PeriodError(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise PeriodError(f"{name}: {value!r} is not a date ({exc})") from None


def parse_days(first: object, last: object = None, *, today: date, max_days: int = MAX_DAYS) -> Days:
    """The period a browser asked for: ``first`` (default today) to ``last`` (default ``first``).

    Days after ``today`` are refused (nothing happened yet), as are ranges longer than ``max_days``.
    """
    first_day = today if first in (None, "") else parse_day(first, "start date")
    last_day = first_day if last in (None, "") else parse_day(last, "end date")
    if first_day > today:
        raise PeriodError(f"start date {first_day.isoformat()} is after today ({today.isoformat()})")
    last_day = min(last_day, today)
    days = Days(first_day, last_day)
    if days.count > max_days:
        raise PeriodError(f"{days.label()} is {days.count} days; at most {max_days} days at a time")
    return days
