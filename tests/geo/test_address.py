"""Normalising and parsing Chinese free-text addresses (no gazetteer needed)."""

from __future__ import annotations

import pytest

from geo.address import MAX_OFFSET_M, chinese_number, has_chinese, normalise, parse


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("凤山路１２３号", "凤山路123号"),                          # full-width digits
        ("ＡＢＣ大厦　Ｂ座", "abc大厦b座"),                          # full-width letters and space, lower case
        ("同安區鳳山路與環城南路交叉口", "同安区凤山路与环城南路交叉口"),  # traditional → simplified
        ("金山小区 3 栋", "金山小区3号楼"),
        ("金山小区3幢", "金山小区3号楼"),
        ("金山小区3座", "金山小区3号楼"),
        ("金山小区3#", "金山小区3号楼"),
        ("金山小区3号栋", "金山小区3号楼"),
        ("金山小区三栋楼下", "金山小区3号楼下"),
        ("凤山路一百二十三号", "凤山路123号"),
        ("往北五十米", "往北50米"),
        ("莲花二路10号", "莲花二路10号"),                          # a numeral that is part of a name stays
        ("「凤山路」，123号！！😀", "凤山路123号"),                  # punctuation and emoji go
        ("凤山路/大同路", "凤山路/大同路"),                          # a slash joins two roads: kept
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_is_idempotent() -> None:
    for raw in ("福建省廈門市同安區 鳳山路１２３號", "金山小区三栋楼下往北五十米", "凤山路与大同路交叉口"):
        once = normalise(raw)
        assert normalise(once) == once


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("三", 3), ("十", 10), ("十五", 15), ("二十", 20), ("一百零五", 105), ("两百", 200), ("一二三", 123), ("三千", 3000)],
)
def test_chinese_numbers(numeral: str, value: int) -> None:
    assert chinese_number(numeral) == value


def test_chinese_number_refuses_other_text() -> None:
    assert chinese_number("三秀") is None
    assert chinese_number("") is None


def test_house_and_building_numbers_are_told_apart() -> None:
    parsed = parse(normalise("凤山路123号金山小区3栋"))
    assert [n.value for n in parsed.house_numbers] == [123]
    assert [b.value for b in parsed.buildings] == [3]
    assert parsed.text[parsed.house_numbers[0].start:parsed.house_numbers[0].end] == "123号"


def test_a_metro_line_is_not_a_house_number() -> None:
    assert parse(normalise("地铁4号线凤山站")).house_numbers == ()


@pytest.mark.parametrize(
    ("text", "dx", "dy", "metres"),
    [
        ("凤山农贸市场往北50米", 0.0, 1.0, 50.0),
        ("凤山农贸市场东侧约100米", 1.0, 0.0, 100.0),
        ("凤山农贸市场向西走30米处", -1.0, 0.0, 30.0),
        ("凤山农贸市场南面200m", 0.0, -1.0, 200.0),
        ("凤山农贸市场西北方向1公里", -0.7071, 0.7071, 1000.0),
    ],
)
def test_offsets(text: str, dx: float, dy: float, metres: float) -> None:
    relative = parse(normalise(text)).relatives[0]
    assert relative.kind == "offset"
    assert relative.distance_m == pytest.approx(metres)
    assert (relative.dx, relative.dy) == (pytest.approx(dx, abs=1e-3), pytest.approx(dy, abs=1e-3))


@pytest.mark.parametrize(
    ("text", "kind", "vague"),
    [("金山小区旁边", "near", False), ("金山小区对面", "opposite", False), ("金山小区附近", "near", True),
     ("金山小区北侧", "direction", False), ("金山小区3栋楼下", "near", False)],
)
def test_relative_words(text: str, kind: str, vague: bool) -> None:
    relative = parse(normalise(text)).relatives[0]
    assert (relative.kind, relative.vague) == (kind, vague)
    assert relative.distance_m == 0.0


def test_an_implausible_offset_is_ignored() -> None:
    assert MAX_OFFSET_M < 50_000
    assert parse(normalise("凤山农贸市场往北50公里")).relatives == ()


def test_relative_after_finds_the_phrase_behind_the_place() -> None:
    parsed = parse(normalise("凤山路口往北50米金山小区旁边"))
    assert parsed.relative_after(0).phrase == "往北50米"
    assert parsed.relative_after(9).phrase == "旁边"


def test_admin_prefix_at_the_start_or_after_a_reporting_phrase() -> None:
    text = normalise("福建省厦门市同安区大同街道凤山路123号")
    assert text[slice(*parse(text).admin)] == "福建省厦门市同安区"
    text = normalise("市民反映厦门市同安区凤山路123号")
    assert text[slice(*parse(text).admin)] == "厦门市同安区"
    assert parse(normalise("凤山路123号")).admin == (0, 0)


def test_another_district_is_noticed() -> None:
    assert parse(normalise("湖里区华美空间旁边")).other_district
    assert not parse(normalise("同安区大同街道")).other_district


def test_has_chinese() -> None:
    assert has_chinese("凤山路")
    assert not has_chinese("123mainstreet")
    assert not has_chinese("")
