"""The geo command line: ``python -m geo COMMAND ...``.

Commands
--------
convert   one point from one coordinate system to another, printed as JSON::

    python -m geo convert --from gcj02 --to wgs84 116.41024449916938 39.91640428150164
    python -m geo convert --from cgcs2000-gk --to wgs84 616350.13 2736634.55      # X = easting, Y = northing

locate    the cell, community, zone and township of a point (or how far outside it lies)::

    python -m geo locate 118.15 24.73 [--crs gcj02] [--folder data/demo]

geocode   a free-text address (or a CSV column of them) to a point, the place matched and a confidence::

    python -m geo geocode "大同街道凤山路123号" --data data/demo [--json]
    python -m geo geocode --csv orders.csv --column 事发地址 --out located.csv

Adding a command is adding two functions, ``add_<name>(subparsers)`` to declare its arguments and
``run_<name>(args) -> int`` to do the work, and listing ``add_<name>`` in ``COMMANDS``.
Bad input prints the usage and one error line on stderr, and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import closing
from typing import Any

from pyproj import Geod

from geo.coords import SYSTEMS, convert, is_geographic

_WGS84_ELLIPSOID = Geod(ellps="WGS84")


def add_convert(subparsers: Any) -> None:
    """``convert --from SYSTEM --to SYSTEM A B``."""
    systems = ", ".join(SYSTEMS)
    parser = subparsers.add_parser(
        "convert",
        help="convert one point between WGS-84, GCJ-02, BD-09 and CGCS2000 (geographic or Gauss–Krüger)",
        description=(
            "Convert one point and print JSON: the converted coordinates and how far (metres) the point moves "
            f"when both ends are longitude/latitude. Systems: {systems}, or an EPSG code such as EPSG:4549."
        ),
    )
    parser.add_argument("--from", dest="src", required=True, metavar="SYSTEM", help="the input's system")
    parser.add_argument("--to", dest="dst", required=True, metavar="SYSTEM", help="the output's system")
    parser.add_argument("first", type=float, metavar="LON|X",
                        help="longitude in degrees, or the easting x in metres for a projected system")
    parser.add_argument("second", type=float, metavar="LAT|Y",
                        help="latitude in degrees, or the northing y in metres for a projected system")
    parser.set_defaults(run=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    first, second = convert(args.first, args.second, args.src, args.dst)
    source_is_geographic, target_is_geographic = is_geographic(args.src), is_geographic(args.dst)
    result: dict[str, Any] = {"from": args.src, "to": args.dst}
    result["input"] = _pair(args.first, args.second, source_is_geographic, rounded=False)
    result.update(_pair(float(first), float(second), target_is_geographic))
    shift = None
    if source_is_geographic and target_is_geographic:
        _, _, metres = _WGS84_ELLIPSOID.inv(args.first, args.second, float(first), float(second))
        shift = round(float(metres), 3)
    result["shift_m"] = shift
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _pair(first: float, second: float, geographic: bool, rounded: bool = True) -> dict[str, float]:
    """Named coordinates; ``rounded``: degrees to 1e-10 (0.01 mm, the inverses' tolerance), metres to 0.1 mm."""
    if geographic:
        return {"lon": round(first, 10), "lat": round(second, 10)} if rounded else {"lon": first, "lat": second}
    return {"x": round(first, 4), "y": round(second, 4)} if rounded else {"x": first, "y": second}


def add_locate(subparsers: Any) -> None:
    """``locate LON LAT [--crs SYSTEM] [--folder DIR | --database-url URL] [--near METRES]``."""
    from pathlib import Path

    from geo.jurisdiction_index import INPUT_SYSTEMS, NEAR_M

    parser = subparsers.add_parser(
        "locate",
        help="the cell, community, patrol zone and township of one point (or how far outside it lies)",
        description=(
            "Locate one point in the jurisdiction and print JSON: status (inside, outside or invalid), cell, "
            "community, zone and township (code and names), and for a point outside within --near metres the "
            "distance to the nearest township. Reads the store (DATABASE_URL, else the embedded SQLite file) "
            "or, with --folder, a jurisdiction folder such as data/demo."
        ),
    )
    parser.add_argument("first", type=float, metavar="LON|X",
                        help="longitude in degrees, or the easting x in metres for --crs cgcs2000-gk")
    parser.add_argument("second", type=float, metavar="LAT|Y",
                        help="latitude in degrees, or the northing y in metres for --crs cgcs2000-gk")
    parser.add_argument("--crs", default="wgs84", choices=INPUT_SYSTEMS, help="the input's system (default wgs84)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--folder", type=Path, metavar="DIR", help="read a jurisdiction folder instead of the store")
    source.add_argument("--database-url", metavar="URL", help="the store to read (default: DATABASE_URL)")
    parser.add_argument("--near", type=float, default=NEAR_M, metavar="METRES",
                        help=f"give the distance for outside points within this many metres (default {NEAR_M:g})")
    parser.set_defaults(run=run_locate)


def run_locate(args: argparse.Namespace) -> int:
    from geo.jurisdiction_index import JurisdictionIndex

    if args.folder is not None:
        import geopandas as gpd

        frames = {}
        for layer in ("cells", "communities", "zones", "townships"):
            path = args.folder / f"{layer}.geojson"
            if not path.is_file():
                raise ValueError(f"{path} not found: a jurisdiction folder holds {layer}.geojson")
            frames[layer] = gpd.read_file(path)
        index = JurisdictionIndex.from_frames(**frames, near_m=args.near)
    else:
        from store import StoreError
        from store.ready import open_ready_store

        try:
            with closing(open_ready_store(args.database_url)) as store:
                index = JurisdictionIndex.from_store(store, near_m=args.near)
        except StoreError as exc:
            raise ValueError(f"cannot read the jurisdiction from the store: {exc}") from exc
    names = ("x", "y") if args.crs == "cgcs2000-gk" else ("lon", "lat")
    given = [v if v == v and abs(v) != float("inf") else str(v) for v in (args.first, args.second)]  # valid JSON
    result = {"input": {names[0]: given[0], names[1]: given[1], "crs": args.crs},
              **index.locate_one(args.first, args.second, args.crs), "near_m": index.near_m}
    print(json.dumps(result, ensure_ascii=False))
    return 0


def add_geocode(subparsers: Any) -> None:
    """``geocode ADDRESS [--json]`` or ``geocode --csv FILE --column NAME [--out FILE]``."""
    from pathlib import Path

    from geo.geocoder import DEFAULT_THRESHOLD

    parser = subparsers.add_parser(
        "geocode",
        help="place a free-text Chinese address (12345 hotline) on the map, one or a whole CSV column",
        description=(
            "Geocode one address and print the point, the matched place, the match level, the confidence and "
            "the township/community (--json for the whole result), or geocode the --column of a --csv file "
            "and write it with geo_* columns added (to --out, else to stdout). Reads the gazetteer from the "
            "store (DATABASE_URL, else the embedded SQLite file) or, with --data, a jurisdiction folder such "
            "as data/demo. Below --threshold an answer is marked 'manual' (needs manual location)."
        ),
    )
    parser.add_argument("address", nargs="?", help="the address, e.g. 大同街道凤山路123号")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="geocode a column of this CSV (UTF-8 or GB18030)")
    parser.add_argument("--column", metavar="NAME", help="the CSV column holding the address, e.g. 事发地址")
    parser.add_argument("--out", type=Path, metavar="FILE", help="where to write the geocoded CSV (default stdout)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help=f"confidence below which an answer needs manual location (default {DEFAULT_THRESHOLD})")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", "--folder", dest="folder", type=Path, metavar="DIR",
                        help="read a jurisdiction folder instead of the store")
    source.add_argument("--database-url", metavar="URL", help="the store to read (default: DATABASE_URL)")
    parser.set_defaults(run=run_geocode)


