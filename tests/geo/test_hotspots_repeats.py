"""Repeat places (反复发生): the same item back at the same place after its case was closed."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from geo.hotspots.repeats import normalise_address, repeat_places


def frame(rows: list[tuple]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["case_id", "place", "item_code", "opened_at", "closed_at"])
    table["opened_at"] = pd.to_datetime(table["opened_at"], utc=True, format="ISO8601")
    table["closed_at"] = pd.to_datetime(table["closed_at"], utc=True, format="ISO8601")
    return table


CASES = frame([
    # cell A, street vending: closed, back twice (the second return after the second closure)
    (1, "A", "ZF001", "2026-09-01", "2026-09-02"),
    (2, "A", "ZF001", "2026-09-10", "2026-09-12"),
    (3, "A", "ZF001", "2026-09-20", None),
    # cell A, another item: no repeat of ZF001 and none of its own
    (4, "A", "ZF007", "2026-09-15", "2026-09-16"),
    # cell B: the second case was opened while the first was still open (a duplicate, not a return)
    (5, "B", "ZF001", "2026-09-01", "2026-09-30"),
    (6, "B", "ZF001", "2026-09-05", "2026-09-06"),
    # cell C: back, but 200 days after closing
    (7, "C", "ZF001", "2026-01-01", "2026-01-02"),
    (8, "C", "ZF001", "2026-07-21", None),
    # no place: cannot repeat
    (9, None, "ZF001", "2026-09-01", "2026-09-02"),
    (10, None, "ZF001", "2026-09-03", None),
])


def test_returns_after_a_closure_are_repeats() -> None:
    table = repeat_places(CASES)
    assert table[["place", "item_code", "cases", "repeats"]].values.tolist() == [["A", "ZF001", 3, 2]]
    row = table.iloc[0]
    assert row.repeat_case_ids == [2, 3] and row.case_ids == [1, 2, 3]
    assert row.days_to_return == pytest.approx((8 + 8) / 2)  # 09-02 → 09-10 and 09-12 → 09-20


def test_the_window_decides_what_still_counts() -> None:
    assert set(repeat_places(CASES, within=None)["place"]) == {"A", "C"}
    assert repeat_places(CASES, within=timedelta(days=7)).empty  # A's returns came after 8 days
    assert repeat_places(CASES, min_repeats=3).empty


def test_a_case_opened_while_another_was_open_is_no_repeat() -> None:
    assert "B" not in set(repeat_places(CASES, within=None)["place"])


def test_a_closure_at_the_same_instant_as_an_opening_does_not_count() -> None:
    same = frame([(1, "A", "ZF001", "2026-09-01", "2026-09-02T10:00"), (2, "A", "ZF001", "2026-09-02T10:00", None)])
    assert repeat_places(same).empty


def test_bad_rows_are_named() -> None:
    wrong = frame([(41, "A", "ZF001", "2026-09-05", "2026-09-01")])
    with pytest.raises(ValueError, match="case 41 was closed"):
        repeat_places(wrong)
    with pytest.raises(ValueError, match="missing: closed_at"):
        repeat_places(CASES.drop(columns=["closed_at"]))


def test_addresses_are_one_place_whatever_the_spacing_and_width() -> None:
    assert normalise_address("同安区 大同街道 凤山路１２３号") == normalise_address("同安区大同街道凤山路123号。")
    assert normalise_address(None) is None and normalise_address("   ") is None
