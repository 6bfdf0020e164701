"""History from an old platform, read: each row's case steps in order, or the row quarantined with the fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cases.calendar import SHANGHAI
from cases.states import RejectReason, Status
from ingest import Report, parse
from ingest.channels.generic_csv import MappingError, from_mapping
from ingest.history import HistoricalReport, Span, parse_deadline

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
SAMPLE, MAPPING = SAMPLES / "history_szcg.csv", SAMPLES / "history_mapping.yaml"
ARRIVED = datetime(2026, 11, 6, 0, 30, tzinfo=UTC)
COLUMNS = {"external_id": "案件编号", "received_at": "上报时间", "category": "问题类别", "address": "地址",
           "status": "案件状态", "accepted_at": "受理时间", "dispatched_at": "派遣时间", "handled_at": "处置时间",
           "closed_at": "结案时间", "deadline": "处置时限", "handling_unit": "处置单位", "reject_reason": "不予受理原因"}
HEADER = "案件编号,上报时间,问题类别,地址,案件状态,受理时间,派遣时间,处置时间,结案时间,处置时限,处置单位,不予受理原因"
GOOD = "A1,2024-03-04 09:00,占道经营,大同街道凤山路54号,已结案,2024-03-04 09:30,2024-03-04 10:00,2024-03-05 11:00," \
       "2024-03-06 09:00,2024-03-05 17:30,大同街道综合执法一中队,"


def local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI).astimezone(UTC)


def read(*rows: str, columns: dict | None = None, header: str = HEADER) -> list:
    data = "\n".join((header, *rows)) + "\n"
    return list(parse("generic_csv", data.encode(), filename="old.csv", mapping={"columns": columns or COLUMNS},
                      received_at=ARRIVED))


def row(**changes: str) -> str:
    cells = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    cells.update(changes)
    return ",".join(cells.values())


def readme_table() -> dict[int, str]:
    text = (SAMPLES / "README.md").read_text(encoding="utf-8").split("## History from an old platform")[1]
    return {int(n): reason for n, reason in re.findall(r"^\| (\d+) \| TASZCG\d+ \| [^|]+ \| `(.+)` \|$", text, re.M)}


def test_a_closed_case_is_its_steps_in_order_with_the_unrecorded_ones_taken_at_the_step_before() -> None:
    [report] = read(GOOD)
    assert isinstance(report, HistoricalReport) and report.item_code == "ZF001"
    history = report.history
    assert history.status is Status.CLOSED and history.legacy_case_id == "A1"
    assert [(s.action, s.at, s.implied) for s in history.steps] == [
        ("accept", local("2024-03-04 09:30"), False), ("dispatch", local("2024-03-04 10:00"), False),
        ("arrive", local("2024-03-04 10:00"), True),  # no 到场时间 column: at the dispatch
        ("handle", local("2024-03-05 11:00"), False), ("verify", local("2024-03-05 11:00"), True),
        ("close", local("2024-03-06 09:00"), False)]
    assert history.deadline == local("2024-03-05 17:30") and history.handling_unit == "大同街道综合执法一中队"
    assert report.to_dict()["external_id"] == "A1" and "history" not in report.to_dict()


@pytest.mark.parametrize(("changes", "reason"), [
    ({"结案时间": "2024-03-01 09:00"}, '结案时间 "2024-03-01 09:00" is before 上报时间 "2024-03-04 09:00"'),
    ({"处置时间": "2024-03-04 09:50"}, '处置时间 "2024-03-04 09:50" is before 派遣时间 "2024-03-04 10:00"'),
    ({"结案时间": "2062-03-06 09:00"},
     '结案时间 "2062-03-06 09:00" is in the future (the file arrived 2026-11-06 08:30)'),
    ({"处置时间": ""}, '案件状态 "已结案" needs 处置时间, which is blank'),
    ({"案件状态": "已派遣"}, '案件状态 "已派遣" but 处置时间 "2024-03-05 11:00" is given; '
                          '案件状态 "已派遣" but 结案时间 "2024-03-06 09:00" is given'),
    ({"案件状态": "挂账"}, 'unknown 案件状态 "挂账": name it under statuses: in the column mapping'),
    ({"案件状态": "不予受理"}, '案件状态 "不予受理" needs 不予受理原因, which is blank; 案件状态 "不予受理" but 派遣时间 '
                           '"2024-03-04 10:00" is given; 案件状态 "不予受理" but 处置时间 "2024-03-05 11:00" is given; '
                           '案件状态 "不予受理" but 结案时间 "2024-03-06 09:00" is given'),
    ({"处置时限": "2024-03-04 09:00"}, '处置时限 "2024-03-04 09:00" is not after 受理时间 "2024-03-04 09:30"'),
    ({"处置时限": "尽快"}, 'bad time limit "尽快" in 处置时限: not a date and time this channel can read; neither a '
                        "time nor a span such as 3天, 5个工作日, 24小时"),
    ({"受理时间": "2024-03-04 25:30"}, 'bad time "2024-03-04 25:30" in 受理时间: hour 25 is not 0–23'),
])
def test_a_row_that_contradicts_itself_is_quarantined_naming_the_fields(changes: dict, reason: str) -> None:
    [bad] = read(row(**changes))
    assert not isinstance(bad, Report), bad
    assert bad.reason == reason
    assert bad.raw.decode("utf-8").splitlines() == [HEADER, row(**changes)]  # the row as received, to fix


def test_a_report_problem_and_a_history_problem_are_named_together() -> None:
    [bad] = read(row(问题类别="", 结案时间="2024-03-01 09:00"))
    assert bad.reason == 'missing required field 问题类别; 结案时间 "2024-03-01 09:00" is before 上报时间 "2024-03-04 09:00"'


def test_rejected_and_open_cases_go_as_far_as_their_status() -> None:
    rejected, reported, dispatched = read(
        row(案件状态="不予受理", 派遣时间="", 处置时间="", 结案时间="", 处置单位="", 不予受理原因="重复上报"),
        row(案件编号="A2", 案件状态="待受理", 受理时间="", 派遣时间="", 处置时间="", 结案时间=""),
        row(案件编号="A3", 案件状态="已派遣", 处置时间="", 结案时间="", 处置时限="3个工作日"))
    assert rejected.history.status is Status.REJECTED and rejected.history.reject_reason is RejectReason.DUPLICATE
    assert [(s.action, s.at) for s in rejected.history.steps] == [("reject", local("2024-03-04 09:30"))]
    assert reported.history.steps == ()
    assert [s.action for s in dispatched.history.steps] == ["accept", "dispatch"]
    assert dispatched.history.deadline == Span(3, "working_days")


def test_without_a_status_column_the_furthest_step_with_a_time_is_the_status() -> None:
    columns = {k: v for k, v in COLUMNS.items() if k != "status"}
    header = HEADER.replace("案件状态,", "")
    closed, handled = read(GOOD.replace("已结案,", ""),
                           GOOD.replace("已结案,", "").replace("2024-03-06 09:00", "").replace("A1", "A2"),
                           columns=columns, header=header)
    assert closed.history.status is Status.CLOSED and handled.history.status is Status.HANDLED
    assert [s.action for s in handled.history.steps][-1] == "handle"


def test_the_mapping_may_name_its_own_words_and_must_name_the_report_time() -> None:
    channel = from_mapping({"columns": COLUMNS, "statuses": {"挂账": "dispatched"},
                            "reject_reasons": {"职能交叉": "not_enforcement_matter"}})
    assert channel.history is not None and channel.history.statuses["挂账"] is Status.DISPATCHED
    with pytest.raises(MappingError, match="statuses: '挂账' → 'pending' is not a status an import can rebuild"):
        from_mapping({"columns": COLUMNS, "statuses": {"挂账": "pending"}})
    with pytest.raises(MappingError, match="a history mapping needs received_at"):
        from_mapping({k: v for k, v in COLUMNS.items() if k != "received_at"})
    with pytest.raises(MappingError, match="statuses of the column mapping need a history mapping"):
        from_mapping({"columns": {"category": "类别", "address": "地点"}, "statuses": {"挂账": "dispatched"}})
    assert from_mapping({"category": "类别", "address": "地点"}).history is None  # a plain generic sheet


def test_deadlines_are_times_or_spans_from_acceptance() -> None:
    assert parse_deadline("2024-03-05 17:30") == local("2024-03-05 17:30")
    assert parse_deadline("3天") == Span(3, "days") and parse_deadline("24小时") == Span(24, "hours")
    with pytest.raises(ValueError, match="neither a time nor a span"):
        parse_deadline("下周")


def test_the_sample_reads_as_documented() -> None:
    out = list(parse("generic_csv", SAMPLE, mapping=MAPPING, received_at=ARRIVED))
    historical = [o for o in out if isinstance(o, HistoricalReport)]
    quarantined = {o.source.row: o.reason for o in out if not isinstance(o, Report)}
    assert len(out) == 64 and len(historical) == 59
    documented = readme_table()
    assert set(documented) == {6, 20, 27, 32, 41, 48, 55}
    for number, reason in quarantined.items():  # read: five rows; the other two the store refuses
        assert reason == documented[number] or reason.startswith(documented[number].removesuffix("…)"))
    assert set(quarantined) == {6, 20, 27, 32, 41}
    statuses = [h.history.status for h in historical]
    assert statuses.count(Status.CLOSED) == 46 and statuses.count(Status.ARCHIVED) == 6
    assert all(h.point is not None and h.point.crs == "gcj02" for h in historical)
