"""The audit trail is the truth: replay(events) == state after every step, and a bad trail is refused.

The property test walks 2,000 cases at random (seeded, so a failure repeats): at each step it picks a row
of the rule table that applies, a role the row allows, a scoped actor and a plausible payload — sometimes
one a guard will refuse, sometimes an action or role the table does not allow at all. Every accepted step
must replay to the same state; every refusal must leave the case untouched and agree with the table.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import timedelta

import pytest

from cases.acceptance import prepare_acceptance
from cases.events import Event
from cases.lifecycle import TransitionRefused, apply
from cases.replay import ReplayError, replay
from cases.rules import RULES
from cases.states import Action, Role, Status

CASES = 2_000
FULL_REPLAY_CASES = 50  # these replay the whole trail after every step; the others continue it by one event
SEED = 350212
WEIGHTS = {"reject": 1, "accept": 6, "archive": 2, "complete_step": 4, "legal_review": 2}


def _weight(rule, state) -> float:
    """How often a row is tried: mostly rows that move the case, and what the case's flags make likely."""
    if rule.key == "resume":
        return 8 if state.suspended else 0.1
    if rule.key in ("approve_extension", "refuse_extension"):
        return 3 if state.extension.value == "requested" else 0.1
    if state.suspended:
        return 0.2
    return WEIGHTS.get(rule.key, 4 if rule.to_status else 1)
TEAMS = {"350212001": ["350212001-ZF01", "350212001-ZF02", "350212001-GA"],
         "350212110": ["350212110-ZF01", "350212110-ZF02"]}
ITEMS = {"350212001": ["ZF001", "ZF008", "ZF015", "ZF020"], "350212110": ["ZF001", "ZF017"]}


def _payload(rng: random.Random, rule, state, loop) -> dict:
    """A plausible payload for the row: valid fields, with the odd choice a guard will refuse."""
    key = rule.key
    if key == "accept":
        return prepare_acceptance(state, loop.AUTHORITY, loop.PLANS, item_code=rng.choice(ITEMS[state.township_code]),
                                  time_limit_hours=rng.choice([None, 4, 24, 72]))
    teams = TEAMS[state.township_code]
    if key == "dispatch":
        return {"team_code": rng.choice(teams)}
    if key == "whistle":
        return {"lead_team_code": rng.choice(teams), "departments": rng.sample(["公安", "市场监管", "自然资源"], 2),
                "team_codes": rng.sample(teams, rng.randint(0, 1))}
    if key == "complete_step":
        steps = [s.id for s in (state.open_steps if rng.random() < 0.8 else state.steps)] or ["photo"]
        return {"step": rng.choice(steps), "evidence": ["https://e/s.jpg"] if rng.random() < 0.9 else []}
    if key == "approve_extension":
        return {"hours": rng.choice([6, 24, 100])} if rng.random() < 0.5 else {}
    if key in ("feedback", "department_answer:handled"):
        return {"outcome": rule.outcome, "note": "处置完毕", "evidence": ["https://e/f.jpg"],
                "major_penalty": rng.random() < 0.3}
    return {
        "reject": {"reject_reason": rng.choice(["invalid", "duplicate", "outside_jurisdiction"])},
        "transfer": {"department": rng.choice(["公安", "市场监管"])},
        "department_answer:returned": {"outcome": "returned", "note": "不属本部门"},
        "rework": {"reason": "整改不到位", **({"team_code": teams[0]} if rng.random() < 0.5 else {})},
        "legal_review": {"conclusion": rng.choice(["approved", "approved", "returned"]), "opinion": "意见"},
        "supervise": {"level": rng.randint(1, 3)},
        "request_extension": {"hours": rng.choice([4, 24, 48]), "reason": "协调"},
        "refuse_extension": {"reason": "不予延期"},
        "suspend": {"reason": "暂缓"},
    }.get(key, {"note": "现场核查"} if rng.random() < 0.3 else {})


