"""De-duplication across channels: many reports of one problem become one case (一件事).

A street vendor at a market gate can produce a 12345 call, a grid worker's photo and a patrol finding
within the hour. A new report joins an *open* case when all of these hold:

- **place** — it lies within the case's distance window (metres, from the report that opened the case);
- **time** — it arrived within the case's time window of the case's latest report: a problem that keeps
  being reported stays one case while it is open. The window is the item's time limit
  (``time_limit_hours`` of items.yaml, 2 h for open burning … 5 days for pricing): a report that comes
  within the time the item may take to handle concerns the case that is (or should be) being handled;
- **category** — the same enforcement item, or a *related* one: items of the same domain (执法领域) of
  ``data/sources/items.yaml`` (店外经营 and 占道经营 are both 市容环境), with the case's item's windows;
- **text** — the descriptions say the same thing (:func:`text_similarity`): channel boilerplate removed,
  half rapidfuzz's partial ratio (the best-aligned stretch: ``东门卖水果的`` in both) and the cosine
  of character bigrams weighted by how rare they are among recent reports (:class:`TextStats`: a shared
  ``卖海鲜`` counts, a shared ``占道经营`` hardly). A report without a description joins only the same
  item, within half of both windows.

Distances are per item (:data:`DISTANCE_M`, else per domain :data:`DOMAIN_DISTANCE_M`): a street vendor is
reported within ~150 m, a parked car within 80 m; smoke and noise are noticed from several hundred metres.
Among the cases that qualify the report joins the one with the best score — text 70 %, closeness 20 %,
recency 10 %, less 0.05 for a related rather than the same item and 0.1 when the texts name different
sides of a place (东门 and 北侧) — and only when that score reaches :data:`MIN_SCORE`. Every link records
why: distance in metres, minutes, text similarity and the score (:class:`Link`), and an operator can split
reports off again (:func:`split`). ``python bench/dedup_quality.py`` measures precision and recall, and
prints what other least scores would give.

The search is vectorised: per related group, the open cases and the new reports are bucketed on a grid of
(x, y, time) whose step is the group's largest window, so each report is compared only with what lies in
its own and the 26 neighbouring buckets; only the pairs that survive the distance, time and category tests
have their texts compared (vectorised: rapidfuzz ``cpdist``, a sparse bigram matrix). Reports of one batch
are then taken in arrival order, so a later report may join a case an earlier report of the same batch
opened or joined.

>>> rules = DedupRules.from_items()
>>> rules.window("ZF004", "ZF001"), rules.window("ZF001", "ZF017") is None
(Window(distance_m=100.0, minutes=4320.0), True)
>>> round(text_similarity("凤山市场东门有卖水果的流动摊贩占道经营", "巡查发现凤山市场东门卖水果的小贩占用人行道摆卖"), 2)
0.62

Pure: arrays in, decisions out; the pipeline loads the open cases from the store and writes the links.

Notes
-----
Positions are metric (EPSG:4548 metres) and times are seconds since the epoch (UTC); the caller converts.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from numpy.typing import NDArray
from rapidfuzz import fuzz, process
from scipy import sparse

from ingest.categories import ITEMS_YAML


@dataclass(frozen=True)
class Window:
    """How near (metres) and how soon (minutes) a report must be to join a case."""

    distance_m: float
    minutes: float


DOMAIN_DISTANCE_M: Final[Mapping[str, float]] = {
    "市容环境": 150.0,   # street trading, stalls, piles: within a block
    "生态环境": 300.0,   # smoke, fumes, noise, dust: noticed from further away
    "规划建设": 150.0,   # a building site, a dug-up pavement
    "交通": 80.0,        # a parked car, a row of bikes: precise
    "自然资源": 400.0,   # land, sand, forest: large sites
    "市场监管": 100.0,   # a shop or a stall
    "安全生产": 120.0,
    "公安": 200.0,
}
"""How far apart two reports of one problem may be, by the item's domain …"""
DISTANCE_M: Final[Mapping[str, float]] = {
    "ZF004": 100.0, "ZF006": 100.0, "ZF007": 100.0, "ZF008": 120.0, "ZF011": 200.0, "ZF012": 500.0,
    "ZF014": 200.0, "ZF019": 500.0, "ZF022": 100.0, "ZF028": 80.0, "ZF032": 80.0, "ZF036": 150.0, "ZF038": 300.0,
    "ZF039": 80.0, "ZF040": 100.0, "ZF042": 60.0,
}
"""… or for the items whose problem carries differently from the rest of their domain: fixed installations
(advertising, signs, ground locks) are reported from where they are; burning, spoil trucks and unlicensed
taxis are seen from far."""
DEFAULT_WINDOW: Final = Window(100.0, 1440.0)
"""The window of an item the catalogue does not know."""

