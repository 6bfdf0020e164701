"""De-duplication across channels: many reports of one problem become one case (一件事).

A street vendor at a market gate can produce a 12345 call, a grid worker's photo and a patrol finding
within the hour. A new report joins an *open* case when all of these hold:

- **place** — it lies within the case's distance window (metres, from the report that opened the case),
  widened by how uncertain the two positions are (:data:`SPREAD_M`): a hotline address the geocoder could
  only place at its village's centre may lie a kilometre from the problem, a GPS point a few metres;
- **time** — it arrived within the case's time window of the case's latest report: a problem that keeps
  being reported stays one case while it is open. The window is the item's time limit
  (``time_limit_hours`` of items.yaml, 2 h for open burning … 5 days for pricing) times
  :data:`TIME_FACTOR`: a report within the time the item may take to handle — or somewhat more, for a
  case that is overdue — concerns the case that is (or should be) being handled;
- **category** — the same enforcement item, or a *related* one (:data:`RELATED`): items one problem is
  filed under by different channels (占道经营, 违规设置摊点 and 无证食品摊贩 for one vendor; 露天烧烤 and
  餐饮油烟 for one grill), with the case's item's windows. Items that merely share a domain (a vendor and
  a flyposter, both 市容环境) are not related;
- **text** — the descriptions say the same thing: channel boilerplate removed, they are compared as sets of
  character bigrams weighted by how rare a bigram is among recent reports *and* by how often it stays the
  same between two reports of one problem (:class:`TextStats`): a place name (``凤山市场``) or what is sold
  (``卖海鲜``) stays, how a reporter words the violation (``占道经营``, ``占用人行道摆卖``) varies and hardly
  counts. The weights are learned as reports come, from pairs that are one problem whatever their wording
  (the same item, the same side of the same place named, within the window: :attr:`Decisions.learning`).
  Two numbers come out (:func:`text_similarity`, the weighted cosine, and :func:`text_difference`, how much
  each text names that the other does not: ``卖衣服`` and ``卖蔬菜`` at one gate are two vendors). A report
  without a description joins only the same item, within half of both windows.

Distances are per item (:data:`DISTANCE_M`, else per domain :data:`DOMAIN_DISTANCE_M`): a street vendor is
reported within ~150 m, a parked car within 80 m; smoke and noise are noticed from several hundred metres.
Among the cases that qualify the report joins the one with the best score — text similarity 70 %,
closeness 20 %, recency 10 % (:data:`WEIGHTS`), less :data:`RELATED_PENALTY` for a related rather than the
same item, :data:`SIDE_PENALTY` when the texts name different sides of a place (东门 and 北侧: two spots) and
:data:`DIFFERENCE_PENALTY` times the text difference — and only when that score reaches :data:`MIN_SCORE`.
Every link records why: distance in metres, the allowance for uncertain positions, minutes, text similarity
and difference, whether the sides differ, and the score (:class:`Link`); :meth:`DedupRules.judge` says why a
report did *not* join a given case, and an operator can split reports off again (:func:`split`). ``python
bench/dedup_quality.py`` measures precision and recall, breaks the misses down by cause, and prints what
other least scores would give.

The search is vectorised: per related group, the open cases and the new reports are bucketed on a grid of
(x, y, time) whose step is the group's largest window, so each report is compared only with what lies in
its own and the 26 neighbouring buckets (the few positions with a wide allowance are searched on a second,
coarser grid); only the pairs that survive the distance, time and category tests have their texts compared
(vectorised: a sparse bigram matrix). Reports of one batch are then taken in arrival order, so a later
report may join a case an earlier report of the same batch opened or joined.

>>> rules = DedupRules.from_items()
>>> rules.window("ZF004", "ZF001"), rules.window("ZF001", "ZF017") is None
(None, True)
>>> rules.window("ZF001", "ZF003")
Window(distance_m=150.0, minutes=2160.0)
>>> round(text_similarity("凤山市场东门有卖水果的流动摊贩占道经营", "巡查发现凤山市场东门卖水果的小贩占用人行道摆卖"), 2)
0.5

Pure: arrays in, decisions out; the pipeline loads the open cases from the store, writes the links and,
once they are committed, lets :meth:`TextStats.learn` see :attr:`Decisions.learning`.

Notes
-----
Positions are metric (EPSG:4548 metres) and times are seconds since the epoch (UTC); the caller converts.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy import sparse

from ingest.categories import ITEMS_YAML, MAPPINGS_YAML


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
TIME_FACTOR: Final = 1.5
"""The time window is the item's time limit times this: a problem reported again after its time limit has
passed is overdue, not new, as long as its case is open."""
DEFAULT_WINDOW: Final = Window(100.0, 1440.0)
"""The window of an item the catalogue does not know."""

RELATED: Final[Mapping[str, tuple[str, ...]]] = {
    "ZF001": ("ZF002", "ZF003", "ZF030"),  # one trader on the pavement: vending, goods outside a shop, a stall,
    "ZF002": ("ZF003", "ZF030"),           # or — selling food — an unlicensed food vendor (市场监管)
    "ZF003": ("ZF030",),
    "ZF010": ("ZF011",),                   # smoke from a grill: open-air barbecue or restaurant fumes
    "ZF013": ("ZF016",),                   # one building site: its dust, its work at night
    "ZF015": ("ZF016",),                   # noise at night: a nuisance or night construction
    "ZF023": ("ZF024",),                   # vehicles on the pavement: cars or shared bikes
    "ZF007": ("ZF008",),                   # a pile on the street: materials or dumped rubbish
    "ZF017": ("ZF018",),                   # building without a permit: a structure or a shed
    "ZF004": ("ZF039",),                   # a board on a façade: an advertisement or a shop sign
}
"""Items that one problem is filed under by different channels (symmetric): a report of one may join a case
of the other. Sharing a domain (执法领域) is not enough — no operator links a vendor with flyposting."""

SPREAD_M: Final[Mapping[str, float]] = {
    "point": 0.0, "building": 20.0, "intersection": 40.0, "poi": 40.0, "number": 80.0, "road": 300.0,
    "community": 1000.0, "township": 3000.0,
}
"""How far a located position may be from the problem beyond a channel's ordinary error, by how it was
found: a channel's coordinates (``point``) or the geocoder's match level. A place's name is placed at the
place, not at the gate the caller means; a house number is interpolated along the road; a village address
(``垵炉村89号``) falls back to the village's centre. The distance window of a report and a case grows by both
their spreads."""
WIDE_SPREAD_M: Final = 100.0
"""Spreads above this are searched on a second, coarser grid (a few reports), so the common case stays fine."""

STABLE: Final = 0.5
"""A bigram that stayed the same within a case more often than this (:meth:`TextStats.stability`) names the
problem — a place, the goods, the shop — rather than how a reporter put it (:func:`text_difference`)."""
STABILITY_PRIOR: Final = 1.0
"""Pseudo-counts for and against a bigram staying the same within a case before anything is learned (0.5) …"""
CATEGORY_PRIOR: Final = 3.0
"""… and further pseudo-counts against, for the bigrams of the catalogue's category words (item names, the
channels' category wordings: 占道经营, 流动摊贩, 人行道停车): they say what kind of problem it is, not which
one, so a fresh pipeline does not take two wordings of one vendor for two problems."""
PSEUDO_DOCUMENTS: Final = 100
"""Empty documents added to the count of texts for the inverse document frequency: with a handful of texts
every shared word would look common; with many, these do not matter."""
MIN_SCORE: Final = 0.68
"""Least score for a report to join a case (see :data:`WEIGHTS`)."""
WEIGHTS: Final = (0.7, 0.2, 0.1)
"""Score = text similarity, closeness (1 − distance / window), recency (1 − minutes / window) …"""
RELATED_PENALTY: Final = 0.1
"""… less this when the case's item is a related one rather than the report's own …"""
SIDE_PENALTY: Final = 0.3
"""… less this when both texts name a side of the place and no side in common (东门 and 北侧: two spots) …"""
DIFFERENCE_PENALTY: Final = 0.8
"""… and less this times the texts' difference (:func:`text_difference`: 卖衣服 and 卖蔬菜, two vendors)."""

