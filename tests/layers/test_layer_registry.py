"""The layer registry: built-in layers in drawing order, clear errors, validated queries."""

from __future__ import annotations

import pytest

from layers import BUILT_IN, Label, Layer, LayerQuery, LayerRegistry, registry


class Dots:
    name = "dots"
    label = Label("点", "Dots")
    style = {"color": "#000"}
    fields = ("code",)
    min_zoom = 0.0
    follows_viewport = True
    checked = False

    def query(self, store, query: LayerQuery) -> dict:
        return {"type": "FeatureCollection", "features": []}


def test_built_in_layers_are_registered_bottom_up() -> None:
    assert registry.names()[:4] == ["townships", "communities", "zones", "cells"]
    for layer in BUILT_IN:
        assert isinstance(layer, Layer)
        assert registry.get(layer.name) is layer
        assert layer.label.zh and layer.label.en
        assert "code" in layer.fields
    assert registry.get("cells").follows_viewport and registry.get("cells").min_zoom == 15
    assert not registry.get("townships").follows_viewport


def test_a_new_layer_registers_the_same_way() -> None:
    local = LayerRegistry()
    dots = local.register(Dots())
    assert local.names() == ["dots"] and list(local) == [dots] and "dots" in local
    with pytest.raises(ValueError, match="already registered"):
        local.register(Dots())
    with pytest.raises(KeyError, match="no layer named 'cases'; registered: dots"):
        local.get("cases")
    with pytest.raises(TypeError, match="Layer attributes"):
        local.register(object())


def test_label_picks_the_language() -> None:
    label = Label("镇街", "Townships")
    assert label("zh") == "镇街" and label("en") == "Townships" and label("fr") == "镇街"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lang": "fr"}, "lang"),
        ({"zoom": -1}, "zoom"),
        ({"zoom": float("nan")}, "zoom"),
        ({"zoom": 30}, "zoom"),
        ({"bbox": (118.2, 24.6, 118.1, 24.7)}, "min_lon"),
        ({"bbox": (118.1, 24.6, 118.2)}, "4 finite"),
        ({"bbox": (118.1, 24.6, float("inf"), 24.7)}, "4 finite"),
    ],
)
def test_bad_queries_are_refused_with_the_field_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LayerQuery(**kwargs)


def test_query_bbox_is_floats() -> None:
    query = LayerQuery(bbox=(118, 24, 119, 25), zoom=15, lang="en")
    assert query.bbox == (118.0, 24.0, 119.0, 25.0) and all(isinstance(v, float) for v in query.bbox)
