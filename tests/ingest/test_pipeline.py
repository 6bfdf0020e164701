"""The intake pipeline on both stores: everything stored or quarantined, idempotent, de-duplicated, fixable."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
import sqlalchemy as sa

from cases.permissions import Actor
from cases.states import Role
from geo.geocoder import Geocoder
from geo.jurisdiction_index import JurisdictionIndex
from ingest import Quarantined, Report, parse
from ingest.locate import Locator
from ingest.pipeline import Pipeline, fingerprint, process, reason_kind
from ingest.report import Point, SourceRef
from store import open_store
from store.casework import CaseService
from store.errors import InvalidData
from store.models import Case, QuarantinedRecord
from store.models import Report as ReportRow

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
ARRIVED = datetime(2026, 11, 6, 0, 30, tzinfo=UTC)
T0 = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
POLICE_STATION = (118.142592, 24.735642)  # 大同派出所, 同安区大同街道凤山路54号, in the demo city
REPORTS, CASES, QUARANTINE = ReportRow.__table__, Case.__table__, QuarantinedRecord.__table__


@pytest.fixture(scope="module")
def locator(demo_dir: Path) -> Locator:
    frames = {layer: gpd.read_file(demo_dir / f"{layer}.geojson")
              for layer in ("cells", "communities", "zones", "townships")}
    return Locator(JurisdictionIndex.from_frames(**frames), Geocoder.from_folder(demo_dir))


@pytest.fixture
def store(database_url: str, demo_dir: Path):
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    yield store
    store.close()


@pytest.fixture
def pipeline(store, locator: Locator) -> Pipeline:
    return Pipeline(store, locator)


def rows(store, table: sa.Table, *where) -> list[dict]:
    with store.transaction() as conn:
        return [dict(r) for r in conn.execute(sa.select(*(c for c in table.c if c.name != "geom")).where(*where)
                                              .order_by(table.c.id)).mappings()]


def vendor(n: int, channel: str, minutes: float, *, point: Point | None = None, address: str | None = None,
           text: str = "大同派出所门口有卖水果的流动摊贩占道经营", item: str = "ZF001") -> Report:
    return Report(channel=channel, external_id=f"V-{n}", received_at=T0 + timedelta(minutes=minutes), item_code=item,
                  category=item, source=SourceRef(f"{channel}.json", n, "record"), description=text,
                  address=address, point=point, reporter_name="王五", reporter_phone="13912345678", raw={"n": n})


def test_a_sample_file_is_stored_whole_and_importing_it_again_changes_nothing(store, pipeline: Pipeline) -> None:
    summary = pipeline.import_files("hotline_12345", [SAMPLES / "hotline_12345.xlsx"], received_at=ARRIVED)
    assert (summary.read, summary.stored, sum(summary.quarantined.values())) == (56, 50, 6)
    assert summary.new_cases + summary.attached + summary.manual_location == 50
    assert summary.quarantined == {"unmapped category": 2, "missing required field 诉求类型": 1,
                                   "bad time in 来电时间": 1, "missing required field 事发地址": 1,
                                   "duplicate 工单编号": 1}
    reports, quarantined = rows(store, REPORTS), rows(store, QUARANTINE)
    assert len(reports) == 50 and len(quarantined) == 6
    assert {q["source_ref"]["row"] for q in quarantined} == {7, 14, 22, 30, 38, 47}
    unmapped = next(q for q in quarantined if q["source_ref"]["row"] == 14)
    assert unmapped["reason"] == "unmapped category: 宠物走失" and unmapped["stage"] == "parse"
    assert unmapped["external_id"] == "TA12345-202611040012" and unmapped["record"]["诉求类型"] == "宠物走失"
    assert json.loads(bytes(unmapped["raw_payload"]))["诉求类型"] == "宠物走失"
    first = reports[0]
    assert first["source_ref"]["filename"] == "hotline_12345.xlsx" and first["source_ref"]["sheet"] == "工单"
    assert first["location_status"] in ("geocoded", "needs_manual") and first["raw_payload"]
    counts = store.counts()

    again = pipeline.import_files("hotline_12345", [SAMPLES / "hotline_12345.xlsx"], received_at=ARRIVED)
    assert (again.stored, again.new_cases, sum(again.quarantined.values())) == (0, 0, 0)
    assert (again.already_stored, again.already_quarantined) == (50, 6)
    assert store.counts() == counts
    fresh = Pipeline(store, pipeline.locator)  # another process, knowing nothing: still nothing changes
    assert fresh.import_files("hotline_12345", [SAMPLES / "hotline_12345.xlsx"]).stored == 0
    assert store.counts() == counts


def test_every_sample_record_ends_up_stored_or_quarantined(store, pipeline: Pipeline) -> None:
    files = {"dcm_12319": "dcm_12319.csv", "grid_worker": "grid_worker.json", "police_110": "police_110.jsonl",
             "patrol": "patrol.json"}
    read = 0
    for channel, name in files.items():
        outcomes = list(parse(channel, SAMPLES / name, received_at=ARRIVED))
        summary = pipeline.run(outcomes)
        read += len(outcomes)
        assert summary.read == len(outcomes) == summary.stored + sum(summary.quarantined.values())
    counts = store.counts()
    assert counts["reports"] + counts["quarantine"] == read
    located = rows(store, REPORTS, REPORTS.c.location_status.in_(["located", "geocoded"]))
    assert all(r["case_id"] and r["cell_code"] and r["township_code"] for r in located)
    dcm = rows(store, REPORTS, REPORTS.c.channel == "dcm_12319", REPORTS.c.original_crs.is_not(None))
    assert {r["original_crs"] for r in dcm} >= {"EPSG:4548"} and all(r["original_x"] > 1e5 for r in dcm)
    assert CaseService(store).audit() == {}  # every case row is what its audit trail says


def test_a_file_with_a_bad_row_stores_all_its_good_rows(store, pipeline: Pipeline) -> None:
    text = ("工单编号,来电时间,诉求类型,诉求内容,事发地址\n"
            "B-1,2026/11/3 14:05,占道经营,门口卖水果,同安区大同街道大同派出所\n"
            "B-2,2026/11/3 25:05,占道经营,门口卖菜,同安区大同街道大同派出所\n"
            "B-3,2026/11/4 09:00,小广告,电线杆上贴满小广告,同安区大同街道凤山路54号\n"
            "B-4,2026/11/4 10:00,噪声扰民,装修噪音,同安区祥平街道\n")
    outcomes = list(parse("hotline_12345", text.encode(), filename="orders.csv", received_at=ARRIVED))
    summary = pipeline.run(outcomes)
    assert summary.stored == 3 and summary.quarantined == {"bad time in 来电时间": 1}
    [bad] = rows(store, QUARANTINE)
    assert bad["source_ref"] == {"filename": "orders.csv", "row": 3, "unit": "row", "sheet": None}
    assert bytes(bad["raw_payload"]).decode().splitlines()[1].startswith("B-2,")


def test_a_message_delivered_twice_is_stored_once(store, pipeline: Pipeline) -> None:
    message = vendor(1, "patrol", 0, point=Point(*POLICE_STATION, "wgs84"))
    first = pipeline.submit([message])
    again = pipeline.submit([message, message])
    assert first.ids[0].startswith("report/") and again.ids == [first.ids[0]] * 2
    assert again.summary.already_stored == 2 and again.summary.stored == 0
    assert store.counts()["reports"] == 1 and store.counts()["cases"] == 1


def test_reports_of_one_problem_from_three_channels_make_one_case(store, pipeline: Pipeline) -> None:
    lon, lat = POLICE_STATION
    hotline = vendor(1, "hotline_12345", 0, address="同安区大同街道大同派出所门口",
                     text="市民来电反映大同派出所门口有卖水果的流动摊贩占道经营，请尽快处理")
    grid = vendor(2, "grid_worker", 25, point=Point(lon + 0.0001, lat, "wgs84"),
                  text="网格员巡查发现大同派出所门口卖水果的小贩占用人行道摆卖")
    elsewhere = vendor(3, "patrol", 40, point=Point(lon + 0.01, lat + 0.01, "wgs84"))  # ~1.5 km away
    outcome = pipeline.submit([hotline, grid, elsewhere])
    assert (outcome.summary.new_cases, outcome.summary.attached) == (2, 1)
    stored = {r["external_id"]: r for r in rows(store, REPORTS)}
    assert stored["V-1"]["case_id"] == stored["V-2"]["case_id"] != stored["V-3"]["case_id"]
    assert stored["V-1"]["link_reason"] == {"rule": "opened"}
    link = stored["V-2"]["link_reason"]
    assert link["rule"] == "duplicate" and link["minutes"] == 25.0 and link["distance_m"] < 150
    assert link["text_similarity"] > 0.4 and link["same_item"] is True

    later = pipeline.submit([vendor(4, "police_110", 90, point=Point(lon, lat + 0.0002, "wgs84"),
                                    text="报警人称大同派出所门口卖水果的摊贩占道摆摊")])
    assert later.summary.attached == 1  # a later batch joins the open case too
    fresh = Pipeline(store, pipeline.locator)  # and so does another process that loads it from the store
    assert fresh.submit([vendor(5, "patrol", 120, point=Point(lon, lat, "wgs84"))]).summary.attached == 1
    case_ids = {r["case_id"] for r in rows(store, REPORTS, REPORTS.c.external_id.in_(["V-1", "V-4", "V-5"]))}
    assert len(case_ids) == 1 and CaseService(store).audit() == {}


def test_a_case_closed_meanwhile_is_not_joined(store, pipeline: Pipeline) -> None:
    lon, lat = POLICE_STATION
    pipeline.submit([vendor(1, "patrol", 0, point=Point(lon, lat, "wgs84"))])
    [case] = rows(store, CASES)
    with store.transaction(write=True) as conn:  # closed by someone else (the pipeline still remembers it open)
        conn.execute(sa.update(CASES).where(CASES.c.id == case["id"]).values(status="closed"))
    outcome = pipeline.submit([vendor(2, "grid_worker", 10, point=Point(lon, lat, "wgs84"))])
    assert (outcome.summary.new_cases, outcome.summary.attached) == (1, 0)


def test_an_unplaceable_report_waits_in_the_manual_queue_until_an_operator_places_it(
        store, pipeline: Pipeline) -> None:
    lost = vendor(1, "hotline_12345", 0, address="不知道在哪里的一个地方")
    outcome = pipeline.submit([lost])
    assert outcome.summary.manual_location == 1 and outcome.summary.new_cases == 0
    [row] = rows(store, REPORTS)
    assert row["location_status"] == "needs_manual" and row["case_id"] is None and row["cell_code"] is None
    assert row["location_reason"].startswith("address not found")
    from store import intake

    assert [r["id"] for r in intake.manual_queue(store)] == [row["id"]]
    with pytest.raises(InvalidData, match="outside the jurisdiction"):
        pipeline.place(row["id"], 119.5, 23.0)
    placed = pipeline.place(row["id"], *POLICE_STATION, actor="op-dt")
    [row] = rows(store, REPORTS)
    assert row["location_status"] == "placed" and row["case_id"] == placed["case_id"] and row["cell_code"]
    assert row["link_reason"]["placed_by"] == "op-dt" and intake.manual_queue(store) == []
    with pytest.raises(InvalidData, match="not waiting for manual location"):
        pipeline.place(row["id"], *POLICE_STATION)


def test_a_quarantined_record_is_fixed_and_resubmitted(store, pipeline: Pipeline) -> None:
    pipeline.import_files("hotline_12345", [SAMPLES / "hotline_12345.xlsx"], received_at=ARRIVED)
    [lost_dog] = rows(store, QUARANTINE, QUARANTINE.c.external_id == "TA12345-202611040012")
    unchanged = pipeline.resubmit(lost_dog["id"])
    assert unchanged == {"status": "still quarantined", "report_id": None, "reason": "unmapped category: 宠物走失"}
    fixed = json.loads(bytes(lost_dog["raw_payload"]))
    fixed["诉求类型"] = "占道经营"
    result = pipeline.resubmit(lost_dog["id"], json.dumps(fixed, ensure_ascii=False).encode())
    assert result["status"] == "stored"
    [row] = rows(store, QUARANTINE, QUARANTINE.c.id == lost_dog["id"])
    assert row["status"] == "fixed" and row["resubmitted_report_id"] == result["report_id"] and row["fixed_at"]
    [report] = rows(store, REPORTS, REPORTS.c.id == result["report_id"])
    assert report["external_id"] == "TA12345-202611040012" and report["source_ref"]["row"] == 14
    assert any("re-submitted from quarantined record" in note for note in report["notes"])
    with pytest.raises(InvalidData, match="not open"):
        pipeline.resubmit(lost_dog["id"])


def test_an_operator_splits_a_report_off_its_case(store, pipeline: Pipeline) -> None:
    lon, lat = POLICE_STATION
    pipeline.submit([vendor(1, "patrol", 0, point=Point(lon, lat, "wgs84")),
                     vendor(2, "grid_worker", 10, point=Point(lon, lat, "wgs84"))])
    first, second = rows(store, REPORTS)
    assert first["case_id"] == second["case_id"]
    operator = Actor("op-dt", Role.OPERATOR, township_code="350212001")
    result = pipeline.split(first["case_id"], [second["id"]], operator)
    first, second = rows(store, REPORTS)
    assert second["case_id"] == result["case_id"] != first["case_id"]
    assert second["link_reason"]["rule"] == "split" and second["link_reason"]["by"] == "op-dt"
    assert CaseService(store).audit() == {}
    events = CaseService(store).history(result["case_id"])
    assert events[0].actor == "op-dt" and "split off case" in events[0].note


def test_a_report_for_an_item_the_store_does_not_know_is_quarantined(store, pipeline: Pipeline) -> None:
    strange = replace(vendor(1, "patrol", 0, point=Point(*POLICE_STATION, "wgs84")), item_code="ZF999")
    outcome = pipeline.submit([strange])
    assert outcome.ids[0].startswith("quarantine/")
    [row] = rows(store, QUARANTINE)
    assert row["stage"] == "store" and "ZF999" in row["reason"] and row["record"]["external_id"] == "V-1"


def test_the_live_worker_handler_returns_each_records_stored_id(store) -> None:
    good = vendor(1, "patrol", 0, point=Point(*POLICE_STATION, "wgs84"))
    bad = Quarantined("patrol", SourceRef("live", 7, "record"), "unmapped category: ZF099", b'{"x": 1}',
                      "application/json", ARRIVED, {"x": 1}, "XC-7")
    ids = process(store, [good, bad, good])
    assert ids[0].startswith("report/") and ids[1].startswith("quarantine/") and ids[2] == ids[0]
    assert process(store, [bad]) == [ids[1]]  # re-delivered: the same record, not a second one
    assert store.counts()["quarantine"] == 1


def test_reason_kinds_and_fingerprints() -> None:
    assert reason_kind('bad time "2026/11/7 25:10" in 来电时间: hour 25 is not 0–23') == "bad time in 来电时间"
    assert reason_kind("duplicate 工单编号 TA1: already in x row 5") == "duplicate 工单编号"
    assert reason_kind('unknown coordinate system "bd09mc" (Baidu Mercator metres: send …): expected') == \
        "unknown coordinate system"
    assert reason_kind("missing required field 诉求类型; bad time x") == "missing required field 诉求类型"
    one = Quarantined("patrol", SourceRef("a.json", 1, "record"), "r", b"x", "application/json", ARRIVED)
    assert fingerprint(one) == fingerprint(replace(one, reason="another reason"))
    assert fingerprint(one) != fingerprint(replace(one, raw=b"y"))
    assert fingerprint(one) != fingerprint(replace(one, source=SourceRef("a.json", 2, "record")))


def test_the_command_line_imports_and_prints_one_json_line(store, capsys: pytest.CaptureFixture[str],
                                                           database_url: str) -> None:
    from ingest.__main__ import main

    assert main(["import", "--channel", "patrol", str(SAMPLES / "patrol.json"), "--json",
                 "--database-url", database_url]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["read"] == 50 and summary["stored"] == 45 and summary["quarantined"] == 5
    assert main(["quarantine", "list", "--json", "--database-url", database_url]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(listed) == 5 and all(r["reason"] for r in listed)
    assert main(["quarantine", "show", str(listed[0]["id"]), "--database-url", database_url]) == 0
    assert "reason" in capsys.readouterr().out


def test_reports_stored_meanwhile_by_a_writer_without_the_lock_are_skipped(store) -> None:
    from store import intake

    def one(external_id: str) -> dict:
        return {"channel": "patrol", "external_id": external_id, "received_at": T0, "location_status": "manual",
                "raw_payload": {"id": external_id}}

    with store.transaction(write=True) as conn:
        first = intake.insert_reports(conn, intake.Rows({k: [v] for k, v in one("race-1").items()}))
    rows_ = [one("race-1"), one("race-2")]
    with store.transaction(write=True) as conn:
        second = intake.insert_reports(conn, intake.Rows({k: [r[k] for r in rows_] for k in rows_[0]}))
    assert list(first) == [("patrol", "race-1")] and ("patrol", "race-2") in second
    assert second.get(("patrol", "race-1"), first[("patrol", "race-1")]) == first[("patrol", "race-1")]
    assert [r["external_id"] for r in rows(store, REPORTS)] == ["race-1", "race-2"]
