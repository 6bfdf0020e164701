"""History from an old platform: what a row of its case export says happened to the case, checked.

A township that adopts the command center brings years of cases from its previous platform (数字城管,
综合执法 or 12345 systems). Their exports hold, beside the report, the case's status and the times of its
steps. When a generic-CSV column mapping (:mod:`ingest.channels.generic_csv`) names any of the fields below,
each row becomes a :class:`HistoricalReport`: the report as usual, plus the :class:`History` of its case —
the steps to take again, in order, through :func:`cases.lifecycle.apply` (:mod:`ingest.history_trail`) —
and the store writes the case with its reconstructed audit trail (:mod:`ingest.history_store`).

==================  ===================================================================================
field               what the column holds
==================  ===================================================================================
``status``          案件状态, in the export's words (``statuses:`` of the mapping, else :data:`STATUS_WORDS`)
``accepted_at``     受理时间 (for a rejected case: when the desk decided, unless ``rejected_at`` is mapped)
``rejected_at``     不予受理时间
``dispatched_at``   派遣时间 (to a team; to a department it is the transfer, 移送)
``arrived_at``      到场时间
``handled_at``      处置时间 (the team's feedback or the department's answer)
``verified_at``     核查时间
``closed_at``       结案时间
``archived_at``     归档时间
``deadline``        处置时限: a time, or a span from acceptance (``3天``, ``5个工作日``, ``24小时``)
``handling_unit``   处置单位: a team (code or name) or a department (name, or a department unit's code/name)
``reject_reason``   不予受理原因 (``reject_reasons:`` of the mapping, else :data:`REJECT_WORDS`)
``handling_note``   处置情况: the note of the handling step
``legacy_case_id``  the case's id in the old platform (default: the ``external_id`` column)
==================  ===================================================================================

Rules of reading (each broken rule quarantines the row, naming the fields):

- times never go backwards along the loop: 上报 ≤ 受理 ≤ 派遣 ≤ 到场 ≤ 处置 ≤ 核查 ≤ 结案 ≤ 归档, and none is
  after the file arrived;
- the status says how far the case went; every step up to it whose column the mapping names must have a
  time, and no step beyond it may have one;
- a step the export has **no column** for (many platforms keep no 到场时间 or 核查时间) is taken at the time
  of the step before it: it adds no time we do not know of, so it never makes a case late;
- without a status column the furthest step with a time is the status (a reject reason alone: rejected).

>>> from datetime import datetime
>>> status_of("已结案"), status_of("办结"), reject_reason_of("重复上报")
(<Status.CLOSED: 'closed'>, <Status.CLOSED: 'closed'>, <RejectReason.DUPLICATE: 'duplicate'>)
>>> parse_deadline("5个工作日")
Span(amount=5.0, unit='working_days')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from cases.calendar import SHANGHAI
from cases.states import RejectReason, Status
from ingest import fields as values
from ingest.fields import Rejection
from ingest.records import Record
from ingest.report import Report
from ingest.times import BadTime, parse_time

HISTORY_FIELDS = ("status", "accepted_at", "rejected_at", "dispatched_at", "arrived_at", "handled_at",
                  "verified_at", "closed_at", "archived_at", "deadline", "handling_unit", "reject_reason",
                  "handling_note", "legacy_case_id")
"""Fields a column mapping may name besides the report's; naming any of them makes the rows history."""

STEPS: tuple[tuple[str, str], ...] = (
    ("accept", "accepted_at"), ("dispatch", "dispatched_at"), ("arrive", "arrived_at"), ("handle", "handled_at"),
    ("verify", "verified_at"), ("close", "closed_at"), ("archive", "archived_at"))
"""The steps of a case that went round the loop, in order, and the field holding each one's time."""

REACH: Mapping[Status, int] = {
    Status.REPORTED: 0, Status.ACCEPTED: 1, Status.DISPATCHED: 2, Status.TRANSFERRED: 2, Status.IN_PROGRESS: 3,
    Status.HANDLED: 4, Status.VERIFIED: 5, Status.CLOSED: 6, Status.ARCHIVED: 7}
"""How many of :data:`STEPS` a case in each status has taken (a rejected case takes reject instead)."""

