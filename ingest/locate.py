"""Locating reports: coordinates converted or the address geocoded, then cell, community, zone and township.

Reports leave the channel adapters with their location *as given* (:class:`ingest.report.Point` in the
channel's coordinate system, an address, or both). :meth:`Locator.locate` places a whole batch at once:

1. points are grouped by coordinate system and converted to WGS-84 with one vectorised
   :func:`geo.coords.convert` call per group (a 12319 batch of Gauss–Krüger metres, a grid-worker batch of
   GCJ-02 …), then :class:`geo.jurisdiction_index.JurisdictionIndex` finds every point's cell, community,
   patrol zone and township in one call;
2. reports with only an address — and reports whose point lies outside the jurisdiction but that also give
   an address — are geocoded (:class:`geo.geocoder.Geocoder`; each distinct text once, results kept across
   batches) and the geocoded point goes through the index too;
3. what cannot be placed with confidence — a low-confidence, ambiguous or unknown address, a point outside
   the jurisdiction, coordinates that are not a position — is *not* quarantined: the report is kept with
   status ``needs_manual``, the reason in words and the candidates an operator can choose from (the
   geocoder's candidates, or the nearest township of a point just outside). Nothing is lost.

A report whose channel names its own grid cell (12319, grid workers) gets a note when the located cell
differs. Pure: no database; the index and the geocoder are built by the caller (from the store, or a
jurisdiction folder).

>>> locator = Locator(index, geocoder)                                     # doctest: +SKIP
>>> placed = locator.locate(reports)                                       # doctest: +SKIP
>>> placed.status[0], placed.cell[0], placed.record(0)["reason"]           # doctest: +SKIP
('located', '350212001001001', None)

Notes
-----
Stored positions are WGS-84 lon/lat (EPSG:4326). CGCS2000 geographic coordinates are taken as WGS-84 (see
:mod:`geo.coords`). Confidence is 1.0 for a point inside the jurisdiction (the channel's own GPS accuracy is
not known here) and the geocoder's confidence for an address.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from geo.coords import convert
from geo.geocoder import Geocoder, GeocodeResult
from geo.jurisdiction_index import INSIDE, INVALID, OUTSIDE, JurisdictionIndex
from ingest.report import Report

LOCATED: Final = "located"
"""Placed from the report's coordinates."""
GEOCODED: Final = "geocoded"
"""Placed from the report's address, confidently."""
NEEDS_MANUAL: Final = "needs_manual"
"""Waiting in the manual-location queue: an operator must place it (see ``reason`` and ``candidates``)."""
PLACED: Final = "placed"
"""Placed by an operator from the manual-location queue."""
LOCATION_STATUSES: Final = (LOCATED, GEOCODED, NEEDS_MANUAL, PLACED)

GEOCODE_CACHE_SIZE: Final = 200_000
"""Distinct address texts whose geocoding is remembered across batches (a hotline repeats its streets)."""

_GEOGRAPHIC_AS_WGS84 = frozenset({"wgs84", "wgs-84", "epsg:4326", "cgcs2000", "epsg:4490"})


@dataclass(frozen=True, eq=False)
class Placements:
    """Where each report of a batch lies, column by column (index ``i`` is the batch's report ``i``).

    Attributes
    ----------
    lon, lat : float arrays
        WGS-84 position; NaN when there is none. A report waiting for manual location may still have one
        (a point just outside the jurisdiction, a low-confidence geocode): it is a suggestion, not a place.
    status : object array
        ``located``, ``geocoded`` or ``needs_manual``.
    cell, community, zone, township : object arrays
        Codes, None where unknown (always None while ``needs_manual``).
    confidence : float array
        1.0 from coordinates, the geocoder's confidence from an address, NaN when nothing was found.
    reason : list
        Why a report needs manual location (None otherwise).
    candidates : list of tuples of dicts
        What an operator can choose from (JSON types).
    notes : list of tuples of str
        What locating did that a person may want to know (a point outside placed by its address, a cell
        code that differs from the channel's own).
    """

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    status: NDArray[np.object_]
    cell: NDArray[np.object_]
    community: NDArray[np.object_]
    zone: NDArray[np.object_]
    township: NDArray[np.object_]
    confidence: NDArray[np.float64]
    reason: list[str | None]
    candidates: list[tuple[dict[str, Any], ...]]
    notes: list[tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.status)

    @property
    def placed(self) -> NDArray[np.bool_]:
        """True where the report has a cell (it can open or join a case)."""
        return self.status != NEEDS_MANUAL

    def record(self, i: int) -> dict[str, Any]:
        """Report ``i``'s placement as JSON types."""
        def number(value: float) -> float | None:
            return None if math.isnan(value) else float(value)

        return {
            "status": self.status[i], "lon": number(self.lon[i]), "lat": number(self.lat[i]),
            "cell": self.cell[i], "community": self.community[i], "zone": self.zone[i],
            "township": self.township[i], "confidence": number(self.confidence[i]), "reason": self.reason[i],
            "candidates": list(self.candidates[i]), "notes": list(self.notes[i]),
        }


