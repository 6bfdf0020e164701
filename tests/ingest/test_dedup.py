"""De-duplication: which reports join which open case, why, and how an operator splits them again (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ingest import dedup
from ingest.dedup import (
    CaseReport,
    DedupRules,
    OpenCases,
    Sighting,
    TextStats,
    Window,
    assign,
    split,
    text_difference,
    text_similarity,
)

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
VENDOR = "凤山市场东门有卖水果的流动摊贩占道经营，影响通行"
VENDOR_AGAIN = "网格员巡查发现凤山市场东门卖水果的小贩占用人行道摆卖，已拍照取证。"


@pytest.fixture(scope="module")
def rules() -> DedupRules:
    return DedupRules.from_items()


def seconds(*minutes: float) -> np.ndarray:
    return np.array([int((T0 + timedelta(minutes=m)).timestamp()) for m in minutes], np.int64)


def learned(pairs: list[tuple[str, str]]) -> TextStats:
    """Text statistics that have counted and learned from these pairs of texts of one problem."""
    stats = TextStats()
    normal = [(dedup.normalise_text(a), dedup.normalise_text(b)) for a, b in pairs]
    stats.add([text for pair in normal for text in pair])
    stats.learn(normal)
    return stats


MARKET_PAIRS = [  # one vendor each, reported twice in other words: the goods and the place stay
    (f"{place}市场{side}{goods}{how}", f"{place}市场{side}{goods}{other}")
    for place in ("凤山", "禾山", "田洋", "新塘")
    for side, goods in (("东门", "卖衣服的"), ("北侧", "卖蔬菜的"), ("南门", "卖海鲜的"))
    for how, other in (("占道经营", "小贩占用人行道摆卖"), ("摊贩占道摆摊", "占道经营堵住通道"))
]
WORDING = learned(MARKET_PAIRS)
"""What a pipeline has learned after a while of vendors' reports (the tests below do not change it)."""


def batch(rules: DedupRules, rows: list[tuple[float, float, float, str, str | None]],
          open_cases: OpenCases | None = None, stats: TextStats | None = WORDING,
          spread: list[float] | None = None) -> dedup.Decisions:
    """Assign reports given as (x, y, minutes after T0, item, text), with the wording learned so far."""
    x = [r[0] for r in rows]
    y = [r[1] for r in rows]
    t = seconds(*(r[2] for r in rows))
    return assign(x, y, t, [r[3] for r in rows], [r[4] for r in rows], open_cases or OpenCases(), rules, stats,
                  spread=spread)


# ------------------------------------------------------------------------------------------------ rules


def test_rules_come_from_the_items_catalogue(rules: DedupRules) -> None:
    assert rules.window("ZF001", "ZF001") == Window(150.0, 24 * 60.0 * dedup.TIME_FACTOR)  # time limit 24 h
    assert rules.window("ZF012", "ZF012") == Window(500.0, 2 * 60.0 * dedup.TIME_FACTOR)  # burning: far, 2 h
    assert rules.window("ZF001", "ZF002") == rules.window("ZF001", "ZF001")  # related: the case's window
    assert rules.window("ZF002", "ZF001") == rules.window("ZF002", "ZF002")
    assert rules.window("ZF001", "ZF030") is not None  # one food vendor, 市容环境 or 市场监管: related anyway
    assert rules.window("ZF001", "ZF005") is None  # a vendor and flyposting share a domain, not a problem
    assert rules.window("ZF001", "ZF017") is None
    assert rules.related["ZF030"] == {"ZF001", "ZF002", "ZF003"}  # made symmetric
    assert rules.largest.minutes == max(w.minutes for w in rules.windows.values())
    assert DedupRules.from_items(time_factor=1.0).window("ZF001", "ZF001") == Window(150.0, 24 * 60.0)


def test_the_window_tables_are_the_windows(rules: DedupRules) -> None:
    vocabulary = ["ZF001", "ZF030", "ZF005", "ZF023", "ZF024"]
    distance, minutes, groups = rules.tables(vocabulary)
    for a, first in enumerate(vocabulary):
        for b, second in enumerate(vocabulary):
            window = rules.window(first, second)
            assert np.isnan(distance[a, b]) if window is None else distance[a, b] == window.distance_m
            assert np.isnan(minutes[a, b]) if window is None else minutes[a, b] == window.minutes
    assert groups[0] == groups[1] and groups[3] == groups[4] and len({groups[0], groups[2], groups[3]}) == 3
    unknown = rules.tables(["ZF001", "XX999"])  # an item the catalogue does not know: its own, default window
    assert unknown[0][1, 1] == rules.default_window.distance_m and np.isnan(unknown[0][0, 1])


