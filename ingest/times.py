"""Reading the times channels write: Chinese and ISO spellings, Excel cells, epoch numbers → aware UTC.

Every channel writes its times its own way — ``2026年11月3日 14:05``, ``2026/11/3 14:05:00``,
``2026-11-03T14:05:00+08:00``, a date cell of an Excel export, milliseconds since 1970 from a phone app.
:func:`parse_time` turns all of them into one timezone-aware ``datetime`` in UTC, or raises
:class:`BadTime` saying what is wrong with the text, so a report's clock is never a guess.

>>> parse_time("2026年11月3日 14:05").isoformat()
'2026-11-03T06:05:00+00:00'
>>> parse_time("2026/11/3 下午2:05").isoformat()
'2026-11-03T06:05:00+00:00'
>>> parse_time("2026-11-03T14:05:00Z").isoformat()
'2026-11-03T14:05:00+00:00'

Notes
-----
A time without a zone is Beijing time (Asia/Shanghai, UTC+8 all year: China has had no daylight saving
since 1991). Epoch numbers are UTC by definition. Excel serial numbers (days since 1899-12-30) are local
wall-clock time like any other naive spreadsheet value. Years outside ``EARLIEST_YEAR``–``LATEST_YEAR``
are refused: a report from 1900 or 2999 is a broken cell, not history.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
"""The zone of every naive time a channel sends (Beijing time)."""

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100

_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_SERIAL = (36526.0, 73051.0)  # 2000-01-01 … 2100-01-01 as Excel day numbers
_EPOCH_SECONDS = (946_684_800, 4_102_444_800)  # 2000-01-01 … 2100-01-01 UTC

_DATE = r"(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?"
_HALF_DAY = r"(?P<half>上午|早上|早晨|凌晨|中午|下午|傍晚|晚上|夜间|夜里|AM|PM)?"
_CLOCK = (r"(?P<h>\d{1,2})\s*(?:[:时点])\s*(?:(?P<mi>\d{1,2})\s*分?)?"
          r"(?:\s*[:]?\s*(?P<s>\d{1,2})(?:[.,](?P<frac>\d{1,9}))?\s*秒?)?")
_ZONE = r"(?P<zone>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?|\(?北京时间\)?)?"
_TEXT = re.compile(rf"^{_DATE}(?:\s*T?\s*{_HALF_DAY}\s*{_CLOCK}\s*{_HALF_DAY.replace('half', 'half2')})?\s*{_ZONE}$",
                   re.IGNORECASE)
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})(?:(?P<h>\d{2})(?P<mi>\d{2})(?P<s>\d{2})?)?$")
_AFTERNOON = {"下午", "傍晚", "晚上", "夜间", "夜里", "PM"}


class BadTime(ValueError):
    """A time that cannot be read: ``text`` (quoted, shortened) and ``why``; str() is ``bad time "…": why``."""

    def __init__(self, text: str, why: str):
        super().__init__(f'bad time "{text}": {why}')
        self.text, self.why = text, why


def parse_time(value: object) -> datetime:
    """The instant ``value`` names, timezone-aware in UTC.

    Parameters
    ----------
    value
        ``datetime`` (naive = Beijing time), ``date`` (midnight Beijing time), a number (Excel serial day,
        epoch seconds or epoch milliseconds, told apart by size) or text in any of the spellings of the
        module docstring, with full-width digits allowed.

    Raises
    ------
    BadTime
        Blank, unreadable or impossible values (month 13, 25:00, 31 April, a year out of range).
    """
    if isinstance(value, datetime):
        return _checked(value if value.tzinfo else value.replace(tzinfo=SHANGHAI), value)
    if isinstance(value, date):
        return _checked(datetime.combine(value, time(), tzinfo=SHANGHAI), value)
    if isinstance(value, bool):
        raise BadTime(str(value), "not a date")
    if isinstance(value, int | float):
        return _from_number(float(value), value)
    if not isinstance(value, str):
        raise BadTime(_quote(value), "not a date")
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise BadTime("", "blank")
    if re.fullmatch(r"\d{10}(\d{3})?(\.\d+)?", text) or re.fullmatch(r"\d{5}\.\d+", text):
        return _from_number(float(text), value)
    match = _COMPACT.match(text) or _TEXT.match(text)
    if match is None:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise BadTime(_quote(value), "not a date and time this channel can read") from None
        return parse_time(parsed)
    return _from_parts(match.groupdict(), value)


def _from_parts(parts: dict[str, str | None], original: object) -> datetime:
    year, month, day = int(parts["y"] or 0), int(parts["mo"] or 0), int(parts["d"] or 0)
    hour, minute, second = int(parts.get("h") or 0), int(parts.get("mi") or 0), int(parts.get("s") or 0)
    micro = int((parts.get("frac") or "0")[:6].ljust(6, "0"))
    half = (parts.get("half") or parts.get("half2") or "").upper()
    if half and not 0 <= hour <= 12:
        raise BadTime(_quote(original), f"{hour} o'clock with {half}")
    if half in _AFTERNOON and hour < 12:
        hour += 12
    elif half in {"凌晨", "上午", "早上", "早晨", "AM"} and hour == 12:
        hour = 0
    for what, number, low, high in (("month", month, 1, 12), ("hour", hour, 0, 23), ("minute", minute, 0, 59),
                                    ("second", second, 0, 59)):
        if not low <= number <= high:
            raise BadTime(_quote(original), f"{what} {number} is not {low}–{high}")
    try:
        local = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        raise BadTime(_quote(original), f"{year}-{month:02d} has no day {day}") from None
    return _checked(local.replace(tzinfo=_zone(parts.get("zone"), original)), original)


def _zone(text: str | None, original: object) -> tzinfo:
    """Beijing time unless the text names another zone."""
    if not text or "北京" in text:
        return SHANGHAI
    key = text.upper()
    if key in {"Z", "UTC", "GMT"}:
        return UTC
    sign = 1 if key[0] == "+" else -1
    digits = key[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise BadTime(_quote(original), f"offset {text} is not a time zone")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _from_number(number: float, original: object) -> datetime:
    if not math.isfinite(number):
        raise BadTime(_quote(original), "not a number of days or seconds")
    if _EXCEL_SERIAL[0] <= number < _EXCEL_SERIAL[1]:
        local = _EXCEL_EPOCH + timedelta(seconds=round(number * 86400.0))  # Excel's float day, to the second
        return _checked(local.replace(tzinfo=SHANGHAI), original)
    if _EPOCH_SECONDS[0] <= number < _EPOCH_SECONDS[1]:
        return _checked(datetime.fromtimestamp(number, UTC), original)
    if _EPOCH_SECONDS[0] * 1000 <= number < _EPOCH_SECONDS[1] * 1000:
        return _checked(datetime.fromtimestamp(number / 1000.0, UTC), original)
    raise BadTime(_quote(original), "a number that is neither an Excel date nor epoch seconds "
                                    "or milliseconds of 2000–2100")


def _checked(moment: datetime, original: object) -> datetime:
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadTime(_quote(original), "out of range") from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR or not EARLIEST_YEAR <= utc.year <= LATEST_YEAR:
        raise BadTime(_quote(original), f"year {moment.year} is not {EARLIEST_YEAR}–{LATEST_YEAR}")
    return utc


def _quote(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
