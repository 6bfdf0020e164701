"""The hand-written sources: the division list of 同安区 and the enforcement-items catalogue."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from data.catalogue import ITEMS_YAML, CatalogueError, authority_table, items_table, load_catalogue
from data.divisions import DIVISIONS_CSV, build_divisions, load_divisions

SHARED_DIVISIONS = Path(__file__).resolve().parents[3] / "shared" / "data" / "xiamen_divisions.csv"


def test_divisions_are_the_11_townships_and_144_communities() -> None:
    divisions = load_divisions()
    levels = divisions["level"].value_counts()
    assert (levels["township"], levels["community"]) == (11, 144)
    towns = divisions[divisions["level"] == "township"]
    assert sorted(towns["kind"].value_counts().items()) == [("街道", 7), ("镇", 4)]
    assert towns.set_index("name").loc["五显镇", "name_en"] == "Wuxian Town"
    comms = divisions[divisions["level"] == "community"]
    assert comms["code"].str.fullmatch(r"350212\d{6}").all() and comms["code"].is_unique
    assert (comms["code"].str[:9] == comms["parent_code"]).all()
    assert not comms["name"].str.contains("委会").any()
    assert comms["official_name"].str.endswith(("居委会", "村委会")).all()
    assert set(comms["kind"]) == {"社区", "村"}
    assert comms["name_en"].str.fullmatch(r"[A-Z][a-zü']+ (Community|Village)").all()


@pytest.mark.skipif(not SHARED_DIVISIONS.exists(), reason="shared/data is not beside the repository")
def test_committed_divisions_are_derived_from_the_shared_list() -> None:
    assert build_divisions(SHARED_DIVISIONS).equals(load_divisions(DIVISIONS_CSV))


def test_catalogue_has_about_40_items_and_a_pilot_town() -> None:
    items, pilot = load_catalogue()
    assert 38 <= len(items) <= 45 and pilot == {"350212110"}
    table = items_table(items)
    assert table["code"].is_unique and set(table["default_priority"]) == {1, 2, 3}
    for name in ("占道经营", "违法建设", "露天烧烤", "违法占用耕地", "堵塞消防通道", "食品安全隐患"):
        assert name in set(table["name"])
    towns = pd.DataFrame({"code": ["350212001", "350212105", "350212110"], "kind": ["街道", "镇", "镇"]})
    authority = authority_table(items, towns, pilot)
    own = authority[authority["authority"] != "部门"].groupby("township_code").size()
    assert own["350212110"] > own["350212105"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda items: items[1].update(code=items[0]["code"]), "duplicate code"),
        (lambda items: items[0]["authority"].update({"镇": "自管"}), "authority for 镇"),
        (lambda items: items[0].update(owner="环保局"), "owner '环保局'"),
        (lambda items: items[0].update(default_priority=5), "default_priority"),
        (lambda items: items[0].pop("legal_basis"), "missing legal_basis"),
    ],
)
def test_a_broken_catalogue_is_refused_naming_the_item(tmp_path: Path, change, message: str) -> None:
    document = yaml.safe_load(ITEMS_YAML.read_text(encoding="utf-8"))
    change(document["items"])
    path = tmp_path / "items.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError, match=message) as error:
        load_catalogue(path)
    assert "items.yaml item" in str(error.value)
