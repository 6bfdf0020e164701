"""Every text the dashboard shows, in Chinese (the first language) and English.

Pages never hard-code a label: they ask :func:`t` for a key. A key missing here is a bug that fails loudly
(KeyError naming the key) instead of showing an empty button on a wall display.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

TEXTS: dict[str, tuple[str, str]] = {
    # header
    "app.title": ("镇街综合行政执法指挥中心", "Township Enforcement Command Center"),
    "app.subtitle": ("同安区", "Tong'an District"),
    "lang.zh": ("中文", "中文"),
    "lang.en": ("English", "English"),
    "lang.switch": ("界面语言", "Interface language"),
    "nav.jurisdiction": ("辖区地图", "Jurisdiction map"),
    # map
    "map.base.plain": ("示意底图", "Plain base"),
    "map.base.tiles": ("瓦片底图", "Tile base"),
    "map.demo_boundaries": ("示意边界", "demo boundaries"),
    "map.demo_note": ("边界为生成的示意边界，非官方界线", "Boundaries are generated for the demo, not official"),
    "map.hint.zoom_cells": ("放大查看单元网格", "Zoom in to see unit grid cells"),
    "map.hint.too_many_cells": ("单元网格过多，请继续放大", "Too many cells here: zoom in further"),
    "map.cells_shown": ("已显示单元网格 {n} 个", "Unit grid cells shown: {n}"),
    "map.legend": ("图例", "Legend"),
    # side panel
    "panel.title": ("辖区信息", "Jurisdiction"),
    "panel.hint": ("点击地图查看所在镇街、村（社区）、片区和单元网格", "Click the map to see the township, community, zone and cell there"),
    "panel.outside": ("该位置不在辖区内", "This point is outside the jurisdiction"),
    "panel.summary": ("辖区概况", "Overview"),
    "panel.location": ("点击位置", "Clicked point"),
    "summary.townships": ("镇街", "Townships"),
    "summary.communities": ("村/社区", "Communities"),
    "summary.zones": ("巡查片区", "Patrol zones"),
    "summary.cells": ("单元网格", "Unit grid cells"),
    # feature fields (the layers' `fields`)
    "field.code": ("代码", "Code"),
    "field.kind": ("类型", "Kind"),
    "field.township": ("所属镇街", "Township"),
    "field.area_km2": ("面积（km²）", "Area (km²)"),
    "field.area_m2": ("面积（m²）", "Area (m²)"),
    "field.community_count": ("村/社区数", "Communities"),
    "field.zone_count": ("片区数", "Zones"),
    "field.cell_count": ("单元网格数", "Cells"),
    "field.col": ("网格列号", "Grid column"),
    "field.row": ("网格行号", "Grid row"),
    # values of `kind`
    "kind.街道": ("街道", "Subdistrict"),
    "kind.镇": ("镇", "Town"),
    "kind.社区": ("社区", "Community"),
    "kind.村": ("村", "Village"),
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``lang`` (unknown languages fall back to Chinese), formatted with ``values``."""
    try:
        zh, en = TEXTS[key]
    except KeyError:
        raise KeyError(f"no text for {key!r} in dashboard/i18n.py") from None
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def has(key: str) -> bool:
    """Whether a text exists for ``key`` (for values such as a kind that may be new)."""
    return key in TEXTS


def normalise(lang: object) -> str:
    """A supported language code from whatever the browser's store holds (None, old values…)."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE
