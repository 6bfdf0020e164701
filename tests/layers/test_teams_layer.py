"""The teams layer: every team at its base (or a fresh reported position), its status from its open cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import shapely
import sqlalchemy as sa

from layers.activity import ActivityQuery
from layers.registry import Layer, LayerQuery
from layers.teams import POSITION_FRESH, TeamsLayer, team_places
from store.models import Case, TeamPosition

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


def test_team_status_and_position(demo_store) -> None:
    assert isinstance(TeamsLayer(), Layer)
    teams = demo_store.teams().sort_values("code").reset_index(drop=True)
    busy, waiting, moved, stale = (str(code) for code in teams["code"].iloc[:4])
    point = shapely.Point(118.15, 24.73)
    cases = [(busy, "in_progress"), (busy, "dispatched"), (waiting, "joint"), (waiting, "closed"), (stale, "handled")]
    with demo_store.transaction() as conn:
        conn.execute(sa.insert(Case.__table__), [
            {"code": f"TM-{i}", "status": status, "priority": 3, "opened_at": NOW - timedelta(hours=3),
             "current_team_code": team, "township_code": str(teams.loc[teams["code"] == team, "township_code"].iloc[0])}
            for i, (team, status) in enumerate(cases)
        ])
        conn.execute(sa.insert(TeamPosition.__table__), [
            {"team_code": moved, "at": NOW - timedelta(minutes=5), "status": "patrol", "source_crs": "wgs84",
             "geom": point, "min_lon": point.x, "max_lon": point.x, "min_lat": point.y, "max_lat": point.y},
            {"team_code": stale, "at": NOW - POSITION_FRESH - timedelta(minutes=1), "status": "patrol",
             "source_crs": "wgs84", "geom": point, "min_lon": point.x, "max_lon": point.x, "min_lat": point.y,
             "max_lat": point.y},
        ])

    answer = team_places(demo_store, LayerQuery(zoom=12), now=NOW)
    features = {f["properties"]["code"]: f for f in answer["features"]}
    assert len(features) == len(teams)
    assert (features[busy]["properties"]["status"], features[busy]["properties"]["active"]) == ("on_site", 2)
    assert (features[waiting]["properties"]["status"], features[waiting]["properties"]["active"]) == ("dispatched", 1)
    assert features[stale]["properties"]["status"] == "idle"  # a handled case needs no team any more
    assert features[moved]["properties"]["position"] == "reported"
    assert features[moved]["geometry"]["coordinates"] == [118.15, 24.73]
    base = teams.loc[teams["code"] == stale].geometry.iloc[0]
    assert features[stale]["properties"]["position"] == "base"  # its position is too old to trust
    assert features[stale]["geometry"]["coordinates"] == [round(base.x, 6), round(base.y, 6)]

    township = str(teams["township_code"].dropna().iloc[0])
    scoped = team_places(demo_store, ActivityQuery(zoom=12, townships=(township,)), now=NOW)
    assert {f["properties"]["township_code"] for f in scoped["features"]} == {township}
    assert len(scoped["features"]) == int((teams["township_code"] == township).sum())
