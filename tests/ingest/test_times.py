"""ingest.times: the spellings channels use for times, their zones, and the bad ones with their reasons."""

from __future__ import annotations

import doctest
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

import ingest.times
from ingest.times import SHANGHAI, BadTime, parse_time

AT_1405_BEIJING = datetime(2026, 11, 3, 6, 5, tzinfo=UTC)


@pytest.mark.parametrize("text", [
    "2026年11月3日 14:05",
    "2026年11月3日14:05",
    "2026年11月3日14时05分",
    "2026年11月03日 14点05分",
    "2026/11/3 14:05",
    "2026/11/3 14:05:00",
    "2026/11/03 14:05:00.000",
    "2026-11-3 14:05",
    "2026-11-03 14:05:00",
    "2026.11.03 14:05",
    "2026-11-03T14:05:00",
    "2026-11-03T14:05:00+08:00",
    "2026-11-03T06:05:00Z",
    "2026-11-03T06:05:00+00:00",
    "2026-11-03T01:05:00-05:00",
    "2026-11-03 14:05 北京时间",
    "2026/11/3 下午2:05",
    "2026-11-03 2:05 PM",
    "2026-11-03 2:05pm",
    "20261103140500",
    "２０２６年１１月３日　１４：０５",  # full-width digits, ideographic space
    " 2026-11-03 14:05 ",
])
def test_chinese_and_iso_spellings_name_the_same_instant(text):
    assert parse_time(text) == AT_1405_BEIJING


def test_seconds_and_fractions_are_kept():
    assert parse_time("2026年11月3日14时05分30秒") == AT_1405_BEIJING + timedelta(seconds=30)
    assert parse_time("2026-11-03 14:05:00.250") == AT_1405_BEIJING + timedelta(milliseconds=250)


def test_naive_values_are_beijing_time_and_results_are_utc():
    result = parse_time(datetime(2026, 11, 3, 14, 5))
    assert result == AT_1405_BEIJING and result.tzinfo is UTC
    assert parse_time(date(2026, 11, 3)) == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert parse_time("2026-11-03") == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    aware = datetime(2026, 11, 3, 8, 5, tzinfo=timezone(timedelta(hours=2)))
    assert parse_time(aware) == AT_1405_BEIJING


def test_half_day_words():
    assert parse_time("2026/11/3 上午12:30") == datetime(2026, 11, 2, 16, 30, tzinfo=UTC)  # 00:30 Beijing
    assert parse_time("2026/11/3 中午12:30") == datetime(2026, 11, 3, 4, 30, tzinfo=UTC)
    assert parse_time("2026/11/3 晚上8:00") == datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    assert parse_time("2026/11/3 凌晨1:15") == datetime(2026, 11, 2, 17, 15, tzinfo=UTC)


def test_numbers_are_excel_days_or_epoch_seconds_or_milliseconds():
    assert parse_time(46329.5868055556) == AT_1405_BEIJING  # Excel serial, local wall clock
    assert parse_time("46329.5868055556") == AT_1405_BEIJING
    epoch = int(AT_1405_BEIJING.timestamp())
    assert parse_time(epoch) == AT_1405_BEIJING
    assert parse_time(epoch * 1000) == AT_1405_BEIJING
    assert parse_time(str(epoch * 1000)) == AT_1405_BEIJING


def test_china_has_no_daylight_saving():
    summer, winter = parse_time("2026-07-01 12:00"), parse_time("2026-01-01 12:00")
    assert summer.hour == winter.hour == 4
    assert SHANGHAI.utcoffset(datetime(2026, 7, 1)) == timedelta(hours=8)


@pytest.mark.parametrize(("value", "reason"), [
    ("2026-13-01 10:00", 'bad time "2026-13-01 10:00": month 13 is not 1–12'),
    ("2026-02-29 10:00", 'bad time "2026-02-29 10:00": 2026-02 has no day 29'),
    ("2026-11-31", 'bad time "2026-11-31": 2026-11 has no day 31'),
    ("2026-11-03 24:00", 'bad time "2026-11-03 24:00": hour 24 is not 0–23'),
    ("2026-11-03 14:60", 'bad time "2026-11-03 14:60": minute 60 is not 0–59'),
    ("2026/11/3 下午14:05", 'bad time "2026/11/3 下午14:05": 14 o\'clock with 下午'),
    ("2026-11-03 14:05 +15:00", 'bad time "2026-11-03 14:05 +15:00": offset +15:00 is not a time zone'),
    ("1999-12-31 23:00", 'bad time "1999-12-31 23:00": year 1999 is not 2000–2100'),
    ("2999-01-01", 'bad time "2999-01-01": year 2999 is not 2000–2100'),
    ("昨天下午", 'bad time "昨天下午": not a date and time this channel can read'),
    ("11月3日上午", 'bad time "11月3日上午": not a date and time this channel can read'),
    ("", 'bad time "": blank'),
    (12, 'bad time "12": a number that is neither an Excel date nor epoch seconds or milliseconds of 2000–2100'),
    (float("nan"), 'bad time "nan": not a number of days or seconds'),
    (True, 'bad time "True": not a date'),
    (["2026-11-03"], """bad time "['2026-11-03']": not a date"""),
])
def test_bad_times_say_what_is_wrong(value, reason):
    with pytest.raises(BadTime) as caught:
        parse_time(value)
    assert str(caught.value) == reason


def test_long_bad_text_is_shortened_in_the_message():
    with pytest.raises(BadTime) as caught:
        parse_time("来电时间不详，市民称大约是上周三或者上周四的傍晚时分，具体时间记不清楚了，请核实并回电")
    assert caught.value.text.endswith("…") and len(caught.value.text) == 40


def test_doctests():
    assert doctest.testmod(ingest.times).failed == 0