PARTIAL_SHARE: Final = 0.5
"""Text similarity = this share of the partial ratio + the rest of the weighted bigram cosine."""
MIN_SCORE: Final = 0.64
"""Least score for a report to join a case (see :data:`WEIGHTS`)."""
WEIGHTS: Final = (0.7, 0.2, 0.1)
"""Score = text similarity, closeness (1 − distance / window), recency (1 − minutes / window) …"""
RELATED_PENALTY: Final = 0.05
"""… less this when the case's item is a related one rather than the report's own …"""
SIDE_PENALTY: Final = 0.1
"""… and less this when both texts name a side of the place and no side in common (东门 and 北侧: two spots)."""

BOILERPLATE: Final = (
    "市民来电反映", "市民来电", "来电人称", "来电反映", "有群众反映", "群众反映", "市民反映", "报警人称", "网格员巡查发现",
    "巡查中发现", "巡查发现", "已拍照取证", "现场已拍照", "请相关部门尽快处理", "请执法队处置", "希望尽快处理",
    "请尽快处理", "属非警务类事项", "转综合执法处理", "110转办", "12345转办", "已多次反映", "影响周边居民生活",
    "影响市容", "存在安全隐患", "影响通行",
)
"""Channel wording that says nothing about the problem; removed before texts are compared."""

_PUNCTUATION = re.compile(r"[\W_]+")
_POSITION = re.compile(r"[东西南北]{1,2}(?:门|侧|面|角|边|口)|后门|前门")
_BOILERPLATE = re.compile("|".join(sorted(map(re.escape, BOILERPLATE), key=len, reverse=True)))
_NEW = -1


