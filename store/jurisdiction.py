"""Read and check a jurisdiction folder (the contract's format) into plain columns, ready to load.

A folder is what ``data/`` writes: ``manifest.json`` with a sha256 per file and the facts the store keeps
about the jurisdiction (name, demo_boundaries, metric_crs, cell_size_m, generator, seed), four required
GeoJSON layers (townships, communities, zones, cells) and optional roads, places, teams, officers, items and
authority — an imported folder has only the four.
Nothing here touches a database: :func:`read_jurisdiction` takes a path and returns
:class:`Jurisdiction`, or raises :class:`~store.errors.InvalidData` naming the file, the record and the
problem — a folder is checked whole before a single row is written.

Notes
-----
Coordinates must be lon/lat (EPSG:4326): a value outside ±180/±90 is refused, which catches a layer left
in a projected CRS. Geometries are parsed by GEOS from the GeoJSON text and kept exactly (no rounding).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from store.errors import InvalidData

AREAS = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Field:
    """One attribute of a layer: its name in the file, its type, and where it goes in the table."""

    name: str
    kind: str = "str"  # str | int | float | bool
    required: bool = True
    pattern: str | None = None  # a regular expression a str value must match in full
    column: str | None = None  # table column, when it differs from the file's name

    @property
    def target(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class Layer:
    """A file of the folder and the table it fills."""

    file: str
    table: str
    fields: tuple[Field, ...]
    geometry: tuple[str, ...] = ()  # allowed GeoJSON geometry types; () for a CSV without a point
    point_from_lon_lat: bool = False  # a CSV whose lon, lat columns make the point geometry
    required: bool = False

    @property
    def stem(self) -> str:
        return self.file.split(".")[0]


def _digits(n: int) -> str:
    return rf"\d{{{n}}}"


LAYERS: tuple[Layer, ...] = (
    Layer("townships.geojson", "townships", (
        Field("code", pattern=_digits(9)), Field("name"), Field("name_en"), Field("kind", pattern="街道|镇"),
        Field("area_km2", "float"),
    ), AREAS, required=True),
    Layer("communities.geojson", "communities", (
        Field("code", pattern=_digits(12)), Field("name"), Field("official_name"), Field("name_en"),
        Field("kind", pattern="社区|村"), Field("township_code", pattern=_digits(9)), Field("area_km2", "float"),
    ), AREAS, required=True),
    Layer("zones.geojson", "zones", (
        Field("code", pattern=_digits(11)), Field("name"), Field("name_en"),
        Field("township_code", pattern=_digits(9)), Field("cell_count", "int"), Field("area_km2", "float"),
    ), AREAS, required=True),
    Layer("cells.geojson", "cells", (
        Field("code", pattern=_digits(15)), Field("community_code", pattern=_digits(12)),
        Field("township_code", pattern=_digits(9)), Field("zone_code", required=False, pattern=_digits(11)),
        Field("col", "int"), Field("row", "int"), Field("area_m2", "float"),
    ), AREAS, required=True),
    Layer("roads.geojson", "roads", (
        Field("id", column="ref"), Field("name"), Field("kind"), Field("township_code", required=False),
        Field("number_from", "int", required=False), Field("number_to", "int", required=False),
    ), ("LineString",)),
    Layer("places.csv", "places", (
        Field("id", column="ref"), Field("name"),
        Field("kind", pattern="intersection|poi|landmark|compound|building"),
        Field("category", required=False), Field("address", required=False),
        Field("township_code", required=False), Field("community_code", required=False),
    ), point_from_lon_lat=True),
    Layer("items.csv", "items", (
        Field("code"), Field("name"), Field("name_en"), Field("domain"),
        Field("default_priority", "int", pattern="[123]"), Field("time_limit_hours", "int"),
        Field("legal_basis", required=False),
    )),
    Layer("authority.csv", "item_authority", (
        Field("township_code"), Field("item_code"), Field("authority", pattern="法定|赋权|委托|部门"),
        Field("department", required=False),
    )),
    Layer("teams.csv", "teams", (
        Field("code"), Field("name"), Field("name_en"), Field("township_code", required=False),
        Field("kind", pattern="squad|sub_squad|department_unit"), Field("department"),
        Field("parent_code", required=False),
    ), point_from_lon_lat=True),
    Layer("officers.csv", "officers", (
        Field("code"), Field("name"), Field("team_code"), Field("certified", "bool"),
        Field("certificate_no", required=False), Field("duty_pattern", required=False),
        Field("phone", required=False),
    )),
)
"""Every file a folder may hold, in load order (a table comes after the tables it refers to)."""


@dataclass
class TableRows:
    """One table's rows as columns of plain Python values (None where blank), plus its geometries."""

    table: str
    source: str
    columns: dict[str, list[Any]]
    geoms: np.ndarray | None = None
    numbers: list[int] = field(default_factory=list)  # feature number or CSV line of each row
    keys: list[Any] = field(default_factory=list)  # its code or id, for messages

    def __len__(self) -> int:
        return len(self.numbers)

    def label(self, i: int) -> str:
        """How a message names row ``i``: "feature 12 (code …)" or "line 7 (code …)"."""
        noun = "feature" if self.source.endswith(".geojson") else "line"
        key = self.keys[i]
        return f"{noun} {self.numbers[i]}" + (f" (code {key})" if key not in (None, "") else "")


