"""Every label in both languages; every key the dashboard code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.i18n import TEXTS, normalise, t
from layers import registry

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
KEY_USE = re.compile(r"""\b(?:t|text|bilingual_key)\(\s*f?["']([a-z_]+\.[a-z_.{}]+)["']""")


def test_every_text_has_chinese_and_english() -> None:
    for key, (zh, en) in TEXTS.items():
        assert zh.strip() and en.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh) or key.startswith("lang."), f"{key}: Chinese text expected"


def test_every_key_used_in_the_code_exists() -> None:
    used = {key for path in DASHBOARD.rglob("*.py") for key in KEY_USE.findall(path.read_text(encoding="utf-8"))}
    assert "app.title" in used, "the scan found nothing: the pattern is broken"
    missing = sorted(key for key in used if "{" not in key and key not in TEXTS)
    assert not missing, f"keys used by dashboard/ but missing from i18n.TEXTS: {missing}"


def test_every_layer_field_has_a_label() -> None:
    for layer in registry:
        for field in layer.fields:
            assert f"field.{field}" in TEXTS, f"{layer.name}.{field}"


def test_lookup_formats_and_falls_back() -> None:
    assert t("app.title") == "镇街综合行政执法指挥中心"
    assert t("app.title", "en") == "Township Enforcement Command Center"
    assert t("map.cells_shown", "en", n="1,234") == "Unit grid cells shown: 1,234"
    assert normalise(None) == "zh" and normalise("en") == "en" and normalise("de") == "zh"
    with pytest.raises(KeyError, match="no text for 'nope'"):
        t("nope")