STATUS_WORDS: Mapping[str, Status] = {
    **{s.value: s for s in Status if s is not Status.JOINT},
    **dict.fromkeys(("待受理", "已上报", "上报", "待立案", "新建", "待审核"), Status.REPORTED),
    **dict.fromkeys(("不予受理", "不受理", "不予立案", "作废", "已作废", "无效"), Status.REJECTED),
    **dict.fromkeys(("已受理", "受理", "已立案", "立案", "待派遣"), Status.ACCEPTED),
    **dict.fromkeys(("已派遣", "派遣", "已派发", "待处置", "待处理"), Status.DISPATCHED),
    **dict.fromkeys(("已移送", "移送", "已移交", "移交部门"), Status.TRANSFERRED),
    **dict.fromkeys(("处置中", "已到场", "到场", "处理中", "办理中"), Status.IN_PROGRESS),
    **dict.fromkeys(("已处置", "处置完成", "已反馈", "待核查", "已处理"), Status.HANDLED),
    **dict.fromkeys(("已核查", "核查通过", "待结案"), Status.VERIFIED),
    **dict.fromkeys(("已结案", "结案", "已办结", "办结", "已完成"), Status.CLOSED),
    **dict.fromkeys(("已归档", "归档"), Status.ARCHIVED),
}
"""Old platforms' status words → our statuses (a mapping's ``statuses:`` adds to and overrides these)."""

REJECT_WORDS: Mapping[str, RejectReason] = {
    **{r.value: r for r in RejectReason},
    **dict.fromkeys(("无效信息", "无效", "信息不全", "无效案件", "虚假信息"), RejectReason.INVALID),
    **dict.fromkeys(("重复上报", "重复", "重复案件", "重复立案"), RejectReason.DUPLICATE),
    **dict.fromkeys(("非本辖区", "不属于本辖区", "辖区外", "非辖区"), RejectReason.OUTSIDE_JURISDICTION),
    **dict.fromkeys(("非执法事项", "不属于执法事项", "非执法范围", "非职责范围", "不属于受理范围"),
                    RejectReason.NOT_ENFORCEMENT_MATTER),
}
"""Old platforms' reject reasons → ours (a mapping's ``reject_reasons:`` adds to and overrides these)."""

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(个)?\s*(工作日|天|日|d|小时|h|hours?|days?|working days?)\s*$",
                   re.IGNORECASE)
_SPAN_UNITS = {"工作日": "working_days", "working day": "working_days", "working days": "working_days",
               "天": "days", "日": "days", "d": "days", "day": "days", "days": "days",
               "小时": "hours", "h": "hours", "hour": "hours", "hours": "hours"}


def status_of(word: str, words: Mapping[str, Status] = STATUS_WORDS) -> Status | None:
    """Our status for an old platform's word (spaces and case ignored), or None when unknown."""
    return words.get(_key(word))


def reject_reason_of(word: str, words: Mapping[str, RejectReason] = REJECT_WORDS) -> RejectReason | None:
    return words.get(_key(word))


@dataclass(frozen=True)
class Span:
    """A 处置时限 written as a span from acceptance: ``amount`` hours, days or working days."""

    amount: float
    unit: str  # hours | days | working_days


def parse_deadline(value: Any) -> datetime | Span:
    """A 处置时限 cell: a time (aware, UTC), or a :class:`Span`; :class:`ValueError` saying why not."""
    if isinstance(value, str) and (match := _SPAN.match(value)):
        amount = float(match.group(1))
        if amount <= 0:
            raise ValueError("a time limit must be longer than zero")
        return Span(amount, _SPAN_UNITS[match.group(3).lower()])
    try:
        return parse_time(value)
    except BadTime as bad:
        raise ValueError(f"{bad.why}; neither a time nor a span such as 3天, 5个工作日, 24小时") from None


@dataclass(frozen=True)
class Step:
    """One step to take again: ``action`` (accept, reject, dispatch, arrive, handle, verify, close, archive)
    at ``at``; ``implied`` when the export has no column for it (taken at the time of the step before)."""

    action: str
    at: datetime
    implied: bool = False


@dataclass(frozen=True)
class History:
    """What the old platform says happened to one case (see the module docstring).

    ``steps`` are in order and already checked against each other; ``labels`` names each history field's
    column, for messages about the row found later (a team the store does not know …).
    """

    status: Status
    steps: tuple[Step, ...]
    legacy_case_id: str | None = None
    deadline: datetime | Span | None = None
    handling_unit: str | None = None
    reject_reason: RejectReason | None = None
    note: str | None = None
    status_text: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def at(self, action: str) -> datetime | None:
        return next((s.at for s in self.steps if s.action == action), None)


@dataclass(frozen=True)
class HistoricalReport(Report):
    """A report from an old platform's case export, with its case's :class:`History`.

    ``raw_bytes`` and ``content_type`` are the row as received (what a quarantine keeps if the store cannot
    rebuild the case), ``arrived_at`` when the file arrived.
    """

    history: History | None = None
    raw_bytes: bytes = field(default=b"", repr=False, compare=False)
    content_type: str = "text/csv"
    arrived_at: datetime | None = None

    @classmethod
    def of(cls, report: Report, history: History, raw_bytes: bytes, content_type: str,
           arrived_at: datetime) -> HistoricalReport:
        own = {f.name: getattr(report, f.name) for f in fields(Report)}
        return cls(**own, history=history, raw_bytes=raw_bytes, content_type=content_type, arrived_at=arrived_at)

    def to_dict(self) -> dict[str, Any]:
        """The report's part (:meth:`Report.to_dict`); the history stays with the importer."""
        plain = Report(**{f.name: getattr(self, f.name) for f in fields(Report)})
        return plain.to_dict()