def run_geocode(args: argparse.Namespace) -> int:
    from geo.geocoder import Geocoder

    if (args.address is None) == (args.csv is None):
        raise ValueError("give either one ADDRESS or --csv FILE --column NAME")
    if args.csv is not None and not args.column:
        raise ValueError("--csv needs --column: the name of the column holding the address (e.g. 事发地址)")
    if args.folder is not None:
        geocoder = Geocoder.from_folder(args.folder, threshold=args.threshold)
    else:
        geocoder = Geocoder.from_frames(*_gazetteer_frames_from_store(args.database_url), threshold=args.threshold)
    if args.csv is None:
        result = geocoder.geocode(args.address)
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            print(_describe(result))
        return 0
    return _geocode_csv(geocoder, args.csv, args.column, args.out)


def _describe(result: Any) -> str:
    """One line for a person: status, point, what was matched and how sure the geocoder is."""
    parts = [result.status]
    if result.point is not None:
        parts.append(f"{result.lon:.7f},{result.lat:.7f}")
    if result.entity is not None:
        parts.append(f"{result.level} {result.entity.kind} {result.entity.id} {result.entity.name}")
    parts.append(f"confidence {result.confidence:.2f}")
    if result.community_code or result.township_code:
        parts.append(f"township {result.township_code} community {result.community_code}")
    for candidate in result.candidates[:5] if result.status == "ambiguous" else ():
        parts.append(f"candidate {candidate.entity.name} ({candidate.township_code}) {candidate.confidence:.2f}")
    if result.reason:
        parts.append(result.reason)
    return " | ".join(parts)