def _walk(rng: random.Random, n: int, loop) -> tuple[list[Event], int, int]:
    township = rng.choice(list(TEAMS))
    state, event = apply(None, "report", loop.scoped(Role.SYSTEM, None), {
        "case_code": f"AJ-{n:05d}", "township_code": township, "priority": rng.randint(1, 3),
        "item_code": rng.choice(ITEMS[township])}, loop.T0 + timedelta(minutes=n))
    events, refusals, at = [event], 0, event.at
    replayed = replay(events)
    assert replayed == state
    for _ in range(rng.randint(8, 36)):
        at += timedelta(minutes=rng.choice([0, 1, 7, 30, 180, 1_500]))
        if rng.random() < 0.1:  # anything at all: must be refused unless the table allows it
            action, role = rng.choice(list(Action)), rng.choice(list(Role))
            rows = [r for r in RULES if r.action is action and state.status in r.from_statuses]
            payload = {"outcome": rng.choice(["handled", "returned"])}
        else:
            rows = [r for r in RULES if state.status in r.from_statuses]
            if not rows:
                break  # archived
            weights = [_weight(r, state) for r in rows]
            rule = rng.choices(rows, weights)[0]
            action, role = rule.action, rng.choice(rule.actors)
            payload = _payload(rng, rule, state, loop)
        try:
            new, event = apply(state, action, loop.scoped(role, state), payload, at)
        except TransitionRefused as refused:
            refusals += 1
            assert refused.status is state.status
            if not any(role in r.actors for r in rows):
                assert refused.kind in ("status", "outcome", "role")
            continue
        rule = next(r for r in rows if r.key == (f"{action}:{payload['outcome']}" if action is Action.DEPARTMENT_ANSWER
                                                 else action.value))
        assert role in rule.actors and new.status is (rule.to_status or state.status)
        state = new
        events.append(event)
        # == replay(events) == state: replay is a fold, this continues it by one event through the same code
        replayed = replay([event], start=replayed)
        assert replayed == state, f"{state.code} after event #{event.seq} ({event.action})"
        if n < FULL_REPLAY_CASES:  # and literally so, for the first cases
            assert replay(events) == state
    return events, refusals, len(events)


@pytest.fixture(scope="module")
def walks(loop) -> list[list[Event]]:
    rng = random.Random(SEED)
    results = [_walk(rng, n, loop) for n in range(CASES)]
    return [events for events, _, _ in results]


def test_replay_equals_state_after_every_step_of_random_walks(walks) -> None:
    """The assertions run inside the walks; here: the walks went far enough to mean something."""
    statuses = {e.to_status for events in walks for e in events}
    actions = {e.action for events in walks for e in events}
    assert len(walks) == CASES
    assert statuses == set(Status) and actions == set(Action), f"never taken: {set(Action) - actions}"
    assert sum(events[-1].to_status is Status.ARCHIVED for events in walks) > CASES // 5
    assert sum(len(events) for events in walks) > 12 * CASES


def test_replay_continues_from_a_known_state(walks) -> None:
    for events in walks[:100]:
        middle = len(events) // 2
        assert replay(events[middle:], start=replay(events[:middle])) == replay(events)
    events = walks[0]
    with pytest.raises(ReplayError, match="expected event #2"):
        replay(events[2:], start=replay(events[:1]))


def test_the_trail_survives_json(walks) -> None:
    for events in walks[:200]:
        records = json.loads(json.dumps([e.to_record() for e in events], ensure_ascii=False))
        again = [Event.from_record(r) for r in records]
        assert again == events and replay(again) == replay(events)


def test_replay_sorts_by_seq(walks) -> None:
    events = max(walks, key=len)
    assert replay(list(reversed(events))) == replay(events)


# ----------------------------------------------------------------------------------- tampered trails


def test_gap_in_the_trail(loop) -> None:
    events = loop.variants(Status.CLOSED)[0].events
    with pytest.raises(ReplayError, match=r"case AJ-1 event #4 \(arrive\): expected event #3; the trail has a gap"):
        replay([*events[:2], *events[3:]])


def test_event_recorded_with_a_role_the_table_does_not_allow(loop) -> None:
    events = list(loop.variants(Status.CLOSED)[0].events)
    events[1] = replace(events[1], role=Role.OFFICER)  # an officer "accepted" the case
    with pytest.raises(ReplayError, match=r"event #2 \(accept\): role officer may not accept"):
        replay(events)


def test_event_whose_recorded_statuses_disagree(loop) -> None:
    events = list(loop.variants(Status.VERIFIED)[0].events)
    events[-1] = replace(events[-1], to_status=Status.CLOSED)
    with pytest.raises(ReplayError, match="recorded handled → closed, the rules give handled → verified"):
        replay(events)


def test_event_that_breaks_a_guard(loop) -> None:
    walk = loop.variants(Status.VERIFIED)[0]
    forged = Event(walk.state.code, walk.state.seq + 1, walk.at, "op", Role.OPERATOR, Action.CLOSE,
                   Status.VERIFIED, Status.CLOSED)
    without_steps = [e for e in walk.events if e.action is not Action.COMPLETE_STEP]
    renumbered = [replace(e, seq=n) for n, e in enumerate([*without_steps, forged], start=1)]
    with pytest.raises(ReplayError, match=r"\(close\): cannot close case AJ-1: required steps of plan YA-04"):
        replay(renumbered)


def test_event_of_another_case(loop) -> None:
    events = list(loop.variants(Status.ACCEPTED)[0].events)
    events[1] = replace(events[1], case_code="AJ-2")
    with pytest.raises(ReplayError, match="belongs to another case than AJ-1"):
        replay(events)


def test_trail_must_start_with_a_report(loop) -> None:
    events = loop.variants(Status.ACCEPTED)[0].events
    with pytest.raises(ReplayError, match="there is no case yet, a case starts with report"):
        replay([replace(events[1], seq=1)])