class Locator:
    """Places batches of reports with one jurisdiction index and (optionally) one geocoder.

    Parameters
    ----------
    index
        The jurisdiction index (cells, communities, zones, townships).
    geocoder
        The address geocoder; without one, address-only reports wait for manual location.
    cache_size
        Distinct address texts remembered across batches.
    """

    def __init__(self, index: JurisdictionIndex, geocoder: Geocoder | None = None,
                 cache_size: int = GEOCODE_CACHE_SIZE) -> None:
        self.index = index
        self.geocoder = geocoder
        self._cache: dict[str, GeocodeResult] = {}
        self._cache_size = cache_size
        township = index.tables["township"]
        self._township_names = dict(zip(township.codes.tolist(), township.names.tolist(), strict=True))

    # ------------------------------------------------------------------------------------------ public

    def locate(self, reports: Sequence[Report]) -> Placements:
        """The placement of every report, in order (see the module docstring)."""
        n = len(reports)
        out = _Builder(n)
        to_geocode: list[int] = []
        self._locate_points(reports, out, to_geocode)
        to_geocode += [i for i, r in enumerate(reports) if r.point is None]
        to_geocode.sort()
        self._locate_addresses(reports, to_geocode, out)
        for i, report in enumerate(reports):
            given = report.cell_code
            if given and out.cell[i] is not None and given != out.cell[i]:
                out.notes[i].append(f"channel cell code {given} differs from the located cell {out.cell[i]}")
        return out.build()

    def locate_point(self, lon: float, lat: float, crs: str = "wgs84") -> dict[str, Any]:
        """One point an operator chose (manual location): its WGS-84 position and codes, or why not.

        Returns ``{"lon", "lat", "status", "cell", "community", "zone", "township", "reason"}`` with status
        ``placed`` when the point lies inside the jurisdiction, else ``needs_manual`` and the reason.
        """
        try:
            wlon, wlat = self._to_wgs84(np.array([lon], float), np.array([lat], float), crs)
        except ValueError as exc:
            return {"lon": None, "lat": None, "status": NEEDS_MANUAL, "cell": None, "community": None,
                    "zone": None, "township": None, "reason": f"coordinates ({lon}, {lat}) {crs}: {exc}"}
        found = self.index.locate(wlon, wlat)
        codes = {level: found.codes(level)[0] for level in ("cell", "community", "zone", "township")}
        if found.status[0] == INSIDE:
            return {"lon": float(wlon[0]), "lat": float(wlat[0]), "status": PLACED, **codes, "reason": None}
        what, _ = self._outside(found, 0)
        reason = f"point ({lon:g}, {lat:g}) {crs} {what}"
        return {"lon": float(wlon[0]), "lat": float(wlat[0]), "status": NEEDS_MANUAL, **codes, "reason": reason}

    def geocode(self, text: str) -> GeocodeResult:
        """The geocoder's answer for ``text``, remembered (see ``cache_size``)."""
        cached = self._cache.get(text)
        if cached is None:
            if self.geocoder is None:
                raise ValueError("no geocoder")
            cached = self.geocoder.geocode(text)
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[text] = cached
        return cached

    # ------------------------------------------------------------------------------------------ points

    def _locate_points(self, reports: Sequence[Report], out: _Builder, to_geocode: list[int]) -> None:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, report in enumerate(reports):
            if report.point is not None:
                groups[report.point.crs.strip().lower()].append(i)
        if not groups:
            return
        rows: list[np.ndarray] = []
        lons: list[np.ndarray] = []
        lats: list[np.ndarray] = []
        for crs, members in groups.items():
            idx = np.asarray(members, dtype=np.int64)
            x = np.fromiter((reports[i].point.x for i in members), float, len(members))  # type: ignore[union-attr]
            y = np.fromiter((reports[i].point.y for i in members), float, len(members))  # type: ignore[union-attr]
            lon, lat, problems = self._convert_group(x, y, crs)
            for k, problem in problems.items():
                i = members[k]
                self._point_failed(reports[i], i, out, to_geocode,
                                   f"coordinates {reports[i].point} are not a position: {problem}", ())
            keep = np.isfinite(lon) & np.isfinite(lat)
            rows.append(idx[keep])
            lons.append(lon[keep])
            lats.append(lat[keep])
        idx = np.concatenate(rows)
        if not len(idx):
            return
        lon, lat = np.concatenate(lons), np.concatenate(lats)
        found = self.index.locate(lon, lat)
        inside = found.status == INSIDE
        self._fill(out, idx[inside], lon[inside], lat[inside], found, inside, LOCATED, 1.0)
        for k in np.flatnonzero(~inside):
            i = int(idx[k])
            what, candidates = self._outside(found, int(k), lon[k], lat[k])
            out.lon[i], out.lat[i] = lon[k], lat[k]
            self._point_failed(reports[i], i, out, to_geocode, f"point {reports[i].point} {what}", candidates)

    def _convert_group(self, x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
        """WGS-84 lon/lat of one coordinate system's points, NaN and a problem for those that fail."""
        try:
            lon, lat = self._to_wgs84(x, y, crs)
            return lon, lat, {}
        except ValueError:
            pass  # some point of the group is refused: convert one by one to find which, keep the rest
        lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
        problems: dict[int, str] = {}
        for k in range(len(x)):
            try:
                a, b = self._to_wgs84(x[k:k + 1], y[k:k + 1], crs)
                lon[k], lat[k] = a[0], b[0]
            except ValueError as exc:
                problems[k] = str(exc)
        return lon, lat, problems

    @staticmethod
    def _to_wgs84(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
        if crs.strip().lower() in _GEOGRAPHIC_AS_WGS84:
            ok = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
            if not ok.all():
                k = int(np.flatnonzero(~ok)[0])
                raise ValueError(f"lon {x[k]!r}, lat {y[k]!r} is not a longitude/latitude")
            return x.astype(float), y.astype(float)
        lon, lat = convert(x, y, crs, "wgs84")
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def _point_failed(self, report: Report, i: int, out: _Builder, to_geocode: list[int], reason: str,
                      candidates: tuple[dict[str, Any], ...]) -> None:
        """A point that does not place the report: try its address, else the manual-location queue."""
        if report.address and self.geocoder is not None:
            out.notes[i].append(f"{reason}: located from the address instead")
            out.fallback[i] = (reason, candidates)
            to_geocode.append(i)
            return
        out.manual(i, reason, candidates)

    def _outside(self, found: Any, k: int, lon: float | None = None,
                 lat: float | None = None) -> tuple[str, tuple[dict[str, Any], ...]]:
        """What is wrong with located point ``k`` (``lies outside …`` or ``is not a valid position``), and the
        nearest township as a candidate when the point lies just outside."""
        if found.status[k] == INVALID:
            return "is not a valid position", ()
        assert found.status[k] == OUTSIDE
        distance = float(found.distance_m[k])
        if math.isnan(distance):
            return f"lies outside the jurisdiction, more than {self.index.near_m:g} m from any township", ()
        code = found.codes("nearest_township")[k]
        name = self._township_names.get(code, code)
        candidate = {"source": "nearest_township", "township_code": code, "name": name,
                     "distance_m": round(distance, 1)}
        if lon is not None and lat is not None:
            candidate.update(lon=round(float(lon), 7), lat=round(float(lat), 7))
        return f"lies outside the jurisdiction, {distance:.0f} m from {name} ({code})", (candidate,)

    # ------------------------------------------------------------------------------------------ addresses

    def _locate_addresses(self, reports: Sequence[Report], rows: list[int], out: _Builder) -> None:
        if not rows:
            return
        if self.geocoder is None:
            for i in rows:
                out.manual(i, "address only, and no gazetteer to geocode it with", ())
            return
        ok_rows: list[int] = []
        ok_lon: list[float] = []
        ok_lat: list[float] = []
        results: dict[int, GeocodeResult] = {}
        for i in rows:
            result = self.geocode(reports[i].address or "")
            results[i] = result
            if result.status == "ok":
                ok_rows.append(i)
                ok_lon.append(result.lon)  # type: ignore[arg-type]
                ok_lat.append(result.lat)  # type: ignore[arg-type]
            else:
                self._address_failed(i, out, _geocode_reason(result), _candidates(result))
                if result.point is not None:
                    out.lon[i], out.lat[i] = result.point
                    out.confidence[i] = result.confidence
        if not ok_rows:
            return
        idx = np.asarray(ok_rows, dtype=np.int64)
        lon, lat = np.asarray(ok_lon, float), np.asarray(ok_lat, float)
        found = self.index.locate(lon, lat)
        inside = found.status == INSIDE
        confidence = np.array([results[i].confidence for i in ok_rows], float)
        self._fill(out, idx[inside], lon[inside], lat[inside], found, inside, GEOCODED, confidence[inside])
        communities = found.codes("community")
        for k in np.flatnonzero(inside):
            i, said = int(idx[k]), results[int(idx[k])].community_code
            if said and said != communities[k]:
                out.notes[i].append(f"the geocoder placed the address in community {said}; the point lies in "
                                    f"{communities[k]}")
        for k in np.flatnonzero(~inside):
            i = int(idx[k])
            what, candidates = self._outside(found, int(k), lon[k], lat[k])
            out.lon[i], out.lat[i], out.confidence[i] = lon[k], lat[k], confidence[k]
            reason = f"address {reports[i].address!r} geocoded to ({lon[k]:.6f}, {lat[k]:.6f}), which {what}"
            self._address_failed(i, out, reason, candidates + _candidates(results[i]))

    @staticmethod
    def _address_failed(i: int, out: _Builder, reason: str, candidates: tuple[dict[str, Any], ...]) -> None:
        if i in out.fallback:  # a point outside, then an address that does not place it either: say both
            point_reason, point_candidates = out.fallback[i]
            out.notes[i] = [n for n in out.notes[i] if not n.startswith(point_reason)]
            out.manual(i, f"{point_reason}; {reason}", point_candidates + candidates)
            return
        out.manual(i, reason, candidates)

    # ------------------------------------------------------------------------------------------ helpers

    @staticmethod
    def _fill(out: _Builder, idx: np.ndarray, lon: np.ndarray, lat: np.ndarray, found: Any, mask: np.ndarray,
              status: str, confidence: Any) -> None:
        if not len(idx):
            return
        out.lon[idx], out.lat[idx] = lon, lat
        out.status[idx] = status
        for level in ("cell", "community", "zone", "township"):
            getattr(out, level)[idx] = found.codes(level)[mask]
        out.confidence[idx] = confidence


class _Builder:
    """The columns of :class:`Placements` while they are filled."""

    def __init__(self, n: int) -> None:
        self.lon = np.full(n, np.nan)
        self.lat = np.full(n, np.nan)
        self.status = np.full(n, NEEDS_MANUAL, dtype=object)
        self.cell = np.full(n, None, dtype=object)
        self.community = np.full(n, None, dtype=object)
        self.zone = np.full(n, None, dtype=object)
        self.township = np.full(n, None, dtype=object)
        self.confidence = np.full(n, np.nan)
        self.reason: list[str | None] = [None] * n
        self.candidates: list[tuple[dict[str, Any], ...]] = [()] * n
        self.notes: list[list[str]] = [[] for _ in range(n)]
        self.fallback: dict[int, tuple[str, tuple[dict[str, Any], ...]]] = {}

    def manual(self, i: int, reason: str, candidates: tuple[dict[str, Any], ...]) -> None:
        self.status[i] = NEEDS_MANUAL
        self.reason[i] = reason
        self.candidates[i] = candidates

    def build(self) -> Placements:
        return Placements(self.lon, self.lat, self.status, self.cell, self.community, self.zone, self.township,
                          self.confidence, self.reason, self.candidates, [tuple(n) for n in self.notes])


def _geocode_reason(result: GeocodeResult) -> str:
    """``address ambiguous: 2 places fit: …`` — the geocoder's status and reason in one line."""
    words = {"needs_manual": "address placed with low confidence", "ambiguous": "address ambiguous",
             "not_found": "address not found", "unparseable": "address unreadable"}
    head = words.get(result.status, f"address {result.status}")
    text = result.text if result.text is None or len(result.text) <= 60 else result.text[:57] + "…"
    return f"{head} ({text!r}): {result.reason}" if result.reason else f"{head} ({text!r})"


def _candidates(result: GeocodeResult) -> tuple[dict[str, Any], ...]:
    """The geocoder's candidates as JSON types; a low-confidence answer without a list is its own candidate."""
    found = [
        {"source": "geocoder", "level": c.level, "kind": c.entity.kind, "id": c.entity.id, "name": c.entity.name,
         "lon": c.lon, "lat": c.lat, "township_code": c.township_code, "community_code": c.community_code,
         "confidence": c.confidence}
        for c in result.candidates
    ]
    if not found and result.point is not None and result.entity is not None:
        found.append({"source": "geocoder", "level": result.level, "kind": result.entity.kind,
                      "id": result.entity.id, "name": result.entity.name, "lon": result.lon, "lat": result.lat,
                      "township_code": result.township_code, "community_code": result.community_code,
                      "confidence": result.confidence})
    return tuple(found)