def _geocode_csv(geocoder: Any, path: Any, column: str, out: Any) -> int:
    import pandas as pd

    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    frame = None
    for encoding in ("utf-8-sig", "gb18030"):  # hotline exports from Excel are often GBK
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
    if frame is None:
        raise ValueError(f"{path}: neither UTF-8 nor GB18030 text")
    if column not in frame.columns:
        raise ValueError(f"{path}: no column {column!r}; the columns are {', '.join(map(str, frame.columns))}")
    results = geocoder.geocode_many(frame[column].tolist())
    frame["geo_status"] = [r.status for r in results]
    frame["geo_lon"] = [r.lon for r in results]
    frame["geo_lat"] = [r.lat for r in results]
    frame["geo_level"] = [r.level or "" for r in results]
    frame["geo_entity_kind"] = [r.entity.kind if r.entity else "" for r in results]
    frame["geo_entity_id"] = [r.entity.id if r.entity else "" for r in results]
    frame["geo_entity_name"] = [r.entity.name if r.entity else "" for r in results]
    frame["geo_confidence"] = [r.confidence for r in results]
    frame["geo_township_code"] = [r.township_code or "" for r in results]
    frame["geo_community_code"] = [r.community_code or "" for r in results]
    frame["geo_reason"] = [r.reason for r in results]
    if out is None:
        frame.to_csv(sys.stdout, index=False)
    else:
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    counts = frame["geo_status"].value_counts().to_dict()
    print(f"geocoded {len(frame)} addresses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
          file=sys.stderr)
    return 0


def _gazetteer_frames_from_store(database_url: str | None) -> tuple[Any, Any, Any, Any]:
    """Townships, communities, roads and places (EPSG:4326 frames) read from the store."""
    import geopandas as gpd
    import shapely
    import sqlalchemy as sa

    from store import StoreError
    from store.models import Place, Road
    from store.ready import open_ready_store
    from store.types import WKBOut

    try:
        with closing(open_ready_store(database_url)) as store:
            townships, communities = store.townships(), store.communities()
            with store.session() as session:
                roads = session.execute(sa.select(
                    Road.ref, Road.name, Road.kind, Road.township_code, Road.number_from, Road.number_to,
                    WKBOut(Road.geom))).all()
                places = session.execute(sa.select(
                    Place.ref, Place.name, Place.kind, Place.category, Place.address, Place.township_code,
                    Place.community_code, WKBOut(Place.geom))).all()
    except StoreError as exc:
        raise ValueError(f"cannot read the gazetteer from the store: {exc}") from exc
    road_columns = ("id", "name", "kind", "township_code", "number_from", "number_to")
    place_columns = ("id", "name", "kind", "category", "address", "township_code", "community_code")
    road_frame = gpd.GeoDataFrame(
        [dict(zip(road_columns, row[:-1], strict=True)) for row in roads], columns=list(road_columns),
        geometry=shapely.from_wkb([row[-1] for row in roads]), crs="EPSG:4326")
    place_frame = gpd.GeoDataFrame(
        [dict(zip(place_columns, row[:-1], strict=True)) for row in places], columns=list(place_columns),
        geometry=shapely.from_wkb([row[-1] for row in places]), crs="EPSG:4326")
    return townships, communities, road_frame, place_frame


COMMANDS: tuple[Callable[[Any], None], ...] = (add_convert, add_locate, add_geocode)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo", description="Coordinates, places and the jurisdiction of the district."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValueError as exc:
        parser.error(str(exc))  # prints "python -m geo: error: ..." and exits with status 2


if __name__ == "__main__":
    sys.exit(main())
