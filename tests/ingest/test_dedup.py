"""De-duplication: which reports join which open case, why, and how an operator splits them again (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ingest import dedup
from ingest.dedup import CaseReport, DedupRules, OpenCases, Window, assign, split, text_similarity

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
VENDOR = "凤山市场东门有卖水果的流动摊贩占道经营，影响通行"
VENDOR_AGAIN = "网格员巡查发现凤山市场东门卖水果的小贩占用人行道摆卖，已拍照取证。"


@pytest.fixture(scope="module")
def rules() -> DedupRules:
    return DedupRules.from_items()


def seconds(*minutes: float) -> np.ndarray:
    return np.array([int((T0 + timedelta(minutes=m)).timestamp()) for m in minutes], np.int64)


def batch(rules: DedupRules, rows: list[tuple[float, float, float, str, str | None]],
          open_cases: OpenCases | None = None) -> dedup.Decisions:
    """Assign reports given as (x, y, minutes after T0, item, text)."""
    x = [r[0] for r in rows]
    y = [r[1] for r in rows]
    t = seconds(*(r[2] for r in rows))
    return assign(x, y, t, [r[3] for r in rows], [r[4] for r in rows], open_cases or OpenCases(), rules)


# ------------------------------------------------------------------------------------------------ rules


def test_rules_come_from_the_items_catalogue(rules: DedupRules) -> None:
    assert rules.window("ZF001", "ZF001") == Window(150.0, 24 * 60.0)  # 市容环境, time limit 24 h
    assert rules.window("ZF012", "ZF012") == Window(500.0, 2 * 60.0)  # open burning: seen from far, 2 h
    assert rules.window("ZF001", "ZF002") == rules.window("ZF001", "ZF001")  # related: the case's window
    assert rules.window("ZF002", "ZF001") == rules.window("ZF002", "ZF002")
    assert rules.window("ZF001", "ZF017") is None  # 市容环境 and 规划建设 are not related
    assert rules.groups["ZF030"] == "市场监管" and rules.groups["ZF001"] == "市容环境"
    assert rules.largest.minutes == max(w.minutes for w in rules.windows.values())


def test_text_similarity_ignores_boilerplate_and_punctuation() -> None:
    plain = "凤山市场东门卖水果的小贩占道经营"
    assert text_similarity(plain, f"市民来电反映：{plain}，请相关部门尽快处理。") == pytest.approx(1.0)
    assert text_similarity("请尽快处理", plain) is None  # nothing but boilerplate
    assert text_similarity(None, plain) is None
    assert text_similarity(VENDOR, VENDOR_AGAIN) > text_similarity(VENDOR, "西山工地夜间施工噪音扰民")


def test_the_vectorised_similarity_is_the_scalar_one() -> None:
    stats = dedup.TextStats()
    texts = [VENDOR, VENDOR_AGAIN, "凤山市场北门卖衣服的摊贩占道摆摊", "西山工地夜间施工噪音扰民", "卖"]
    stats.add([dedup.normalise_text(t) for t in texts])
    normal = np.array([dedup.normalise_text(t) for t in texts], object)
    left, right = np.array([0, 0, 1, 2, 4]), np.array([1, 2, 3, 3, 0])
    many = dedup._similarities(normal, left, right, stats, dedup.PARTIAL_SHARE)
    one = [text_similarity(texts[a], texts[b], stats) for a, b in zip(left, right, strict=True)]
    assert many == pytest.approx(one)


# ----------------------------------------------------------------------------------------------- assign


def test_a_later_report_of_the_same_problem_joins_the_case_the_first_opens(rules: DedupRules) -> None:
    decisions = batch(rules, [(616000.0, 2736000.0, 0, "ZF001", VENDOR),
                              (616020.0, 2736010.0, 30, "ZF001", VENDOR_AGAIN)])
    assert decisions.opens.tolist() == [True, False]
    assert decisions.opener[1] == 0 and decisions.case_id[1] == -1
    link = decisions.links[1]
    assert link.distance_m == pytest.approx(22.4, abs=0.1)
    assert link.minutes == 30.0 and link.same_item
    assert 0.5 < link.text_similarity <= 1.0 and link.score >= rules.min_score
    assert link.to_dict()["rule"] == "duplicate"
    assert decisions.case_ids([901]).tolist() == [901, 901]


def test_reports_arrive_in_any_order_and_the_earliest_opens(rules: DedupRules) -> None:
    decisions = batch(rules, [(616020.0, 2736010.0, 30, "ZF001", VENDOR_AGAIN),
                              (616000.0, 2736000.0, 0, "ZF001", VENDOR)])
    assert decisions.opens.tolist() == [False, True]
    assert decisions.opener[0] == 1


@pytest.mark.parametrize("second, joins", [
    ((616020.0, 2736010.0, 30, "ZF002", VENDOR_AGAIN), True),           # related item (same domain)
    ((616020.0, 2736010.0, 30, "ZF017", VENDOR_AGAIN), False),          # unrelated item
    ((616000.0, 2736160.0, 30, "ZF001", VENDOR_AGAIN), False),          # 160 m: beyond 150 m
    ((616020.0, 2736010.0, 24 * 60 + 5, "ZF001", VENDOR_AGAIN), False),  # beyond the 24 h time limit
    ((616020.0, 2736010.0, 30, "ZF001", "西山工地夜间施工噪音扰民，打桩机"), False),  # another story
    ((616020.0, 2736010.0, 30, "ZF001", None), True),                    # no text: same item, very close
    ((616000.0, 2736100.0, 30, "ZF001", None), False),                   # no text and 100 m: not close enough
])
def test_place_time_category_and_text_all_decide(rules: DedupRules, second: tuple, joins: bool) -> None:
    decisions = batch(rules, [(616000.0, 2736000.0, 0, "ZF001", VENDOR), second])
    assert bool(decisions.opens[1]) is not joins
    if joins:
        assert decisions.links[1].same_item is (second[3] == "ZF001")


def test_a_problem_reported_again_and_again_stays_one_case(rules: DedupRules) -> None:
    """The time window counts from the case's latest report: 20 h, 40 h, 60 h after the first all join."""
    rows = [(616000.0 + 5 * k, 2736000.0, 20 * 60 * k, "ZF001", VENDOR) for k in range(4)]
    decisions = batch(rules, rows)
    assert decisions.opens.tolist() == [True, False, False, False]
    assert [link.minutes for link in decisions.links[1:]] == [1200.0, 1200.0, 1200.0]