@dataclass
class Jurisdiction:
    """A checked folder: its manifest and the rows of every table present, in load order."""

    manifest: dict[str, Any]
    tables: dict[str, TableRows]


def read_jurisdiction(folder: Path) -> Jurisdiction:
    """Read ``folder``, check it whole, and return its rows; :class:`InvalidData` names what is wrong.

    Notes
    -----
    Python's cyclic garbage collector is paused while reading: parsing the cells layer allocates
    hundreds of thousands of lists and dicts (none in a cycle), and the collector's repeated passes over
    them took two thirds of the parse time.
    """
    with _collector_paused():
        return _read(Path(folder))


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(folder: Path) -> Jurisdiction:
    if not folder.is_dir():
        raise InvalidData(f"{folder}: not a folder")
    manifest = _read_manifest(folder)
    tables: dict[str, TableRows] = {}
    for layer in LAYERS:
        path = folder / layer.file
        if layer.file not in manifest["files"]:
            continue
        reader = _read_geojson if layer.file.endswith(".geojson") else _read_csv
        rows = reader(path, layer)
        expected = manifest.get("counts", {}).get(layer.stem)
        if expected is not None and expected != len(rows):
            raise InvalidData(f"{layer.file}: manifest.json counts {expected} records, the file has {len(rows)}")
        _check_unique(rows, layer)
        tables[layer.table] = rows
    _check_references(tables)
    if "teams" in tables:
        _order_parents_first(tables["teams"])
    return Jurisdiction(manifest=manifest, tables=tables)