BOILERPLATE: Final = (
    "市民来电反映", "市民来电", "来电人称", "来电反映", "有群众反映", "群众反映", "市民反映", "报警人称", "网格员巡查发现",
    "巡查中发现", "巡查发现", "已拍照取证", "现场已拍照", "请相关部门尽快处理", "请执法队处置", "希望尽快处理",
    "请尽快处理", "属非警务类事项", "转综合执法处理", "110转办", "12345转办", "已多次反映", "影响周边居民生活",
    "影响市容", "存在安全隐患", "影响通行",
)
"""Channel wording that says nothing about the problem; removed before texts are compared."""

_PUNCTUATION = re.compile(r"[\W_]+")
_POSITION = re.compile(r"(?:[东西南北]{1,2}(?:门|侧|面|角|边|口)|后门|前门|对面)"
                       r"(?!站|路|街|道|巷|村|镇|社区|小区|花园|市场|广场|公园|桥|中学|小学|幼儿园)")
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


def location_spread(levels: Sequence[str | None]) -> NDArray[np.float64]:
    """Each position's spread (:data:`SPREAD_M`) from how it was found: ``None`` or ``"point"`` for a channel's
    coordinates, else the geocoder's match level (an unknown level counts as a road)."""
    return np.fromiter((SPREAD_M.get(level or "point", SPREAD_M["road"]) for level in levels), float, len(levels))


