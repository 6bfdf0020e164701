"""``python -m geo hotspots | emerging | repeats`` on a real store (SQLite and PostGIS) with planted patterns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from geo.__main__ import main
from store.models import Case, Report
from store.ready import open_ready_store

END = datetime(2026, 11, 23, 0, tzinfo=UTC)


def block_of_nine(cells: pd.DataFrame) -> pd.DataFrame:
    """Nine cells forming a full 3×3 block of squares, one cell per square (no community border inside)."""
    squares = cells.groupby(["col", "row"]).size()
    single = set(squares[squares == 1].index)
    for col, row in sorted(single):
        around = [(col + dc, row + dr) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
        if all(square in single for square in around):
            keyed = cells.set_index(["col", "row"])
            block = keyed.loc[around].reset_index()
            return block
    raise AssertionError("the demo city has no 3×3 block of whole squares")


def report_rows(cells: pd.DataFrame, times: list[datetime], prefix: str, item: str = "ZF001") -> list[dict]:
    rows = []
    for k, (cell, at) in enumerate(zip(cells.itertuples(), times, strict=True)):
        centre = cell.geometry.centroid
        rows.append({
            "channel": "grid_worker", "external_id": f"{prefix}-{k}", "received_at": at, "item_code": item,
            "township_code": cell.township_code, "community_code": cell.community_code, "cell_code": cell.code,
            "geom": centre, "min_lon": centre.x, "max_lon": centre.x, "min_lat": centre.y, "max_lat": centre.y,
        })
    return rows


@pytest.fixture
def planted(database_url: str, demo_dir: Path) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """A store with background reports over 12 weeks and a block that flares up in the last week."""
    store = open_ready_store(database_url, demo_dir)
    try:
        cells = store.cells()
        rng = np.random.default_rng(5)
        block = block_of_nine(cells)
        background = cells.iloc[rng.integers(0, len(cells), 3000)]
        times = [END - timedelta(seconds=float(s)) for s in rng.uniform(0, 12 * 7 * 86400, 3000)]
        rows = report_rows(background, times, "bg")
        hot = block.loc[block.index.repeat(25)]
        rows += report_rows(hot, [END - timedelta(hours=float(h)) for h in rng.uniform(1, 160, len(hot))], "hot")
        rows += report_rows(block.iloc[:3], [END - timedelta(days=2)] * 3, "other", item="ZF007")
        with store.transaction() as conn:
            conn.execute(sa.insert(Report.__table__), rows)
    finally:
        store.close()
    frame = pd.DataFrame(rows)
    frame.attrs["cells"] = len(cells)
    return database_url, block, frame


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_hotspots_finds_the_planted_block(planted, capsys: pytest.CaptureFixture[str]) -> None:
    url, block, rows = planted
    centre = block["code"].iloc[4]
    in_window = rows[(rows["received_at"] >= END - timedelta(days=7)) & (rows["received_at"] < END)]
    document = run_json(capsys, ["hotspots", "--database-url", url, "--window", "7d", "--end", END.isoformat(),
                                 "--json", "--permutations", "199", "--seed", "3"])
    assert document["by"] == "cell" and document["start"] == (END - timedelta(days=7)).isoformat()
    listed = {row["code"]: row for row in document["units_listed"]}
    assert listed[centre]["bin"] == 3 and listed[centre]["count"] == 25 and listed[centre]["label"] == "热点 99%"
    assert set(block["code"]) <= {code for code, row in listed.items() if row["bin"] > 0}
    assert document["reports"] == len(in_window) and document["units"] == rows.attrs["cells"]
    counts = in_window["cell_code"].value_counts()
    assert all(row["count"] == counts.get(code, 0) for code, row in listed.items())
    hot = [row for row in document["units_listed"] if row["bin"] > 0]
    assert hot[0]["z"] >= hot[-1]["z"] and sum(document["bins"].values()) == document["units"]
    again = run_json(capsys, ["hotspots", "--database-url", url, "--window", "7d", "--end", END.isoformat(),
                              "--json", "--permutations", "199", "--seed", "3"])
    assert again == document  # seeded: the same answer twice

    assert main(["hotspots", "--database-url", url, "--end", END.isoformat(), "--permutations", "99"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("Gi* hot spots by cell") and any(line.startswith(centre) for line in text[1:])

    only_other = run_json(capsys, ["hotspots", "--database-url", url, "--end", END.isoformat(), "--item", "ZF007",
                                   "--json", "--permutations", "99"])
    assert only_other["reports"] == 3

    community = run_json(capsys, ["hotspots", "--database-url", url, "--end", END.isoformat(), "--by", "community",
                                  "--json", "--permutations", "99", "--all"])
    assert community["units"] == len(community["units_listed"]) and community["reports"] == document["reports"]
    top = max(community["units_listed"], key=lambda row: row["count"])
    assert top["code"] == block["community_code"].iloc[4] and top["z"] > 3


def test_emerging_names_the_flare_up_a_new_hot_spot(planted, capsys: pytest.CaptureFixture[str]) -> None:
    url, block, _ = planted
    document = run_json(capsys, ["emerging", "--database-url", url, "--steps", "12", "--step", "week",
                                 "--end", END.isoformat(), "--json", "--permutations", "99"])
    assert document["steps"] == 12 and len(document["edges"]) == 13 and document["end"] == END.isoformat()
    listed = {row["code"]: row for row in document["cells_listed"]}
    centre = listed[block["code"].iloc[4]]
    assert centre["category"] == "new_hot" and centre["label"] == "新增的热点"
    assert centre["counts"][-1] == 25 and sum(centre["counts"][:-1]) <= 3
    assert sum(document["categories"].values()) == document["cells"]
    assert all(row["category"] != "no_pattern" for row in document["cells_listed"])
    assert main(["emerging", "--database-url", url, "--steps", "4", "--end", END.isoformat(),
                 "--permutations", "99"]) == 0
    text = capsys.readouterr().out
    assert "emerging hot spots, 4 weeks" in text and "新增的热点" in text


def test_repeats_lists_the_place_where_the_problem_came_back(database_url: str, demo_dir: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    store = open_ready_store(database_url, demo_dir)
    try:
        cell = store.cells().iloc[100]
        point = cell.geometry.centroid
        base = {"status": "closed", "priority": 3, "township_code": cell.township_code, "geom": point,
                "community_code": cell.community_code, "cell_code": cell.code, "address": "凤山路 12号",
                "min_lon": point.x, "max_lon": point.x, "min_lat": point.y, "max_lat": point.y}
        rows = [
            {**base, "code": "R-1", "item_code": "ZF001", "opened_at": END - timedelta(days=40),
             "closed_at": END - timedelta(days=38)},
            {**base, "code": "R-2", "item_code": "ZF001", "opened_at": END - timedelta(days=20),
             "closed_at": END - timedelta(days=19), "address": "凤山路12号"},
            {**base, "code": "R-3", "item_code": "ZF001", "opened_at": END - timedelta(days=5), "status": "accepted",
             "closed_at": None},
            {**base, "code": "R-4", "item_code": "ZF007", "opened_at": END - timedelta(days=3), "status": "accepted",
             "closed_at": None},
        ]
        with store.transaction() as conn:
            conn.execute(sa.insert(Case.__table__), rows)
            ids = dict(conn.execute(sa.select(Case.code, Case.id)).all())
    finally:
        store.close()
    document = run_json(capsys, ["repeats", "--database-url", database_url, "--json"])
    assert document["cases"] == 4 and document["places"] == 1
    place = document["repeat_places"][0]
    assert place["place"] == cell.code and place["item_code"] == "ZF001" and place["repeats"] == 2
    assert place["repeat_case_ids"] == [ids["R-2"], ids["R-3"]] and place["days_to_return"] == pytest.approx(16.0)  # 18 and 14 days
    by_address = run_json(capsys, ["repeats", "--database-url", database_url, "--by", "address", "--json"])
    assert [p["place"] for p in by_address["repeat_places"]] == ["凤山路12号"]
    assert run_json(capsys, ["repeats", "--database-url", database_url, "--within", "10d", "--json"])["places"] == 0


def test_bad_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["hotspots", "--window", "7x"], ["emerging", "--end", "yesterday"], ["repeats", "--within", "-3d"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2
    assert "not a duration" in capsys.readouterr().err