# ----------------------------------------------------------------------------------------------- manifest


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        raise InvalidData(f"manifest.json: missing from {folder}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidData(f"manifest.json: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise InvalidData("manifest.json: must be a JSON object")
    _check_description(manifest)
    known = {layer.file for layer in LAYERS}
    for layer in LAYERS:
        if layer.required and layer.file not in manifest["files"]:
            raise InvalidData(f"{layer.file}: required, but not listed in manifest.json 'files'")
        if layer.file not in manifest["files"] and (folder / layer.file).exists():
            raise InvalidData(
                f"{layer.file}: in the folder but not listed in manifest.json 'files', so its checksum "
                "cannot be verified"
            )
    for name, expected in sorted(manifest["files"].items()):
        path = folder / name
        if not path.is_file():
            raise InvalidData(f"{name}: listed in manifest.json but missing from {folder}")
        actual = _sha256(path)
        if not isinstance(expected, str) or actual != expected.lower():
            what = "unknown file" if name not in known else "file"
            raise InvalidData(f"{name}: sha256 is {actual}, manifest.json says {expected} ({what} changed or corrupt)")
    return manifest


def _check_description(manifest: dict[str, Any]) -> None:
    """The facts the store keeps about the jurisdiction (see ``store.models.JurisdictionInfo``)."""
    for key, kind in (("name", str), ("files", dict), ("demo_boundaries", bool), ("metric_crs", str)):
        if not isinstance(manifest.get(key), kind):
            raise InvalidData(f"manifest.json: {key!r} missing or not a {_JSON_NAMES[kind]}")
    if not manifest["name"].strip() or not manifest["metric_crs"].strip():
        raise InvalidData("manifest.json: 'name' and 'metric_crs' must not be blank")
    size = manifest.get("cell_size_m")
    if isinstance(size, bool) or not isinstance(size, int | float) or not size > 0:
        raise InvalidData(f"manifest.json: 'cell_size_m' must be a positive number of metres, not {size!r}")
    if not isinstance(manifest.get("counts", {}), dict):
        raise InvalidData("manifest.json: 'counts' must be an object of file stem → record count")
    if not isinstance(manifest.get("generator"), str | None):
        raise InvalidData("manifest.json: 'generator' must be a string or null")
    seed = manifest.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidData(f"manifest.json: 'seed' must be an integer or null, not {seed!r}")


_JSON_NAMES = {str: "string", dict: "object", bool: "boolean (true or false)"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------- the layers


def _read_geojson(path: Path, layer: Layer) -> TableRows:
    try:
        text = path.read_text(encoding="utf-8")
        collection = json.loads(text)
    except UnicodeDecodeError as exc:
        raise InvalidData(f"{layer.file}: not UTF-8 ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise InvalidData(f"{layer.file}: not valid JSON ({exc})") from exc
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list) or collection.get("type") != "FeatureCollection":
        raise InvalidData(f"{layer.file}: not a GeoJSON FeatureCollection")
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
            raise InvalidData(f"{layer.file}: feature {number}: not a GeoJSON Feature with properties")
    records = [feature.get("properties") or {} for feature in features]
    rows = _rows(layer, records, list(range(1, len(records) + 1)), _from_json)
    kinds = [g.get("type") if isinstance(g := feature.get("geometry"), dict) else g for feature in features]
    for i, kind in enumerate(kinds):
        if kind not in layer.geometry:
            raise InvalidData(f"{layer.file}: {rows.label(i)}: geometry {kind!r}, expected one of {', '.join(layer.geometry)}")
    try:  # GEOS parses the whole collection at C speed; features keep their order
        rows.geoms = shapely.get_parts(shapely.from_geojson(text)) if features else np.empty(0, dtype=object)
    except shapely.errors.GEOSException as exc:
        raise InvalidData(f"{layer.file}: a geometry cannot be parsed ({exc})") from exc
    _check_geometries(rows, layer)
    return rows


def _read_csv(path: Path, layer: Layer) -> TableRows:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            wanted = [f.name for f in layer.fields] + (["lon", "lat"] if layer.point_from_lon_lat else [])
            missing = [name for name in wanted if name not in (reader.fieldnames or [])]
            if missing:
                raise InvalidData(f"{layer.file}: missing column(s) {', '.join(missing)}")
            for record in reader:
                records.append(record)
                lines.append(reader.line_num)
        except UnicodeDecodeError as exc:
            raise InvalidData(f"{layer.file}: not UTF-8 near line {reader.line_num + 1} ({exc})") from exc
        except csv.Error as exc:
            raise InvalidData(f"{layer.file}: line {reader.line_num}: {exc}") from exc
    rows = _rows(layer, records, lines, _from_text)
    if layer.point_from_lon_lat:
        lon, lat = (_column([r.get(name) for r in records], Field(name, "float"), rows, _from_text) for name in ("lon", "lat"))
        rows.geoms = shapely.points(np.array(lon, dtype=float), np.array(lat, dtype=float)) if records else np.empty(0, dtype=object)
        _check_geometries(rows, layer)
    return rows


def _rows(layer: Layer, records: list[dict[str, Any]], numbers: list[int], convert: Callable[[Any, str], Any]) -> TableRows:
    keys = [record.get("code") or record.get("id") for record in records]
    rows = TableRows(layer.table, layer.file, {}, numbers=numbers, keys=keys)
    for spec in layer.fields:
        rows.columns[spec.target] = _column([record.get(spec.name) for record in records], spec, rows, convert)
    return rows


def _column(raw: list[Any], spec: Field, rows: TableRows, convert: Callable[[Any, str], Any]) -> list[Any]:
    """One attribute of every record, checked and converted; the first bad value is named."""
    if convert is _from_json and _well_typed(raw, spec):  # the usual case, without a call per value
        return [float(v) for v in raw] if spec.kind == "float" and any(type(v) is int for v in raw) else raw
    return [_value(value, spec, rows, i, convert) for i, value in enumerate(raw)]


_JSON_TYPES = {"str": (str,), "int": (int,), "float": (float, int), "bool": (bool,)}


def _well_typed(raw: list[Any], spec: Field) -> bool:
    types = _JSON_TYPES[spec.kind]
    if spec.required:
        ok = all(type(v) in types for v in raw)
    else:
        ok = all(v is None or type(v) in types for v in raw)
    if ok and spec.kind == "str":
        ok = all(v is None or v.strip() for v in raw)
    if ok and spec.pattern:
        pattern = re.compile(spec.pattern)
        ok = all(v is None or pattern.fullmatch(str(v)) for v in raw)
    return ok


def _from_json(raw: Any, kind: str) -> Any:
    if kind == "float" and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if kind == "int" and isinstance(raw, float) and raw.is_integer():
        return int(raw)
    expected = {"str": str, "int": int, "bool": bool}.get(kind)
    if expected is None or not isinstance(raw, expected) or (kind == "int" and isinstance(raw, bool)):
        raise ValueError(f"expected {kind}, got {type(raw).__name__} {raw!r}")
    return raw


def _from_text(raw: str, kind: str) -> Any:
    if kind == "str":
        return raw
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    lowered = raw.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"expected true or false, got {raw!r}")
    return lowered == "true"


def _value(raw: Any, spec: Field, rows: TableRows, i: int, convert: Callable[[Any, str], Any]) -> Any:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if spec.required:
            raise InvalidData(f"{rows.source}: {rows.label(i)}: {spec.name} is missing")
        return None
    try:
        value = convert(raw, spec.kind)
    except ValueError as exc:
        raise InvalidData(f"{rows.source}: {rows.label(i)}: {spec.name}: {exc}") from exc
    if spec.pattern and not re.fullmatch(spec.pattern, str(value)):
        raise InvalidData(f"{rows.source}: {rows.label(i)}: {spec.name} {value!r} does not match {spec.pattern}")
    return value


def _check_geometries(rows: TableRows, layer: Layer) -> None:
    geoms = rows.geoms
    if geoms is None or len(geoms) == 0:
        return
    if len(geoms) != len(rows):
        raise InvalidData(f"{layer.file}: {len(rows)} features but {len(geoms)} geometries")
    bounds = shapely.bounds(geoms)
    outside = ~((bounds[:, 0] >= -180) & (bounds[:, 2] <= 180) & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90))
    empty = shapely.is_empty(geoms)
    for problem, mask in (("is empty", empty), ("is not lon/lat (EPSG:4326): coordinates out of range", outside & ~empty)):
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise InvalidData(f"{layer.file}: {rows.label(i)}: geometry {problem}")
    if layer.geometry == AREAS:
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            i = int(np.flatnonzero(invalid)[0])
            reason = shapely.is_valid_reason(geoms[i])
            raise InvalidData(f"{layer.file}: {rows.label(i)}: invalid polygon ({reason}); {int(invalid.sum())} invalid in all")