class TextStats:
    """What the words of recent reports are worth: how many texts contain each bigram (common wording weighs
    less than what is particular) and how often a bigram stayed the same between two reports of one problem
    (a place name or the goods stay, how the violation is worded varies).

    The pipeline adds every report's normalised description as it comes (:meth:`add`) and, after each
    committed batch, the pairs :attr:`Decisions.learning` names (:meth:`learn`). A bigram's weight is its
    smoothed inverse document frequency, ``log((1 + n + d) / (1 + df)) + 1`` with ``d`` =
    :data:`PSEUDO_DOCUMENTS`, times its stability, ``(kept + p) / (kept + varied + 2p)`` with ``p`` =
    :data:`STABILITY_PRIOR`: with few texts and nothing learned yet the weights are nearly uniform, but for
    the catalogue's category words (:meth:`from_catalogue`, :data:`CATEGORY_PRIOR`). Kept in memory: a
    starting pipeline replays recent stored reports (:func:`replay`).
    """

    def __init__(self, prior: float = STABILITY_PRIOR, category_words: Iterable[str] = ()) -> None:
        self.documents = 0
        self.frequency: dict[str, int] = {}
        self.kept: dict[str, float] = {}
        self.varied: dict[str, float] = {}
        self.prior = prior
        for gram in {g for word in category_words for g in bigrams(normalise_text(word))}:
            self.varied[gram] = CATEGORY_PRIOR

    @classmethod
    def from_catalogue(cls, items_path: Path = ITEMS_YAML, mappings_path: Path = MAPPINGS_YAML) -> TextStats:
        """Statistics that know the catalogue's category words (see :data:`CATEGORY_PRIOR`): every item's name
        (items.yaml) and every channel's category wording (category_mappings.yaml)."""
        items = yaml.safe_load(Path(items_path).read_text(encoding="utf-8")) or {}
        mappings = yaml.safe_load(Path(mappings_path).read_text(encoding="utf-8")) or {}
        words = [str(item.get("name") or "") for item in items.get("items") or []]
        for table in mappings.values():
            if isinstance(table, dict):
                words += [str(wording) for wording in (table.get("wording") or {})]
        return cls(category_words=words)

    def add(self, texts: Sequence[str]) -> None:
        """Count normalised texts (see :func:`normalise_text`)."""
        frequency = self.frequency
        for text in texts:
            for gram in set(bigrams(text)):
                frequency[gram] = frequency.get(gram, 0) + 1
        self.documents += len(texts)

    def learn(self, pairs: Iterable[tuple[str | None, str | None]]) -> None:
        """Count, for pairs of normalised texts of one problem, the bigrams both say (kept) and those only one
        says (varied). The sides they name are left out (the pairs of :attr:`Decisions.learning` are chosen
        for naming the same side, so sides would look stabler than they are); pairs with an empty text teach
        nothing."""
        kept, varied = self.kept, self.varied
        for first, second in pairs:
            if not first or not second:
                continue
            a, b = set(bigrams(_POSITION.sub("", first))), set(bigrams(_POSITION.sub("", second)))
            for gram in a & b:
                kept[gram] = kept.get(gram, 0) + 1
            for gram in a ^ b:
                varied[gram] = varied.get(gram, 0) + 1

    def stability(self, gram: str) -> float:
        """How often ``gram`` stays the same between two reports of one problem, 0–1 (0.5 for a bigram
        nothing is known of)."""
        kept, varied = self.kept.get(gram, 0), self.varied.get(gram, 0)
        return (kept + self.prior) / (kept + varied + 2 * self.prior)

    def weight(self, gram: str) -> float:
        """One bigram's weight (see the class docstring)."""
        return float(self.weights([gram])[0])

    def stable(self, grams: Sequence[str]) -> NDArray[np.bool_]:
        """Whether each bigram was seen to stay the same within a case more often than :data:`STABLE`."""
        kept, varied = self.kept, self.varied
        n = len(grams)
        k = np.fromiter((kept.get(g, 0) for g in grams), float, n)
        v = np.fromiter((varied.get(g, 0) for g in grams), float, n)
        return (k + self.prior) / (k + v + 2 * self.prior) > STABLE

    def weights(self, grams: Sequence[str]) -> np.ndarray:
        """:meth:`weight` of many bigrams at once."""
        frequency, kept, varied = self.frequency, self.kept, self.varied
        n = len(grams)
        df = np.fromiter((frequency.get(g, 0) for g in grams), float, n)
        k = np.fromiter((kept.get(g, 0) for g in grams), float, n)
        v = np.fromiter((varied.get(g, 0) for g in grams), float, n)
        idf = np.log((1 + self.documents + PSEUDO_DOCUMENTS) / (1 + df)) + 1.0
        return idf * (k + self.prior) / (k + v + 2 * self.prior)


def replay(stats: TextStats, texts: Sequence[str | None], items: Sequence[str | None],
           case_ids: Sequence[int | None]) -> None:
    """Teach ``stats`` what stored reports, oldest first, would have taught it as they came: their texts are
    counted, and each report is learned against the earliest earlier report of its case with the same item
    and a side of the place in common (the pairs :attr:`Decisions.learning` names). A pipeline that starts
    replays recent reports, so that a restarted worker does not start from uniform weights."""
    normal = [normalise_text(text) for text in texts]
    stats.add(normal)
    earlier: dict[tuple[int, str | None], list[tuple[frozenset[str], str]]] = {}
    pairs: list[tuple[str, str]] = []
    for text, item, case in zip(normal, items, case_ids, strict=True):
        if case is None or not text:
            continue
        sides = positions(text)
        seen = earlier.setdefault((case, item), [])
        match = next((other for other_sides, other in seen if sides & other_sides), None) if sides else None
        if match is not None:
            pairs.append((text, match))
        seen.append((sides, text))
    stats.learn(pairs)


def text_similarity(a: str | None, b: str | None, stats: TextStats | None = None) -> float | None:
    """How alike two descriptions are, 0–1 (None when either says nothing once boilerplate is removed): the
    cosine of their weighted bigram vectors (``stats`` gives the weights, uniform without)."""
    compared = _compare_two(a, b, stats)
    return None if compared is None else compared[0]