def test_location_spread_follows_the_geocoders_match_level() -> None:
    spread = dedup.location_spread([None, "point", "poi", "number", "community", "something new"])
    assert spread.tolist() == [0.0, 0.0, dedup.SPREAD_M["poi"], dedup.SPREAD_M["number"],
                               dedup.SPREAD_M["community"], dedup.SPREAD_M["road"]]


# ------------------------------------------------------------------------------------------------- text


def test_text_similarity_ignores_boilerplate_and_punctuation() -> None:
    plain = "凤山市场东门卖水果的小贩占道经营"
    assert text_similarity(plain, f"市民来电反映：{plain}，请相关部门尽快处理。") == pytest.approx(1.0)
    assert text_difference(plain, f"市民来电反映：{plain}") == 0.0
    assert text_similarity("请尽快处理", plain) is None  # nothing but boilerplate
    assert text_similarity(None, plain) is None and text_difference(plain, None) is None
    assert text_similarity(VENDOR, VENDOR_AGAIN) > text_similarity(VENDOR, "西山工地夜间施工噪音扰民")


def test_learning_tells_the_words_that_name_a_problem_from_how_it_is_worded() -> None:
    stats = learned(MARKET_PAIRS)
    assert stats.stability("凤山") > 0.8 and stats.stability("衣服") >= 0.85  # place and goods stay
    assert stats.stability("摆卖") < 0.3 and stats.stability("人行") < 0.3  # the wording varies
    assert stats.stability("东门") == 0.5  # sides are left out: the pairs were chosen for naming the same one
    assert stats.stable(["衣服", "摆卖", "没见过"]).tolist() == [True, False, False]
    untaught = TextStats()
    untaught.add([dedup.normalise_text(text) for pair in MARKET_PAIRS for text in pair])  # counted, not taught
    assert stats.weight("摆卖") < untaught.weight("摆卖") / 2  # wording counts for less once learned
    a, b = "禾山市场东门卖衣服的小贩占用人行道摆卖", "禾山市场东门卖衣服的摊贩占道摆摊"
    assert text_similarity(a, b, stats) > text_similarity(a, b, untaught) + 0.1


