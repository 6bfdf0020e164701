"""A month of casework, simulated through the case service: reports arrive, cases go round the loop.

Reports arrive at a few hundred a day district-wide (fewer at night and at weekends), from the channels in
:data:`CHANNEL_MIX`, at the cells of each township (a few hot cells get many). Some are duplicates of an
open case nearby; some are rejected. Every accepted case is routed by the township's 事项清单 (dispatched
to a sub-squad, transferred to a department, or whistled to a joint action when its response plan says so),
then each step follows after a delay drawn against the step's deadline, so most steps are in time and some
are late. Cases are reworked, re-dispatched (改派), extended (延期), suspended (挂起), supervised when late
(督办), legally reviewed when a major penalty is proposed, closed and archived. One township *lags*
(:data:`LAGGING`): slower, more rework and extensions, fewer active officers — the league table must put it
last.

Every step goes through :class:`store.casework.CaseService` — the same rules, transactions and audit trail
as a real operator's click — in time order, case by case. The same seed and settings give the same month.

>>> from cases.calendar import SHANGHAI
>>> Settings(start=datetime(2026, 10, 12, tzinfo=SHANGHAI), days=3).end.isoformat()
'2026-10-15T00:00:00+08:00'
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import shapely
import sqlalchemy as sa

from cases.authority import AuthorityError, Route
from cases.calendar import SHANGHAI
from cases.deadlines import due_at, limit_for
from cases.permissions import SYSTEM, Actor
from cases.plans import ResponsePlan, load_plans
from cases.states import CaseState, LegalConclusion, RejectReason, Role, Status
from sim.world import TeamInfo, World, hot_cell_weights, load_world
from store import Store
from store.casework import CaseService, Step
from store.errors import Conflict
from store.models import Case, Report

CHANNEL_MIX: Mapping[str, float] = {"12345": 0.34, "12319": 0.26, "grid": 0.20, "patrol": 0.12, "110": 0.08}
"""Share of reports per channel: citizen hotline, digital city management, grid workers, patrols, 110."""
HOUR_WEIGHTS = np.array([0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.3, 1.5, 1.5, 1.3,
                         1.0, 1.1, 1.4, 1.5, 1.4, 1.3, 1.0, 0.9, 0.8, 0.6, 0.4, 0.3])
"""Reports per local hour (Asia/Shanghai), relative."""
EVIDENCE = ("https://evidence.invalid/sim/photo.jpg",)


@dataclass(frozen=True)
class Profile:
    """How a township works: pace multiplies the median delay of a step (1 = ordinary), shares are chances."""

    desk_pace: float = 1.0  # accept, dispatch, verify
    field_pace: float = 1.0  # arrive, handle
    rework: float = 0.06
    extension: float = 0.05
    misdispatch: float = 0.04
    active_officers: float = 0.9  # share of a team's officers who take cases


ORDINARY = Profile()
LAGGING = Profile(desk_pace=1.6, field_pace=2.0, rework=0.28, extension=0.2, misdispatch=0.12, active_officers=0.6)
MEDIAN_RATIO = {"accept": 0.35, "dispatch": 0.35, "arrive": 0.3, "handle": 0.45, "verify": 0.3}
"""Median delay of a step as a share of its limit in an ordinary township (σ of the log: 0.55)."""


@dataclass(frozen=True)
class Settings:
    """One run. ``start`` is aware (a local midnight is usual); ``townships`` limits the run (None: all)."""

    start: datetime
    days: float = 30
    per_day: float = 300.0
    seed: int = 350212
    lagging: str | None = "350212109"  # 汀溪镇, the mountain town
    townships: Sequence[str] | None = None
    duplicate_share: float = 0.08
    reject_share: float = 0.05

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


@dataclass
class Summary:
    """What a run did."""

    reports: int = 0
    duplicates: int = 0
    cases: int = 0
    steps: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.by_status.items()))
        return (f"{self.reports} reports ({self.duplicates} duplicates), {self.cases} cases, {self.steps} steps "
                f"in {self.seconds:.1f} s ({self.steps / max(self.seconds, 1e-9):.0f} steps/s); now: {statuses}")


@dataclass
class Memo:
    """The simulation's notes on one case (the truth is the store; this is what the run plans with)."""

    case_id: int
    state: CaseState
    profile: Profile
    reworks: int = 0
    wrong_team: bool = False  # dispatched to the wrong team: a re-dispatch follows
    suspended_once: bool = False
    extension_asked: bool = False


