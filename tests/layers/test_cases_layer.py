"""The open-cases layer: grid clusters computed by the database, the same on SQLite and PostGIS.

The expected clusters are computed here independently (numpy over the inserted rows), so a backend that
rounds instead of flooring, groups by the wrong key or counts a closed case fails.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from cases.calendar import SHANGHAI
from cases.states import Status
from layers import cases as cases_layer
from layers.activity import ActivityQuery
from layers.cases import GROUP_OF, OPEN, CasesLayer, cell_degrees, grid_aspect, open_cases
from layers.registry import Layer, LayerQuery
from sim.simulate import Settings, simulate
from store.casework import CaseService
from store.models import Case

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
ONE_MB = 1_000_000


def insert_cases(store, n: int, seed: int = 3) -> dict[str, np.ndarray]:
    """``n`` cases at random places of the district (a third around three hot spots), random statuses
    (closed and rejected ones too) and deadlines around NOW; returns their columns."""
    rng = np.random.default_rng(seed)
    min_lon, min_lat, max_lon, max_lat = store.extent()
    lon = rng.uniform(min_lon, max_lon, n)
    lat = rng.uniform(min_lat, max_lat, n)
    hot = rng.random(n) < 0.35
    centres = np.array([[118.13, 24.73], [118.16, 24.70], [118.10, 24.78]])
    which = rng.integers(0, len(centres), n)
    lon[hot] = centres[which[hot], 0] + rng.normal(0, 0.002, hot.sum())
    lat[hot] = centres[which[hot], 1] + rng.normal(0, 0.002, hot.sum())
    statuses = np.array([s.value for s in Status])[rng.integers(0, len(Status), n)]
    deadline_h = rng.uniform(-48, 48, n)
    no_deadline = rng.random(n) < 0.1
    townships = store.townships()
    codes = np.array(sorted(townships["code"]))[rng.integers(0, len(townships), n)]
    rows = []
    for i in range(n):
        point = shapely.Point(float(lon[i]), float(lat[i]))
        rows.append({
            "code": f"T-{seed}-{i:06d}", "status": str(statuses[i]), "priority": 3, "item_code": "ZF001",
            "township_code": str(codes[i]), "opened_at": NOW - timedelta(days=2),
            "deadline_at": None if no_deadline[i] else NOW + timedelta(hours=float(deadline_h[i])),
            "geom": point, "min_lon": point.x, "max_lon": point.x, "min_lat": point.y, "max_lat": point.y,
            "channel": "12345" if i % 2 else "grid",
        })
    with store.transaction() as conn:
        conn.execute(sa.insert(Case.__table__), rows)
        ids = [row[0] for row in conn.execute(sa.select(Case.id).where(Case.code.like(f"T-{seed}-%"))
                                              .order_by(Case.code))]
    return {"id": np.array(ids), "lon": lon, "lat": lat, "status": statuses, "township": codes,
            "overdue": ~no_deadline & (deadline_h < 0), "channel": np.array([r["channel"] for r in rows])}


def expected_clusters(rows: dict[str, np.ndarray], zoom: float, bbox, keep: np.ndarray) -> dict:
    """Square → (count, overdue, first id), computed in numpy the way the layer's SQL should."""
    size = cell_degrees(zoom)
    inside = ((rows["lon"] >= bbox[0]) & (rows["lon"] <= bbox[2]) & (rows["lat"] >= bbox[1])
              & (rows["lat"] <= bbox[3]) & keep & np.isin(rows["status"], OPEN))
    gx = np.floor((rows["lon"][inside] + 180.0) / size).astype(np.int64)
    gy = np.floor((rows["lat"][inside] + 90.0) / (size * grid_aspect(bbox))).astype(np.int64)
    out: dict[tuple[int, int], list] = {}
    for x, y, overdue, ident in zip(gx, gy, rows["overdue"][inside], rows["id"][inside], strict=True):
        entry = out.setdefault((int(x), int(y)), [0, 0, int(ident)])
        entry[0] += 1
        entry[1] += int(overdue)
        entry[2] = min(entry[2], int(ident))
    return out


def test_the_layer_is_a_registrable_layer() -> None:
    layer = CasesLayer()
    assert isinstance(layer, Layer) and layer.follows_viewport and layer.name == "cases"


