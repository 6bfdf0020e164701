"""Which map layers need new data when the view changes, and what to ask each of them.

The browser reports its viewport after every pan and zoom. Re-sending every layer each time would ship
the same township polygons again and again, so the page remembers what it last sent per layer (a
*signature*) and fetches only when that changes:

- a whole layer (townships, communities, zones) changes with the language and the detail level
  (:func:`layers.geojson.detail_zoom`), never with panning;
- a viewport layer (cells) is fetched for the view padded by :data:`PAD` on each side, and again only
  when the view leaves that padded box, the detail level or language changes, or it is switched off.

Signatures are plain lists so they can live in a ``dcc.Store``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layers import Layer, LayerQuery
from layers.geojson import detail_zoom

PAD = 0.2
"""Fraction of the view's width/height fetched beyond each edge, so small pans need no new request."""

OFF = ["off"]

OPENING_ZOOM = 12.0
"""Zoom assumed before the browser reports its own: the district fits a desktop screen at 11.5–12.5."""
OPENING_ZOOMS = (12.0, 14.0)
"""Detail levels the whole district opens at: 12 on a laptop, 14 on a large screen or wall display."""


@dataclass(frozen=True)
class Fetch:
    """The decision for one layer: ``query`` to run (None: keep what was sent, or send nothing if
    ``clear``), and the signature to remember."""

    query: LayerQuery | None
    signature: list
    clear: bool = False

    @property
    def keep(self) -> bool:
        return self.query is None and not self.clear


def view_bbox(bounds: Any) -> tuple[float, float, float, float] | None:
    """dash-leaflet's ``bounds`` ([[south, west], [north, east]]) as (min_lon, min_lat, max_lon, max_lat)."""
    try:
        (south, west), (north, east) = bounds
        bbox = (float(west), float(south), float(east), float(north))
    except (TypeError, ValueError):
        return None
    return bbox if bbox[0] <= bbox[2] and bbox[1] <= bbox[3] else None


def pad(bbox: tuple[float, float, float, float], fraction: float = PAD) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = bbox
    dx, dy = (max_lon - min_lon) * fraction, (max_lat - min_lat) * fraction
    return (min_lon - dx, min_lat - dy, max_lon + dx, max_lat + dy)


def contains(outer: list | tuple, inner: tuple[float, float, float, float]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def plan(
    layer: Layer,
    *,
    bbox: tuple[float, float, float, float] | None,
    zoom: float,
    lang: str,
    shown: bool,
    sent: list | None,
) -> Fetch:
    """What to do for ``layer`` at this view, given the signature of what it last received (``sent``)."""
    detail = detail_zoom(zoom)
    if not layer.follows_viewport:
        signature = ["whole", lang, detail]
        if sent == signature:
            return Fetch(None, signature)
        return Fetch(LayerQuery(bbox=None, zoom=zoom, lang=lang), signature)
    if not shown or zoom < layer.min_zoom or bbox is None:
        return Fetch(None, OFF, clear=sent not in (None, OFF))
    if sent and sent[0] == "bbox" and sent[1] == lang and sent[2] == detail and contains(sent[3:], bbox):
        return Fetch(None, sent)
    fetched = tuple(round(v, 6) for v in pad(bbox))
    return Fetch(LayerQuery(bbox=fetched, zoom=zoom, lang=lang), ["bbox", lang, detail, *fetched])
