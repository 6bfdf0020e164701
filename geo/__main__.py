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

hotspots  Gi* hot and cold spots of the reports of a window, per cell or community (JSON for scripts)::

    python -m geo hotspots --window 7d [--by cell|community] [--item ZF001] [--json]

emerging  emerging hot spot analysis over weekly (or daily) steps::

    python -m geo emerging --steps 12 --step week [--json]

repeats   repeat places: the same item back at a cell or address after its case was closed::

    python -m geo repeats [--by cell|address] [--within 90d] [--json]

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


# ---------------------------------------------------------------------------------------------- hot spots

_DURATION_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}


def _duration(text: str) -> Any:
    """``7d``, ``24h``, ``2w`` → timedelta (argparse type: a bad value is a usage error)."""
    from datetime import timedelta

    value = text.strip().lower()
    try:
        number, unit = float(value[:-1]), value[-1]
        seconds = number * _DURATION_UNITS[unit]
    except (ValueError, KeyError, IndexError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 24h, 7d or 2w") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"the duration {text!r} must be positive")
    return timedelta(seconds=seconds)


def _instant(text: str) -> Any:
    """ISO date or datetime → aware UTC datetime; a date means the end of that local day (Asia/Shanghai)."""
    from datetime import UTC, date, datetime

    from cases.calendar import SHANGHAI, next_local_midnight

    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return next_local_midnight(datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI))
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (2026-11-23) or time "
                                         "(2026-11-23T08:00+08:00)") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).astimezone(UTC)


def _add_store_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", metavar="URL", help="the store to read (default: DATABASE_URL)")
    parser.add_argument("--township", metavar="CODE", help="only this township's cells and reports")
    parser.add_argument("--item", metavar="CODE", help="only reports of this enforcement item (e.g. ZF001)")
    parser.add_argument("--end", type=_instant, metavar="WHEN",
                        help="end of the period: ISO time, or a date for the end of that local day (default now)")
    parser.add_argument("--json", action="store_true", help="print one JSON document (for scripts)")
    parser.add_argument("--all", action="store_true", help="list every cell, not only the significant ones")


def add_hotspots(subparsers: Any) -> None:
    """``hotspots [--window 7d] [--by cell|community] [--item CODE] [--json]``."""
    parser = subparsers.add_parser(
        "hotspots",
        help="Getis-Ord Gi* hot and cold spots of the reports of a recent window, per cell or community",
        description=(
            "Count the reports of the window per unit grid cell (or community), compute Gi* with queen "
            "neighbours (analytic z-scores and conditional-permutation p-values, seeded) and print the hot "
            "and cold spots with their confidence bins (±3/±2/±1 = 99/95/90 %). Reads the store "
            "(DATABASE_URL, else the embedded SQLite file)."
        ),
    )
    parser.add_argument("--window", type=_duration, default="7d", metavar="DURATION",
                        help="how far back from --end to count reports: 24h, 7d, 2w … (default 7d)")
    parser.add_argument("--by", choices=("cell", "community"), default="cell", help="unit of analysis")
    parser.add_argument("--permutations", type=int, default=999, help="conditional permutations (default 999)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the permutations (default 0)")
    parser.add_argument("--fdr", action="store_true",
                        help="Benjamini-Hochberg over all units (with permutation p-values, whose smallest value "
                             "is 2/(permutations+1), it needs many permutations)")
    _add_store_source(parser)
    parser.set_defaults(run=run_hotspots)