# ------------------------------------------------------------------------------------------ the mapping


@dataclass(frozen=True)
class HistoryColumns:
    """The history part of a column mapping: which history fields it names, and the export's own words."""

    names: tuple[str, ...]
    statuses: Mapping[str, Status] = field(default_factory=lambda: dict(STATUS_WORDS))
    reject_reasons: Mapping[str, RejectReason] = field(default_factory=lambda: dict(REJECT_WORDS))

    @classmethod
    def from_mapping(cls, names: tuple[str, ...], statuses: Mapping[str, Any] | None,
                     reject_reasons: Mapping[str, Any] | None) -> HistoryColumns:
        """Checked: unknown words on our side raise :class:`ValueError` naming the entry."""
        status_words = dict(STATUS_WORDS)
        for word, status in (statuses or {}).items():
            try:
                chosen = Status(str(status).strip())
            except ValueError:
                chosen = None
            if chosen is None or chosen is Status.JOINT:
                allowed = ", ".join(s.value for s in REACH) + ", rejected"
                raise ValueError(f"statuses: {word!r} → {status!r} is not a status an import can rebuild ({allowed})")
            status_words[_key(word)] = chosen
        reason_words = dict(REJECT_WORDS)
        for word, reason in (reject_reasons or {}).items():
            try:
                reason_words[_key(word)] = RejectReason(str(reason).strip())
            except ValueError:
                raise ValueError(f"reject_reasons: {word!r} → {reason!r} is not one of "
                                 f"{', '.join(r.value for r in RejectReason)}") from None
        return cls(tuple(names), status_words, reason_words)

    def read(self, record: Record, report: Report | None, label: Callable[[str], str],
             arrived_at: datetime) -> History:
        """The history of one row, or :class:`Rejection` naming every problem (``; ``-separated).

        ``report`` is the row's report (None when it had problems of its own: then only the history's
        own problems are named); ``label(name)`` the column of a field in this record.
        """
        problems: list[str] = []
        mapped = set(self.names)
        labels = {name: label(name) for name in (*self.names, "received_at", "external_id")}

        def text(name: str) -> str | None:
            return values.text(record.lookup((labels[name],))[1]) if name in mapped else None

        times: dict[str, datetime] = {}
        unreadable: set[str] = set()  # a time given but not readable (named once, as a bad time)
        for name in ("received_at", "rejected_at", *(f for _, f in STEPS)):
            if name not in mapped and name != "received_at":
                continue
            raw = record.lookup((labels[name],))[1]
            if values.is_blank(raw):
                continue
            try:
                times[name] = parse_time(raw)
            except BadTime as bad:
                unreadable.add(name)
                if name != "received_at":  # the report names its own bad time
                    problems.append(f'bad time "{bad.text}" in {labels[name]}: {bad.why}')
        if report is not None:
            times.setdefault("received_at", report.received_at)
        problems += [f'{labels[n]} "{_local(t)}" is in the future (the file arrived {_local(arrived_at)})'
                     for n, t in times.items() if t > arrived_at]
        status_text = text("status")
        status = None
        if status_text is not None:
            status = status_of(status_text, self.statuses)
            if status is None:
                problems.append(f'unknown {labels["status"]} "{status_text}": name it under statuses: in the '
                                "column mapping")
        reason_text = text("reject_reason")
        reason = reject_reason_of(reason_text, self.reject_reasons) if reason_text else None
        if reason_text and reason is None:
            problems.append(f'unknown {labels["reject_reason"]} "{reason_text}": name it under reject_reasons: in '
                            "the column mapping")
        if status is None and status_text is None:
            status = _furthest(times, reason is not None or reason_text is not None)
        steps: list[Step] = []
        if status is not None and "received_at" in times and not unreadable:
            steps = _steps(status, status_text, times, mapped, labels, reason_text, problems)
            problems += _backwards(times, labels)
        deadline = None
        deadline_text = record.lookup((labels["deadline"],))[1] if "deadline" in mapped else None
        if not values.is_blank(deadline_text):
            try:
                deadline = parse_deadline(deadline_text)
            except ValueError as why:
                problems.append(f'bad time limit "{values.text(deadline_text)}" in {labels["deadline"]}: {why}')
            accept = next((s for s in steps if s.action == "accept"), None)
            if isinstance(deadline, datetime) and accept is not None and deadline <= accept.at:
                since = labels["received_at"] if accept.implied else labels["accepted_at"]
                problems.append(f'{labels["deadline"]} "{_local(deadline)}" is not after {since} "{_local(accept.at)}"')
        if problems:
            raise Rejection("; ".join(dict.fromkeys(problems)))
        assert status is not None
        legacy = text("legacy_case_id") or (report.external_id if report is not None else None)
        return History(status=status, steps=tuple(steps), legacy_case_id=legacy, deadline=deadline,
                       handling_unit=text("handling_unit"), reject_reason=reason, note=text("handling_note"),
                       status_text=status_text, labels=labels)