def text_difference(a: str | None, b: str | None, stats: TextStats | None = None) -> float | None:
    """How much each description names that the other does not, 0–1 (None when either says nothing): of the
    two texts, the smaller share of its weight in *stable* bigrams (:data:`STABLE`: a place, the goods, the
    shop) the other lacks. ``卖衣服`` against ``卖蔬菜`` at one market gate differ; a text that only leaves
    something out (no goods named) does not."""
    compared = _compare_two(a, b, stats)
    return None if compared is None else compared[1]


def _compare_two(a: str | None, b: str | None, stats: TextStats | None) -> tuple[float, float] | None:
    first, second = normalise_text(a), normalise_text(b)
    if not first or not second:
        return None
    return _Vectors(np.array([first, second], object), stats).compare(0, 1)


class _Vectors:
    """Weighted bigram vectors of normalised texts, built on demand and kept (one batch's worth)."""

    def __init__(self, texts: np.ndarray, stats: TextStats | None) -> None:
        self.texts = texts
        self.stats = stats
        self._weights: dict[str, tuple[float, bool]] = {}
        self._vectors: dict[int, tuple[dict[str, tuple[float, bool]], float, float]] = {}

    def vector(self, index: int) -> tuple[dict[str, tuple[float, bool]], float, float]:
        """Bigram → (weight, stable), the norm and the sum of the weights."""
        found = self._vectors.get(index)
        if found is None:
            grams = set(bigrams(self.texts[index]))
            unknown = [g for g in grams if g not in self._weights]
            if unknown:
                if self.stats is not None:
                    values, stable = self.stats.weights(unknown).tolist(), self.stats.stable(unknown).tolist()
                else:
                    values, stable = [1.0] * len(unknown), [False] * len(unknown)
                self._weights.update(zip(unknown, zip(values, stable, strict=True), strict=True))
            vector = {g: self._weights[g] for g in grams}
            weights = [w for w, _ in vector.values()]
            found = self._vectors[index] = (vector, math.sqrt(sum(w * w for w in weights)), sum(weights))
        return found

    def compare(self, a: int, b: int) -> tuple[float, float]:
        """(similarity, difference) of texts ``a`` and ``b`` (see :func:`text_similarity`,
        :func:`text_difference`)."""
        (first, norm_a, total_a), (second, norm_b, total_b) = self.vector(a), self.vector(b)
        dot = sum(w * w for g, (w, _) in first.items() if g in second)
        cosine = dot / (norm_a * norm_b) if norm_a and norm_b else 0.0
        only_a = sum(w for g, (w, stable) in first.items() if stable and g not in second)
        only_b = sum(w for g, (w, stable) in second.items() if stable and g not in first)
        return cosine, min(only_a / total_a if total_a else 0.0, only_b / total_b if total_b else 0.0)