def run_hotspots(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    import numpy as np
    import pandas as pd

    from geo.hotspots import LABELS, LABELS_ZH, gi_star, grouped_weights, queen_weights

    if args.permutations < 0:
        raise ValueError("--permutations cannot be negative")
    end = args.end or datetime.now(UTC)
    start = end - args.window
    cells, reports = _read_reports(args.database_url, start, end, args.township, args.item)
    neighbours = queen_weights(cells["col"].to_numpy(), cells["row"].to_numpy())
    index = {code: i for i, code in enumerate(cells["code"])}
    counts = np.bincount([index[c] for c in reports["cell_code"] if c in index], minlength=len(cells))
    units = cells[["code", "community_code", "township_code"]].copy()
    if args.by == "community":
        codes, group = np.unique(cells["community_code"].to_numpy(), return_inverse=True)
        neighbours = grouped_weights(neighbours, group, len(codes))
        counts = np.bincount(group, weights=counts, minlength=len(codes)).astype(np.int64)
        township = cells.groupby("community_code")["township_code"].first()
        units = pd.DataFrame({"code": codes, "community_code": codes,
                              "township_code": township.reindex(codes).to_numpy()})
    result = gi_star(counts.astype(float), neighbours, permutations=args.permutations, seed=args.seed)
    bins = result.bins(fdr=args.fdr)
    order = np.lexsort((-result.z, -bins))
    listed = [int(i) for i in order if args.all or bins[i] != 0]
    document = {
        "by": args.by, "start": start.isoformat(), "end": end.isoformat(), "item": args.item,
        "township": args.township, "units": len(units), "reports": int(counts.sum()),
        "permutations": args.permutations, "seed": args.seed, "fdr": args.fdr,
        "bins": {LABELS[b]: int((bins == b).sum()) for b in (3, 2, 1, 0, -1, -2, -3)},
        "units_listed": [
            {"code": units["code"].iloc[i], "community_code": units["community_code"].iloc[i],
             "township_code": units["township_code"].iloc[i], "count": int(counts[i]),
             "z": round(float(result.z[i]), 4), "p": round(float(result.p_value[i]), 5), "bin": int(bins[i]),
             "label": LABELS_ZH[int(bins[i])]}
            for i in listed
        ],
    }
    if args.json:
        print(json.dumps(document, ensure_ascii=False))
        return 0
    print(f"Gi* hot spots by {args.by}, {start:%Y-%m-%d %H:%M} … {end:%Y-%m-%d %H:%M} UTC: "
          f"{document['reports']} reports in {len(units)} units; "
          + ", ".join(f"{k} {v}" for k, v in document["bins"].items() if v))
    for row in document["units_listed"]:
        print(f"{row['code']}  {row['label']:<8} count {row['count']:>4}  z {row['z']:>7.2f}  p {row['p']:.4f}")
    return 0


def add_emerging(subparsers: Any) -> None:
    """``emerging --steps 12 --step week [--json]``."""
    from geo.hotspots.cube import STEPS

    parser = subparsers.add_parser(
        "emerging",
        help="emerging hot spot analysis of the reports: new, intensifying, persistent, fading … per cell",
        description=(
            "Count the reports per cell and time step (a space-time cube ending at --end), compute the "
            "space-time Gi* of every bin (neighbours in space and in the --lags previous steps, the whole "
            "cube as reference, as ArcGIS Pro does), test each cell's trend with Mann-Kendall and name its "
            "pattern (new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating, "
            "historical hot or cold spot). Reads the store (DATABASE_URL, else the embedded SQLite file)."
        ),
    )
    parser.add_argument("--steps", type=int, default=12, help="number of time steps (default 12)")
    parser.add_argument("--step", choices=tuple(STEPS), default="week", help="length of a step (default week)")
    parser.add_argument("--lags", type=int, default=1, help="previous steps in a bin's neighbourhood (default 1)")
    parser.add_argument("--permutations", type=int, default=199, help="conditional permutations (default 199)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the permutations (default 0)")
    parser.add_argument("--alpha", type=float, default=0.10, help="significance of bins and trends (default 0.10)")
    parser.add_argument("--inference", choices=("permutation", "normal"), default="permutation",
                        help="judge bins on permutation or analytic p-values (default permutation)")
    parser.add_argument("--fdr", action="store_true",
                        help="Benjamini-Hochberg over all bins, as Pro does (best with --inference normal)")
    _add_store_source(parser)
    parser.set_defaults(run=run_emerging)


def run_emerging(args: argparse.Namespace) -> int:
    from collections import Counter
    from datetime import UTC, datetime

    import numpy as np

    from geo.hotspots import queen_weights
    from geo.hotspots.categories import CATEGORIES, label_zh
    from geo.hotspots.cube import STEPS, space_time_cube, step_edges
    from geo.hotspots.emerging import emerging_hot_spots

    if args.steps < 2:
        raise ValueError("--steps must be at least 2: a trend needs more than one time step")
    if args.lags < 0:
        raise ValueError("--lags cannot be negative")
    if not 0 < args.alpha < 1:
        raise ValueError("--alpha must lie between 0 and 1")
    end = args.end or datetime.now(UTC)
    edges = step_edges(end, args.steps, STEPS[args.step])
    cells, reports = _read_reports(args.database_url, edges[0], edges[-1], args.township, args.item)
    index = {code: i for i, code in enumerate(cells["code"])}
    cell_index = np.array([index.get(c, -1) for c in reports["cell_code"]], dtype=np.int64)
    cube = space_time_cube(cell_index, reports["received_at"].to_numpy(dtype="datetime64[us]"), edges,
                           len(cells))
    neighbours = queen_weights(cells["col"].to_numpy(), cells["row"].to_numpy())
    result = emerging_hot_spots(cube, neighbours, lags=args.lags, permutations=args.permutations,
                                seed=args.seed, alpha=args.alpha, inference=args.inference, fdr=args.fdr)
    tally = Counter(result.category.tolist())
    order = np.lexsort((-result.trend.z, np.array([CATEGORIES.index(c) for c in result.category])))
    listed = [int(i) for i in order if args.all or result.category[i] != "no_pattern"]
    document = {
        "start": edges[0].isoformat(), "end": edges[-1].isoformat(), "step": args.step, "steps": args.steps,
        "edges": [e.isoformat() for e in edges], "item": args.item, "township": args.township,
        "cells": len(cells), "reports": int(cube.sum()), "lags": args.lags, "permutations": args.permutations,
        "seed": args.seed, "alpha": args.alpha, "inference": args.inference, "fdr": args.fdr,
        "categories": {c: tally.get(c, 0) for c in CATEGORIES},
        "cells_listed": [
            {"code": cells["code"].iloc[i], "community_code": cells["community_code"].iloc[i],
             "township_code": cells["township_code"].iloc[i], "category": result.category[i],
             "label": label_zh(result.category[i]), "trend_z": round(float(result.trend.z[i]), 4),
             "trend_p": round(float(result.trend.p[i]), 5), "tau": round(float(result.trend.tau[i]), 4),
             "hot_steps": int(result.hot[i].sum()), "cold_steps": int(result.cold[i].sum()),
             "counts": cube[i].tolist(), "z": [round(float(v), 3) for v in result.z[i]]}
            for i in listed
        ],
    }
    if args.json:
        print(json.dumps(document, ensure_ascii=False))
        return 0
    print(f"emerging hot spots, {args.steps} {args.step}s to {end:%Y-%m-%d %H:%M} UTC: {document['reports']} "
          f"reports in {len(cells)} cells; " + ", ".join(f"{k} {v}" for k, v in document["categories"].items() if v))
    for row in document["cells_listed"]:
        print(f"{row['code']}  {row['label']:<8} trend z {row['trend_z']:>6.2f}  counts {row['counts']}")
    return 0


def add_repeats(subparsers: Any) -> None:
    """``repeats [--by cell|address] [--within 90d] [--since DATE] [--json]``."""
    parser = subparsers.add_parser(
        "repeats",
        help="repeat places (反复发生): the same item back at a cell or address after its case was closed",
        description=(
            "List the cells (or addresses) where a case of an enforcement item was opened after an earlier "
            "case of the same item there had been closed, within --within of that closure: places that "
            "need source treatment. Reads the cases from the store (DATABASE_URL, else the embedded SQLite "
            "file)."
        ),
    )
    parser.add_argument("--by", choices=("cell", "address"), default="cell", help="what a place is")
    parser.add_argument("--within", type=_duration, default="90d", metavar="DURATION",
                        help="longest gap from a closure to the problem's return (default 90d)")
    parser.add_argument("--since", type=_instant, metavar="WHEN", help="only cases opened since (default all)")
    parser.add_argument("--min-repeats", type=int, default=1, help="keep places with at least this many repeats")
    parser.add_argument("--database-url", metavar="URL", help="the store to read (default: DATABASE_URL)")
    parser.add_argument("--township", metavar="CODE", help="only this township's cases")
    parser.add_argument("--item", metavar="CODE", help="only this enforcement item")
    parser.add_argument("--json", action="store_true", help="print one JSON document (for scripts)")
    parser.set_defaults(run=run_repeats)


def run_repeats(args: argparse.Namespace) -> int:
    from geo.hotspots.repeats import normalise_address, repeat_places

    cases = _read_cases(args.database_url, args.since, args.township, args.item)
    if args.by == "address":
        cases["place"] = [normalise_address(a) for a in cases["address"]]
    else:
        cases["place"] = cases["cell_code"]
    table = repeat_places(cases, within=args.within, min_repeats=args.min_repeats)
    document = {
        "by": args.by, "within_days": args.within.total_seconds() / 86400, "since": args.since and
        args.since.isoformat(), "township": args.township, "item": args.item, "cases": len(cases),
        "without_place": int(cases["place"].isna().sum()), "places": len(table),
        "repeat_places": [
            {"place": row.place, "item_code": row.item_code, "cases": int(row.cases), "repeats": int(row.repeats),
             "first_opened_at": row.first_opened_at.isoformat(), "last_opened_at": row.last_opened_at.isoformat(),
             "days_to_return": round(float(row.days_to_return), 2), "case_ids": [int(c) for c in row.case_ids],
             "repeat_case_ids": [int(c) for c in row.repeat_case_ids]}
            for row in table.itertuples()
        ],
    }
    if args.json:
        print(json.dumps(document, ensure_ascii=False))
        return 0
    print(f"repeat places by {args.by}: {len(table)} places with a problem back within "
          f"{document['within_days']:g} days of closing ({len(cases)} cases read)")
    for row in document["repeat_places"]:
        print(f"{row['place']}  {row['item_code']}  repeats {row['repeats']} of {row['cases']} cases, "
              f"back after {row['days_to_return']:g} days (median)")
    return 0


def _read_reports(database_url: str | None, start: Any, end: Any, township: str | None,
                  item: str | None) -> tuple[Any, Any]:
    """The cells (code, community, township, col, row) and the located reports of ``[start, end)``."""
    import pandas as pd
    import sqlalchemy as sa

    from store import StoreError
    from store.models import Cell, Report
    from store.ready import open_ready_store

    cell_query = sa.select(Cell.code, Cell.community_code, Cell.township_code, Cell.col, Cell.row) \
        .order_by(Cell.code)
    report_query = sa.select(Report.cell_code, Report.received_at).where(
        Report.received_at >= start, Report.received_at < end, Report.cell_code.is_not(None))
    if township:
        cell_query = cell_query.where(Cell.township_code == township)
        report_query = report_query.where(Report.township_code == township)
    if item:
        report_query = report_query.where(Report.item_code == item)
    try:
        with closing(open_ready_store(database_url)) as store, store.session() as session:
            cells = pd.DataFrame(session.execute(cell_query).all(),
                                 columns=["code", "community_code", "township_code", "col", "row"])
            reports = pd.DataFrame(session.execute(report_query).all(), columns=["cell_code", "received_at"])
    except StoreError as exc:
        raise ValueError(f"cannot read the reports from the store: {exc}") from exc
    if cells.empty:
        raise ValueError(f"the store has no cells{f' in township {township}' if township else ''}")
    reports["received_at"] = pd.to_datetime(reports["received_at"], utc=True).dt.tz_localize(None)
    return cells, reports


def _read_cases(database_url: str | None, since: Any, township: str | None, item: str | None) -> Any:
    """Cases (id, cell, address, item, opened, closed) from the store, for repeat places."""
    import pandas as pd
    import sqlalchemy as sa

    from store import StoreError
    from store.models import Case
    from store.ready import open_ready_store

    query = sa.select(Case.id, Case.cell_code, Case.address, Case.item_code, Case.opened_at, Case.closed_at)
    if since is not None:
        query = query.where(Case.opened_at >= since)
    if township:
        query = query.where(Case.township_code == township)
    if item:
        query = query.where(Case.item_code == item)
    try:
        with closing(open_ready_store(database_url)) as store, store.session() as session:
            rows = session.execute(query).all()
    except StoreError as exc:
        raise ValueError(f"cannot read the cases from the store: {exc}") from exc
    return pd.DataFrame(rows, columns=["case_id", "cell_code", "address", "item_code", "opened_at", "closed_at"])


COMMANDS: tuple[Callable[[Any], None], ...] = (
    add_convert, add_locate, add_geocode, add_hotspots, add_emerging, add_repeats,
)


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
