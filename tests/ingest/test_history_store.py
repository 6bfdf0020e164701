"""History from an old platform, stored on both stores: each row a case whose reconstructed trail replays to
its row, contradictions quarantined and fixable, idempotent, never de-duplicated, seen by the KPIs."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
import sqlalchemy as sa

from cases.calendar import SHANGHAI
from cases.states import Role
from geo.geocoder import Geocoder
from geo.jurisdiction_index import JurisdictionIndex
from ingest import parse
from ingest.__main__ import main
from ingest.locate import Locator
from ingest.pipeline import Pipeline, Summary
from ingest.report import Point, Report, SourceRef
from store import open_store
from store.casework import CaseService
from store.kpis import kpis
from store.models import Case, CaseEvent, QuarantinedRecord
from store.models import Report as ReportRow

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
SAMPLE, MAPPING = SAMPLES / "history_szcg.csv", SAMPLES / "history_mapping.yaml"
ARRIVED = datetime(2026, 11, 6, 0, 30, tzinfo=UTC)
CASES, EVENTS, REPORTS, QUARANTINE = (Case.__table__, CaseEvent.__table__, ReportRow.__table__,
                                      QuarantinedRecord.__table__)
BAD_ROWS = {6: "parse", 20: "parse", 27: "parse", 32: "parse", 41: "parse", 48: "parse", 55: "parse"}
STATUS = {"已结案": "closed", "已归档": "archived", "不予受理": "rejected", "待受理": "reported", "已受理": "accepted",
          "已派遣": "dispatched", "处置中": "in_progress"}
ROLES = {"report": "system", "accept": "operator", "reject": "operator", "dispatch": "operator",
         "transfer": "operator", "arrive": "team_leader", "feedback": "team_leader",
         "department_answer": "department_liaison", "verify": "operator", "close": "operator", "archive": "system"}


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


def imported(pipeline: Pipeline, path: Path = SAMPLE) -> Summary:
    return pipeline.import_files("generic_csv", [path], mapping=MAPPING, received_at=ARRIVED)


def sample_rows() -> dict[int, dict[str, str]]:
    """The sample as a spreadsheet shows it: row number (header = 1) → cells."""
    with SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        return dict(enumerate(csv.DictReader(handle), start=2))


def local(text: str) -> datetime | None:
    if not text:
        return None
    spelled = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, spelled).replace(tzinfo=SHANGHAI).astimezone(UTC)


def table(store, source: sa.Table, *where) -> list[dict]:
    with store.transaction() as conn:
        return [dict(r) for r in conn.execute(sa.select(*(c for c in source.c if c.name != "geom")).where(*where)
                                              .order_by(source.c.id)).mappings()]


def cases_by_legacy_id(store) -> dict[str, dict]:
    with store.transaction() as conn:
        found = dict(conn.execute(sa.select(REPORTS.c.external_id, REPORTS.c.case_id)).all())
    by_id = {row["id"]: row for row in table(store, CASES)}
    return {legacy: by_id[case_id] for legacy, case_id in found.items()}


def test_each_row_becomes_a_case_whose_imported_trail_replays_to_its_row(store, pipeline: Pipeline) -> None:
    summary = imported(pipeline)
    assert (summary.read, summary.stored, summary.new_cases, summary.attached) == (64, 57, 57, 0)
    assert sum(summary.quarantined.values()) == 7

    rows, cases = sample_rows(), cases_by_legacy_id(store)
    good = {n: r for n, r in rows.items() if n not in BAD_ROWS}
    assert set(cases) == {r["案件编号"] for r in good.values()}
    assert CaseService(store).audit() == {}  # every row is what its trail replays to
    for r in good.values():
        case = cases[r["案件编号"]]
        assert case["status"] == STATUS[r["案件状态"]] or (case["status"], r["案件状态"]) == ("transferred", "已派遣")
        assert case["opened_at"] == local(r["上报时间"]) and case["channel"] == "generic_csv"
        if case["status"] == "rejected":
            assert case["rejected_at"] == local(r["受理时间"]) and case["accepted_at"] is None
            continue
        assert case["accepted_at"] == local(r["受理时间"])
        department = r["处置单位"].endswith(("派出所", "市场监管所", "管理局", "分局"))
        sent = case["transferred_at"] if department else case["dispatched_at"]  # 移送 to a department, or 派遣
        assert sent == local(r["派遣时间"]) and case["handled_at"] == local(r["处置时间"])
        assert case["closed_at"] == local(r["结案时间"])
        assert (case["department"] is not None) == (department and sent is not None)
        assert (case["current_team_code"] is None) == (department or sent is None)
        deadline = local(r["处置时限"])
        if case["handled_at"] is not None:  # the old deadline is the handling limit
            assert case["handled_late"] is (case["handled_at"] > deadline), r["案件编号"]
        if case["status"] == "in_progress":  # only the handle clock runs: its deadline is the old one
            assert case["deadline_at"] == deadline

    events = table(store, EVENTS)
    assert len(events) == sum(c["version"] for c in cases.values())
    assert {e["actor"] for e in events} == {"import:history_szcg.csv"}
    assert all(ROLES[e["action"]] == e["role"] for e in events)
    assert all(e["payload"]["imported"] is True and e["payload"]["source_row"].startswith("history_szcg.csv row ")
               and e["payload"]["legacy_case_id"].startswith("TASZCG") for e in events)
    actions = Counter(e["action"] for e in events)
    assert actions["transfer"] == actions["department_answer"] == 6 and actions["reject"] == 3
    finished = Counter(r["案件状态"] for r in good.values())
    assert actions["close"] == finished["已结案"] + finished["已归档"] and actions["archive"] == finished["已归档"] == 6
    assert actions["report"] == 57 and actions["arrive"] == actions["dispatch"] - 1  # 已派遣: not on site yet

    quarantined = table(store, QUARANTINE)
    assert {q["source_ref"]["row"]: q["stage"] for q in quarantined} == BAD_ROWS
    by_row = {q["source_ref"]["row"]: q for q in quarantined}
    assert by_row[48]["reason"].startswith('处置单位 "祥平街道综合执法九中队" is no team or department of the store')
    assert by_row[55]["reason"].startswith('处置单位 "祥和街道综合执法二中队" is a township team, but the 事项清单 '
                                           "sends the item to 公安")
    lines = SAMPLE.read_bytes().split(b"\r\n")
    assert bytes(by_row[48]["raw_payload"]).split(b"\r\n")[1] == lines[47]  # the row as received, to fix

    again = imported(pipeline)  # the same file again: nothing changes
    assert (again.stored, again.already_stored, again.already_quarantined, sum(again.quarantined.values())) == (
        0, 57, 7, 0)
    assert store.counts()["case_events"] == len(events) and len(table(store, QUARANTINE)) == 7


def test_kpis_count_the_history_and_its_on_time_rates_follow_the_old_deadlines(store, pipeline: Pipeline) -> None:
    imported(pipeline)
    good = [r for n, r in sample_rows().items() if n not in BAD_ROWS]
    frame = kpis(store, by="channel", start=datetime(2024, 1, 1, tzinfo=SHANGHAI),
                 end=datetime(2026, 1, 1, tzinfo=SHANGHAI), as_of=ARRIVED)
    history = frame.loc["generic_csv"]
    accepted = [r for r in good if r["受理时间"] and r["案件状态"] != "不予受理"]
    handled = [r for r in good if r["处置时间"]]
    on_time = [r for r in handled if local(r["处置时间"]) <= local(r["处置时限"])]
    assert 0 < len(on_time) < len(handled)  # the sample has late cases, so the rate can tell
    assert history["reports_received"] == history["cases_opened"] == len(good) == 57
    assert history["cases_accepted"] == len(accepted)
    assert history["on_time_handling_rate"] == pytest.approx(len(on_time) / len(handled))
    assert history["closure_rate"] == pytest.approx(sum(r["案件状态"] in ("已结案", "已归档") for r in good)
                                                   / len(accepted))
    assert history["cases_transferred"] == 6 and history["rework_rate"] == 0
    assert history["overdue_open"] == 4  # the four cases the old platform left open are long overdue
    by_month = kpis(store, by="month", start=datetime(2024, 1, 1, tzinfo=SHANGHAI),
                    end=datetime(2026, 1, 1, tzinfo=SHANGHAI), as_of=ARRIVED)
    assert by_month["cases_opened"].sum() == 57 and len(by_month) > 12  # history from day one, month by month


def test_history_is_never_de_duplicated_and_closed_history_is_joined_by_nothing(store, pipeline: Pipeline,
                                                                                 tmp_path: Path) -> None:
    imported(pipeline)
    rows, cases = sample_rows(), cases_by_legacy_id(store)
    closed_row = next(r for r in rows.values() if r["案件状态"] == "已结案" and cases.get(r["案件编号"]))
    open_row = next(r for r in rows.values() if r["案件状态"] == "处置中")

    def alike(row: dict[str, str], n: int) -> Report:  # the same problem reported again, ten minutes later
        return Report(channel="patrol", external_id=f"P-{n}", received_at=local(row["上报时间"]) + timedelta(minutes=10),
                      item_code=cases[row["案件编号"]]["item_code"], category="same", source=SourceRef("p.json", n),
                      description=row["问题描述"], point=Point(float(row["经度"]), float(row["纬度"]), "gcj02"))

    outcome = pipeline.submit([alike(closed_row, 1), alike(open_row, 2)])
    assert (outcome.summary.new_cases, outcome.summary.attached) == (1, 1)  # the closed case is not joined
    with store.transaction() as conn:
        joined = conn.execute(sa.select(REPORTS.c.case_id).where(REPORTS.c.external_id == "P-2")).scalar_one()
    assert joined == cases[open_row["案件编号"]]["id"]  # an open historical case is open like any other

    header, line = SAMPLE.read_text(encoding="utf-8-sig").splitlines()[0], next(
        ln for ln in SAMPLE.read_text(encoding="utf-8-sig").splitlines() if open_row["案件编号"] in ln)
    twin = tmp_path / "twin.csv"  # the old platform had the same problem twice: two cases, never merged
    twin.write_text(f"{header}\n{line.replace(open_row['案件编号'], 'TASZCG-TWIN')}\n", encoding="utf-8")
    summary = imported(pipeline, twin)
    assert (summary.stored, summary.new_cases, summary.attached) == (1, 1, 0)
    assert CaseService(store).audit() == {}


def test_a_quarantined_row_is_fixed_and_sent_again_with_its_mapping(store, pipeline: Pipeline) -> None:
    imported(pipeline)
    by_row = {q["source_ref"]["row"]: q for q in table(store, QUARANTINE)}
    unknown_squad, never_handled = by_row[48], by_row[41]

    unchanged = pipeline.resubmit(unknown_squad["id"], mapping=MAPPING)
    assert unchanged["status"] == "still quarantined" and "is no team or department" in unchanged["reason"]
    fixed = bytes(unknown_squad["raw_payload"]).replace("九中队".encode(), "一中队".encode())
    result = pipeline.resubmit(unknown_squad["id"], fixed, mapping=MAPPING)
    assert result["status"] == "stored"

    raw = bytes(never_handled["raw_payload"]).decode("utf-8-sig")
    header, line = raw.splitlines()
    cells = dict(zip(header.split(","), line.split(","), strict=True))
    cells["处置时间"] = cells["派遣时间"].replace(cells["派遣时间"][11:13], f"{int(cells['派遣时间'][11:13]) + 1:02d}", 1)
    repaired = (header + "\r\n" + ",".join(cells.values()) + "\r\n").encode("utf-8")
    assert pipeline.resubmit(never_handled["id"], repaired, mapping=MAPPING)["status"] == "stored"

    cases = cases_by_legacy_id(store)
    assert cases[cells["案件编号"]]["status"] == "closed" and cases[cells["案件编号"]]["handled_at"] == local(cells["处置时间"])
    assert {q["source_ref"]["row"] for q in table(store, QUARANTINE, QUARANTINE.c.status == "fixed")} == {41, 48}
    assert CaseService(store).audit() == {}


def test_the_command_line_imports_history_and_resubmits_with_the_mapping(sqlite_url: str, demo_dir: Path,
                                                                          tmp_path: Path, capsys) -> None:
    store = open_store(sqlite_url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    assert main(["import", "--channel", "generic_csv", "--mapping", str(MAPPING), str(SAMPLE), "--json",
                 "--database-url", sqlite_url]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["stored"], summary["new_cases"], summary["quarantined"]) == (57, 57, 7)
    [record] = [q for q in table(store, QUARANTINE) if q["source_ref"]["row"] == 48]
    fixed = tmp_path / "row48.csv"
    fixed.write_bytes(bytes(record["raw_payload"]).replace("九中队".encode(), "二中队".encode()))
    with pytest.raises(SystemExit) as refused:  # a generic_csv record cannot be read without its mapping
        main(["quarantine", "resubmit", str(record["id"]), "--file", str(fixed), "--database-url", sqlite_url])
    assert refused.value.code == 2 and "give its column mapping with --mapping" in capsys.readouterr().err
    assert main(["quarantine", "resubmit", str(record["id"]), "--file", str(fixed), "--mapping", str(MAPPING),
                 "--database-url", sqlite_url]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "stored"
    events = table(store, EVENTS)
    assert all(e["role"] != Role.ADMIN.value for e in events) and len({e["case_id"] for e in events}) == 58
    assert list(parse("generic_csv", fixed, mapping=MAPPING))[0].history.handling_unit == "祥平街道综合执法二中队"
    store.close()
