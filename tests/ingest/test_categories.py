"""Category wording and 12319 codes → enforcement items: looked up, never guessed; the table file is checked."""

from __future__ import annotations

import doctest

import pytest
import yaml

import ingest.categories
from ingest.categories import MAPPINGS_YAML, CategoryMap, CategoryMapError
from ingest.fields import Rejection


@pytest.fixture(scope="module")
def table() -> CategoryMap:
    return CategoryMap.load()


@pytest.mark.parametrize(("channel", "wording", "item"), [
    ("hotline_12345", "占道经营", "ZF001"),  # an item name
    ("hotline_12345", "流动摊贩", "ZF001"),  # the hotline's own word
    ("hotline_12345", " 噪音 扰民 ", "ZF015"),  # spaces do not matter
    ("hotline_12345", "城市管理-市容环境-占道经营", "ZF001"),  # the most specific level of a path
    ("hotline_12345", "城乡建设/违法建设/违章搭建", "ZF017"),
    ("hotline_12345", "生态环境>噪声污染>广场舞噪音", "ZF015"),
    ("hotline_12345", "ＺＦ００１", None),  # item codes are for our own apps only
    ("patrol", "ZF032", "ZF032"),
    ("patrol", "zf032", "ZF032"),
    ("patrol", "堵塞消防通道", "ZF032"),
    ("police_110", "噪声(娱乐场所)", "ZF037"),
    ("police_110", "噪声（娱乐场所）", "ZF037"),  # full-width brackets, NFKC
    ("grid_worker", "单车乱停", "ZF024"),
    ("generic_csv", "乱扔垃圾", "ZF008"),
])
def test_wording_maps_to_items(table, channel, wording, item):
    if item is None:
        with pytest.raises(Rejection):
            table.item(channel, wording)
    else:
        assert table.item(channel, wording) == item


@pytest.mark.parametrize(("channel", "wording"), [
    ("hotline_12345", "宠物走失"),  # known, no enforcement item
    ("hotline_12345", "城市管理-市容环境-其他"),  # levels known as no item: no fallback to a parent
    ("hotline_12345", "占道经营的问题"),  # near a known word: still not guessed
    ("police_110", "占道"),  # a prefix of a known word
    ("patrol", "ZF099"),
    ("no_such_channel", "占道经营"),
])
def test_unknown_wording_is_reported_not_guessed(table, channel, wording):
    with pytest.raises(Rejection) as caught:
        table.item(channel, wording)
    assert str(caught.value) == f"unmapped category: {wording}"


def test_dcm_codes(table):
    assert table.dcm_item("事件", "05", "04") == ("ZF002", "事件 05-04 店外经营")
    assert table.dcm_item("部件", "04", "02") == ("ZF022", "部件 04-02 行道树")
    with pytest.raises(Rejection, match=r"^unknown channel code: 事件 05-98 \(大类 05 街面秩序 has no 小类 98"):
        table.dcm_item("事件", "05", "98")
    with pytest.raises(Rejection, match=r"^unknown channel code: 部件 77-01 \(no 大类 77"):
        table.dcm_item("部件", "77", "01")
    with pytest.raises(Rejection, match=r"^unmapped category: 部件 01-01 上水井盖 \(no enforcement item"):
        table.dcm_item("部件", "01", "01")


def test_every_target_of_the_shipped_file_is_an_item(table):
    assert {code.item for code in table.dcm_codes.values() if code.item} <= set(table.items)
    for t in table.tables.values():
        assert {item for item in t.wording.values() if item} <= set(table.items)
    assert len(table.dcm_codes) >= 50
    assert {"hotline_12345", "grid_worker", "police_110", "patrol", "generic_csv"} <= set(table.tables)


def write(tmp_path, document) -> CategoryMap:
    path = tmp_path / "mappings.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return CategoryMap.load(path)


def test_a_mapping_to_a_missing_item_is_refused(tmp_path):
    with pytest.raises(CategoryMapError, match=r"hotline_12345: '小广告' maps to 'ZF999', which is not an item"):
        write(tmp_path, {"hotline_12345": {"wording": {"小广告": "ZF999"}}})


def test_wording_mapped_twice_is_refused(tmp_path):
    with pytest.raises(CategoryMapError, match="mapped twice"):
        write(tmp_path, {"hotline_12345": {"wording": {"小广告": "ZF005", "小 广告": "ZF004"}}})


def test_malformed_dcm_codes_are_refused(tmp_path):
    with pytest.raises(CategoryMapError, match="大类 1 is not two digits"):
        write(tmp_path, {"dcm_12319": {"事件": {1: {"name": "市容环境", "小类": {"01": {"name": "x", "item": None}}}}}})
    with pytest.raises(CategoryMapError, match="'设施' is neither 部件 nor 事件"):
        write(tmp_path, {"dcm_12319": {"事件": {}, "设施": {}}})


def test_unknown_keys_are_refused(tmp_path):
    with pytest.raises(CategoryMapError, match=r"unknown keys \['wordings'\]"):
        write(tmp_path, {"patrol": {"wordings": {}}})


def test_the_shipped_file_is_valid_yaml_with_quoted_codes():
    document = yaml.safe_load(MAPPINGS_YAML.read_text(encoding="utf-8"))
    for kind in ("部件", "事件"):
        for major, entry in document["dcm_12319"][kind].items():
            assert isinstance(major, str) and all(isinstance(minor, str) for minor in entry["小类"])


def test_doctests():
    assert doctest.testmod(ingest.categories).failed == 0
