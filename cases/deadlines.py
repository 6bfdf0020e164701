"""Step clocks, deadlines and traffic lights: is each case on time, nearly late, or late?

Every step of the loop has its own clock, started and stopped by actions (:data:`CLOCKS`):

========  ===========================================  ================================  =================
clock     starts on                                    stops on                          on restart
========  ===========================================  ================================  =================
accept    report                                       accept, reject                    —
dispatch  accept, department_answer:returned           dispatch, transfer, whistle       fresh
arrive    dispatch, whistle, rework                    arrive                            fresh
handle    accept, rework                               feedback, department_answer:handled  keeps counting
verify    feedback, department_answer:handled          verify, rework                    fresh
========  ===========================================  ================================  =================

The *handle* clock is the case's headline limit (the item's ``time_limit_hours``, "from acceptance to
handling"); a rework re-opens it and keeps counting, so 返工 never buys time. Its limit grows by every
approved extension (延期). The other limits come per priority from :class:`DeadlinePolicy`; a response
plan may override them (recorded at acceptance).

Time inside a suspension (挂起) never counts. With a :class:`~cases.calendar.WorkCalendar` in the policy,
the clocks listed in ``DeadlinePolicy.working_days`` count only the hours of working days (whole local days
in Asia/Shanghai); the others count every hour — the command center works around the clock.

Traffic light per clock: green below 80 % of the limit, yellow up to 100 %, red beyond. A case's light is
the worst of its running clocks.

>>> from datetime import UTC, datetime
>>> t0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
>>> counted_between(t0, datetime(2026, 3, 2, 3, 30, tzinfo=UTC), ())
datetime.timedelta(seconds=9000)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from cases.calendar import WorkCalendar, local_day, next_local_midnight
from cases.states import CaseState, ClockRun, Suspension


@dataclass(frozen=True)
class ClockSpec:
    """When a step clock starts and stops; ``fresh`` clocks start from zero when they start again."""

    step: str
    starts_on: frozenset[str]
    stops_on: frozenset[str]
    fresh: bool = True


CLOCKS: tuple[ClockSpec, ...] = (
    ClockSpec("accept", frozenset({"report"}), frozenset({"accept", "reject"})),
    ClockSpec("dispatch", frozenset({"accept", "department_answer:returned"}),
              frozenset({"dispatch", "transfer", "whistle"})),
    ClockSpec("arrive", frozenset({"dispatch", "whistle", "rework"}), frozenset({"arrive"})),
    ClockSpec("handle", frozenset({"accept", "rework"}), frozenset({"feedback", "department_answer:handled"}),
              fresh=False),
    ClockSpec("verify", frozenset({"feedback", "department_answer:handled"}), frozenset({"verify", "rework"})),
)
STEPS: tuple[str, ...] = tuple(spec.step for spec in CLOCKS)
_CLOCK_KEYS = frozenset().union(*(spec.starts_on | spec.stops_on for spec in CLOCKS))

DEFAULT_STEP_HOURS: Mapping[str, Mapping[int, float]] = {
    #          priority 1 urgent, 2, 3 normal
    "accept": {1: 0.25, 2: 0.5, 3: 2.0},
    "dispatch": {1: 0.25, 2: 0.5, 3: 2.0},
    "arrive": {1: 0.5, 2: 2.0, 3: 24.0},
    "handle": {1: 4.0, 2: 24.0, 3: 72.0},  # only when the case has no item limit
    "verify": {1: 2.0, 2: 24.0, 3: 48.0},
}
DEFAULT_WORKING_DAY_CLOCKS: Mapping[int, tuple[str, ...]] = {3: ("arrive", "handle", "verify")}
YELLOW_AT = 0.8
"""A clock turns yellow at 80 % of its limit and red beyond 100 %."""


def track(clocks: tuple[ClockRun, ...], key: str, at: datetime) -> tuple[ClockRun, ...]:
    """Start and stop the clocks an action touches (``key`` is ``action`` or ``action:outcome``)."""
    if key not in _CLOCK_KEYS:
        return clocks
    current = {run.step: run for run in clocks}
    result = []
    for spec in CLOCKS:
        run = current.get(spec.step, ClockRun(spec.step))
        spans = run.spans
        if key in spec.stops_on and run.running:
            spans = (*spans[:-1], (spans[-1][0], at))
        if key in spec.starts_on:
            if spec.fresh:
                spans = ((at, None),)
            elif not (spans and spans[-1][1] is None):
                spans = (*spans, (at, None))
        if spans:
            result.append(ClockRun(spec.step, spans))
    return tuple(result)


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class DeadlinePolicy:
    """Per-priority limits of the step clocks, and which clocks count working days only.

    ``calendar`` None counts every hour of every day for all clocks.
    """

    step_hours: Mapping[str, Mapping[int, float]] = field(default_factory=lambda: DEFAULT_STEP_HOURS)
    calendar: WorkCalendar | None = None
    working_days: Mapping[int, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_WORKING_DAY_CLOCKS)

    def counts_working_days(self, priority: int, step: str) -> bool:
        return self.calendar is not None and step in self.working_days.get(priority, ())


DEFAULT_POLICY = DeadlinePolicy()


@dataclass(frozen=True)
class Clock:
    """One step clock of one case, as of ``now``."""

    step: str
    started_at: datetime
    ended_at: datetime | None  # None while it runs
    limit: timedelta
    elapsed: timedelta  # counted time: suspensions and (if configured) non-working days left out
    deadline_at: datetime | None  # when the limit is (or was) reached; None if not reached and not running or paused
    working_days: bool
    paused: bool

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def ratio(self) -> float:
        return self.elapsed / self.limit

    @property
    def light(self) -> Light:
        if self.ratio > 1.0:
            return Light.RED
        return Light.YELLOW if self.ratio >= YELLOW_AT else Light.GREEN

    @property
    def overdue_by(self) -> timedelta:
        return max(self.elapsed - self.limit, timedelta(0))


def limit_for(state: CaseState, step: str, policy: DeadlinePolicy = DEFAULT_POLICY) -> timedelta:
    """The limit of one clock: plan override, else item limit (handle) or policy; plus extensions (handle)."""
    overrides = dict(state.limit_overrides)
    if step in overrides:
        hours = overrides[step]
    elif step == "handle" and state.time_limit_hours:
        hours = state.time_limit_hours
    else:
        hours = policy.step_hours[step][state.priority]
    if step == "handle":
        hours += state.extended_hours
    return timedelta(hours=hours)


def clock(state: CaseState, step: str, now: datetime, policy: DeadlinePolicy = DEFAULT_POLICY) -> Clock | None:
    """The clock of one step as of ``now``, or None when that step never started."""
    run = state.clock(step)
    if not run.spans:
        return None
    calendar = policy.calendar if policy.counts_working_days(state.priority, step) else None
    pauses = state.suspensions
    limit = limit_for(state, step, policy)
    spans = [(a, b if b is not None else max(now, a)) for a, b in run.spans]
    elapsed = sum((counted_between(a, b, pauses, calendar) for a, b in spans), timedelta(0))
    deadline = _deadline(run.spans, limit, pauses, calendar)
    paused = run.running and any(p.start <= now and (p.end is None or now < p.end) for p in pauses)
    return Clock(step=step, started_at=run.spans[0][0], ended_at=run.spans[-1][1], limit=limit, elapsed=elapsed,
                 deadline_at=deadline, working_days=calendar is not None, paused=paused)


def clocks(state: CaseState, now: datetime, policy: DeadlinePolicy = DEFAULT_POLICY) -> tuple[Clock, ...]:
    """All clocks that have started, in loop order."""
    return tuple(c for c in (clock(state, step, now, policy) for step in STEPS) if c is not None)


def light(state: CaseState, now: datetime, policy: DeadlinePolicy = DEFAULT_POLICY) -> Light | None:
    """The case's traffic light: the worst running clock; None when no clock runs (closed, or awaiting close)."""
    running = [c.light for c in clocks(state, now, policy) if c.running]
    order = [Light.GREEN, Light.YELLOW, Light.RED]
    return max(running, key=order.index) if running else None