# ----------------------------------------------------------------------------------- references across files


def _check_unique(rows: TableRows, layer: Layer) -> None:
    keys = ("township_code", "item_code") if rows.table == "item_authority" else (layer.fields[0].target,)
    seen: dict[tuple, int] = {}
    for i, key in enumerate(zip(*(rows.columns[k] for k in keys), strict=True)):
        if key in seen:
            first = rows.label(seen[key])
            raise InvalidData(f"{layer.file}: {rows.label(i)}: {'/'.join(keys)} {'/'.join(key)} repeats {first}")
        seen[key] = i


# (table, column) → (referred table, its column); checked only when both tables are present
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("communities", "township_code", "townships"),
    ("zones", "township_code", "townships"),
    ("cells", "community_code", "communities"),
    ("cells", "township_code", "townships"),
    ("cells", "zone_code", "zones"),
    ("roads", "township_code", "townships"),
    ("places", "township_code", "townships"),
    ("places", "community_code", "communities"),
    ("item_authority", "township_code", "townships"),
    ("item_authority", "item_code", "items"),
    ("teams", "township_code", "townships"),
    ("teams", "parent_code", "teams"),
    ("officers", "team_code", "teams"),
)

# a code that must start with another code of the same record (statistical codes are hierarchical)
PREFIXES: tuple[tuple[str, str, str], ...] = (
    ("communities", "code", "township_code"),
    ("zones", "code", "township_code"),
    ("cells", "code", "community_code"),
    ("cells", "community_code", "township_code"),
)


