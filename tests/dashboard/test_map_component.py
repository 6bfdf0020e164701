"""The map component: an offline base unless a tile server is configured, one overlay per layer."""

from __future__ import annotations

import json
import re

import plotly.io.json as plotly_json

from dashboard.components.map import LAYERS_CONTROL_ID, bilingual, jurisdiction_map, overlay_name
from dashboard.runtime import Runtime
from layers import registry

EXTENT = (118.06, 24.63, 118.23, 24.83)


def runtime(**overrides) -> Runtime:
    values = {"store": None, "jurisdiction_name": "demo", "demo_boundaries": True, "extent": EXTENT}
    return Runtime(**{**values, **overrides})


def serialised(component) -> str:
    """The component as the browser receives it, Chinese left readable."""
    return json.dumps(json.loads(plotly_json.to_json_plotly(component)), ensure_ascii=False)


def find(component, type_name: str) -> list:
    found = [component] if type(component).__name__ == type_name else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            found += find(child, type_name)
    return found


def test_without_a_tile_server_the_map_names_no_url_but_the_leaflet_credit() -> None:
    text = serialised(jurisdiction_map(runtime(), registry, "zh"))
    urls = set(re.findall(r"https?://[^\"'\\ <>]+", text))
    assert urls == {"https://leafletjs.com"}
    assert not find(jurisdiction_map(runtime(), registry, "zh"), "TileLayer")  # its default is OpenStreetMap


def test_a_configured_tile_server_is_the_checked_base() -> None:
    url = "http://tiles.intranet.example/{z}/{x}/{y}.png"
    component = jurisdiction_map(runtime(tile_url=url, tile_attribution="内网"), registry, "zh")
    (tiles,) = find(component, "TileLayer")
    assert tiles.url == url and tiles.attribution == "内网"
    bases = find(component, "BaseLayer")
    assert [b.checked for b in bases] == [True, False]


def test_one_overlay_per_registered_layer_in_registry_order() -> None:
    component = jurisdiction_map(runtime(), registry, "en")
    (control,) = [c for c in find(component, "LayersControl") if c.id == LAYERS_CONTROL_ID]
    overlays = find(control, "Overlay")
    assert [o.name for o in overlays] == [overlay_name(layer) for layer in registry]
    assert [o.checked for o in overlays] == [layer.checked for layer in registry]
    names = [o.children.id["name"] for o in overlays]
    assert names == registry.names()


def test_demo_boundaries_are_said_in_both_languages_only_when_true() -> None:
    demo = serialised(jurisdiction_map(runtime(demo_boundaries=True), registry, "zh"))
    real = serialised(jurisdiction_map(runtime(demo_boundaries=False), registry, "zh"))
    for text in ("示意边界", "demo boundaries", "边界为生成的示意边界"):
        assert text in demo
        assert text not in real


def test_bilingual_html_escapes_its_text() -> None:
    assert bilingual("<b>", "a&b") == (
        '<span class="cc-i18n" lang="zh">&lt;b&gt;</span><span class="cc-i18n" lang="en">a&amp;b</span>'
    )
