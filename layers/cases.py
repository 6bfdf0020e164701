"""Open cases (在办案件) on the map: clustered on the server by viewport and zoom, coloured by status.

A district may hold 50,000 open cases; sending them as points would cost megabytes per refresh and leave
the browser clustering them. Instead the database snaps every open case inside the view to a square grid
of about :data:`CLUSTER_PX` screen pixels at the current zoom (``floor(lon / size)``, ``floor(lat / size)``,
GROUP BY) and returns one row per occupied square: how many cases, where their mean position is, how many
are overdue, how many are in each status group. A square holding one case becomes that case's point, with
its code, item, status and deadline. So one answer has at most one feature per square of the view — about
2,500 on a 4K wall with the page's padding — whatever the number of cases, and stays well under 1 MB.

The grid is anchored at (−180°, −90°), not at the view, so panning does not move the squares and clusters
do not jump. Squares are ``size`` wide in longitude and ``size · cos(latitude)`` high, so they look square
on the Web-Mercator map.

Every feature: ``layer`` = "cases", ``code``, ``label``, ``role`` ("case" or "cluster"), ``count``,
``overdue`` (how many of them), ``group`` (the status group — of the case, or the commonest in the
cluster) and, for a cluster, ``groups`` (count per status group). The collection says ``cell_deg`` (the
square's size) and ``total`` (cases in the view).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cases.calendar import SHANGHAI
from cases.states import STATUS_LABELS, Status
from layers.activity import ActivityQuery, activity, among, floor, in_window, number
from layers.registry import Label, LayerQuery, empty_collection
from store.models import Case, Item

CLUSTER_PX = 64
"""Side of a cluster square on screen, in pixels."""
MAX_FEATURES = 3_000
"""Most features one answer holds; past it the grid doubles until it fits (about 0.5 MB at most)."""
TILE_PX = 256

GROUPS: Mapping[str, tuple[Status, ...]] = {
    "new": (Status.REPORTED,),
    "accepted": (Status.ACCEPTED,),
    "dispatched": (Status.DISPATCHED, Status.TRANSFERRED, Status.JOINT),
    "on_site": (Status.IN_PROGRESS,),
    "handled": (Status.HANDLED, Status.VERIFIED),
}
"""Status groups the map colours: waiting for acceptance, for dispatch, dispatched (team, department or
joint action), a team on site, handled and waiting for verification or closing."""
OPEN = tuple(status.value for statuses in GROUPS.values() for status in statuses)
GROUP_OF = {status.value: group for group, statuses in GROUPS.items() for status in statuses}
COLOURS = {"new": "#ff5d5d", "accepted": "#ffb02e", "dispatched": "#3fa9ff", "on_site": "#36d399",
           "handled": "#b59cff"}
"""Colours of the status groups on the dark wall (the legend and the page's CSS use the same)."""

CASES: sa.Table = Case.__table__  # type: ignore[assignment]
ITEMS: sa.Table = Item.__table__  # type: ignore[assignment]


def cell_degrees(zoom: float, px: float = CLUSTER_PX) -> float:
    """Longitude degrees covered by ``px`` screen pixels at ``zoom`` (Web Mercator, 256-pixel tiles).

    >>> round(cell_degrees(12) * 3600)  # arc seconds of a 64-pixel square at zoom 12
    80
    """
    return px * 360.0 / (TILE_PX * 2.0 ** zoom)


def grid_aspect(bbox: tuple[float, float, float, float] | None) -> float:
    """Latitude size ÷ longitude size of a square on screen: cos of the view's latitude, to 1°."""
    latitude = 0.0 if bbox is None else round((bbox[1] + bbox[3]) / 2)
    return max(math.cos(math.radians(latitude)), 0.05)


def case_filters(query: ActivityQuery) -> list[Any]:
    """The WHERE clauses every part of the cases layer shares (open, placed, filters, window if given)."""
    c = CASES.c
    statuses = OPEN if query.statuses is None else tuple(s for s in query.statuses if s in OPEN)
    where = [c.status.in_(statuses), c.min_lon.is_not(None), *among(c.township_code, query.townships),
             *among(c.item_code, query.items), *among(c.channel, query.channels)]
    if query.start is not None or query.end is not None:
        start, end = query.window()
        where += in_window(c.opened_at, start, end)
    return where


def cluster_rows(store: Any, query: ActivityQuery, size_deg: float, now: datetime | None = None) -> list[dict]:
    """One row per occupied grid square of the view: gx, gy, n, lon, lat, overdue, a count per group, and
    ``first`` (the smallest case id: the case itself when n is 1)."""
    c = CASES.c
    aspect = grid_aspect(query.bbox)
    gx = floor((c.min_lon + number(180.0)) / number(size_deg), store.backend)
    gy = floor((c.min_lat + number(90.0)) / number(size_deg * aspect), store.backend)
    as_of = query.judged_at(now)
    overdue = sa.and_(c.deadline_at.is_not(None), c.deadline_at < as_of)
    groups = [sa.func.sum(sa.case((c.status.in_([s.value for s in statuses]), 1), else_=0)).label(name)
              for name, statuses in GROUPS.items()]
    where = case_filters(query)
    if query.bbox is not None:
        where.append(store.bbox_clause(CASES, query.bbox))
    statement = (
        sa.select(gx.label("gx"), gy.label("gy"), sa.func.count().label("n"), sa.func.avg(c.min_lon).label("lon"),
                  sa.func.avg(c.min_lat).label("lat"), sa.func.min(c.id).label("first"),
                  sa.func.sum(sa.case((overdue, 1), else_=0)).label("overdue"), *groups)
        .where(*where)
        .group_by(gx, gy)
    )
    with store.transaction() as conn:
        return [dict(row) for row in conn.execute(statement).mappings()]


def case_details(store: Any, ids: list[int], lang: str) -> dict[int, dict]:
    """Code, status, item, priority and times of the given cases, with the item's name in ``lang``."""
    if not ids:
        return {}
    c, i = CASES.c, ITEMS.c
    name = i.name_en if lang == "en" else i.name
    statement = (
        sa.select(c.id, c.code, c.status, c.item_code, name.label("item_name"), c.priority, c.township_code,
                  c.opened_at, c.deadline_at, c.supervised)
        .select_from(CASES.outerjoin(ITEMS, ITEMS.c.code == c.item_code))
        .where(c.id.in_(ids))
    )
    with store.transaction() as conn:
        return {row["id"]: dict(row) for row in conn.execute(statement).mappings()}


def status_label(status: str, lang: str) -> str:
    """A status as the wall writes it: 已派遣 / dispatched."""
    try:
        value = Status(status)
    except ValueError:
        return status
    return value.value.replace("_", " ") if lang == "en" else STATUS_LABELS[value]


def local_time(value: datetime | None) -> str | None:
    """``MM-DD HH:MM`` in Asia/Shanghai (what the tooltip shows), None for no time."""
    return None if value is None else value.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def case_collection(rows: list[dict], details: Mapping[int, dict], *, as_of: datetime, lang: str,
                    size_deg: float) -> dict:
    """GeoJSON of the grid rows: a point per single case (with its details), a cluster per busier square."""
    features = []
    for row in rows:
        lon, lat = round(float(row["lon"]), 6), round(float(row["lat"]), 6)
        counts = {name: int(row[name] or 0) for name in GROUPS}
        n = int(row["n"])
        case = details.get(row["first"]) if n == 1 else None
        if case is not None:
            deadline = case["deadline_at"]
            overdue = deadline is not None and deadline < as_of
            properties = {
                "layer": "cases", "role": "case", "code": case["code"], "label": case["item_name"] or case["item_code"] or "",
                "count": 1, "overdue": int(overdue), "group": GROUP_OF.get(case["status"], "new"),
                "status": case["status"], "status_label": status_label(case["status"], lang),
                "priority": case["priority"], "township_code": case["township_code"],
                "opened": local_time(case["opened_at"]), "deadline": local_time(deadline),
                "supervised": bool(case["supervised"]),
            }
        else:
            dominant = max(counts, key=lambda name: (counts[name], -list(GROUPS).index(name)))
            properties = {
                "layer": "cases", "role": "cluster", "code": f"{int(row['gx'])}:{int(row['gy'])}", "label": str(n),
                "count": n, "overdue": int(row["overdue"] or 0), "group": dominant, "groups": counts,
            }
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": properties})
    return {"type": "FeatureCollection", "features": features, "cell_deg": size_deg,
            "total": sum(int(row["n"]) for row in rows)}


def open_cases(store: Any, query: LayerQuery, now: datetime | None = None) -> dict:
    """The cases layer's answer for ``query`` (see the module docstring)."""
    query = activity(query)
    now = now or datetime.now(UTC)
    size = cell_degrees(query.zoom)
    rows = cluster_rows(store, query, size, now)
    while len(rows) > MAX_FEATURES:  # a view far larger than the screen: coarser squares until it fits
        size *= 2
        rows = cluster_rows(store, query, size, now)
    singles = [int(row["first"]) for row in rows if int(row["n"]) == 1]
    details = case_details(store, singles, query.lang)
    return case_collection(rows, details, as_of=query.judged_at(now), lang=query.lang, size_deg=size)


class CasesLayer:
    """在办案件 — open cases in the view, clustered by the database per zoom; follows the viewport."""

    name = "cases"
    label = Label("在办案件", "Open cases")
    style = {"color": "#3fa9ff", "weight": 1, "opacity": 1, "fillColor": "#3fa9ff", "fillOpacity": 0.8}
    fields = ("code", "status_label", "label", "opened", "deadline")
    palette = tuple(COLOURS.values())
    min_zoom = 0.0
    follows_viewport = True
    checked = True

    def query(self, store: Any, query: LayerQuery) -> dict:
        if query.bbox is None and not isinstance(query, ActivityQuery):
            return empty_collection() | {"total": 0}
        return open_cases(store, query)
