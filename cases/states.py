"""The words of the closed loop and the state of one case.

A :class:`CaseState` is a frozen value: every transition returns a new one (see :mod:`cases.lifecycle`), so
the state after any step can be compared with the state rebuilt from the audit trail (:mod:`cases.replay`).
Only plain data lives here: enums, small records, tuples; nothing knows about the database.

Notes
-----
All times are timezone-aware and kept in UTC; local days (for working-day deadlines) are computed in
Asia/Shanghai by :mod:`cases.calendar`.

>>> Status.REPORTED.is_open, Status.CLOSED.is_open
(True, False)
>>> Role("team_leader").label
'中队长 team leader'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cases.authority import AuthorityDecision
from cases.plans import PlanStep


class Status(StrEnum):
    """Where a case stands in the loop (上报—受理—派遣—处置—核查—结案—归档)."""

    REPORTED = "reported"  # 已上报
    ACCEPTED = "accepted"  # 已受理
    REJECTED = "rejected"  # 不予受理
    DISPATCHED = "dispatched"  # 已派遣
    TRANSFERRED = "transferred"  # 已移送 (a department acts)
    JOINT = "joint"  # 联合执法 (吹哨报到)
    IN_PROGRESS = "in_progress"  # 处置中 (a team is on site)
    HANDLED = "handled"  # 已处置 (feedback given)
    VERIFIED = "verified"  # 已核查
    CLOSED = "closed"  # 已结案
    ARCHIVED = "archived"  # 已归档

    @property
    def is_open(self) -> bool:
        """Still moving around the loop: not rejected, closed or archived."""
        return self not in (Status.REJECTED, Status.CLOSED, Status.ARCHIVED)

    @property
    def label(self) -> str:
        return f"{STATUS_LABELS[self]} {self.value}"


STATUS_LABELS = {
    Status.REPORTED: "已上报", Status.ACCEPTED: "已受理", Status.REJECTED: "不予受理", Status.DISPATCHED: "已派遣",
    Status.TRANSFERRED: "已移送", Status.JOINT: "联合执法", Status.IN_PROGRESS: "处置中", Status.HANDLED: "已处置",
    Status.VERIFIED: "已核查", Status.CLOSED: "已结案", Status.ARCHIVED: "已归档",
}

OPEN_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s.is_open)
"""Statuses in which supervision (督办), suspension (挂起) and extension decisions (延期) apply."""


class Role(StrEnum):
    """Who acts. ``system`` is the product itself (automatic supervision, archiving)."""

    OPERATOR = "operator"  # 指挥中心值班员
    TEAM_LEADER = "team_leader"  # 中队长
    OFFICER = "officer"  # 执法队员
    DEPARTMENT_LIAISON = "department_liaison"  # 部门联络员 (派驻机构)
    SUPERVISOR = "supervisor"  # 督查考核员
    LEADER = "leader"  # 镇街/区领导
    LEGAL_REVIEWER = "legal_reviewer"  # 法制审核员 (法制员)
    SCHEDULER = "scheduler"  # 排班调度员: patrol schedules, no case actions
    ADMIN = "admin"  # 系统管理员: data and users, never cases
    SYSTEM = "system"  # 系统自动

    @property
    def label(self) -> str:
        return f"{ROLE_LABELS[self]} {self.value.replace('_', ' ')}"


ROLE_LABELS = {
    Role.OPERATOR: "指挥中心值班员", Role.TEAM_LEADER: "中队长", Role.OFFICER: "执法队员",
    Role.DEPARTMENT_LIAISON: "部门联络员", Role.SUPERVISOR: "督查考核员", Role.LEADER: "领导",
    Role.LEGAL_REVIEWER: "法制审核员", Role.SCHEDULER: "排班调度员", Role.ADMIN: "系统管理员", Role.SYSTEM: "系统",
}


class Action(StrEnum):
    """What can happen to a case; each is one row (or two) of :data:`cases.rules.RULES`."""

    REPORT = "report"  # 上报 (opens the case)
    ACCEPT = "accept"  # 受理/立案
    REJECT = "reject"  # 不予受理
    DISPATCH = "dispatch"  # 派遣 (again: 改派)
    TRANSFER = "transfer"  # 移送部门
    DEPARTMENT_ANSWER = "department_answer"  # 部门反馈 (handled or returned)
    WHISTLE = "whistle"  # 吹哨报到 → joint action
    ARRIVE = "arrive"  # 到场
    FEEDBACK = "feedback"  # 处置反馈
    VERIFY = "verify"  # 核查
    REWORK = "rework"  # 返工
    LEGAL_REVIEW = "legal_review"  # 法制审核
    CLOSE = "close"  # 结案
    ARCHIVE = "archive"  # 归档
    SUPERVISE = "supervise"  # 督办
    REQUEST_EXTENSION = "request_extension"  # 申请延期
    APPROVE_EXTENSION = "approve_extension"  # 批准延期
    REFUSE_EXTENSION = "refuse_extension"  # 不予延期
    SUSPEND = "suspend"  # 挂起
    RESUME = "resume"  # 恢复
    COMPLETE_STEP = "complete_step"  # 预案步骤完成


class RejectReason(StrEnum):
    """Why a report is not accepted (不予受理)."""

    INVALID = "invalid"  # 无效信息
    DUPLICATE = "duplicate"  # 重复上报
    OUTSIDE_JURISDICTION = "outside_jurisdiction"  # 非本辖区
    NOT_ENFORCEMENT_MATTER = "not_enforcement_matter"  # 非执法事项


class ExtensionState(StrEnum):
    """The latest extension request (延期申请) of a case."""

    NONE = "none"
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class LegalConclusion(StrEnum):
    """法制审核 outcome: the decision may be issued, or it goes back to the handlers."""

    APPROVED = "approved"  # 同意
    RETURNED = "returned"  # 退回


@dataclass(frozen=True)
class Supervision:
    """One 督办: level 1 一般督办, 2 重点督办, 3 挂牌督办; ``by`` is the actor who raised it."""

    level: int
    by: str
    role: Role
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class Suspension:
    """One 挂起 span; ``end`` is None while the case is still suspended. Clocks do not run inside it."""

    start: datetime
    reason: str
    end: datetime | None = None


@dataclass(frozen=True)
class Extension:
    """One 延期 request and, once decided, its answer; ``granted_hours`` counts only when approved."""

    requested_at: datetime
    requested_by: str
    hours: float
    reason: str
    decided_at: datetime | None = None
    decided_by: str | None = None
    approved: bool | None = None
    granted_hours: float = 0.0


@dataclass(frozen=True)
class LegalReview:
    """One 法制审核 record; ``seq`` places it in the trail (it must follow the latest handling)."""

    seq: int
    at: datetime
    by: str
    conclusion: LegalConclusion
    opinion: str


@dataclass(frozen=True)
class ClockRun:
    """The running spans of one step clock (accept, dispatch, arrive, handle, verify), see :mod:`cases.deadlines`."""

    step: str
    spans: tuple[tuple[datetime, datetime | None], ...] = ()

    @property
    def running(self) -> bool:
        return bool(self.spans) and self.spans[-1][1] is None


@dataclass(frozen=True)
class CaseState:
    """Everything the loop knows about one case, as of its latest event (``seq``).

    Field names follow ``store.models.Case`` where they overlap (``code``, ``status``, ``item_code``,
    ``priority``, ``township_code``, ``opened_at``, ``closed_at``, ``supervised``, ``suspended``); the
    current team is ``team_code`` (``Case.current_team_code``).
    """

    code: str
    township_code: str
    priority: int
    status: Status
    opened_at: datetime
    seq: int
    updated_at: datetime
    item_code: str | None = None
    community_code: str | None = None
    cell_code: str | None = None
    # who has the case
    team_code: str | None = None
    department: str | None = None  # transferred to (移送)
    returned_by: tuple[str, ...] = ()  # departments that sent the case back (职责争议): the township may then act
    joint_teams: tuple[str, ...] = ()  # participating teams besides the lead (team_code)
    joint_departments: tuple[str, ...] = ()  # departments whistled (吹哨)
    # acceptance
    decision: AuthorityDecision | None = None
    time_limit_hours: float | None = None  # the item's limit, from acceptance to handling
    limit_overrides: tuple[tuple[str, float], ...] = ()  # (step, hours) from the response plan
    reject_reason: RejectReason | None = None
    # response plan (智能预案)
    plan_code: str | None = None
    steps: tuple[PlanStep, ...] = ()
    completed_steps: tuple[str, ...] = ()
    # handling and review
    major_penalty: bool = False  # 重大执法决定: close needs an approved 法制审核
    handled_seq: int | None = None  # seq of the latest handling (feedback or department answer)
    legal_reviews: tuple[LegalReview, ...] = ()
    rework_count: int = 0
    # flags
    supervisions: tuple[Supervision, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    extension: ExtensionState = ExtensionState.NONE
    extensions: tuple[Extension, ...] = ()
    clocks: tuple[ClockRun, ...] = field(default=())
    closed_at: datetime | None = None
    archived_at: datetime | None = None

    @property
    def supervised(self) -> bool:
        """督办 flag (``Case.supervised``): raised once, it stays part of the case's record."""
        return bool(self.supervisions)

    @property
    def supervision_level(self) -> int:
        """The highest 督办 level raised so far (0 when none)."""
        return max((s.level for s in self.supervisions), default=0)

    @property
    def suspended(self) -> bool:
        """挂起 flag (``Case.suspended``): the latest suspension has not ended."""
        return bool(self.suspensions) and self.suspensions[-1].end is None

    @property
    def extended_hours(self) -> float:
        """Hours added to the handling limit by approved extensions."""
        return sum(e.granted_hours for e in self.extensions if e.approved)

    @property
    def open_steps(self) -> tuple[PlanStep, ...]:
        """Required plan steps not completed yet: close is refused while there are any."""
        done = set(self.completed_steps)
        return tuple(s for s in self.steps if s.required and s.id not in done)

    def clock(self, step: str) -> ClockRun:
        """The spans of one step clock (empty when it never started)."""
        return next((c for c in self.clocks if c.step == step), ClockRun(step))