def test_what_is_known_of_wording_before_learning_and_after_a_replay(rules: DedupRules) -> None:
    """Weighing every bigram alike, two wordings of one vendor look too different. A fresh pipeline knows the
    catalogue's category words, replays the stored reports (:func:`dedup.replay`), and learns as it goes
    (:attr:`Decisions.learning`)."""
    rows = [(616000.0, 2736000.0, 0, "ZF001", VENDOR), (616020.0, 2736010.0, 30, "ZF001", VENDOR_AGAIN)]
    assert batch(rules, rows, stats=None).opens.tolist() == [True, True]
    fresh = TextStats.from_catalogue()  # what a pipeline starts with: the catalogue's category words count less
    assert fresh.stability("摊贩") < 0.25 and fresh.stability("水果") == 0.5  # 流动摊贩: a category wording
    fresh.add([dedup.normalise_text(VENDOR), dedup.normalise_text(VENDOR_AGAIN)])
    assert batch(rules, rows, stats=fresh).opens.tolist() == [True, False]
    stored = [text for pair in MARKET_PAIRS for text in pair]
    replayed = TextStats()
    dedup.replay(replayed, stored, ["ZF001"] * len(stored), [k // 2 for k in range(len(stored))])
    assert replayed.kept == WORDING.kept and replayed.varied == WORDING.varied  # one pair per case
    assert batch(rules, rows, stats=replayed).opens.tolist() == [True, False]
    other_item = TextStats()
    dedup.replay(other_item, stored, ["ZF001", "ZF002"] * (len(stored) // 2), [k // 2 for k in range(len(stored))])
    assert other_item.kept == {} and other_item.documents == len(stored)  # counted, nothing to learn from


def test_text_difference_is_what_each_names_and_the_other_does_not() -> None:
    stats = learned(MARKET_PAIRS)
    clothes, vegetables = "田洋市场门口卖衣服的占道经营", "田洋市场门口卖蔬菜的小贩占用人行道摆卖"
    silent = "田洋市场门口小贩占用人行道摆卖"  # names no goods: it leaves something out, contradicts nothing
    assert text_difference(clothes, vegetables, stats) > 0.15
    assert text_difference(clothes, silent, stats) == pytest.approx(0.0, abs=0.02)
    assert text_difference(clothes, vegetables) == 0.0  # nothing learned: no word is known to stay


def test_the_vectorised_comparison_is_the_scalar_one() -> None:
    stats = learned(MARKET_PAIRS)
    texts = [VENDOR, VENDOR_AGAIN, "凤山市场北门卖衣服的摊贩占道摆摊", "西山工地夜间施工噪音扰民", "卖",
             "田洋市场门口卖衣服的占道经营", "田洋市场门口卖蔬菜的小贩占用人行道摆卖"]
    stats.add([dedup.normalise_text(t) for t in texts])
    normal = np.array([dedup.normalise_text(t) for t in texts], object)
    left, right = np.array([0, 0, 1, 2, 4, 5, 6]), np.array([1, 2, 3, 3, 0, 6, 2])
    similarity, difference = dedup._compare(normal, left, right, stats)
    pairs = list(zip(left.tolist(), right.tolist(), strict=True))
    assert similarity == pytest.approx([text_similarity(texts[a], texts[b], stats) for a, b in pairs])
    assert difference == pytest.approx([text_difference(texts[a], texts[b], stats) for a, b in pairs])
    assert difference.max() > 0.1


def test_sides_are_the_sides_a_text_names_not_names_of_places() -> None:
    assert dedup.positions("凤山市场东门卖水果的") == frozenset({"东门"})
    assert dedup.positions("地铁4号线北门站东侧共享单车") == frozenset({"东侧"})  # 北门站 is a station
    assert dedup.positions("西山中学对面摩的") == frozenset({"对面"})
    assert dedup.positions("凤山市场门口附近旁边") == frozenset()  # no side in particular


# ----------------------------------------------------------------------------------------------- assign


def test_a_later_report_of_the_same_problem_joins_the_case_the_first_opens(rules: DedupRules) -> None:
    decisions = batch(rules, [(616000.0, 2736000.0, 0, "ZF001", VENDOR),
                              (616020.0, 2736010.0, 30, "ZF001", VENDOR_AGAIN)])
    assert decisions.opens.tolist() == [True, False]
    assert decisions.opener[1] == 0 and decisions.case_id[1] == -1
    link = decisions.links[1]
    assert link.distance_m == pytest.approx(22.4, abs=0.1) and link.spread_m == 0.0
    assert link.minutes == 30.0 and link.same_item and not link.sides_differ
    assert 0.4 < link.text_similarity <= 1.0 and link.text_difference == 0.0 and link.score >= rules.min_score
    assert link.to_dict()["rule"] == "duplicate" and set(link.to_dict()) >= {"text_difference", "spread_m"}
    assert decisions.case_ids([901]).tolist() == [901, 901]
    assert decisions.learning == [(1, dedup.normalise_text(VENDOR))]  # same item, both name 东门: learn


def test_reports_arrive_in_any_order_and_the_earliest_opens(rules: DedupRules) -> None:
    decisions = batch(rules, [(616020.0, 2736010.0, 30, "ZF001", VENDOR_AGAIN),
                              (616000.0, 2736000.0, 0, "ZF001", VENDOR)])
    assert decisions.opens.tolist() == [False, True]
    assert decisions.opener[0] == 1


DAY_AND_A_HALF = 24 * 60 * dedup.TIME_FACTOR


@pytest.mark.parametrize("second, joins", [
    ((616020.0, 2736010.0, 30, "ZF002", "巡查发现凤山市场东门卖水果的流动摊贩占道经营"), True),  # related item
    ((616020.0, 2736010.0, 30, "ZF005", VENDOR_AGAIN), False),          # same domain, not related
    ((616020.0, 2736010.0, 30, "ZF017", VENDOR_AGAIN), False),          # unrelated item
    ((616000.0, 2736160.0, 30, "ZF001", VENDOR_AGAIN), False),          # 160 m: beyond 150 m
    ((616020.0, 2736010.0, 24 * 60 + 5, "ZF001", VENDOR_AGAIN), True),  # past the 24 h time limit: overdue
    ((616020.0, 2736010.0, DAY_AND_A_HALF + 5, "ZF001", VENDOR_AGAIN), False),  # beyond 1.5 × the time limit
    ((616020.0, 2736010.0, 30, "ZF001", "西山工地夜间施工噪音扰民，打桩机"), False),  # another story
    ((616020.0, 2736010.0, 30, "ZF001", "凤山市场北侧卖水果的小贩占用人行道摆卖"), False),  # another side
    ((616020.0, 2736010.0, 30, "ZF001", None), True),                    # no text: same item, very close
    ((616000.0, 2736100.0, 30, "ZF001", None), False),                   # no text and 100 m: not close enough
])
def test_place_time_category_and_text_all_decide(rules: DedupRules, second: tuple, joins: bool) -> None:
    decisions = batch(rules, [(616000.0, 2736000.0, 0, "ZF001", VENDOR), second])
    assert bool(decisions.opens[1]) is not joins
    if joins:
        assert decisions.links[1].same_item is (second[3] == "ZF001")


def test_a_geocoded_address_widens_the_distance_window_by_its_spread(rules: DedupRules) -> None:
    """A village address the geocoder could only put at the village's centre, 600 m from the vendor."""
    rows = [(616000.0, 2736000.0, 0, "ZF001", VENDOR), (616600.0, 2736000.0, 30, "ZF001", VENDOR_AGAIN)]
    assert batch(rules, rows, spread=[0.0, 0.0]).opens.tolist() == [True, True]
    decisions = batch(rules, rows, spread=[0.0, dedup.SPREAD_M["community"]])
    assert decisions.opens.tolist() == [True, False]
    assert decisions.links[1].spread_m == dedup.SPREAD_M["community"]
    cases = OpenCases()  # the spread of a case's opening position counts as well
    cases.add([5], [616600.0], [2736000.0], seconds(0), ["ZF001"], [VENDOR], spread=[dedup.SPREAD_M["community"]])
    assert batch(rules, [(616000.0, 2736000.0, 30, "ZF001", VENDOR_AGAIN)], cases).case_id.tolist() == [5]


def test_what_a_text_names_differently_costs_score(rules: DedupRules) -> None:
    stats = learned(MARKET_PAIRS)
    clothes, vegetables = "田洋市场门口卖衣服的占道经营", "田洋市场门口卖蔬菜的小贩占用人行道摆卖"
    anything = replace(rules, min_score=0.0)

    def link(penalty: float) -> dedup.Link:
        decisions = batch(replace(anything, difference_penalty=penalty), [
            (616000.0, 2736000.0, 0, "ZF001", clothes), (616005.0, 2736000.0, 5, "ZF001", vegetables)], stats=stats)
        return decisions.links[1]

    with_penalty, without = link(rules.difference_penalty), link(0.0)
    assert with_penalty.text_difference > 0.15
    assert with_penalty.score == pytest.approx(without.score - rules.difference_penalty * without.text_difference,
                                               abs=2e-3)


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
    assert 41 not in cases and 42 in cases and len(cases) == 1 and len(cases.spread) == 1


def test_the_best_case_wins_when_several_qualify(rules: DedupRules) -> None:
    cases = OpenCases()
    cases.add([7, 8], [616000.0, 616100.0], [2736000.0, 2736000.0], seconds(0, 0), ["ZF001", "ZF001"],
              ["凤山市场北门卖衣服的摊贩占道摆摊", VENDOR])
    decisions = batch(rules, [(616090.0, 2736000.0, 10, "ZF001", VENDOR_AGAIN)], cases)
    assert decisions.case_id[0] == 8


def test_two_sides_of_a_place_named_apart_cost_score(rules: DedupRules) -> None:
    east, north, vague = "凤山市场东门卖水果的小贩占道经营", "凤山市场北侧卖水果的小贩占道经营", "凤山市场门口卖水果的小贩占道经营"
    anything = replace(rules, min_score=0.0)  # every candidate joins: compare the scores

    def link(first: str, second: str, penalty: float) -> dedup.Link:
        decisions = batch(replace(anything, side_penalty=penalty),
                          [(616000.0, 2736000.0, 0, "ZF001", first), (616010.0, 2736000.0, 5, "ZF001", second)])
        return decisions.links[1]

    assert link(east, north, rules.side_penalty).sides_differ
    assert link(east, north, rules.side_penalty).score == pytest.approx(
        link(east, north, 0.0).score - rules.side_penalty)
    assert link(east, vague, rules.side_penalty).score == pytest.approx(link(east, vague, 0.0).score)  # 门口: no side
    assert not link(east, vague, rules.side_penalty).sides_differ


def test_judge_names_the_first_rule_that_keeps_a_report_from_a_case(rules: DedupRules) -> None:
    case = Sighting(616000.0, 2736000.0, int(seconds(0)[0]), "ZF001", dedup.normalise_text(VENDOR))
    again = dedup.normalise_text(VENDOR_AGAIN)

    def report(dx: float = 20.0, minutes: float = 30, item: str = "ZF001", text: str = again,
               spread: float = 0.0) -> Sighting:
        return Sighting(616000.0 + dx, 2736000.0, int(seconds(minutes)[0]), item, text, spread)

    def judge(report: Sighting) -> dedup.Judgement:
        return rules.judge(case, report, WORDING)

    assert judge(report()).joins and judge(report()).link.distance_m == 20.0
    assert not rules.judge(case, report()).joins  # nothing learned yet: the wordings differ too much
    assert judge(report(item="ZF017")).reason == "items not related"
    assert judge(report(dx=400)).reason == "too far"
    assert judge(report(dx=400, spread=dedup.SPREAD_M["community"])).joins
    assert judge(report(minutes=3 * 24 * 60)).reason == "too late"
    assert judge(report(dx=100, text="")).reason == "no text and not close enough"
    assert judge(report(text=dedup.normalise_text("西山工地夜间施工噪音扰民"))).reason == "score below the least score"


def test_judge_agrees_with_assign(rules: DedupRules) -> None:
    """For a report and one open case, the judgement is the decision."""
    rng = np.random.default_rng(7)
    texts = [VENDOR, VENDOR_AGAIN, "凤山市场北侧卖衣服的小贩占用人行道摆卖", "凤山市场卖水果的摊贩占道摆摊", None]
    stats = learned(MARKET_PAIRS)
    for _ in range(60):
        case_text, report_text = rng.choice(len(texts), 2)
        item = str(rng.choice(["ZF001", "ZF002", "ZF005"]))
        dx, minutes, spread = float(rng.uniform(0, 260)), float(rng.uniform(0, 3000)), float(rng.choice([0, 80]))
        cases = OpenCases()
        cases.add([3], [616000.0], [2736000.0], seconds(0), ["ZF001"], [texts[case_text]])
        decisions = batch(rules, [(616000.0 + dx, 2736000.0, minutes, item, texts[report_text])], cases, stats,
                          spread=[spread])
        judgement = rules.judge(
            Sighting(616000.0, 2736000.0, int(seconds(0)[0]), "ZF001", dedup.normalise_text(texts[case_text])),
            Sighting(616000.0 + dx, 2736000.0, int(seconds(minutes)[0]), item, dedup.normalise_text(texts[report_text]),
                     spread), stats)
        assert judgement.joins is (not decisions.opens[0]), judgement
        if judgement.joins:
            assert judgement.link == decisions.links[0]


def test_the_grid_search_finds_every_pair_a_brute_force_finds(rules: DedupRules) -> None:
    rng = np.random.default_rng(4)
    n = 400
    x = rng.uniform(616000, 619000, n)
    y = rng.uniform(2736000, 2739000, n)
    t = seconds(*rng.uniform(0, 3 * 24 * 60, n))
    items = rng.choice(["ZF001", "ZF002", "ZF030", "ZF013", "ZF023", "ZF005"], n).astype(object)
    spread = rng.choice([0.0, 40.0, 80.0, 1000.0], n, p=[0.6, 0.2, 0.15, 0.05])
    rank = np.empty(n, np.int64)
    rank[np.argsort(t, kind="stable")] = np.arange(n)
    query, target, *_ = dedup._candidate_pairs(x, y, t, items, OpenCases(), rules, rank, spread)
    found = list(zip(query.tolist(), target.tolist(), strict=True))
    expected = set()
    for q in range(n):
        for j in range(n):
            window = rules.window(items[j], items[q])
            if rank[j] >= rank[q] or window is None:
                continue
            if (np.hypot(x[q] - x[j], y[q] - y[j]) <= window.distance_m + spread[q] + spread[j]
                    and abs(t[q] - t[j]) <= 2 * window.minutes * 60):
                expected.add((q, j))
    assert set(found) == expected and len(found) == len(expected)  # each pair once
    assert any(spread[q] > dedup.WIDE_SPREAD_M or spread[j] > dedup.WIDE_SPREAD_M for q, j in expected)
    assert len(expected) > 50


def test_an_empty_batch_decides_nothing_and_a_lone_report_opens(rules: DedupRules) -> None:
    decisions = assign([], [], [], [], [], OpenCases(), rules)
    assert len(decisions.opens) == 0 and decisions.attached == 0
    alone = batch(rules, [(616000.0, 2736000.0, 7, "ZF001", VENDOR)])
    assert alone.opens.tolist() == [True] and alone.new_latest.tolist() == seconds(7).tolist()
    assert alone.learning == []


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
