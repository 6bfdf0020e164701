"""Reading a position as the channel gives it: numbers, a declared coordinate system, axis order.

The adapters do not convert coordinates — :func:`geo.coords.convert` does, later in the pipeline — but they
must hand over numbers in a system that function knows, in (x, y) order, or say precisely why not:
coordinates that are not numbers, an unknown coordinate system, latitude and longitude swapped, a phone
that had no fix and sent (0, 0).

>>> lonlat("118.1473", "24.7311", coordinate_system("GCJ-02"))
Point(x=118.1473, y=24.7311, crs='gcj02')
>>> gauss_kruger(2736635.2, 616350.1)        # surveying order: X is the northing
(Point(x=616350.1, y=2736635.2, crs='EPSG:4548'), 'X/Y in surveying order (X = northing 2736635.2): read as Y/X')

Notes
-----
Chinese surveying writes X for the northing and Y for the easting, GIS tools the other way round. In a
Gauss–Krüger zone the two cannot be confused: an easting lies within a few hundred kilometres of the
500 000 m false easting, a northing anywhere in China is more than 1 000 000 m. So the order is read from
the magnitudes, and the note says when the columns were swapped. An easting prefixed with its 3-degree zone
number (``39616350.1``, zone 39 = central meridian 117°E) belongs to EPSG:4513 + (zone − 25), the
"zone NN" variants of CGCS2000 / 3-degree Gauss–Krüger.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from ingest.fields import Rejection, is_blank
from ingest.report import Point

GEOGRAPHIC_SYSTEMS: dict[str, str] = {
    # declared name (lower case, no spaces) → the name geo.coords.convert takes
    "wgs84": "wgs84", "wgs-84": "wgs84", "wgs_84": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84", "gps": "wgs84",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj_02": "gcj02", "国测局": "gcj02", "火星坐标": "gcj02",
    "amap": "gcj02", "gaode": "gcj02", "高德": "gcj02", "tencent": "gcj02", "qq": "gcj02", "腾讯": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09", "baidu": "bd09", "百度": "bd09",
    "cgcs2000": "cgcs2000", "epsg:4490": "cgcs2000", "4490": "cgcs2000",
}
"""Names channels use for geographic systems. Baidu's ``bd09mc`` (Mercator metres) is not among them."""

DISTRICT_GK_CRS = "EPSG:4548"
"""CGCS2000 / 3-degree Gauss–Krüger CM 117E: the 12319 system's projection for Tong'an (no zone prefix)."""

_EASTING = (100_000.0, 900_000.0)
_NORTHING = (1_000_000.0, 10_000_000.0)
_ZONES = range(25, 46)  # 3-degree zones of CGCS2000 with an EPSG "zone NN" code (EPSG:4513–4533)


def coordinate_system(declared: Any, default: str | None = None, label: str = "crs") -> str:
    """The ``geo.coords`` name of a declared geographic system; ``default`` when none is declared."""
    if is_blank(declared):
        if default is None:
            raise Rejection(f"missing coordinate system: coordinates without {label} (wgs84, gcj02 or bd09)")
        return default
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(declared))).lower()
    if key in GEOGRAPHIC_SYSTEMS:
        return GEOGRAPHIC_SYSTEMS[key]
    hint = " (Baidu Mercator metres: send bd09ll longitude/latitude)" if key == "bd09mc" else ""
    raise Rejection(f'unknown coordinate system "{str(declared)[:40]}"{hint}: expected wgs84, gcj02 or bd09')


def lonlat(lon: Any, lat: Any, crs: str, labels: tuple[str, str] = ("lon", "lat")) -> Point | None:
    """A longitude/latitude point, None when both are blank.

    Raises
    ------
    Rejection
        One of the pair missing, not numbers, outside [-180, 180] × [-90, 90] (with a hint when swapped),
        or (0, 0) — what a phone sends when it has no fix (:class:`NoFix`).
    """
    if is_blank(lon) and is_blank(lat):
        return None
    x, y = _numbers(lon, lat, labels)
    if x == 0.0 and y == 0.0:
        raise NoFix(f"coordinates {labels[0]}=0, {labels[1]}=0: the device had no position fix")
    if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
        hint = f" ({labels[0]} and {labels[1]} swapped?)" if -90.0 <= x <= 90.0 and -180.0 <= y <= 180.0 else ""
        raise Rejection(f"coordinates out of range: {labels[0]}={_fmt(x)}, {labels[1]}={_fmt(y)}{hint}")
    return Point(x, y, crs)


def gauss_kruger(x: Any, y: Any, crs: str = DISTRICT_GK_CRS,
                 labels: tuple[str, str] = ("X", "Y")) -> tuple[Point | None, str | None]:
    """A projected point from the channel's X and Y, in (easting, northing) order; and a note if swapped.

    ``crs`` is the projection the channel declares for eastings without a zone prefix.
    """
    if is_blank(x) and is_blank(y):
        return None, None
    first, second = _numbers(x, y, labels)
    if first == 0.0 and second == 0.0:
        raise NoFix(f"coordinates {labels[0]}=0, {labels[1]}=0: the case has no position")
    if _is_easting(first) and _is_northing(second):
        return _projected(first, second, crs), None
    if _is_northing(first) and _is_easting(second):
        note = f"{labels[0]}/{labels[1]} in surveying order ({labels[0]} = northing {_fmt(first)}): read as {labels[1]}/{labels[0]}"
        return _projected(second, first, crs), note
    raise Rejection(
        f"coordinates not Gauss–Krüger metres: {labels[0]}={_fmt(first)}, {labels[1]}={_fmt(second)} (expected an "
        f"easting of {_EASTING[0]:,.0f}–{_EASTING[1]:,.0f} m, or with a zone prefix, and a northing of "
        f"{_NORTHING[0]:,.0f}–{_NORTHING[1]:,.0f} m, in {crs})"
    )


class NoFix(Rejection):
    """(0, 0): the sender had no position. A record with an address can still be located from that."""


def _numbers(a: Any, b: Any, labels: tuple[str, str]) -> tuple[float, float]:
    values = []
    for value in (a, b):
        number = _number(value)
        if number is None:
            raise Rejection(
                f"coordinates not numbers: {labels[0]}={_show(a)}, {labels[1]}={_show(b)}"
                if not (is_blank(a) or is_blank(b))
                else f"coordinates incomplete: {labels[0]}={_show(a)}, {labels[1]}={_show(b)}"
            )
        values.append(number)
    return values[0], values[1]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or is_blank(value):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("°").strip()
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
            return None
        number = float(text)
    return number if math.isfinite(number) else None


def _show(value: Any) -> str:
    return '""' if is_blank(value) else f'"{str(value)[:30]}"' if isinstance(value, str) else repr(value)[:30]


def _fmt(value: float) -> str:
    """A coordinate as people write it: no exponent, no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:g}"


def _zone(easting: float) -> int | None:
    zone = int(easting // 1_000_000)
    if zone in _ZONES and _EASTING[0] <= easting - zone * 1_000_000 < _EASTING[1]:
        return zone
    return None


def _is_easting(value: float) -> bool:
    return _EASTING[0] <= value < _EASTING[1] or _zone(value) is not None


def _is_northing(value: float) -> bool:
    return _NORTHING[0] <= value < _NORTHING[1]


def _projected(easting: float, northing: float, crs: str) -> Point:
    zone = _zone(easting)
    if zone is None:
        return Point(easting, northing, crs)
    return Point(easting, northing, f"EPSG:{4513 + zone - 25}")