def normalise_text(text: str | None) -> str:
    """A description as compared: NFKC, channel boilerplate and punctuation removed, lower case."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _BOILERPLATE.sub("", text)
    return _PUNCTUATION.sub("", text).lower()


def positions(text: str) -> frozenset[str]:
    """The sides of a place a text names (方位: 东门, 北侧, 西南角, 后门 …)."""
    return frozenset(_POSITION.findall(text))


def bigrams(text: str) -> list[str]:
    """``"凤山市场"`` → ``["凤山", "山市", "市场"]``: Chinese has no spaces, so overlapping bigrams stand in for words."""
    if len(text) < 2:
        return [text] if text else []
    return [text[i:i + 2] for i in range(len(text) - 1)]


class TextStats:
    """How many texts contain each bigram, so that common wording weighs less than what is particular.

    The pipeline adds every report's normalised description as it comes; with few texts the weights are
    nearly uniform (smoothed inverse document frequency, ``log((1 + n) / (1 + df)) + 1``).
    """

    def __init__(self) -> None:
        self.documents = 0
        self.frequency: dict[str, int] = {}

    def add(self, texts: Sequence[str]) -> None:
        """Count normalised texts (see :func:`normalise_text`)."""
        frequency = self.frequency
        for text in texts:
            for gram in set(bigrams(text)):
                frequency[gram] = frequency.get(gram, 0) + 1
        self.documents += len(texts)

    def weight(self, gram: str) -> float:
        return float(np.log((1 + self.documents) / (1 + self.frequency.get(gram, 0))) + 1.0)

    def weights(self, grams: Sequence[str]) -> np.ndarray:
        """:meth:`weight` of many bigrams at once."""
        frequency = self.frequency
        df = np.fromiter((frequency.get(g, 0) for g in grams), float, len(grams))
        return np.log((1 + self.documents) / (1 + df)) + 1.0


def text_similarity(a: str | None, b: str | None, stats: TextStats | None = None,
                    partial_share: float | None = None) -> float | None:
    """How alike two descriptions are, 0–1 (None when either says nothing once boilerplate is removed).

    A share (:data:`PARTIAL_SHARE`) of rapidfuzz's partial ratio plus the rest of the weighted bigram cosine
    (see the module docstring); ``stats`` gives the weights (uniform without).
    """
    first, second = normalise_text(a), normalise_text(b)
    if not first or not second:
        return None
    vectors = _Vectors(np.array([first, second], object), stats)
    return vectors.similarity(0, 1, PARTIAL_SHARE if partial_share is None else partial_share)


class _Vectors:
    """Weighted bigram vectors of normalised texts, built on demand and kept (one batch's worth)."""

    def __init__(self, texts: np.ndarray, stats: TextStats | None) -> None:
        self.texts = texts
        self.stats = stats
        self._weights: dict[str, float] = {}
        self._vectors: dict[int, tuple[dict[str, float], float]] = {}

    def vector(self, index: int) -> tuple[dict[str, float], float]:
        found = self._vectors.get(index)
        if found is None:
            grams = set(bigrams(self.texts[index]))
            unknown = [g for g in grams if g not in self._weights]
            if unknown:
                values = self.stats.weights(unknown) if self.stats is not None else np.ones(len(unknown))
                self._weights.update(zip(unknown, values.tolist(), strict=True))
            vector = {g: self._weights[g] ** 2 for g in grams}
            found = self._vectors[index] = (vector, math.sqrt(sum(vector.values())))
        return found

    def similarity(self, a: int, b: int, partial_share: float) -> float:
        (first, norm_a), (second, norm_b) = self.vector(a), self.vector(b)
        if len(first) > len(second):
            first, second = second, first
        dot = sum(w for g, w in first.items() if g in second)
        cosine = dot / (norm_a * norm_b) if norm_a and norm_b else 0.0
        partial = fuzz.partial_ratio(self.texts[a], self.texts[b]) / 100.0
        return partial_share * partial + (1.0 - partial_share) * cosine


def _similarities(texts: np.ndarray, left: np.ndarray, right: np.ndarray, stats: TextStats | None,
                  partial_share: float) -> np.ndarray:
    """Similarity of the normalised ``texts[left[k]]`` and ``texts[right[k]]`` for every k, vectorised."""
    if not len(left):
        return np.empty(0)
    partial = process.cpdist(texts[left].tolist(), texts[right].tolist(), scorer=fuzz.partial_ratio) / 100.0
    used, inverse = np.unique(np.concatenate([left, right]), return_inverse=True)
    columns: dict[str, int] = {}
    indptr, indices = [0], []
    for text in texts[used].tolist():
        for gram in set(bigrams(text)):
            indices.append(columns.setdefault(gram, len(columns)))
        indptr.append(len(indices))
    column_weights = stats.weights(list(columns)) if stats is not None else np.ones(len(columns))
    index_array = np.asarray(indices, np.int64)
    matrix = sparse.csr_matrix((column_weights[index_array] if len(index_array) else np.empty(0), index_array,
                                np.asarray(indptr, np.int64)), shape=(len(used), max(len(columns), 1)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix = sparse.diags(1.0 / norms) @ matrix
    rows_left, rows_right = inverse[:len(left)], inverse[len(left):]
    cosine = np.asarray(matrix[rows_left].multiply(matrix[rows_right]).sum(axis=1)).ravel()
    return partial_share * partial + (1.0 - partial_share) * cosine


@dataclass(frozen=True)
class DedupRules:
    """Windows per item, related groups (domains), how the score is made and the least score to join.

    Use :meth:`from_items` for the catalogue's items; tests and benchmarks may pass their own tables.
    """

    windows: Mapping[str, Window]
    groups: Mapping[str, str]
    min_score: float = MIN_SCORE
    weights: tuple[float, float, float] = WEIGHTS
    partial_share: float = PARTIAL_SHARE
    side_penalty: float = SIDE_PENALTY
    related_penalty: float = RELATED_PENALTY
    default_window: Window = DEFAULT_WINDOW

    @classmethod
    def from_items(cls, path: Path = ITEMS_YAML, **options: Any) -> DedupRules:
        """Rules for the items of ``items.yaml``: each item's distance (:data:`DISTANCE_M`, else its domain's
        :data:`DOMAIN_DISTANCE_M`), its time limit (``time_limit_hours``) as its time window, its domain as
        its related group."""
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        windows: dict[str, Window] = {}
        groups: dict[str, str] = {}
        for item in document.get("items") or []:
            code, domain = str(item["code"]), str(item.get("domain") or "")
            groups[code] = domain
            distance = DISTANCE_M.get(code) or DOMAIN_DISTANCE_M.get(domain) or DEFAULT_WINDOW.distance_m
            hours = float(item.get("time_limit_hours") or DEFAULT_WINDOW.minutes / 60)
            windows[code] = Window(distance, hours * 60.0)
        return cls(windows, groups, **options)

    def window(self, case_item: str | None, report_item: str | None) -> Window | None:
        """The window between a case and a report of these items: the case's item's window when the items
        are the same or related (the case says what the problem is; a report filed under a neighbouring item
        does not change how long it lasts), None when they are not related."""
        if case_item != report_item:
            group = self.groups.get(case_item or "")
            if group is None or group != self.groups.get(report_item or ""):
                return None
        return self.windows.get(case_item or "", self.default_window)

    @property
    def largest(self) -> Window:
        """The largest distance and time of any window (how far back open cases matter)."""
        all_windows = [*self.windows.values(), self.default_window]
        return Window(max(w.distance_m for w in all_windows), max(w.minutes for w in all_windows))


@dataclass(frozen=True)
class Link:
    """Why a report joined a case: distance (m) from the case's opening report, minutes from the case's latest
    report, text similarity to the opening report (None when a description is missing), the score that chose
    this case, and whether the items match."""

    distance_m: float
    minutes: float
    text_similarity: float | None
    score: float
    same_item: bool

    def to_dict(self) -> dict[str, Any]:
        return {"rule": "duplicate", **asdict(self)}


@dataclass
class OpenCases:
    """The open cases a new report may join, as columns: id, metric position, opening time, item, normalised
    description.

    The pipeline fills it from the store, adds the cases it opens and removes the cases that were closed.
    """

    ids: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    x: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    y: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    t: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    items: NDArray[np.object_] = field(default_factory=lambda: np.empty(0, object))
    texts: NDArray[np.object_] = field(default_factory=lambda: np.empty(0, object))

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids: Sequence[int] | np.ndarray, x: Any, y: Any, t: Any, items: Sequence[str | None],
            texts: Sequence[str | None], normalised: bool = False) -> None:
        """Add cases (``x``, ``y``: the opening report's metric position; ``t``: the latest report's time, seconds
        since the epoch; ``texts``: the opening report's description as given, or already through
        :func:`normalise_text` when ``normalised``)."""
        self.ids = np.concatenate([self.ids, np.asarray(ids, np.int64)])
        self.x = np.concatenate([self.x, np.asarray(x, float)])
        self.y = np.concatenate([self.y, np.asarray(y, float)])
        self.t = np.concatenate([self.t, np.asarray(t, np.int64)])
        self.items = np.concatenate([self.items, np.asarray(list(items), object)])
        texts = list(texts) if normalised else [normalise_text(s) for s in texts]
        self.texts = np.concatenate([self.texts, np.asarray(texts, object)])

    def touch(self, latest: Mapping[int, int]) -> None:
        """Move cases' latest-report times forward (case id → seconds since the epoch)."""
        if not latest or not len(self.ids):
            return
        ids = np.fromiter(latest.keys(), np.int64, len(latest))
        at = np.fromiter(latest.values(), np.int64, len(latest))
        order = np.argsort(self.ids, kind="stable")
        where = np.searchsorted(self.ids, ids, sorter=order)
        found = where < len(self.ids)
        rows = order[np.minimum(where, len(self.ids) - 1)]
        found &= self.ids[rows] == ids
        rows, at = rows[found], at[found]
        self.t[rows] = np.maximum(self.t[rows], at)

    def near(self, start: int, end: int) -> OpenCases:
        """The cases whose latest report lies in ``[start, end]`` (seconds since the epoch), as a new table."""
        rows = np.flatnonzero((self.t >= start) & (self.t <= end))
        return OpenCases(self.ids[rows], self.x[rows], self.y[rows], self.t[rows].copy(), self.items[rows],
                         self.texts[rows])

    def remove(self, ids: Collection[int]) -> None:
        """Forget cases (closed, rejected, or found closed when a report wanted to join them)."""
        keep = ~np.isin(self.ids, np.fromiter(ids, np.int64, len(ids)))
        for name in ("ids", "x", "y", "t", "items", "texts"):
            setattr(self, name, getattr(self, name)[keep])

    def __contains__(self, case_id: object) -> bool:
        return bool(np.any(self.ids == case_id))


@dataclass(frozen=True, eq=False)
class Decisions:
    """What becomes of each report of a batch.

    ``opens[i]``: report ``i`` opens a new case. Otherwise it joins ``case_id[i]`` (an open case that existed
    before the batch) or, when that is -1, the new case opened by the batch's report ``opener[i]``.
    ``links[i]`` says why it joined (None for openers); ``latest`` are the new latest-report times of the open
    cases reports joined (for :meth:`OpenCases.touch`).
    """

    opens: NDArray[np.bool_]
    case_id: NDArray[np.int64]
    opener: NDArray[np.int64]
    links: list[Link | None]
    latest: dict[int, int] = field(default_factory=dict)
    """Open cases (from before the batch) that reports joined: case id → the latest report's time."""
    new_latest: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    """For each report that opens a case, the time of that case's latest report in the batch."""

    @property
    def attached(self) -> int:
        return int((~self.opens).sum())

    def case_ids(self, new_ids: Sequence[int] | np.ndarray) -> NDArray[np.int64]:
        """Every report's case id, given the ids of the new cases (in the order of ``opens``' True entries)."""
        result = self.case_id.copy()
        openers = np.flatnonzero(self.opens)
        if len(new_ids) != len(openers):
            raise ValueError(f"{len(openers)} new cases, {len(new_ids)} ids")
        result[openers] = np.asarray(new_ids, np.int64)
        joined_new = np.flatnonzero(~self.opens & (self.case_id < 0))
        result[joined_new] = result[self.opener[joined_new]]
        return result


def epoch_seconds(times: Sequence[datetime]) -> NDArray[np.int64]:
    """Aware datetimes as whole seconds since 1970-01-01 UTC."""
    return np.fromiter((int(t.timestamp()) for t in times), np.int64, len(times))


def assign(x: Any, y: Any, t: Any, items: Sequence[str | None], texts: Sequence[str | None], open_cases: OpenCases,
           rules: DedupRules, stats: TextStats | None = None, normalised: bool = False) -> Decisions:
    """Decide, for a batch of located reports, which join an open case and which open a new one.

    Parameters
    ----------
    x, y
        Metric positions (EPSG:4548 metres) of the reports.
    t
        Arrival times, seconds since the epoch.
    items, texts
        Item codes and descriptions (as given).
    open_cases
        The cases open before the batch (not modified).
    rules
        Windows, related groups, score.
    stats
        Bigram frequencies of recent texts (the caller adds the batch's texts first); uniform weights without.
    normalised
        ``texts`` went through :func:`normalise_text` already.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    t = np.asarray(t, np.int64)
    n = len(x)
    items_arr = np.asarray(list(items), object)
    texts_arr = np.asarray(list(texts) if normalised else [normalise_text(s) for s in texts], object)
    opens = np.ones(n, bool)
    case_id = np.full(n, _NEW, np.int64)
    opener = np.full(n, _NEW, np.int64)
    links: list[Link | None] = [None] * n
    if n == 0:
        return Decisions(opens, case_id, opener, links, {}, t.copy())
    order = np.argsort(t, kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    reach = int(rules.largest.minutes * 60 * 2)
    open_cases = open_cases.near(int(t.min()) - reach, int(t.max()) + reach)  # only these can be joined

    found = _candidate_pairs(x, y, t, items_arr, open_cases, rules, rank)
    if found is None:
        return Decisions(opens, case_id, opener, links, {}, t.copy())
    query, target, item_ids, window_d, window_m = found
    m = len(open_cases)
    all_texts = np.concatenate([open_cases.texts, texts_arr])
    has_text = np.char.str_len(all_texts.astype(str)) > 0
    both = has_text[m + query] & has_text[target]
    similarity = np.full(len(query), np.nan)
    similarity[both] = _similarities(all_texts, m + query[both], target[both], stats, rules.partial_share)
    keep = np.argsort(rank[query], kind="stable")

    # The sweep, in arrival order. A candidate is an open case, or an earlier report of the batch standing
    # for the case it opened or joined; a case's latest report moves as reports join it.
    w_text, w_near, w_soon = rules.weights
    xs, ys = np.concatenate([open_cases.x, x]).tolist(), np.concatenate([open_cases.y, y]).tolist()
    latest = np.concatenate([open_cases.t, t]).tolist()  # per case key: its latest report
    case_key = list(range(m + n))  # per target: the case it stands for (open case row, or m + opener)
    ids, wd_table, wm_table = item_ids.tolist(), window_d.tolist(), window_m.tolist()
    q_of, j_of = query[keep].tolist(), target[keep].tolist()
    sim_of = similarity[keep].tolist()
    t_list = t.tolist()
    best: tuple[float, int, float, float, float, bool] | None = None
    texts_of = all_texts.tolist()
    vectors = _Vectors(all_texts, stats)
    case_similarity: dict[tuple[int, int], float] = {}
    sides: dict[int, frozenset[str]] = {}

    def side_of(index: int) -> frozenset[str]:
        if index not in sides:
            sides[index] = positions(texts_of[index])
        return sides[index]

    for position, q in enumerate(q_of):
        j = j_of[position]
        c = case_key[j]
        me = m + q
        wd = wd_table[ids[c]][ids[me]]
        if wd == wd:  # not NaN: the items are related
            wm = wm_table[ids[c]][ids[me]] * 60.0
            d = math.hypot(xs[me] - xs[c], ys[me] - ys[c])
            gap = abs(t_list[q] - latest[c])
            same = ids[c] == ids[me]
            sim = sim_of[position]
            if c != j and d <= wd and gap <= wm:  # j stands for the case it joined: compare with the case's text
                if not (texts_of[me] and texts_of[c]):
                    sim = math.nan
                elif (me, c) in case_similarity:
                    sim = case_similarity[(me, c)]
                else:
                    sim = case_similarity[(me, c)] = vectors.similarity(me, c, rules.partial_share)
            if d <= wd and gap <= wm and (sim == sim or (same and d <= wd / 2 and gap <= wm / 2)):
                text = sim if sim == sim else 0.0
                score = (w_text * text + w_near * (1 - d / wd) + w_soon * (1 - gap / wm)
                         - (0.0 if same else rules.related_penalty))
                said, told = side_of(me), side_of(c)
                if said and told and not said & told:
                    score -= rules.side_penalty
                if (sim != sim or score >= rules.min_score) and (best is None or score > best[0]):
                    best = (score, c, d, gap, sim, same)
        if position + 1 < len(q_of) and q_of[position + 1] == q:
            continue
        if best is not None:  # the last candidate of report q: join the best case, if any
            score, c, d, gap, sim, same = best
            if c < m:
                case_id[q] = open_cases.ids[c]
            else:
                opener[q] = c - m
            opens[q] = False
            case_key[m + q] = c
            latest[c] = max(latest[c], t_list[q])
            links[q] = Link(round(d, 1), round(gap / 60.0, 1), None if sim != sim else round(sim, 3),
                            round(score, 3), same)
            best = None
    touched = {int(open_cases.ids[c]): int(latest[c]) for c in range(m) if latest[c] != open_cases.t[c]}
    return Decisions(opens, case_id, opener, links, touched, np.asarray(latest[m:], np.int64))


def _candidate_pairs(x: np.ndarray, y: np.ndarray, t: np.ndarray, items: np.ndarray, open_cases: OpenCases,
                     rules: DedupRules, rank: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """Candidate pairs (report, target) of related items near enough in place and time to be worth a look,
    and what the sweep needs to test them exactly: every target's item id and the window tables.

    Targets below ``len(open_cases)`` are open cases; the others are reports of the batch (shifted by
    ``len(open_cases)``) that arrived earlier. Time is tested loosely (twice the window): the exact test is
    the sweep's, against the case's latest report, which moves as the batch's reports join it."""
    m = len(open_cases)
    all_x, all_y = np.concatenate([open_cases.x, x]), np.concatenate([open_cases.y, y])
    all_t = np.concatenate([open_cases.t, t])
    all_items = np.concatenate([open_cases.items, items])
    vocabulary = sorted(set(all_items.tolist()), key=lambda i: (i is None, i or ""))
    code = {item: k for k, item in enumerate(vocabulary)}
    item_ids = np.fromiter((code[i] for i in all_items.tolist()), np.int64, len(all_items))
    window_d, window_m = _window_tables(vocabulary, rules)
    group_names = [rules.groups.get(i or "", f"item:{i}") for i in vocabulary]
    groups = {name: k for k, name in enumerate(dict.fromkeys(group_names))}
    group_ids = np.asarray([groups[g] for g in group_names], np.int64)[item_ids]
    candidates = np.arange(m + len(x))
    found: list[tuple[np.ndarray, np.ndarray]] = []
    batch_groups = group_ids[m:]
    for group in np.unique(batch_groups).tolist():
        queries = np.flatnonzero(batch_groups == group)
        targets = candidates[group_ids[candidates] == group]
        members = [k for k, name in enumerate(group_names) if groups[name] == group]
        size = float(np.nanmax(window_d[np.ix_(members, members)]))
        period = float(np.nanmax(window_m[np.ix_(members, members)])) * 60 * 2
        q, k = _grid_join(x[queries], y[queries], t[queries], all_x[targets], all_y[targets], all_t[targets],
                          size, period)
        found.append((queries[q], targets[k]))
    if not found:
        return None
    query = np.concatenate([f[0] for f in found])
    target = np.concatenate([f[1] for f in found])
    is_report = target >= m
    earlier = np.ones(len(query), bool)
    earlier[is_report] = rank[target[is_report] - m] < rank[query[is_report]]
    query, target = query[earlier], target[earlier]
    case_item, report_item = item_ids[target], item_ids[m + query]
    pair_d, pair_m = window_d[case_item, report_item], window_m[case_item, report_item]
    distance = np.hypot(x[query] - all_x[target], y[query] - all_y[target])
    minutes = np.abs(t[query] - all_t[target]) / 60.0
    with np.errstate(invalid="ignore"):
        ok = (distance <= pair_d) & (minutes <= 2 * pair_m)  # NaN windows (unrelated items) compare False
    if not ok.any():
        return None
    return query[ok], target[ok], item_ids, window_d, window_m


def _window_tables(vocabulary: Sequence[str | None], rules: DedupRules) -> tuple[np.ndarray, np.ndarray]:
    """Window distance and minutes between every two items of ``vocabulary`` (NaN: not related)."""
    size = len(vocabulary)
    distance, minutes = np.full((size, size), np.nan), np.full((size, size), np.nan)
    for a, first in enumerate(vocabulary):
        for b, second in enumerate(vocabulary):
            window = rules.window(first, second)
            if window is not None:
                distance[a, b], minutes[a, b] = window.distance_m, window.minutes
    return distance, minutes


def _grid_join(qx: np.ndarray, qy: np.ndarray, qt: np.ndarray, tx: np.ndarray, ty: np.ndarray, tt: np.ndarray,
               size: float, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (query, target) whose (x, y, t) buckets of ``size`` metres and ``period`` seconds touch:
    a superset of the pairs within ``size`` and ``period`` of each other."""
    if not len(qx) or not len(tx):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    origin = (min(qx.min(), tx.min()), min(qy.min(), ty.min()), min(qt.min(), tt.min()))
    qb = [np.floor((v - o) / s).astype(np.int64) + 1 for v, o, s in zip((qx, qy, qt), origin, (size, size, period),
                                                                          strict=True)]
    tb = [np.floor((v - o) / s).astype(np.int64) + 1 for v, o, s in zip((tx, ty, tt), origin, (size, size, period),
                                                                          strict=True)]
    extent = [int(max(a.max(), b.max())) + 2 for a, b in zip(qb, tb, strict=True)]
    if extent[0] * extent[1] * extent[2] >= 2 ** 62:
        raise ValueError("de-duplication batch spans too much space and time for one grid")

    def key(bx: np.ndarray, by: np.ndarray, bt: np.ndarray) -> np.ndarray:
        return (bx * extent[1] + by) * extent[2] + bt

    target_keys = key(*tb)
    order = np.argsort(target_keys, kind="stable")
    sorted_keys = target_keys[order]
    queries: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dt in (-1, 0, 1):
                keys = key(qb[0] + dx, qb[1] + dy, qb[2] + dt)
                lo = np.searchsorted(sorted_keys, keys, "left")
                hi = np.searchsorted(sorted_keys, keys, "right")
                counts = hi - lo
                total = int(counts.sum())
                if not total:
                    continue
                starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
                queries.append(np.repeat(np.arange(len(qx)), counts))
                targets.append(order[np.arange(total) + starts])
    if not queries:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(queries), np.concatenate(targets)


# --------------------------------------------------------------------------------------------------- split


@dataclass(frozen=True)
class CaseReport:
    """A report of a case as the split sees it: id, when it arrived, whether it opened the case."""

    report_id: int
    received_at: datetime
    opened: bool = False


@dataclass(frozen=True)
class Split:
    """An operator's split of a case: ``moving`` reports open a new case, opened by ``opener`` (the earliest
    of them); ``staying`` reports remain with the case."""

    moving: tuple[int, ...]
    opener: int
    staying: tuple[int, ...]


def split(reports: Sequence[CaseReport], report_ids: Collection[int]) -> Split:
    """Split ``report_ids`` off a case whose reports are ``reports`` (an operator found they are another problem).

    Raises
    ------
    ValueError
        When a report id is not one of the case's, none is given, or every report would leave the case.
    """
    known = {r.report_id: r for r in reports}
    wanted = list(dict.fromkeys(int(i) for i in report_ids))
    if not wanted:
        raise ValueError("name the report(s) to split off the case")
    strangers = [i for i in wanted if i not in known]
    if strangers:
        raise ValueError(f"report(s) {', '.join(map(str, strangers))} are not reports of this case "
                         f"(its reports: {', '.join(map(str, sorted(known)))})")
    staying = tuple(sorted(i for i in known if i not in set(wanted)))
    if not staying:
        raise ValueError("every report of the case would leave it: at least one must stay")
    moving = tuple(sorted(wanted, key=lambda i: (known[i].received_at, i)))
    return Split(moving=moving, opener=moving[0], staying=staying)
