"""The map layers the dashboard can draw, and the one registry they all sign up in.

A layer turns a query — where the user looks (bbox), how close (zoom) and in which language — into a
GeoJSON FeatureCollection. The dashboard never names a layer: it builds its layer switcher, legend,
data callbacks and click panel by walking :data:`registry`, so a later layer (cases, hotspots, teams) is
added by writing one module with a layer class and registering an instance (a line in ``BUILT_IN`` in
``layers/__init__.py``, or :func:`register` from an extension).

Every feature a layer returns carries three properties the page relies on:

``layer``  the layer's name (which registry entry drew it)
``code``   the record's code (township, community, zone or cell code)
``label``  the display name in the query's language

plus the properties named in the layer's ``fields``, which the click panel lists in that order.
Point features with ``role = "label"`` are text labels, not records.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

BBox = tuple[float, float, float, float]
"""(min_lon, min_lat, max_lon, max_lat) in EPSG:4326, as the store takes it."""

LANGUAGES = ("zh", "en")
MAX_ZOOM = 22.0


@dataclass(frozen=True)
class LayerQuery:
    """What the map is looking at: the viewport (None: everything), the zoom level and the language.

    Bad values raise ValueError naming the field, since they come straight from a browser.
    """

    bbox: BBox | None = None
    zoom: float = 12.0
    lang: str = "zh"

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"LayerQuery.lang must be one of {LANGUAGES}, got {self.lang!r}")
        if not (isinstance(self.zoom, int | float) and math.isfinite(self.zoom) and 0 <= self.zoom <= MAX_ZOOM):
            raise ValueError(f"LayerQuery.zoom must be a number in 0..{MAX_ZOOM:g}, got {self.zoom!r}")
        if self.bbox is not None:
            if len(self.bbox) != 4 or not all(math.isfinite(v) for v in self.bbox):
                raise ValueError(f"LayerQuery.bbox must be 4 finite numbers, got {self.bbox!r}")
            min_lon, min_lat, max_lon, max_lat = self.bbox
            if min_lon > max_lon or min_lat > max_lat:
                raise ValueError(
                    f"LayerQuery.bbox must be (min_lon, min_lat, max_lon, max_lat), got {self.bbox!r}"
                )
            object.__setattr__(self, "bbox", tuple(float(v) for v in self.bbox))


@dataclass(frozen=True)
class Label:
    """A display text in both interface languages."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@runtime_checkable
class Layer(Protocol):
    """One map layer.

    Attributes
    ----------
    name : str
        Registry key and the ``layer`` property of every feature; also used in element ids.
    label : Label
        Name in the layer switcher, the legend and the click panel.
    style : Mapping
        Leaflet path options (color, weight, fillColor, fillOpacity, dashArray…); features may override
        ``fillColor`` with a ``fill`` property. The legend draws its swatch from this.
    fields : tuple of str
        Feature properties the click panel lists, in order (labels come from the dashboard's i18n).
    min_zoom : float
        Below this zoom the layer sends nothing (the cells' 40k polygons are never shipped whole).
    follows_viewport : bool
        True when the answer depends on the bbox, so panning must fetch again; False when the whole
        layer is sent and only the zoom (simplification) and language change it.
    checked : bool
        Shown when the page opens.
    """

    name: str
    label: Label
    style: Mapping[str, Any]
    fields: tuple[str, ...]
    min_zoom: float
    follows_viewport: bool
    checked: bool

    def query(self, store: Any, query: LayerQuery) -> dict:
        """A GeoJSON FeatureCollection (EPSG:4326) for the query, read from ``store``."""
        ...


class LayerRegistry:
    """Layers by name, in the order they were registered (which is also the drawing order, bottom up)."""

    def __init__(self) -> None:
        self._layers: dict[str, Layer] = {}

    def register(self, layer: Layer) -> Layer:
        if not isinstance(layer, Layer):
            raise TypeError(f"{layer!r} does not have the Layer attributes and query() method")
        if layer.name in self._layers:
            raise ValueError(f"a layer named {layer.name!r} is already registered")
        self._layers[layer.name] = layer
        return layer

    def get(self, name: str) -> Layer:
        try:
            return self._layers[name]
        except KeyError:
            raise KeyError(f"no layer named {name!r}; registered: {', '.join(self._layers)}") from None

    def names(self) -> list[str]:
        return list(self._layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(list(self._layers.values()))

    def __len__(self) -> int:
        return len(self._layers)

    def __contains__(self, name: object) -> bool:
        return name in self._layers


registry = LayerRegistry()
"""The layers the dashboard draws. Built-in layers register when ``layers`` is imported."""


def register(layer: Layer) -> Layer:
    """Add ``layer`` to the shared :data:`registry` (a layer module calls this once at import)."""
    return registry.register(layer)


def empty_collection() -> dict:
    """A FeatureCollection with no features (what a layer sends below its ``min_zoom``)."""
    return {"type": "FeatureCollection", "features": []}