# ------------------------------------------------------------------------------------------------ helpers


def _key(word: Any) -> str:
    return re.sub(r"\s+", "", str(word)).lower()


def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _furthest(times: Mapping[str, datetime], has_reason: bool) -> Status:
    """The status of a row without a status column: the furthest step with a time."""
    reached = [k for k, (_, name) in enumerate(STEPS, start=1) if name in times]
    if not reached:
        return Status.REJECTED if has_reason or "rejected_at" in times else Status.REPORTED
    return next(s for s, n in REACH.items() if n == max(reached) and s is not Status.TRANSFERRED)


def _steps(status: Status, status_text: str | None, times: dict[str, datetime], mapped: set[str],
           labels: Mapping[str, str], reason_text: str | None, problems: list[str]) -> list[Step]:
    """The steps up to ``status``, checking that each mapped step has a time and none beyond has one."""
    shown = f'{labels["status"]} "{status_text}"' if status_text else f"the status {status.value}"
    steps: list[Step] = []
    previous = times["received_at"]
    if status is Status.REJECTED or (status is Status.ARCHIVED and reason_text and "handled_at" not in times
                                     and "closed_at" not in times):
        if not reason_text:
            where = labels["reject_reason"] if "reject_reason" in mapped else "a reject_reason column"
            problems.append(f"{shown} needs {where}, which is "
                            f"{'blank' if 'reject_reason' in mapped else 'not in the column mapping'}")
        decided = times.get("rejected_at") or times.get("accepted_at")
        if decided is None and ({"rejected_at", "accepted_at"} & mapped):
            named = " or ".join(labels[n] for n in ("rejected_at", "accepted_at") if n in mapped)
            problems.append(f"{shown} needs {named}, which is blank")
        steps.append(Step("reject", decided or previous, decided is None))
        beyond = [n for _, n in STEPS[1:] if n in times and n != "archived_at"]
        problems += [f'{shown} but {labels[n]} "{_local(times[n])}" is given' for n in beyond]
        if status is Status.ARCHIVED:
            archived = times.get("archived_at")
            if archived is None and "archived_at" in mapped:
                problems.append(f'{shown} needs {labels["archived_at"]}, which is blank')
            steps.append(Step("archive", archived or steps[-1].at, archived is None))
        elif "archived_at" in times:
            problems.append(f'{shown} but {labels["archived_at"]} "{_local(times["archived_at"])}" is given')
        return steps
    reach = REACH[status]
    for k, (action, name) in enumerate(STEPS, start=1):
        given = times.get(name)
        if k > reach:
            if given is not None:
                problems.append(f'{shown} but {labels[name]} "{_local(given)}" is given')
            continue
        if given is None and name in mapped:
            problems.append(f"{shown} needs {labels[name]}, which is blank")
        steps.append(Step(action, given or previous, given is None))
        previous = max(previous, given) if given is not None else previous
    if "rejected_at" in times:
        problems.append(f'{shown} but {labels["rejected_at"]} "{_local(times["rejected_at"])}" is given')
    return steps


def _backwards(times: Mapping[str, datetime], labels: Mapping[str, str]) -> list[str]:
    """Each time that is before the time of an earlier step, named against the first such step (结案 before
    上报 says it is before the whole case); a rejection is a decision instead of acceptance: it only follows
    the report."""
    problems = []
    rejected = times.get("rejected_at")
    if rejected is not None and rejected < times["received_at"]:
        problems.append(f'{labels["rejected_at"]} "{_local(rejected)}" is before {labels["received_at"]} '
                        f'"{_local(times["received_at"])}"')
    seen: list[tuple[str, datetime]] = []
    for name in ("received_at", *(n for _, n in STEPS)):
        at = times.get(name)
        if at is None:
            continue
        first = next(((n, t) for n, t in seen if at < t), None)
        if first is not None:
            problems.append(f'{labels[name]} "{_local(at)}" is before {labels[first[0]]} "{_local(first[1])}"')
        else:
            seen.append((name, at))
    return problems


__all__ = ["HISTORY_FIELDS", "REJECT_WORDS", "STATUS_WORDS", "STEPS", "HistoricalReport", "History",
           "HistoryColumns", "Span", "Step", "parse_deadline", "reject_reason_of", "status_of"]