def _compare(texts: np.ndarray, left: np.ndarray, right: np.ndarray,
             stats: TextStats | None) -> tuple[np.ndarray, np.ndarray]:
    """(similarity, difference) of the normalised ``texts[left[k]]`` and ``texts[right[k]]`` for every k,
    vectorised: one sparse matrix of weighted bigrams for the texts involved."""
    if not len(left):
        return np.empty(0), np.empty(0)
    used, inverse = np.unique(np.concatenate([left, right]), return_inverse=True)
    columns: dict[str, int] = {}
    indptr, indices = [0], []
    for text in texts[used].tolist():
        for gram in set(bigrams(text)):
            indices.append(columns.setdefault(gram, len(columns)))
        indptr.append(len(indices))
    grams = list(columns)
    column_weights = stats.weights(grams) if stats is not None else np.ones(len(columns))
    stable = stats.stable(grams) if stats is not None else np.zeros(len(columns), bool)
    index_array = np.asarray(indices, np.int64)
    shape = (len(used), max(len(columns), 1))

    def matrix_of(values: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix((values[index_array] if len(index_array) else np.empty(0), index_array,
                                  np.asarray(indptr, np.int64)), shape=shape)

    weighted = matrix_of(column_weights)
    present = matrix_of(np.ones(len(columns)))
    stable_weighted = matrix_of(np.where(stable, column_weights, 0.0))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    totals = np.asarray(weighted.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    stable_totals = np.asarray(stable_weighted.sum(axis=1)).ravel()
    unit = sparse.diags(1.0 / norms) @ weighted
    rows_left, rows_right = inverse[:len(left)], inverse[len(left):]
    cosine = np.asarray(unit[rows_left].multiply(unit[rows_right]).sum(axis=1)).ravel()

    def only(one: np.ndarray, other: np.ndarray) -> np.ndarray:
        shared = np.asarray(stable_weighted[one].multiply(present[other]).sum(axis=1)).ravel()
        return (stable_totals[one] - shared) / totals[one]

    return cosine, np.minimum(only(rows_left, rows_right), only(rows_right, rows_left))


@dataclass(frozen=True)
class Sighting:
    """One side of a comparison, for :meth:`DedupRules.judge`: a metric position, a time (seconds since the
    epoch: the report's arrival, or a case's latest report), an item, a normalised description and the
    position's spread (:data:`SPREAD_M`). A case is seen through its opening report's position, item, text and
    spread."""

    x: float
    y: float
    t: int
    item: str | None
    text: str = ""
    spread_m: float = 0.0


@dataclass(frozen=True)
class Judgement:
    """Whether a report may join a case and why not: ``reason`` is ``joins``, ``items not related``, ``too
    far``, ``too late``, ``no text and not close enough`` or ``score below the least score``; ``link`` is
    the link it would get (None when it fails before a score is made)."""

    reason: str
    link: Link | None = None

    @property
    def joins(self) -> bool:
        return self.reason == "joins"


@dataclass(frozen=True)
class DedupRules:
    """Windows per item, related items, how the score is made and the least score to join.

    Use :meth:`from_items` for the catalogue's items; tests and benchmarks may pass their own tables.
    """

    windows: Mapping[str, Window]
    related: Mapping[str, frozenset[str]]
    min_score: float = MIN_SCORE
    weights: tuple[float, float, float] = WEIGHTS
    side_penalty: float = SIDE_PENALTY
    difference_penalty: float = DIFFERENCE_PENALTY
    related_penalty: float = RELATED_PENALTY
    default_window: Window = DEFAULT_WINDOW

    @classmethod
    def from_items(cls, path: Path = ITEMS_YAML, related: Mapping[str, Sequence[str]] = RELATED,
                   time_factor: float = TIME_FACTOR, **options: Any) -> DedupRules:
        """Rules for the items of ``items.yaml``: each item's distance (:data:`DISTANCE_M`, else its domain's
        :data:`DOMAIN_DISTANCE_M`), its time limit (``time_limit_hours``) times ``time_factor`` as its time
        window, and the ``related`` items (:data:`RELATED`, made symmetric)."""
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        windows: dict[str, Window] = {}
        for item in document.get("items") or []:
            code, domain = str(item["code"]), str(item.get("domain") or "")
            distance = DISTANCE_M.get(code) or DOMAIN_DISTANCE_M.get(domain) or DEFAULT_WINDOW.distance_m
            hours = float(item.get("time_limit_hours") or DEFAULT_WINDOW.minutes / 60)
            windows[code] = Window(distance, hours * 60.0 * time_factor)
        return cls(windows, symmetric(related), **options)

    def window(self, case_item: str | None, report_item: str | None) -> Window | None:
        """The window between a case and a report of these items: the case's item's window when the items
        are the same or related (the case says what the problem is; a report filed under a neighbouring item
        does not change how long it lasts), None when they are not related."""
        if case_item != report_item and report_item not in self.related.get(case_item or "", ()):
            return None
        return self.windows.get(case_item or "", self.default_window)

    def tables(self, vocabulary: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray, NDArray[np.int64]]:
        """For the items of ``vocabulary``: the window distance and minutes between every two (NaN: not
        related), and each item's related group (items linked directly or through others share one). Made
        once for the catalogue's items."""
        index, distance, minutes, groups = self._catalogue
        rows = [index.get(item or "") for item in vocabulary]
        if None in rows:
            distance, minutes = _window_tables(vocabulary, self)
            return distance, minutes, _components(vocabulary, self)
        at = np.asarray(rows, np.int64)
        return distance[np.ix_(at, at)], minutes[np.ix_(at, at)], groups[at]

    @cached_property
    def _catalogue(self) -> tuple[dict[str, int], np.ndarray, np.ndarray, NDArray[np.int64]]:
        codes = sorted({*self.windows, *self.related, *(o for others in self.related.values() for o in others)})
        distance, minutes = _window_tables(codes, self)
        return {code: k for k, code in enumerate(codes)}, distance, minutes, _components(codes, self)

    @property
    def largest(self) -> Window:
        """The largest distance and time of any window (how far back open cases matter)."""
        all_windows = [*self.windows.values(), self.default_window]
        return Window(max(w.distance_m for w in all_windows), max(w.minutes for w in all_windows))

    def score(self, distance: float, gap_s: float, window_m: float, window_s: float, similarity: float | None,
              difference: float | None, same_item: bool, sides_differ: bool) -> float:
        """The score of a report for a case (see the module docstring): ``window_m`` is the distance window
        with the spreads added; ``similarity`` and ``difference`` are None when a description is missing
        (they count as 0)."""
        w_text, w_near, w_soon = self.weights
        return (w_text * (similarity or 0.0) + w_near * (1 - distance / window_m) + w_soon * (1 - gap_s / window_s)
                - (0.0 if same_item else self.related_penalty) - (self.side_penalty if sides_differ else 0.0)
                - self.difference_penalty * (difference or 0.0))

    def judge(self, case: Sighting, report: Sighting, stats: TextStats | None = None) -> Judgement:
        """Whether ``report`` may join ``case`` on its own (other cases aside), and the first rule that stops
        it: for an operator asking why two reports are two cases, and for the benchmark's diagnosis. The
        decision is :func:`assign`'s."""
        window = self.window(case.item, report.item)
        if window is None:
            return Judgement("items not related")
        spread = case.spread_m + report.spread_m
        reach = window.distance_m + spread
        d = math.hypot(report.x - case.x, report.y - case.y)
        if d > reach:
            return Judgement("too far")
        gap = abs(report.t - case.t)
        if gap > window.minutes * 60:
            return Judgement("too late")
        same = case.item == report.item
        sim, diff = (None, None) if not (case.text and report.text) else _Vectors(
            np.array([report.text, case.text], object), stats).compare(0, 1)
        said, told = positions(report.text), positions(case.text)
        sides_differ = bool(said and told and not said & told)
        score = self.score(d, gap, reach, window.minutes * 60, sim, diff, same, sides_differ)
        link = Link(round(d, 1), round(spread, 1), round(gap / 60.0, 1), _rounded(sim), _rounded(diff),
                    sides_differ, round(score, 3), same)
        if sim is None:
            ok = same and d <= reach / 2 and gap <= window.minutes * 30
            return Judgement("joins" if ok else "no text and not close enough", link)
        return Judgement("joins" if score >= self.min_score else "score below the least score", link)


def symmetric(related: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """``{"ZF001": ("ZF002",)}`` → ``{"ZF001": {"ZF002"}, "ZF002": {"ZF001"}}``."""
    out: dict[str, set[str]] = {}
    for item, others in related.items():
        for other in others:
            if other != item:
                out.setdefault(item, set()).add(other)
                out.setdefault(other, set()).add(item)
    return {item: frozenset(others) for item, others in out.items()}


def _rounded(value: float | None) -> float | None:
    return None if value is None or value != value else round(value, 3)


@dataclass(frozen=True)
class Link:
    """Why a report joined a case: distance (m) from the case's opening report, the allowance added to the
    distance window for uncertain positions (m, :data:`SPREAD_M`), minutes from the case's latest report,
    text similarity and difference to the opening report (None when a description is missing), whether the
    texts name different sides of the place, the score that chose this case, and whether the items match."""

    distance_m: float
    spread_m: float
    minutes: float
    text_similarity: float | None
    text_difference: float | None
    sides_differ: bool
    score: float
    same_item: bool

    def to_dict(self) -> dict[str, Any]:
        return {"rule": "duplicate", **asdict(self)}


@dataclass
class OpenCases:
    """The open cases a new report may join, as columns: id, metric position, latest report's time, item,
    normalised description, spread of the position (:data:`SPREAD_M`).

    The pipeline fills it from the store, adds the cases it opens and removes the cases that were closed.
    Cases loaded from the store have spread 0 (the store keeps no match level): only the cases a process
    opened itself carry their geocoding's spread.
    """

    ids: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    x: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    y: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    t: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    items: NDArray[np.object_] = field(default_factory=lambda: np.empty(0, object))
    texts: NDArray[np.object_] = field(default_factory=lambda: np.empty(0, object))
    spread: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))

    _COLUMNS = ("ids", "x", "y", "t", "items", "texts", "spread")

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids: Sequence[int] | np.ndarray, x: Any, y: Any, t: Any, items: Sequence[str | None],
            texts: Sequence[str | None], normalised: bool = False, spread: Any = None) -> None:
        """Add cases (``x``, ``y``: the opening report's metric position; ``t``: the latest report's time, seconds
        since the epoch; ``texts``: the opening report's description as given, or already through
        :func:`normalise_text` when ``normalised``; ``spread``: the opening position's spread, 0 without)."""
        n = len(ids)
        self.ids = np.concatenate([self.ids, np.asarray(ids, np.int64)])
        self.x = np.concatenate([self.x, np.asarray(x, float)])
        self.y = np.concatenate([self.y, np.asarray(y, float)])
        self.t = np.concatenate([self.t, np.asarray(t, np.int64)])
        self.items = np.concatenate([self.items, np.asarray(list(items), object)])
        texts = list(texts) if normalised else [normalise_text(s) for s in texts]
        self.texts = np.concatenate([self.texts, np.asarray(texts, object)])
        self.spread = np.concatenate([self.spread, np.zeros(n) if spread is None else np.asarray(spread, float)])

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
                         self.texts[rows], self.spread[rows])

    def remove(self, ids: Collection[int]) -> None:
        """Forget cases (closed, rejected, or found closed when a report wanted to join them)."""
        keep = ~np.isin(self.ids, np.fromiter(ids, np.int64, len(ids)))
        for name in self._COLUMNS:
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
    learning: list[tuple[int, str]] = field(default_factory=list)
    """What :meth:`TextStats.learn` should learn from, as (report ``i`` of the batch, normalised text of a case's
    opening report): for each report, the best-scoring case in its window with the same item whose text names
    a side of the place in common with the report's (东门 and 东门), joined or not. Two such reports are
    nearly always one problem, whatever their wording, so what they share and what they do not tell which
    words name the problem and which only word it — without taking the score's own word for it."""

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
           rules: DedupRules, stats: TextStats | None = None, normalised: bool = False,
           spread: Any = None) -> Decisions:
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
        Windows, related items, score.
    stats
        Bigram frequencies of recent texts (the caller adds the batch's texts first) and what links taught
        (:meth:`TextStats.learn`, after the batch); uniform weights without.
    normalised
        ``texts`` went through :func:`normalise_text` already.
    spread
        Each position's spread in metres (:func:`location_spread`); 0 without.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    t = np.asarray(t, np.int64)
    n = len(x)
    spread = np.zeros(n) if spread is None else np.asarray(spread, float)
    items_arr = np.asarray(list(items), object)
    texts_arr = np.asarray(list(texts) if normalised else [normalise_text(s) for s in texts], object)
    opens = np.ones(n, bool)
    case_id = np.full(n, _NEW, np.int64)
    opener = np.full(n, _NEW, np.int64)
    links: list[Link | None] = [None] * n
    learning: list[tuple[int, str]] = []
    if n == 0:
        return Decisions(opens, case_id, opener, links, {}, t.copy(), learning)
    order = np.argsort(t, kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    reach = int(rules.largest.minutes * 60 * 2)
    open_cases = open_cases.near(int(t.min()) - reach, int(t.max()) + reach)  # only these can be joined

    found = _candidate_pairs(x, y, t, items_arr, open_cases, rules, rank, spread)
    if found is None:
        return Decisions(opens, case_id, opener, links, {}, t.copy(), learning)
    query, target, item_ids, window_d, window_m = found
    m = len(open_cases)
    all_texts = np.concatenate([open_cases.texts, texts_arr])
    has_text = np.char.str_len(all_texts.astype(str)) > 0
    both = has_text[m + query] & has_text[target]
    similarity, difference = np.full(len(query), np.nan), np.full(len(query), np.nan)
    similarity[both], difference[both] = _compare(all_texts, m + query[both], target[both], stats)
    keep = np.argsort(rank[query], kind="stable")

    # The sweep, in arrival order. A candidate is an open case, or an earlier report of the batch standing
    # for the case it opened or joined; a case's latest report moves as reports join it.
    xs, ys = np.concatenate([open_cases.x, x]).tolist(), np.concatenate([open_cases.y, y]).tolist()
    spreads = np.concatenate([open_cases.spread, spread]).tolist()
    latest = np.concatenate([open_cases.t, t]).tolist()  # per case key: its latest report
    case_key = list(range(m + n))  # per target: the case it stands for (open case row, or m + opener)
    ids, wd_table, wm_table = item_ids.tolist(), window_d.tolist(), window_m.tolist()
    q_of, j_of = query[keep].tolist(), target[keep].tolist()
    sim_of, diff_of = similarity[keep].tolist(), difference[keep].tolist()
    t_list = t.tolist()
    best: tuple[float, int, float, float, float, float, float, bool, bool] | None = None
    texts_of = all_texts.tolist()
    vectors = _Vectors(all_texts, stats)
    case_texts: dict[tuple[int, int], tuple[float, float]] = {}
    sides: dict[int, frozenset[str]] = {}
    score_of, min_score = rules.score, rules.min_score
    alike: tuple[float, int] = (-math.inf, -1)  # the case to learn from: same item, a side in common

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
            extra = spreads[me] + spreads[c]
            wd += extra
            wm = wm_table[ids[c]][ids[me]] * 60.0
            d = math.hypot(xs[me] - xs[c], ys[me] - ys[c])
            gap = abs(t_list[q] - latest[c])
            same = ids[c] == ids[me]
            sim, diff = sim_of[position], diff_of[position]
            if c != j and d <= wd and gap <= wm:  # j stands for the case it joined: compare with the case's text
                if not (texts_of[me] and texts_of[c]):
                    sim = diff = math.nan
                elif (me, c) in case_texts:
                    sim, diff = case_texts[(me, c)]
                else:
                    sim, diff = case_texts[(me, c)] = vectors.compare(me, c)
            if d <= wd and gap <= wm and (sim == sim or (same and d <= wd / 2 and gap <= wm / 2)):
                said, told = side_of(me), side_of(c)
                differ = bool(said and told and not said & told)
                score = score_of(d, gap, wd, wm, sim if sim == sim else None, diff if diff == diff else None,
                                 same, differ)
                if (sim != sim or score >= min_score) and (best is None or score > best[0]):
                    best = (score, c, d, gap, sim, diff, extra, same, differ)
                if same and said & told and sim == sim and score > alike[0]:
                    alike = (score, c)
        if position + 1 < len(q_of) and q_of[position + 1] == q:
            continue
        if alike[1] >= 0:
            learning.append((q, texts_of[alike[1]]))
            alike = (-math.inf, -1)
        if best is not None:  # the last candidate of report q: join the best case, if any
            score, c, d, gap, sim, diff, extra, same, differ = best
            if c < m:
                case_id[q] = open_cases.ids[c]
            else:
                opener[q] = c - m
            opens[q] = False
            case_key[m + q] = c
            latest[c] = max(latest[c], t_list[q])
            links[q] = Link(round(d, 1), round(extra, 1), round(gap / 60.0, 1), _rounded(sim), _rounded(diff),
                            differ, round(score, 3), same)
            best = None
    touched = {int(open_cases.ids[c]): int(latest[c]) for c in range(m) if latest[c] != open_cases.t[c]}
    return Decisions(opens, case_id, opener, links, touched, np.asarray(latest[m:], np.int64), learning)


def _candidate_pairs(x: np.ndarray, y: np.ndarray, t: np.ndarray, items: np.ndarray, open_cases: OpenCases,
                     rules: DedupRules, rank: np.ndarray, spread: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """Candidate pairs (report, target) of related items near enough in place and time to be worth a look,
    and what the sweep needs to test them exactly: every target's item id and the window tables.

    Targets below ``len(open_cases)`` are open cases; the others are reports of the batch (shifted by
    ``len(open_cases)``) that arrived earlier. Time is tested loosely (twice the window): the exact test is
    the sweep's, against the case's latest report, which moves as the batch's reports join it. Distance is
    tested against the window widened by both spreads; the grid is searched at the group's largest window
    plus the largest spread up to :data:`WIDE_SPREAD_M`, and the pairs with a wider spread on a coarser grid."""
    m = len(open_cases)
    all_x, all_y = np.concatenate([open_cases.x, x]), np.concatenate([open_cases.y, y])
    all_t = np.concatenate([open_cases.t, t])
    all_s = np.concatenate([open_cases.spread, spread])
    all_items = np.concatenate([open_cases.items, items])
    vocabulary = sorted(set(all_items.tolist()), key=lambda i: (i is None, i or ""))
    code = {item: k for k, item in enumerate(vocabulary)}
    item_ids = np.fromiter((code[i] for i in all_items.tolist()), np.int64, len(all_items))
    window_d, window_m, group_of = rules.tables(vocabulary)
    group_ids = group_of[item_ids]
    wide = all_s > WIDE_SPREAD_M
    candidates = np.arange(m + len(x))
    found: list[tuple[np.ndarray, np.ndarray]] = []
    batch_groups = group_ids[m:]
    for group in np.unique(batch_groups).tolist():
        queries = np.flatnonzero(batch_groups == group)
        targets = candidates[group_ids[candidates] == group]
        members = np.flatnonzero(group_of == group)
        size = float(np.nanmax(window_d[np.ix_(members, members)]))
        period = float(np.nanmax(window_m[np.ix_(members, members)])) * 60 * 2
        narrow_q, narrow_t = queries[~wide[m + queries]], targets[~wide[targets]]
        passes = [(narrow_q, narrow_t, size + _most(spread[narrow_q]) + _most(all_s[narrow_t]))]
        if wide[m + queries].any() or wide[targets].any():  # each pair with a wide spread once, on a coarse grid
            coarse = size + 2 * _most(all_s[np.concatenate([m + queries, targets])])
            passes += [(queries[wide[m + queries]], targets, coarse), (narrow_q, targets[wide[targets]], coarse)]
        for qs, ts, step in passes:
            q, k = _grid_join(x[qs], y[qs], t[qs], all_x[ts], all_y[ts], all_t[ts], step, period)
            found.append((qs[q], ts[k]))
    if not found:
        return None
    query = np.concatenate([f[0] for f in found])
    target = np.concatenate([f[1] for f in found])
    is_report = target >= m
    earlier = np.ones(len(query), bool)
    earlier[is_report] = rank[target[is_report] - m] < rank[query[is_report]]
    query, target = query[earlier], target[earlier]
    case_item, report_item = item_ids[target], item_ids[m + query]
    pair_d = window_d[case_item, report_item] + spread[query] + all_s[target]
    pair_m = window_m[case_item, report_item]
    distance = np.hypot(x[query] - all_x[target], y[query] - all_y[target])
    minutes = np.abs(t[query] - all_t[target]) / 60.0
    with np.errstate(invalid="ignore"):
        ok = (distance <= pair_d) & (minutes <= 2 * pair_m)  # NaN windows (unrelated items) compare False
    if not ok.any():
        return None
    order = np.lexsort((target[ok], query[ok]))  # the same pairs in the same order, however the grid found them
    return query[ok][order], target[ok][order], item_ids, window_d, window_m


def _most(values: np.ndarray) -> float:
    return float(values.max()) if len(values) else 0.0


def _components(vocabulary: Sequence[str | None], rules: DedupRules) -> NDArray[np.int64]:
    """For each item of ``vocabulary``, its group: items linked by :attr:`DedupRules.related` (directly or
    through others) share one, so each group is searched once."""
    group = list(range(len(vocabulary)))

    def root(k: int) -> int:
        while group[k] != k:
            group[k] = group[group[k]]
            k = group[k]
        return k

    where = {item: k for k, item in enumerate(vocabulary)}
    for k, item in enumerate(vocabulary):
        for other in rules.related.get(item or "", ()):
            if other in where:
                group[root(where[other])] = root(k)
    return np.asarray([root(k) for k in range(len(vocabulary))], np.int64)


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
    keys = key(qb[0] + _NEIGHBOURS[:, :1], qb[1] + _NEIGHBOURS[:, 1:2], qb[2] + _NEIGHBOURS[:, 2:]).ravel()
    lo = np.searchsorted(sorted_keys, keys, "left")
    counts = np.searchsorted(sorted_keys, keys, "right") - lo
    total = int(counts.sum())
    if not total:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    queries = np.repeat(np.tile(np.arange(len(qx)), len(_NEIGHBOURS)), counts)
    return queries, order[np.arange(total) + starts]


_NEIGHBOURS: Final = np.array([(dx, dy, dt) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dt in (-1, 0, 1)], np.int64)
"""The 27 bucket offsets a grid search looks in: a bucket and its neighbours in x, y and time."""


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