def test_an_open_case_from_before_the_batch_is_joined_and_its_latest_report_moves(rules: DedupRules) -> None:
    cases = OpenCases()
    cases.add([41, 42], [616000.0, 620000.0], [2736000.0, 2736000.0], seconds(0, 0), ["ZF001", "ZF001"],
              [VENDOR, VENDOR])
    decisions = batch(rules, [(616010.0, 2736005.0, 90, "ZF001", VENDOR_AGAIN)], cases)
    assert not decisions.opens[0] and decisions.case_id[0] == 41
    assert decisions.case_ids([]).tolist() == [41]
    assert decisions.latest == {41: int(seconds(90)[0])}
    cases.touch(decisions.latest)
    assert cases.t[0] == seconds(90)[0] and cases.t[1] == seconds(0)[0]
    cases.remove([41])
    assert 41 not in cases and 42 in cases and len(cases) == 1


def test_the_best_case_wins_when_several_qualify(rules: DedupRules) -> None:
    cases = OpenCases()
    cases.add([7, 8], [616000.0, 616100.0], [2736000.0, 2736000.0], seconds(0, 0), ["ZF001", "ZF001"],
              ["凤山市场北门卖衣服的摊贩占道摆摊", VENDOR])
    decisions = batch(rules, [(616090.0, 2736000.0, 10, "ZF001", VENDOR_AGAIN)], cases)
    assert decisions.case_id[0] == 8


def test_two_sides_of_a_place_named_apart_cost_score(rules: DedupRules) -> None:
    east, north, vague = "凤山市场东门卖水果的小贩占道经营", "凤山市场北侧卖水果的小贩占道经营", "凤山市场门口卖水果的小贩占道经营"
    anything = replace(rules, min_score=0.0)  # every candidate joins: compare the scores

    def score(first: str, second: str, penalty: float) -> float:
        decisions = batch(replace(anything, side_penalty=penalty),
                          [(616000.0, 2736000.0, 0, "ZF001", first), (616010.0, 2736000.0, 5, "ZF001", second)])
        return decisions.links[1].score

    assert score(east, north, rules.side_penalty) == pytest.approx(score(east, north, 0.0) - rules.side_penalty)
    assert score(east, vague, rules.side_penalty) == pytest.approx(score(east, vague, 0.0))  # 门口 is no side
    assert dedup.positions(dedup.normalise_text(east)) == frozenset({"东门"})


def test_the_grid_search_finds_every_pair_a_brute_force_finds(rules: DedupRules) -> None:
    rng = np.random.default_rng(4)
    n = 400
    x = rng.uniform(616000, 617500, n)
    y = rng.uniform(2736000, 2737500, n)
    t = seconds(*rng.uniform(0, 3 * 24 * 60, n))
    items = rng.choice(["ZF001", "ZF002", "ZF013", "ZF023"], n).astype(object)
    rank = np.empty(n, np.int64)
    rank[np.argsort(t, kind="stable")] = np.arange(n)
    query, target, item_ids, window_d, window_m = dedup._candidate_pairs(x, y, t, items, OpenCases(), rules, rank)
    found = set(zip(query.tolist(), (target - 0).tolist(), strict=True))
    expected = set()
    for q in range(n):
        for j in range(n):
            window = rules.window(items[j], items[q])
            if rank[j] >= rank[q] or window is None:
                continue
            if (np.hypot(x[q] - x[j], y[q] - y[j]) <= window.distance_m
                    and abs(t[q] - t[j]) <= 2 * window.minutes * 60):
                expected.add((q, j))
    assert found == expected and len(expected) > 50


def test_an_empty_batch_decides_nothing_and_a_lone_report_opens(rules: DedupRules) -> None:
    decisions = assign([], [], [], [], [], OpenCases(), rules)
    assert len(decisions.opens) == 0 and decisions.attached == 0
    alone = batch(rules, [(616000.0, 2736000.0, 7, "ZF001", VENDOR)])
    assert alone.opens.tolist() == [True] and alone.new_latest.tolist() == seconds(7).tolist()


# ------------------------------------------------------------------------------------------------ split


def test_split_moves_the_named_reports_to_a_new_case_opened_by_the_earliest() -> None:
    reports = [CaseReport(1, T0, True), CaseReport(2, T0 + timedelta(minutes=5)),
               CaseReport(3, T0 + timedelta(minutes=3))]
    result = split(reports, [2, 3])
    assert result.moving == (3, 2) and result.opener == 3 and result.staying == (1,)
    assert split(reports, [1]).staying == (2, 3)  # the opening report may leave too


@pytest.mark.parametrize("ids, message", [([], "name the report"), ([9], "not reports of this case"),
                                          ([1, 2], "at least one must stay")])
def test_split_refuses_what_cannot_be_split(ids: list[int], message: str) -> None:
    reports = [CaseReport(1, T0, True), CaseReport(2, T0)]
    with pytest.raises(ValueError, match=message):
        split(reports, ids)