def due_at(state: CaseState, now: datetime, policy: DeadlinePolicy = DEFAULT_POLICY) -> datetime | None:
    """The earliest deadline among running clocks (``Case.deadline_at``); None when none runs or all are paused."""
    deadlines = [c.deadline_at for c in clocks(state, now, policy) if c.running and c.deadline_at is not None]
    return min(deadlines, default=None)


@dataclass(frozen=True)
class Overdue:
    """One late clock of an open case, for the wall's "chase" list."""

    case_code: str
    township_code: str
    step: str
    deadline_at: datetime | None
    overdue_by: timedelta
    supervised: bool
    suspended: bool


def overdue(cases: Iterable[CaseState], now: datetime, policy: DeadlinePolicy = DEFAULT_POLICY) -> list[Overdue]:
    """Running clocks past their limit, longest overdue first (suspended cases included, flagged)."""
    late = [
        Overdue(state.code, state.township_code, c.step, c.deadline_at, c.overdue_by, state.supervised,
                state.suspended)
        for state in cases if state.status.is_open
        for c in clocks(state, now, policy) if c.running and c.light is Light.RED
    ]
    return sorted(late, key=lambda o: (-o.overdue_by, o.case_code, STEPS.index(o.step)))


# ------------------------------------------------------------------------------------------ counted time


