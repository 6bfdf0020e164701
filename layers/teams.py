"""Teams (执法队伍) on the map: where each team is and whether it is free, dispatched or on site.

Where: the team's latest reported position (``team_positions``) when it is recent (:data:`POSITION_FRESH`),
else its base (the ``teams`` row's point) — ``position`` says which. Until the officer page reports
positions, every team shows at its base.

Status, from its open cases (``cases.current_team_code``): ``on_site`` when one of them is in progress
(处置中), ``dispatched`` when one waits for the team (已派遣 / 联合执法), else ``idle``. ``active`` counts
those cases. Sixty teams at most: the layer is sent whole (filtered to the query's townships).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from layers import geojson
from layers.activity import ActivityQuery, activity, among
from layers.registry import Label, LayerQuery
from store.models import Case, TeamPosition

POSITION_FRESH = timedelta(minutes=30)
"""A reported position older than this is not trusted; the team is drawn at its base."""
COLOURS = {"idle": "#8fa3b8", "dispatched": "#3fa9ff", "on_site": "#36d399"}

CASES: sa.Table = Case.__table__  # type: ignore[assignment]
POSITIONS: sa.Table = TeamPosition.__table__  # type: ignore[assignment]


def team_workload(store: Any, query: ActivityQuery) -> pd.DataFrame:
    """Per team with open cases: how many are dispatched to it and how many it is on site for."""
    c = CASES.c
    on_site = sa.func.sum(sa.case((c.status == "in_progress", 1), else_=0))
    waiting = sa.func.sum(sa.case((c.status.in_(("dispatched", "joint")), 1), else_=0))
    statement = (
        sa.select(c.current_team_code.label("team_code"), waiting.label("dispatched"), on_site.label("on_site"))
        .where(c.current_team_code.is_not(None), c.status.in_(("dispatched", "joint", "in_progress")),
               *among(c.township_code, query.townships))
        .group_by(c.current_team_code)
    )
    with store.transaction() as conn:
        rows = conn.execute(statement).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["team_code", "dispatched", "on_site"]).set_index("team_code")


def latest_positions(store: Any, since: datetime) -> pd.DataFrame:
    """Each team's latest position reported after ``since``: team_code, at, lon, lat."""
    p = POSITIONS.c
    latest = (sa.select(p.team_code, sa.func.max(p.at).label("at")).where(p.at >= since)
              .group_by(p.team_code).subquery("latest"))
    statement = (sa.select(p.team_code, p.at, p.min_lon.label("lon"), p.min_lat.label("lat"))
                 .join(latest, sa.and_(latest.c.team_code == p.team_code, latest.c.at == p.at)))
    with store.transaction() as conn:
        rows = conn.execute(statement).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["team_code", "at", "lon", "lat"])
    return frame.drop_duplicates("team_code", keep="last").set_index("team_code")


def team_collection(teams: Any, workload: pd.DataFrame, positions: pd.DataFrame, *, lang: str) -> dict:
    """A point per team (latest fresh position, else base) with its status and active case count."""
    geojson.require_columns(teams, ("code", "name", "township_code", "kind", "geometry"), "teams")
    frame = teams[teams.geometry.notna()].sort_values("code").reset_index(drop=True)
    codes = frame["code"].astype(str)
    dispatched = codes.map(workload["dispatched"]).fillna(0).astype(int) if len(workload) else codes.map(lambda _: 0)
    on_site = codes.map(workload["on_site"]).fillna(0).astype(int) if len(workload) else codes.map(lambda _: 0)
    status = ["on_site" if s else "dispatched" if d else "idle" for s, d in zip(on_site, dispatched, strict=True)]
    lon = frame.geometry.x.to_numpy(copy=True)
    lat = frame.geometry.y.to_numpy(copy=True)
    reported = codes.isin(positions.index).to_numpy()
    if reported.any():
        lon[reported] = positions.loc[codes[reported], "lon"].to_numpy(float)
        lat[reported] = positions.loc[codes[reported], "lat"].to_numpy(float)
    properties = pd.DataFrame({
        "layer": "teams", "code": codes, "label": geojson.localised(frame, lang).to_numpy(),
        "kind": frame["kind"], "township_code": frame["township_code"], "status": status,
        "active": (dispatched + on_site).to_numpy(), "position": ["reported" if r else "base" for r in reported],
    })
    points = [{"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]} for x, y in zip(lon, lat, strict=True)]
    features = [{"type": "Feature", "geometry": g, "properties": {k: geojson.plain(v) for k, v in row.items()}}
                for g, row in zip(points, properties.astype(object).to_dict("records"), strict=True)]
    return geojson.collection(features)


def team_places(store: Any, query: LayerQuery, now: datetime | None = None) -> dict:
    """The teams layer's answer for ``query``: every team of the query's townships."""
    query = activity(query)
    now = now or datetime.now(UTC)
    teams = store.teams()
    if query.townships is not None:
        teams = teams[teams["township_code"].isin(query.townships)]
    return team_collection(teams, team_workload(store, query), latest_positions(store, now - POSITION_FRESH),
                           lang=query.lang)


class TeamsLayer:
    """执法队伍 — teams at their latest position or base, by status; sent whole (sixty points)."""

    name = "teams"
    label = Label("执法队伍", "Teams")
    style = {"color": "#8fa3b8", "weight": 1, "opacity": 1, "fillColor": "#8fa3b8", "fillOpacity": 0.9}
    fields = ("code", "status", "active")
    palette = tuple(COLOURS.values())
    min_zoom = 0.0
    follows_viewport = False
    checked = True

    def query(self, store: Any, query: LayerQuery) -> dict:
        return team_places(store, query)