def _check_references(tables: dict[str, TableRows]) -> None:
    for table, column, referred in REFERENCES:
        if table not in tables:
            continue
        if referred not in tables:
            if any(v is not None for v in tables[table].columns[column]):
                raise InvalidData(f"{tables[table].source}: {column} refers to {referred}, which the folder lacks")
            continue
        known = set(tables[referred].columns["code"])
        rows = tables[table]
        for i, value in enumerate(rows.columns[column]):
            if value is not None and value not in known:
                raise InvalidData(
                    f"{rows.source}: {rows.label(i)}: {column} {value} is not in {tables[referred].source}"
                )
    for table, column, prefix in PREFIXES:
        rows = tables[table]
        for i, (code, parent) in enumerate(zip(rows.columns[column], rows.columns[prefix], strict=True)):
            if not code.startswith(parent):
                raise InvalidData(f"{rows.source}: {rows.label(i)}: {column} {code} does not start with {prefix} {parent}")
    cells_per_zone: dict[str, int] = {}
    for zone in tables["cells"].columns["zone_code"]:
        if zone is not None:
            cells_per_zone[zone] = cells_per_zone.get(zone, 0) + 1
    zones = tables["zones"]
    for i, (code, count) in enumerate(zip(zones.columns["code"], zones.columns["cell_count"], strict=True)):
        if cells_per_zone.get(code, 0) != count:
            raise InvalidData(
                f"{zones.source}: {zones.label(i)}: cell_count {count}, but cells.geojson puts "
                f"{cells_per_zone.get(code, 0)} cells in it"
            )
    if "item_authority" in tables:
        rows = tables["item_authority"]
        for i, (authority, department) in enumerate(
            zip(rows.columns["authority"], rows.columns["department"], strict=True)
        ):
            if (authority == "部门") != (department is not None):
                raise InvalidData(
                    f"{rows.source}: {rows.label(i)}: department must be given for 部门 and only for 部门 "
                    f"(authority {authority}, department {department!r})"
                )


def _order_parents_first(teams: TableRows) -> None:
    """Reorder the teams so that each comes after its parent (the foreign key is checked row by row)."""
    parents = dict(zip(teams.columns["code"], teams.columns["parent_code"], strict=True))
    depth: dict[str, int] = {}
    for code in parents:
        chain = [code]
        while (parent := parents[chain[-1]]) is not None and parent not in depth:
            if parent in chain:
                raise InvalidData(f"{teams.source}: team {code}: parent_code forms a cycle ({' → '.join(chain + [parent])})")
            chain.append(parent)
        base = depth[parents[chain[-1]]] + 1 if parents[chain[-1]] is not None else 0
        for offset, member in enumerate(reversed(chain)):
            depth[member] = base + offset
    order = sorted(range(len(teams)), key=lambda i: depth[teams.columns["code"][i]])
    teams.columns = {name: [values[i] for i in order] for name, values in teams.columns.items()}
    teams.numbers = [teams.numbers[i] for i in order]
    teams.keys = [teams.keys[i] for i in order]
    if teams.geoms is not None:
        teams.geoms = teams.geoms[order]