@pytest.mark.parametrize("zoom", [11.0, 13.5, 17.0])
def test_clusters_match_an_independent_count(demo_store, zoom: float) -> None:
    rows = insert_cases(demo_store, 2_500)
    bbox = demo_store.extent()
    answer = open_cases(demo_store, ActivityQuery(bbox=bbox, zoom=zoom, as_of=NOW), now=NOW)
    expected = expected_clusters(rows, zoom, bbox, np.ones(len(rows["id"]), bool))

    features = answer["features"]
    assert len(features) == len(expected)
    assert answer["total"] == sum(v[0] for v in expected.values()) == int(np.isin(rows["status"], OPEN).sum())
    assert sum(f["properties"]["count"] for f in features) == answer["total"]
    assert sum(f["properties"]["overdue"] for f in features) == sum(v[1] for v in expected.values())
    clusters = {tuple(int(v) for v in f["properties"]["code"].split(":")): f["properties"]
                for f in features if f["properties"]["role"] == "cluster"}
    assert set(clusters) == {key for key, v in expected.items() if v[0] > 1}
    for key, props in clusters.items():
        assert (props["count"], props["overdue"]) == tuple(expected[key][:2])
        assert sum(props["groups"].values()) == props["count"]
        assert props["groups"][props["group"]] == max(props["groups"].values())  # the commonest status group
    singles = [f for f in features if f["properties"]["role"] == "case"]
    assert len(singles) == sum(1 for v in expected.values() if v[0] == 1)
    by_id = {int(i): k for k, i in enumerate(rows["id"])}
    codes = {f"T-3-{by_id[v[2]]:06d}" for v in expected.values() if v[0] == 1}
    assert {f["properties"]["code"] for f in singles} == codes
    for feature in singles:
        props = feature["properties"]
        k = int(props["code"].rsplit("-", 1)[1])
        assert props["status"] == rows["status"][k] and props["group"] == GROUP_OF[rows["status"][k]]
        assert props["overdue"] == int(rows["overdue"][k])
        assert feature["geometry"]["coordinates"] == pytest.approx([rows["lon"][k], rows["lat"][k]], abs=2e-6)
    assert len(json.dumps(answer)) < ONE_MB


def test_viewport_filters_and_the_feature_cap(demo_store, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = insert_cases(demo_store, 2_000, seed=5)
    min_lon, min_lat, max_lon, max_lat = demo_store.extent()
    view = (min_lon, min_lat, (min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
    in_view = ((rows["lon"] >= view[0]) & (rows["lon"] <= view[2]) & (rows["lat"] >= view[1])
               & (rows["lat"] <= view[3]) & np.isin(rows["status"], OPEN))
    answer = open_cases(demo_store, ActivityQuery(bbox=view, zoom=14, as_of=NOW), now=NOW)
    assert answer["total"] == int(in_view.sum())

    township = str(rows["township"][0])
    scoped = open_cases(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=18, townships=(township,),
                                                  as_of=NOW), now=NOW)
    assert scoped["total"] == int((np.isin(rows["status"], OPEN) & (rows["township"] == township)).sum())
    assert {f["properties"]["township_code"] for f in scoped["features"] if f["properties"]["role"] == "case"} \
        == {township}
    assert open_cases(demo_store, ActivityQuery(bbox=view, zoom=14, townships=()), now=NOW)["total"] == 0

    only = open_cases(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=12, statuses=("dispatched", "closed"),
                                                channels=("grid",)), now=NOW)
    assert only["total"] == int(((rows["status"] == "dispatched") & (rows["channel"] == "grid")).sum())

    # a view far bigger than the screen: the grid coarsens until the answer fits, and loses no case
    monkeypatch.setattr(cases_layer, "MAX_FEATURES", 40)
    capped = open_cases(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=18, as_of=NOW), now=NOW)
    assert len(capped["features"]) <= 40
    assert capped["total"] == sum(f["properties"]["count"] for f in capped["features"]) \
        == int(np.isin(rows["status"], OPEN).sum())
    assert capped["cell_deg"] > cell_degrees(18) and (capped["cell_deg"] / cell_degrees(18)).is_integer()


def test_cases_from_the_case_service_are_on_the_layer(demo_store) -> None:
    """A simulated half day through the real case service: every open placed case is counted once."""
    service = CaseService(demo_store)
    start = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)
    summary = simulate(demo_store, Settings(start=start, days=0.5, per_day=200, seed=9), service=service)
    assert summary.cases > 20
    as_of = datetime.now(UTC)
    with demo_store.transaction() as conn:
        open_placed = conn.execute(sa.select(sa.func.count()).select_from(Case).where(
            Case.status.in_(OPEN), Case.min_lon.is_not(None))).scalar()
        overdue = conn.execute(sa.select(sa.func.count()).select_from(Case).where(
            Case.status.in_(OPEN), Case.min_lon.is_not(None), Case.deadline_at < as_of)).scalar()
    assert open_placed > 0
    answer = CasesLayer().query(demo_store, LayerQuery(bbox=demo_store.extent(), zoom=12))
    assert answer["total"] == open_placed
    judged = open_cases(demo_store, ActivityQuery(bbox=demo_store.extent(), zoom=12, as_of=as_of))
    assert sum(f["properties"]["overdue"] for f in judged["features"]) == overdue
    assert CasesLayer().query(demo_store, LayerQuery(zoom=12))["features"] == []  # no view: nothing sent


def test_bad_queries_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="ActivityQuery.start must be an aware datetime"):
        ActivityQuery(start=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="window is empty"):
        ActivityQuery(start=NOW, end=NOW)
    with pytest.raises(ValueError, match="ActivityQuery.townships"):
        ActivityQuery(townships="350212001")
    with pytest.raises(ValueError, match="LayerQuery.zoom"):
        ActivityQuery(zoom=40)