def simulate(store: Store, settings: Settings, progress: Callable[[int, Summary], None] | None = None,
             service: CaseService | None = None) -> Summary:
    """Run the simulation into ``store`` (migrated and seeded); returns what it did.

    Raises :class:`~store.errors.Conflict` when the store already holds this seed's cases.
    """
    run = _Run(store, settings, service or CaseService(store))
    return run.go(progress)


class _Run:
    def __init__(self, store: Store, settings: Settings, service: CaseService) -> None:
        self.store, self.settings, self.service = store, settings, service
        self.rng = np.random.default_rng(settings.seed)
        self.world: World = load_world(store)
        self.plans: tuple[ResponsePlan, ...] = load_plans(known_items=set(self.world.items["code"]))
        codes = list(self.world.townships["code"])
        self.townships = [t for t in codes if settings.townships is None or t in settings.townships]
        cells = self.world.cells[self.world.cells["township_code"].isin(self.townships)].reset_index(drop=True)
        self.cells = cells
        self.cell_index = {code: n for n, code in enumerate(cells["code"])}
        weights = hot_cell_weights(cells, self.rng)
        self.cell_weights = {t: (idx, weights[idx] / weights[idx].sum())
                             for t, idx in cells.groupby("township_code").indices.items()}
        items = self.world.items
        self.item_priority = dict(zip(items["code"], items["default_priority"].astype(int), strict=True))
        self.item_weights = {t: self._item_weights(t) for t in self.townships}
        self.rosters = {code: self._roster(team, self._profile(team.township_code))
                        for code, team in self.world.teams.items()}
        self.heap: list[tuple[datetime, int, int, Callable[[Memo, datetime], None]]] = []
        self.counter = itertools.count()
        self.memos: dict[int, Memo] = {}
        self.recent: dict[str, list[Memo]] = {t: [] for t in self.townships}
        self.summary = Summary()
        self.report_serial = itertools.count(1)

    # ------------------------------------------------------------------------------------------- set-up

    def _profile(self, township: str | None) -> Profile:
        return LAGGING if township is not None and township == self.settings.lagging else ORDINARY

    def _item_weights(self, township: str) -> tuple[list[str], np.ndarray]:
        """Items a township has in its list; everyday nuisances (priority 3) most often, 部门 items less."""
        codes, weights = [], []
        for code, priority in self.item_priority.items():
            authority = self.world.authority.get((township, code))
            if authority is None:
                continue
            codes.append(code)
            weights.append({3: 3.0, 2: 1.5, 1: 0.4}.get(priority, 1.0) * (0.4 if authority == "部门" else 1.0))
        array = np.array(weights)
        return codes, array / array.sum()

    def _roster(self, team: TeamInfo, profile: Profile) -> tuple[str, ...]:
        """The officers of a team who take cases this month (a share of them; the rest never act)."""
        officers = list(team.officers)
        self.rng.shuffle(officers)
        return tuple(officers[:max(1, math.ceil(len(officers) * profile.active_officers))])

    # ---------------------------------------------------------------------------------------------- run

    def go(self, progress: Callable[[int, Summary], None] | None) -> Summary:
        settings = self.settings
        prefix = f"SIM{settings.seed}-"
        with self.store.transaction() as conn:
            taken = conn.execute(sa.select(sa.func.count()).where(Case.code.like(f"{prefix}%"))).scalar()
        if taken:
            raise Conflict(f"the store already holds {taken} cases simulated with seed {settings.seed}: "
                           "simulate into a fresh store or give another --seed")
        started = time.perf_counter()
        day = 0
        for at, township in self._arrivals():
            while self.heap and self.heap[0][0] <= at:
                self._pop()
            if (at - settings.start).days > day:
                day = (at - settings.start).days
                self._report_progress(progress, day, started)
            self._report(township, at)
        while self.heap and self.heap[0][0] < settings.end:
            self._pop()
        self._report_progress(progress, math.ceil(settings.days), started)
        return self.summary

    def _report_progress(self, progress: Callable[[int, Summary], None] | None, day: int, started: float) -> None:
        self.summary.seconds = time.perf_counter() - started
        self.summary.by_status = {}
        for memo in self.memos.values():
            status = memo.state.status.value
            self.summary.by_status[status] = self.summary.by_status.get(status, 0) + 1
        if progress is not None:
            progress(day, self.summary)

    def _arrivals(self) -> list[tuple[datetime, str]]:
        """Every report's time and township, in time order (Poisson per township, local hour and weekday)."""
        settings, rng = self.settings, self.rng
        kinds = dict(zip(self.world.townships["code"], self.world.townships["kind"], strict=True))
        size = np.array([1.3 if kinds[t] == "街道" else 0.9 for t in self.townships])
        per_township = settings.per_day * size / size.sum()
        hours = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
        arrivals = []
        for day in range(math.ceil(settings.days)):
            midnight = settings.start + timedelta(days=day)
            weekend = midnight.weekday() >= 5
            for township, rate in zip(self.townships, per_township, strict=True):
                count = rng.poisson(rate * (0.85 if weekend else 1.0))
                offsets = rng.choice(24, size=count, p=hours) * 3600 + rng.uniform(0, 3600, size=count)
                arrivals += [(midnight + timedelta(seconds=float(s)), township) for s in offsets]
        arrivals.sort()
        return [(at, t) for at, t in arrivals if at < settings.end]

    def _schedule(self, memo: Memo, at: datetime, handler: Callable[[Memo, datetime], None],
                  watch: bool = True) -> None:
        """Plan a step of the case; a step of the loop (``watch``) that will come late brings a 督办."""
        if watch:
            self._watch(memo, at)
        if at < self.settings.end:
            heapq.heappush(self.heap, (at, next(self.counter), memo.case_id, handler))

    def _pop(self) -> None:
        at, _, case_id, handler = heapq.heappop(self.heap)
        memo = self.memos[case_id]
        handler(memo, max(at, memo.state.updated_at))

    def _act(self, memo: Memo, action: str, actor: Actor, payload: dict | None, at: datetime) -> Step:
        step = self.service.act(memo.case_id, action, actor, payload, at, expected_version=memo.state.seq)
        memo.state = step.state
        self.summary.steps += 1
        return step

    # -------------------------------------------------------------------------------------------- delays

    def _ratio(self, step: str, pace: float) -> float:
        return float(np.exp(self.rng.normal(math.log(MEDIAN_RATIO[step] * pace), 0.55)))

    def _after(self, memo: Memo, step: str, at: datetime, floor_minutes: float = 2) -> datetime:
        """When the next step happens: a log-normal share of the step's limit after ``at``."""
        pace = memo.profile.field_pace if step in ("arrive", "handle") else memo.profile.desk_pace
        limit = limit_for(memo.state, step, self.service.policy)
        return at + max(limit * self._ratio(step, pace), timedelta(minutes=floor_minutes))

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=float(self.rng.uniform(low, high)))

    # ---------------------------------------------------------------------------------------------- actors

    def _operator(self, township: str, at: datetime) -> Actor:
        shift = 1 if 8 <= at.astimezone(SHANGHAI).hour < 20 else 2  # local day and night shifts
        return Actor(f"op-{township}-{shift}", Role.OPERATOR, township_code=township)

    def _officer(self, team_code: str) -> Actor:
        team = self.world.teams[team_code]
        officer = str(self.rng.choice(self.rosters[team_code]))
        return Actor(officer, Role.OFFICER, township_code=team.township_code, teams=frozenset({team_code}))

    def _patrol_officer(self, township: str) -> Actor:
        teams = self.world.field_teams(township)
        return self._officer(teams[int(self.rng.integers(len(teams)))].code)

    def _team_leader(self, team_code: str) -> Actor:
        team = self.world.teams[team_code]
        return Actor(team.officers[0], Role.TEAM_LEADER, township_code=team.township_code,
                     teams=frozenset({team_code}))

    def _liaison(self, township: str, department: str) -> Actor:
        unit = self.world.department_unit(township, department)
        if unit is None:
            return Actor(f"liaison-{department}", Role.DEPARTMENT_LIAISON, department=department)
        return Actor(str(self.rng.choice(self.rosters[unit.code])), Role.DEPARTMENT_LIAISON,
                     township_code=township, department=department)

    CHIEF = Actor("supervisor-district", Role.SUPERVISOR)
    LEADER = Actor("leader-district", Role.LEADER)
    LEGAL = Actor("legal-district", Role.LEGAL_REVIEWER)

    # --------------------------------------------------------------------------------------------- reports

    def _report(self, township: str, at: datetime) -> None:
        rng, summary = self.rng, self.summary
        channel = str(rng.choice(list(CHANNEL_MIX), p=np.array(list(CHANNEL_MIX.values()))))
        recent = [m for m in self.recent[township] if m.state.status.is_open and at - m.state.opened_at < timedelta(days=2)]
        self.recent[township] = recent
        duplicate_of = recent[int(rng.integers(len(recent)))] if recent and rng.random() < self.settings.duplicate_share \
            else None
        if duplicate_of is not None:
            cell = self.cells.iloc[self.cell_index[duplicate_of.state.cell_code]]
            item = duplicate_of.state.item_code
        else:
            index, weights = self.cell_weights[township]
            cell = self.cells.iloc[int(rng.choice(index, p=weights))]
            codes, item_weights = self.item_weights[township]
            item = str(rng.choice(codes, p=item_weights))
        point = shapely.Point(float(cell["lon"] + rng.normal(0, 0.0002)), float(cell["lat"] + rng.normal(0, 0.0002)))
        report_id = self._store_report(channel, at, item, cell, point, duplicate_of)
        summary.reports += 1
        if duplicate_of is not None:
            summary.duplicates += 1
            return
        serial = summary.cases + 1
        local_day = at.astimezone(SHANGHAI).strftime("%Y%m%d")
        payload = {"case_code": f"SIM{self.settings.seed}-{local_day}-{serial:05d}", "township_code": township,
                   "priority": self.item_priority[item], "item_code": item, "community_code": cell["community_code"],
                   "cell_code": cell["code"]}
        actor = self._patrol_officer(township) if channel == "patrol" else self._operator(township, at)
        step = self.service.open_case(actor, payload, at, channel=channel, location=point,
                                      zone_code=cell["zone_code"], report_ids=[report_id])
        memo = Memo(step.case_id, step.state, self._profile(township))
        self.memos[step.case_id] = memo
        self.recent[township].append(memo)
        summary.cases += 1
        summary.steps += 1
        self._schedule(memo, self._after(memo, "accept", at), self._decide)

    def _store_report(self, channel: str, at: datetime, item: str, cell, point: shapely.Point,
                      duplicate_of: Memo | None) -> int:
        serial = next(self.report_serial)
        row = {"channel": channel, "external_id": f"SIM{self.settings.seed}-{serial:07d}", "received_at": at,
               "occurred_at": at - self._minutes(5, 120), "item_code": item, "priority": self.item_priority[item],
               "township_code": cell["township_code"], "community_code": cell["community_code"],
               "zone_code": cell["zone_code"], "cell_code": cell["code"], "geom": point,
               "min_lon": point.x, "max_lon": point.x, "min_lat": point.y, "max_lat": point.y,
               "case_id": duplicate_of.case_id if duplicate_of is not None else None,
               "raw_payload": {"simulated": True, "seed": self.settings.seed}}
        with self.store.transaction(write=True) as conn:
            return conn.execute(sa.insert(Report.__table__).values(row).returning(Report.__table__.c.id)).scalar_one()

    # ------------------------------------------------------------------------------------------- the loop

    def _decide(self, memo: Memo, at: datetime) -> None:
        """Accept (the 事项清单 decides the route) or reject."""
        state = memo.state
        operator = self._operator(state.township_code, at)
        if self.rng.random() < self.settings.reject_share:
            reason = str(self.rng.choice([r.value for r in RejectReason]))
            self._act(memo, "reject", operator, {"reject_reason": reason}, at)
            self._schedule(memo, at + timedelta(days=float(self.rng.uniform(1, 3))), self._archive, watch=False)
            return
        try:
            payload = self.service.acceptance(state, self.plans)
        except AuthorityError:
            self._act(memo, "reject", operator, {"reject_reason": "not_enforcement_matter"}, at)
            self._schedule(memo, at + timedelta(days=1), self._archive, watch=False)
            return
        step = self._act(memo, "accept", operator, payload, at)
        self._schedule(memo, self._after(memo, "dispatch", step.event.at), self._route)

    def _route(self, memo: Memo, at: datetime) -> None:
        """Dispatch to a sub-squad, transfer to the department, or whistle a joint action."""
        state = memo.state
        decision = state.decision
        operator = self._operator(state.township_code, at)
        teams = self.world.field_teams(state.township_code)
        if decision is not None and decision.route is Route.TRANSFER and decision.department not in state.returned_by:
            self._act(memo, "transfer", operator, {"department": decision.department}, at)
            self._schedule(memo, at + self._minutes(120, 60 * 36) * memo.profile.desk_pace, self._department)
            return
        lead = teams[int(self.rng.integers(len(teams)))]
        if decision is not None and decision.route is Route.JOINT:
            self._act(memo, "whistle", operator, {"lead_team_code": lead.code,
                                                  "departments": list(decision.whistle)}, at)
        else:
            memo.wrong_team = len(teams) > 1 and self.rng.random() < memo.profile.misdispatch
            self._act(memo, "dispatch", operator, {"team_code": lead.code}, at)
            if memo.wrong_team:
                self._schedule(memo, at + self._minutes(20, 90), self._redispatch)
                return
        self._field(memo, at)

    def _redispatch(self, memo: Memo, at: datetime) -> None:
        """改派: the first team was the wrong one."""
        teams = [t for t in self.world.field_teams(memo.state.township_code) if t.code != memo.state.team_code]
        team = teams[int(self.rng.integers(len(teams)))]
        self._act(memo, "dispatch", self._operator(memo.state.township_code, at), {"team_code": team.code}, at)
        memo.wrong_team = False
        self._field(memo, at)

    def _field(self, memo: Memo, at: datetime) -> None:
        """Plan the arrival, now or after a suspension (挂起) of a day or two."""
        if not memo.suspended_once and self.rng.random() < 0.01:
            memo.suspended_once = True
            self._schedule(memo, at + self._minutes(10, 60), self._suspend, watch=False)
            return
        self._schedule(memo, self._after(memo, "arrive", at), self._arrive)

    def _suspend(self, memo: Memo, at: datetime) -> None:
        self._act(memo, "suspend", self.LEADER, {"reason": "当事人住院，暂缓处置"}, at)
        self._schedule(memo, at + timedelta(hours=float(self.rng.uniform(20, 60))), self._resume, watch=False)

    def _resume(self, memo: Memo, at: datetime) -> None:
        self._act(memo, "resume", self.LEADER, {}, at)
        self._schedule(memo, self._after(memo, "arrive", at), self._arrive)

    def _arrive(self, memo: Memo, at: datetime) -> None:
        self._act(memo, "arrive", self._officer(memo.state.team_code), {}, at)
        feedback = self._after(memo, "handle", memo.state.clock("handle").spans[-1][0])
        feedback = max(feedback, at + self._minutes(15, 60))
        if not memo.extension_asked and self.rng.random() < memo.profile.extension:
            memo.extension_asked = True
            self._schedule(memo, at + self._minutes(10, 40), self._ask_extension, watch=False)
            feedback += timedelta(hours=float(self.rng.uniform(6, 30)))
        self._schedule(memo, feedback, self._feedback)

    def _ask_extension(self, memo: Memo, at: datetime) -> None:
        if memo.state.status is not Status.IN_PROGRESS:
            return
        hours = float(self.rng.choice([24, 48]))
        self._act(memo, "request_extension", self._team_leader(memo.state.team_code),
                  {"hours": hours, "reason": "需当事人补充材料"}, at)
        self._schedule(memo, at + self._minutes(30, 240), self._decide_extension, watch=False)

    def _decide_extension(self, memo: Memo, at: datetime) -> None:
        if self.rng.random() < 0.8:
            self._act(memo, "approve_extension", self.CHIEF, {}, at)
        else:
            self._act(memo, "refuse_extension", self.CHIEF, {"reason": "理由不充分"}, at)

    def _feedback(self, memo: Memo, at: datetime) -> None:
        """Complete the plan's steps on site, then report the handling."""
        team = memo.state.team_code
        for n, step in enumerate(memo.state.open_steps):
            self._act(memo, "complete_step", self._officer(team), {"step": step.id, "evidence": list(EVIDENCE)},
                      at + timedelta(minutes=n))
        payload = {"note": "已现场处置", "evidence": list(EVIDENCE), "major_penalty": bool(self.rng.random() < 0.03)}
        self._act(memo, "feedback", self._officer(team), payload, at + timedelta(minutes=len(memo.state.steps)))
        self._after_handling(memo)

    def _department(self, memo: Memo, at: datetime) -> None:
        """The department answers: handled (steps completed), or returned to the township (职责争议)."""
        state = memo.state
        liaison = self._liaison(state.township_code, state.department)
        if self.rng.random() < 0.15:
            self._act(memo, "department_answer", liaison, {"outcome": "returned", "note": "不属本部门职责"}, at)
            self._schedule(memo, self._after(memo, "dispatch", at), self._route)
            return
        for n, step in enumerate(state.open_steps):
            self._act(memo, "complete_step", liaison, {"step": step.id, "evidence": list(EVIDENCE)},
                      at + timedelta(minutes=n))
        self._act(memo, "department_answer", liaison, {"outcome": "handled", "note": "已依法处理"},
                  at + timedelta(minutes=len(state.steps)))
        self._after_handling(memo)

    def _after_handling(self, memo: Memo) -> None:
        at = memo.state.updated_at
        if memo.state.major_penalty:
            self._schedule(memo, at + self._minutes(60, 600), self._legal_review)
        else:
            self._schedule(memo, self._after(memo, "verify", at), self._verify)

    def _legal_review(self, memo: Memo, at: datetime) -> None:
        approved = self.rng.random() < 0.9
        conclusion = LegalConclusion.APPROVED if approved else LegalConclusion.RETURNED
        opinion = "事实清楚，证据确凿，程序合法" if approved else "证据不足，请补充调查"
        self._act(memo, "legal_review", self.LEGAL, {"conclusion": conclusion.value, "opinion": opinion}, at)
        self._schedule(memo, self._after(memo, "verify", at), self._verify if approved else self._rework)

    def _verify(self, memo: Memo, at: datetime) -> None:
        """核查: rework when the handling does not hold (the lagging township far more often), else verify."""
        if memo.reworks < 2 and self.rng.random() < memo.profile.rework:
            self._rework(memo, at)
            return
        self._act(memo, "verify", self._operator(memo.state.township_code, at), {}, at)
        self._schedule(memo, at + self._minutes(10, 90), self._close)

    def _rework(self, memo: Memo, at: datetime) -> None:
        memo.reworks += 1
        payload: dict = {"reason": "现场复查未整改到位"}
        teams = self.world.field_teams(memo.state.township_code)
        if memo.state.team_code is None or self.rng.random() < 0.3:
            others = [t for t in teams if t.code != memo.state.team_code] or teams
            payload["team_code"] = others[int(self.rng.integers(len(others)))].code
        self._act(memo, "rework", self._operator(memo.state.township_code, at), payload, at)
        self._schedule(memo, self._after(memo, "arrive", at), self._arrive)

    def _close(self, memo: Memo, at: datetime) -> None:
        self._act(memo, "close", self._operator(memo.state.township_code, at), {}, at)
        self._schedule(memo, at + timedelta(days=float(self.rng.uniform(1, 3))), self._archive, watch=False)

    def _archive(self, memo: Memo, at: datetime) -> None:
        self._act(memo, "archive", SYSTEM, {}, at)

    def _watch(self, memo: Memo, next_step: datetime) -> None:
        """督办: when the next step will come after the case's deadline, the system supervises it an hour late."""
        if memo.state.supervised:
            return
        deadline = due_at(memo.state, memo.state.updated_at, self.service.policy)
        if deadline is not None and next_step > deadline + timedelta(hours=1):
            self._schedule(memo, deadline + timedelta(hours=1), self._supervise, watch=False)

    def _supervise(self, memo: Memo, at: datetime) -> None:
        if memo.state.status.is_open and not memo.state.supervised:
            self._act(memo, "supervise", SYSTEM, {"level": 1, "note": "超期自动督办"}, at)