def counted_between(start: datetime, end: datetime, pauses: Iterable[Suspension],
                    calendar: WorkCalendar | None = None) -> timedelta:
    """Time in ``[start, end)`` that counts: outside suspensions and, with a calendar, on working days."""
    if end <= start:
        return timedelta(0)
    return sum((b - a for a, b, counts in _segments(start, tuple(pauses), calendar, end) if counts and b),
               timedelta(0))


def advance(start: datetime, amount: timedelta, pauses: Iterable[Suspension],
            calendar: WorkCalendar | None = None) -> datetime | None:
    """The instant at which ``amount`` of counted time has passed since ``start``; None if an open suspension
    stops the clock first.

    >>> from datetime import UTC, datetime
    >>> from cases.calendar import load_calendar
    >>> friday_noon = datetime(2026, 9, 18, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    >>> advance(friday_noon, timedelta(hours=24), (), load_calendar()).isoformat()  # skips Sat; Sun 9-20 is 调休
    '2026-09-20T04:00:00+00:00'
    """
    remaining = amount
    for a, b, counts in _segments(start, tuple(pauses), calendar, None):
        if not counts:
            if b is None:
                return None
            continue
        if b is None or b - a >= remaining:
            return a + remaining
        remaining -= b - a
    return None  # pragma: no cover - _segments without an end never stops on a counting segment


def _deadline(spans: tuple[tuple[datetime, datetime | None], ...], limit: timedelta,
              pauses: tuple[Suspension, ...], calendar: WorkCalendar | None) -> datetime | None:
    """Where the limit is reached along the spans: inside a closed span (it was late then), in the running
    one, or None (finished in time, or paused before reaching it)."""
    remaining = limit
    for a, b in spans:
        if b is None:
            return advance(a, remaining, pauses, calendar)
        used = counted_between(a, b, pauses, calendar)
        if used >= remaining:
            return advance(a, remaining, pauses, calendar)
        remaining -= used
    return None


def _segments(start: datetime, pauses: tuple[Suspension, ...], calendar: WorkCalendar | None,
              end: datetime | None) -> Iterator[tuple[datetime, datetime | None, bool]]:
    """Consecutive ``(from, to, counts)`` pieces from ``start`` to ``end`` (or for ever); ``to`` None is open."""
    t = start
    while end is None or t < end:
        pause = next((p for p in pauses if p.start <= t and (p.end is None or t < p.end)), None)
        if pause is not None:
            nxt, counts = pause.end, False
        else:
            starts = [p.start for p in pauses if p.start > t]
            nxt = min(starts) if starts else None
            counts = True
            if calendar is not None:
                counts = calendar.is_working_day(local_day(t))
                midnight = next_local_midnight(t)
                nxt = midnight if nxt is None else min(nxt, midnight)
        if end is not None:
            nxt = end if nxt is None else min(nxt, end)
        yield t, nxt, counts
        if nxt is None:
            return
        t = nxt
