"""Geocoding the hotline's free-text addresses against the gazetteer.

``Geocoder(gazetteer).geocode("殿前街道兴隆路与港中路交叉口往北50米")`` returns a :class:`GeocodeResult`: the
point (lon, lat), the gazetteer entity it rests on, the match level (building, number, intersection, poi,
road, community, township), a confidence in [0, 1], the township and community codes, and the candidates
when the text fits several places. Below ``threshold`` (0.6 by default) the status is ``needs_manual``
(needs manual location) — the point is only a suggestion for the operator; text that names nothing is ``not_found`` or ``unparseable``
with a reason. Nothing the caller sends raises.

How an address is read:

1. :func:`geo.address.normalise` and :func:`geo.address.parse` (numbers, buildings, relative phrase);
2. :class:`geo.name_index.NameIndex` finds the gazetteer's names — exactly, then by sound when some text is
   left unexplained, then with a typo when the structure asks for a name that was not found (a building
   number with no compound, a crossing with one road, a house number with no road);
3. each name gets its role from what follows it (``金山3号楼``: a compound; ``凤山123号``: a road);
4. the most specific reading wins: building > intersection > named place > road + number > road >
   community > township; townships and communities named in the text break ties between candidates and
   lower the confidence of a candidate they contradict;
5. a relative phrase after the place moves the point (``往北50米``) in the metric CRS.

>>> from pathlib import Path                                                    # doctest: +SKIP
>>> geocoder = Geocoder.from_folder(Path("data/demo"))                          # doctest: +SKIP
>>> geocoder.geocode("金山小区3栋楼下").level                                   # doctest: +SKIP
'building'

Notes
-----
Positions are computed in EPSG:4548 metres and returned as WGS84 lon/lat (EPSG:4326). A house number is
placed by linear interpolation between the piece's ``number_from`` and ``number_to``, then moved
``side_offset_m`` to its side of the road (odd numbers on the left of the direction of digitisation).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import shapely

from geo.address import (
    MAX_ADDRESS_CHARS,
    Number,
    ParsedAddress,
    has_chinese,
    is_cjk,
    normalise,
    parse,
)
from geo.crs import DISTRICT_METRIC_CRS, WGS84, transformer
from geo.gazetteer import Gazetteer, Place, RoadPiece, build_gazetteer, read_gazetteer
from geo.name_index import COMPOUND_SUFFIXES, Entry, Mention, NameIndex

DEFAULT_THRESHOLD = 0.6
SIDE_OFFSET_M = 25.0
"""How far a house number is put off the road centre line, to its side (odd left, even right): half a
street and its pavement, where the doors are."""
MEET_TOLERANCE_M = 30.0
"""Two roads whose lines come this close meet, even where the gazetteer names no crossing."""
DISTINCT_M = 150.0
"""Candidates closer than this are one place for ambiguity purposes."""
AMBIGUITY_MARGIN = 0.1
"""A second candidate this close in confidence (and elsewhere) makes the answer ambiguous."""

LEVELS = ("building", "number", "intersection", "poi", "road", "community", "township")

# Confidence: where an answer starts …
BASE_CONFIDENCE = {
    "building": 0.97, "poi": 0.95, "intersection": 0.95, "number": 0.92, "community": 0.85, "township": 0.55,
}
CROSSING_COMPUTED = 0.85           # two roads that meet where the gazetteer names no crossing
ROAD_BASE, ROAD_SHARE = 0.4, 0.45  # road only: 0.4 + 0.45 × share of the road in its main community
ROAD_IN_COMMUNITY_M = 30.0         # a road this close to the community the text names runs through it
# … what the way the name was written costs …
HOMOPHONE_PER_CHAR = 0.07
FUZZY_PER_EDIT = 0.9               # × edits / name length: one typo in a 6-character name costs 0.15
CONTESTED = 0.2                    # a short form that also names something else (望海: 望海社区 or 望海小区?)
CORROBORATED = 0.1                 # back for a typo'd name that the rest of the text confirms
# … what the rest of the text says about it …
TOWN_AGREES, TOWN_DISAGREES = 0.03, 0.12
TOWN_CONFIRMS, TOWN_DISAGREES_UNCERTAIN = 0.1, 0.25  # the same, for a name written short, by sound or with a typo
COMMUNITY_AGREES, COMMUNITY_DISAGREES = 0.03, 0.06
NAMED_COMMUNITY_M = 50.0           # a point this close to the community the text names is taken to be in it
OTHER_DISTRICT = 0.05              # 湖里区…: a wrong prefix, or not our district at all
BUILDING_MISSING = 0.12            # 金山小区12号楼 when the compound has 8 buildings: the compound
NUMBER_MISSING = 0.1               # a house number beyond the road's numbers: the road
CROSSING_UNKNOWN = 0.2             # 凤山路与X路交叉口 where X is not found: the road alone is a poor answer
UNEXPLAINED_COARSE = 0.12          # a road/community/township answer with words left over that may name a place
VAGUE_RELATIVE = 0.02              # 附近, 周边
# … and what geometry allows.
BORDER_M = 10.0                    # a computed point this close to another community could lie in either …
BORDER_CAP = 0.55                  # … so its confidence is at most this (below the default threshold)

_CONNECTOR = re.compile(r"(?:与|和|跟|同|及|、|/|交|-)?")
_CROSSING_WORD = re.compile(r"交叉路口|十字路口|丁字路口|交叉口|交汇处|交汇口|交界处|路口|交界|交口|口")
_CROSSING_INTENT = re.compile(r"交叉|十字路口|丁字路口|交汇|交界|交口|路口|(?:路|街|道|巷|里)(?:与|和|跟|、)")


@dataclass(frozen=True, slots=True)
class Entity:
    """The gazetteer record an answer rests on: ``kind`` (township, community, road, intersection, poi,
    landmark, compound, building), ``id`` (code, road piece id or place id) and ``name``."""

    kind: str
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One possible answer."""

    entity: Entity
    level: str
    lon: float
    lat: float
    township_code: str | None
    community_code: str | None
    confidence: float


@dataclass(frozen=True)
class GeocodeResult:
    """What the geocoder made of one address.

    ``status`` is ``ok`` (confidence ≥ threshold, one answer), ``needs_manual`` (needs manual location: the
    point is a suggestion below the threshold), ``ambiguous`` (several candidates, no point), ``not_found``
    (no known place in the text) or ``unparseable`` (no address at all); ``reason`` says why in words.
    """

    text: str | None
    status: str
    reason: str = ""
    lon: float | None = None
    lat: float | None = None
    level: str | None = None
    entity: Entity | None = None
    confidence: float = 0.0
    township_code: str | None = None
    community_code: str | None = None
    candidates: tuple[Candidate, ...] = ()
    relative: str | None = None
    normalised: str = ""

    @property
    def point(self) -> tuple[float, float] | None:
        return None if self.lon is None or self.lat is None else (self.lon, self.lat)

    @property
    def placed(self) -> bool:
        """True when the geocoder is confident (status ``ok``); otherwise an operator must place the report."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class _Answer:
    """A candidate under construction (metric coordinates, notes for the reason)."""

    level: str
    entity: Entity
    x: float
    y: float
    township_code: str | None
    community_code: str | None
    confidence: float
    end: int  # where the named place ends in the text: a relative phrase after it applies
    notes: list[str] = field(default_factory=list)
    corroborated: bool = False
    uncertain: bool = False  # the name was written short, by sound or with a typo
    computed: bool = False   # the point is computed (house number, crossing of lines), not a gazetteer point
    cap: float = 1.0         # the most the confidence may be, whatever the evidence (see BORDER_CAP)
    agrees: int = 0          # how many of the townships/communities named in the text it lies in


@dataclass(slots=True)
class _Role:
    mention: Mention
    role: str  # township | community | road | place
    entries: tuple[Entry, ...]
    number: Number | None = None    # house number right after a road or a village
    building: Number | None = None  # building number right after a compound
    contested: tuple[Entry, ...] = ()  # what else the short form names


class Geocoder:
    """Address → place, against one gazetteer (build once: the indexes take a second or two)."""

    def __init__(self, gazetteer: Gazetteer, threshold: float = DEFAULT_THRESHOLD,
                 side_offset_m: float = SIDE_OFFSET_M) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold {threshold}: must lie in [0, 1]")
        self.gazetteer = gazetteer
        self.index = NameIndex.from_gazetteer(gazetteer)
        self.threshold = threshold
        self.side_offset_m = side_offset_m
        self._to_lonlat = transformer(DISTRICT_METRIC_CRS, WGS84).transform

    @classmethod
    def from_folder(cls, folder: Path, **options: Any) -> Geocoder:
        """A geocoder over a jurisdiction folder (``python -m data generate`` writes one)."""
        return cls(read_gazetteer(Path(folder)), **options)

    @classmethod
    def from_frames(cls, townships, communities, roads=None, places=None, **options: Any) -> Geocoder:
        """A geocoder over frames with the jurisdiction folder's columns (e.g. read from the store)."""
        return cls(build_gazetteer(townships, communities, roads, places), **options)

    # ------------------------------------------------------------------ public

    def geocode(self, text: str | None) -> GeocodeResult:
        """The place an address names (see the module docstring); never raises on bad input."""
        refusal = _refusal(text)
        if refusal:
            return GeocodeResult(text if isinstance(text, str) else None, "unparseable", refusal)
        normal = normalise(text)
        if not normal:
            return GeocodeResult(text, "unparseable", "nothing but spaces, punctuation or symbols", normalised=normal)
        if not has_chinese(normal):
            return GeocodeResult(text, "unparseable", "no Chinese characters: not an address in the district",
                                 normalised=normal)
        parsed = parse(normal)
        answers = self._read(parsed)
        if not answers:
            return GeocodeResult(text, "not_found", "no known place, road, community or township in the text",
                                 normalised=normal)
        return self._result(text, normal, parsed, answers)

    def geocode_many(self, texts: Iterable[str | None]) -> list[GeocodeResult]:
        """:meth:`geocode` for each text, in order (a text repeated in the batch is read once)."""
        seen: dict[str, GeocodeResult] = {}
        out = []
        for text in texts:
            if isinstance(text, str) and text in seen:
                out.append(seen[text])
                continue
            result = self.geocode(text)
            if isinstance(text, str):
                seen[text] = result
            out.append(result)
        return out

    # ------------------------------------------------------------------ reading

    def _read(self, parsed: ParsedAddress) -> list[_Answer]:
        """Candidate answers of the best reading: exact names, plus homophones and typos when needed."""
        text = parsed.text
        mentions = self.index.scan(text)
        reading = _Reading(self, parsed, mentions)
        if reading.unexplained():
            sounds = self.index.scan_sounds(text, mentions, reading.unexplained_runs())
            if sounds:
                mentions = mentions + sounds
                reading = _Reading(self, parsed, mentions)
        answers = reading.answers()
        if reading.wants_fuzzy(answers):
            extra = self.index.fuzzy(text, reading.unexplained_runs())
            if extra:
                fuzzy_reading = _Reading(self, parsed, mentions + extra)
                fuzzy_answers = fuzzy_reading.answers()
                if fuzzy_answers and (not answers or _rank(fuzzy_answers[0]) < _rank(answers[0])):
                    return fuzzy_answers
        return answers

    def _result(self, text: str, normal: str, parsed: ParsedAddress, answers: list[_Answer]) -> GeocodeResult:
        """The relative phrase applied, ambiguity judged, the status decided."""
        answers = _merge_same_place(answers)
        best = answers[0]
        relative = parsed.relative_after(best.end)
        for answer in answers:
            self._apply_relative(answer, relative)
        # ambiguity is judged before the border caps: a rival does not win by lying near a border
        answers.sort(key=lambda a: -a.confidence)
        best = answers[0]
        rivals = [a for a in answers[1:] if math.hypot(a.x - best.x, a.y - best.y) > DISTINCT_M and (
            a.confidence >= best.confidence - AMBIGUITY_MARGIN
            # the parts of one road in two townships: only the text can choose between them
            or (a.level == best.level == "road" and a.entity.name == best.entity.name and a.agrees >= best.agrees))]
        for answer in answers:
            answer.confidence = round(min(1.0, answer.cap, max(0.0, answer.confidence)), 3)
        candidates = tuple(self._candidate(a) for a in answers[:10]) if len(answers) > 1 else ()
        phrase = relative.phrase if relative else None
        if rivals:
            names = "、".join(dict.fromkeys(a.entity.name + f"({a.township_code})" for a in [best, *rivals]))
            return GeocodeResult(text, "ambiguous", f"{len(rivals) + 1} places fit: {names}",
                                 confidence=best.confidence, candidates=candidates, relative=phrase,
                                 normalised=normal, level=best.level)
        lon, lat = self._lonlat(best.x, best.y)
        status = "ok" if best.confidence >= self.threshold else "needs_manual"
        notes = "; ".join(best.notes)
        if status == "needs_manual":
            reason = f"needs manual location: confidence {best.confidence:.2f} below {self.threshold:.2f}"
            reason += f" ({notes})" if notes else ""
        else:
            reason = notes
        return GeocodeResult(
            text, status, reason, lon, lat, best.level, best.entity, best.confidence, best.township_code,
            best.community_code, candidates, phrase, normal,
        )

    def _apply_relative(self, answer: _Answer, relative) -> None:
        if relative is None:
            return
        if relative.kind == "offset" and answer.level in ("community", "township"):
            # measured from an unknown house of the village: most likely still in it, a little less sure
            answer.notes.append(f"{relative.phrase} not applied: no point in the {answer.level} to measure it from")
            answer.confidence -= min(0.1, relative.distance_m / 2000.0)
        elif relative.kind == "offset":
            answer.x += relative.dx * relative.distance_m
            answer.y += relative.dy * relative.distance_m
            answer.community_code = self.gazetteer.community_at(answer.x, answer.y) or answer.community_code
            answer.township_code = self.gazetteer.township_of(answer.community_code) or answer.township_code
            answer.confidence -= min(0.1, relative.distance_m / 2000.0)
            answer.notes.append(f"moved {relative.phrase}")
            self._check_border(answer, BORDER_M)  # a computed point too
        elif relative.vague:
            answer.confidence -= VAGUE_RELATIVE

    def _check_border(self, a: _Answer, metres: float) -> None:
        """A computed point next to another community: which side it is on is a guess (see BORDER_M)."""
        if a.level in ("community", "township"):
            return
        others = self.gazetteer.neighbours_within(a.x, a.y, metres, a.community_code)
        if others:
            a.cap = BORDER_CAP
            a.notes.append(f"within {metres:.0f} m of community {'、'.join(others)}: which side is unsure")

    def _candidate(self, a: _Answer) -> Candidate:
        lon, lat = self._lonlat(a.x, a.y)
        return Candidate(a.entity, a.level, lon, lat, a.township_code, a.community_code, a.confidence)

    def _lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = self._to_lonlat(x, y)
        return round(lon, 7), round(lat, 7)

    # ------------------------------------------------------------------ places from entries

    def house_number_point(self, piece: RoadPiece, number: int) -> tuple[float, float]:
        """Metric point of ``number`` on ``piece``: interpolated between its first and last number, then
        ``side_offset_m`` to the left (odd) or right (even) of the line's direction."""
        first, last = piece.number_from or 1, piece.number_to or 2
        t = min(1.0, max(0.0, (number - first + 0.5) / max(1, last - first + 1)))
        line = piece.line
        s = t * line.length
        at = line.interpolate(s)
        if not self.side_offset_m:
            return at.x, at.y
        ahead, back = line.interpolate(min(s + 1.0, line.length)), line.interpolate(max(s - 1.0, 0.0))
        dx, dy = ahead.x - back.x, ahead.y - back.y
        norm = math.hypot(dx, dy) or 1.0
        side = self.side_offset_m if number % 2 else -self.side_offset_m  # left of travel is (-dy, dx)
        return at.x - dy / norm * side, at.y + dx / norm * side

    def crossing_point(self, a: str, b: str) -> tuple[float, float, RoadPiece, RoadPiece] | None:
        """Where roads ``a`` and ``b`` meet (their lines within ``MEET_TOLERANCE_M``), or None."""
        best = None
        for pa in self.gazetteer.roads[a].pieces:
            for pb in self.gazetteer.roads[b].pieces:
                d = shapely.distance(pa.line, pb.line)
                if d <= MEET_TOLERANCE_M and (best is None or d < best[0]):
                    best = (d, pa, pb)
        if best is None:
            return None
        p, q = shapely.shortest_line(best[1].line, best[2].line).coords
        return (p[0] + q[0]) / 2, (p[1] + q[1]) / 2, best[1], best[2]


class _Reading:
    """One reading of an address: the names chosen, their roles, the hints, and the answers they give."""

    def __init__(self, geocoder: Geocoder, parsed: ParsedAddress, mentions: list[Mention]) -> None:
        self.g = geocoder
        self.gaz = geocoder.gazetteer
        self.parsed = parsed
        self.text = parsed.text
        self.mentions = _select(mentions, len(self.text))
        self.roles = [self._role(m) for m in self.mentions]
        self.towns = {e.key for r in self.roles if r.role == "township" for e in r.entries}
        self.comms = {e.key for r in self.roles if r.role == "community" for e in r.entries}
        self.crossing_marks: list[tuple[int, int]] = []
        self.joined = self._joined_roads()
        self._unexplained: int | None = None
        self._covered_cache: bytearray | None = None

    # ---------------------------------------------------------------- roles

    def _role(self, m: Mention) -> _Role:
        """What a name is here, from what follows it: 金山3号楼 a compound, 凤山123号 a road, else by kind."""
        building = self._number_after(self.parsed.buildings, m.end, allow_suffix=True)
        number = self._number_after(self.parsed.house_numbers, m.end)
        first = m.entries[0].kind
        if building is None and number is None and all(e.kind == first for e in m.entries):
            return _Role(m, first, tuple(e for e in m.entries if not e.alias) or m.entries)
        by_kind: dict[str, list[Entry]] = {}
        for e in m.entries:
            by_kind.setdefault(e.kind, []).append(e)
        compounds = [e for e in by_kind.get("place", []) if self.gaz.places[e.key].kind == "compound"]
        if building and not compounds and ("road" in by_kind or "community" in by_kind):
            number = Number(building.value, building.start, building.end - 1)  # 凤山路115号楼下: 115号 + 楼下
        if building and compounds:
            kind, entries, extra = "place", compounds, {"building": building}
        elif number and "road" in by_kind:
            kind, entries, extra = "road", by_kind["road"], {"number": number}
        elif number and "community" in by_kind:
            kind, entries, extra = "community", by_kind["community"], {"number": number}
        elif number and compounds:
            kind, entries, extra = "place", compounds, {"building": number}  # 金山小区3号: building 3
        else:
            full = {k: [e for e in v if not e.alias] for k, v in by_kind.items()}
            order = [(k, full[k]) for k in ("place", "road", "community", "township") if full.get(k)]
            order += [(k, by_kind[k]) for k in ("township", "community", "place", "road") if by_kind.get(k)]
            kind, entries = order[0]
            extra = {}
        contested = tuple(e for e in m.entries if e.kind != kind) if all(e.alias for e in entries) else ()
        return _Role(m, kind, tuple(entries), contested=contested, **extra)

    def _number_after(self, numbers: tuple[Number, ...], end: int, allow_suffix: bool = False) -> Number | None:
        """The number written right after position ``end`` (``的`` or a compound's kind word may come between)."""
        for n in numbers:
            gap = self.text[end:n.start]
            if n.start >= end and (gap in ("", "的") or (allow_suffix and gap in COMPOUND_SUFFIXES)):
                return n
        return None

    def _joined_roads(self) -> list[tuple[_Role, _Role, int]]:
        """Pairs of roads written as a crossing (``A与B交叉口``, ``A和B路口``, ``AB路口``), with where it ends."""
        roads = [r for r in self.roles if r.role == "road" and r.number is None]
        joined = []
        for first, second in zip(roads, roads[1:], strict=False):
            gap = self.text[first.mention.end:second.mention.start]
            suffix = _CROSSING_WORD.match(self.text, second.mention.end)
            if not _CONNECTOR.fullmatch(gap) or (not gap and not suffix):
                continue
            end = suffix.end() if suffix else second.mention.end
            self.crossing_marks += [(first.mention.end, second.mention.start), (second.mention.end, end)]
            joined.append((first, second, end))
        return joined

    # ---------------------------------------------------------------- what is left unexplained

    def _covered(self) -> bytearray:
        if self._covered_cache is not None:
            return self._covered_cache
        covered = self._covered_cache = bytearray(len(self.text))
        spans = [self.parsed.admin, *self.parsed.fillers, *self.crossing_marks]
        spans += [(n.start, n.end) for n in self.parsed.house_numbers + self.parsed.buildings]
        spans += [(r.start, r.end) for r in self.parsed.relatives]
        spans += [(m.start, m.end) for m in self.mentions]
        spans += [(r.mention.end, r.building.start) for r in self.roles if r.building is not None]
        for a, b in spans:
            covered[a:b] = b"\x01" * (b - a)
        return covered

    def unexplained(self) -> int:
        """How many Chinese characters no name, number, relative phrase or filler word explains."""
        if self._unexplained is None:
            covered = self._covered()
            self._unexplained = sum(1 for i, ch in enumerate(self.text) if not covered[i] and is_cjk(ch))
        return self._unexplained

    def unexplained_runs(self) -> list[tuple[int, int]]:
        """Maximal stretches of unexplained Chinese characters (where a typo'd name may hide)."""
        covered = self._covered()
        runs, start = [], None
        for i, ch in enumerate(self.text + " "):
            free = i < len(self.text) and not covered[i] and is_cjk(ch)
            if free and start is None:
                start = i
            elif not free and start is not None:
                runs.append((start, i))
                start = None
        return runs

    def wants_fuzzy(self, answers: list[_Answer]) -> bool:
        """Look for typo'd names when the text asks for a name it does not have, or is left unexplained."""
        if not answers:
            return True
        if self.parsed.buildings and not any(r.building is not None or r.number is not None for r in self.roles):
            return True  # 金止小区3号楼: a building of no known compound
        if self.parsed.house_numbers and not any(r.number is not None or r.building is not None for r in self.roles):
            return True  # 凤止路12号: a house number on no known road
        if not self.joined and _CROSSING_INTENT.search(self.text) and answers[0].level != "poi":
            return True  # 凤止路与大同路交叉口: a crossing with one road
        runs = self.unexplained_runs()
        if runs and answers[0].level in ("road", "community", "township"):
            return True  # something more precise may be written there
        # 五显街口仑交站, 美林派出听: unexplained text right against a name may be the rest of a longer name
        edges = {m.start for m in self.mentions} | {m.end for m in self.mentions}
        return any(a in edges or b in edges for a, b in runs)

    # ---------------------------------------------------------------- answers

    def answers(self) -> list[_Answer]:
        """Candidates of the most specific reading, best first (empty when the text names nothing)."""
        for read in (self._buildings, self._crossings, self._places, self._numbered_roads, self._roads,
                     self._communities, self._townships):
            found = read()
            if found:
                for a in found:
                    self._adjust(a)
                found.sort(key=lambda a: -a.confidence)
                return found
        return []

    def _answer(self, level: str, entity: Entity, x: float, y: float, township: str | None,
                community: str | None, base: float, end: int, role: _Role, entry: Entry) -> _Answer:
        """An answer whose confidence starts at ``base`` less what the way the name was written costs."""
        m = role.mention
        penalty, notes = entry.penalty, []
        if m.method == "homophone":
            penalty += HOMOPHONE_PER_CHAR * m.edits
            notes.append(f"homophone of {entry.surface}")
        elif m.method == "fuzzy":
            penalty += FUZZY_PER_EDIT * m.edits / len(entry.surface)
            notes.append(f"typo for {entry.surface}")
        if role.contested and not any(e.kind == "community" and e.key == community for e in role.contested):
            penalty += CONTESTED
            notes.append(f"{m.entries[0].surface} also names {_kinds(role.contested)}")
        uncertain = m.method != "exact" or entry.alias
        return _Answer(level, entity, x, y, township, community, base - penalty, end, notes, uncertain=uncertain)

    def _place(self, place: Place, level: str, r: _Role, end: int) -> _Answer:
        entry = next((e for e in r.entries if e.key == place.id), r.entries[0])  # a building's compound
        return self._answer(level, Entity(place.kind, place.id, place.name), place.x, place.y, place.township_code,
                            place.community_code, BASE_CONFIDENCE[level], end, r, entry)

    def _buildings(self) -> list[_Answer]:
        out = []
        for r in self.roles:
            if r.role != "place" or r.building is None:
                continue
            n = r.building.value
            with_n = [e for e in r.entries if n in self.gaz.buildings.get(e.key, {})]
            for e in with_n:
                a = self._place(self.gaz.places[self.gaz.buildings[e.key][n]], "building", r, r.building.end)
                a.corroborated = r.mention.method == "fuzzy" and len(with_n) < len(r.entries)
                out.append(a)
            if not with_n:
                for e in r.entries:
                    a = self._place(self.gaz.places[e.key], "poi", r, r.building.end)
                    a.confidence -= BUILDING_MISSING
                    a.notes.append(f"building {n} of {self.gaz.places[e.key].name} not in the gazetteer")
                    out.append(a)
        return out

    def _crossings(self) -> list[_Answer]:
        return [a for first, second, end in self.joined for a in self._crossing_answers(first, second, end)]

    def _crossing_answers(self, first: _Role, second: _Role, end: int) -> list[_Answer]:
        out = []
        pairs = [(a, b) for a in first.entries for b in second.entries if a.key != b.key]
        met = [(a, b) for a, b in pairs if b.key in self.gaz.partners.get(a.key, ())]
        typo = "fuzzy" in (first.mention.method, second.mention.method)
        for a, b in met:
            for place_id in self.gaz.crossings.get(frozenset((a.key, b.key)), ()):
                answer = self._place(self.gaz.places[place_id], "intersection", first, end)
                other = self._answer("intersection", answer.entity, 0, 0, None, None, 0.0, end, second, b)
                answer.confidence += other.confidence  # the second road's penalty too
                answer.notes += other.notes
                answer.uncertain |= other.uncertain
                answer.corroborated = typo and len(met) < len(pairs)
                out.append(answer)
        if out or len(pairs) > 4:
            return out
        for a, b in pairs:  # roads that meet where the gazetteer names no crossing
            point = self.g.crossing_point(a.key, b.key)
            if point is None:
                continue
            x, y, piece_a, piece_b = point
            community = self.gaz.community_at(x, y)
            entity = Entity("intersection", f"{piece_a.id}+{piece_b.id}", f"{a.key}与{b.key}交叉口")
            answer = self._answer("intersection", entity, x, y, self.gaz.township_of(community) or piece_a.township_code,
                                  community, CROSSING_COMPUTED, end, first, a)
            other = self._answer("intersection", entity, 0, 0, None, None, 0.0, end, second, b)
            answer.confidence += other.confidence
            answer.notes += [*other.notes, "crossing computed from the road lines"]
            answer.computed = True
            out.append(answer)
        return out

    def _places(self) -> list[_Answer]:
        return [self._place(self.gaz.places[e.key], "poi", r, r.mention.end)
                for r in self.roles if r.role == "place" and r.building is None for e in r.entries]

    def _numbered_roads(self) -> list[_Answer]:
        out = []
        for r in self.roles:
            if r.role != "road" or r.number is None:
                continue
            n = r.number.value
            fitting = [(e, p) for e in r.entries for p in self.gaz.roads[e.key].pieces if p.has_number(n)]
            for e, piece in fitting:
                x, y = self.g.house_number_point(piece, n)
                community = self.gaz.community_at(x, y)
                a = self._answer("number", Entity("road", piece.id, piece.name), x, y,
                                 self.gaz.township_of(community) or piece.township_code, community,
                                 BASE_CONFIDENCE["number"], r.number.end, r, e)
                a.corroborated = r.mention.method == "fuzzy" and len(fitting) < len(r.entries)
                a.computed = True
                out.append(a)
        if out:
            return out
        for r in self.roles:  # a number beyond every piece: the road alone, weaker
            if r.role == "road" and r.number is not None:
                for a in self._road_answers(r, r.number.end):
                    a.confidence -= NUMBER_MISSING
                    a.notes.append(f"no number {r.number.value} on {a.entity.name}")
                    out.append(a)
        return out

    def _roads(self) -> list[_Answer]:
        return [a for r in self.roles if r.role == "road" for a in self._road_answers(r, r.mention.end)]

    def _road_answers(self, r: _Role, end: int) -> list[_Answer]:
        """A road without a number: the stretch in the community the text names, else the middle of the
        road's part in its main community (as good as the share of the road that community holds)."""
        out = []
        for e in r.entries:
            road = self.gaz.roads[e.key]
            for part in road.parts.values():
                for code in sorted(self.comms):
                    stretch = self.gaz.road_in_community(part, code, ROAD_IN_COMMUNITY_M)
                    if stretch is not None:
                        piece, x, y = stretch
                        a = self._answer("road", Entity("road", piece.id, road.name), x, y, part.township_code,
                                         code, ROAD_BASE + ROAD_SHARE, end, r, e)
                        a.notes.append(f"the stretch of the road in community {code}")
                        out.append(a)
                        break
                else:
                    piece = max(part.pieces, key=lambda p: p.line.length)
                    a = self._answer("road", Entity("road", piece.id, road.name), part.x, part.y,
                                     part.township_code, part.community_code,
                                     ROAD_BASE + ROAD_SHARE * part.community_share, end, r, e)
                    a.notes.append(f"road only: {part.community_share:.0%} of it in one community")
                    out.append(a)
        return out

    def _communities(self) -> list[_Answer]:
        out = []
        for r in self.roles:
            if r.role != "community":
                continue
            end = r.number.end if r.number else r.mention.end
            for e in r.entries:
                c = self.gaz.communities[e.key]
                a = self._answer("community", Entity("community", c.code, c.name), c.x, c.y, c.township_code,
                                 c.code, BASE_CONFIDENCE["community"], end, r, e)
                # 卞墩村94号: a village house number, and only one village a typo away
                a.corroborated = r.mention.method == "fuzzy" and r.number is not None and len(r.entries) == 1
                out.append(a)
        return out

    def _townships(self) -> list[_Answer]:
        out = []
        for r in self.roles:
            if r.role != "township":
                continue
            for e in r.entries:
                t = self.gaz.townships[e.key]
                a = self._answer("township", Entity("township", t.code, t.name), t.x, t.y, t.code, None,
                                 BASE_CONFIDENCE["township"], r.mention.end, r, e)
                a.notes.append("township only")
                out.append(a)
        return out

    def _adjust(self, a: _Answer) -> None:
        """Agreement with the townships and communities the text names, other districts, leftovers."""
        if a.corroborated:
            a.confidence += CORROBORATED
        if self.comms and a.level not in ("community", "township") and a.community_code not in self.comms:
            near = [c for c in sorted(self.comms) if self.gaz.community_distance(c, a.x, a.y) <= NAMED_COMMUNITY_M]
            if near:  # the point is at the edge of the community the caller named: believe the caller
                a.community_code, a.township_code = near[0], self.gaz.township_of(near[0])
        if self.towns and a.level != "township":
            if a.township_code in self.towns:
                a.confidence += TOWN_CONFIRMS if a.uncertain else TOWN_AGREES
                a.agrees += 1
            else:
                a.confidence -= TOWN_DISAGREES_UNCERTAIN if a.uncertain else TOWN_DISAGREES
                a.notes.append("township named in the text differs")
        if self.comms and a.level != "community":
            if a.community_code in self.comms:
                a.confidence += COMMUNITY_AGREES
                a.agrees += 1
            elif any(self.gaz.township_of(c) == a.township_code for c in self.comms):
                a.confidence -= COMMUNITY_DISAGREES / 2
            else:
                a.confidence -= COMMUNITY_DISAGREES
                a.notes.append("community named in the text differs")
        if self.parsed.other_district:
            a.confidence -= OTHER_DISTRICT
            a.notes.append("another district named")
        if a.level in ("road", "community", "township") and self.unexplained() >= 3:
            a.confidence -= UNEXPLAINED_COARSE
            a.notes.append("part of the text not understood")
        if a.level == "road" and _CROSSING_INTENT.search(self.text):
            a.confidence -= CROSSING_UNKNOWN
            a.notes.append("a crossing with a road not found")
        if a.computed:
            self.g._check_border(a, BORDER_M)


def _kinds(entries: tuple[Entry, ...]) -> str:
    return "/".join(sorted({e.kind for e in entries}))


def _select(mentions: list[Mention], length: int) -> list[Mention]:
    """Non-overlapping mentions, longest first, in text order. Each character written differently makes a
    name count half a character shorter when it sounds the same and a character and a half when it is a
    typo, so a guess never displaces an exact name of nearly its length (``西柯街道`` read in ``西柯街口``)
    and one typo beats two in a longer name."""
    handicap = {"exact": 0.0, "homophone": 0.5, "fuzzy": 1.5}
    order = sorted(mentions, key=lambda m: (handicap[m.method] * m.edits - m.length, m.edits, m.start))
    taken = bytearray(length)
    chosen: list[Mention] = []
    for m in order:
        if any(taken[m.start:m.end]):
            last = chosen[-1] if chosen else None
            if last and (m.start, m.end, m.method, m.edits) == (last.start, last.end, last.method, last.edits):
                chosen[-1] = Mention(m.start, m.end, last.entries + m.entries, m.method, m.edits)
            continue
        taken[m.start:m.end] = b"\x01" * m.length
        chosen.append(m)
    return sorted(chosen, key=lambda m: m.start)


def _merge_same_place(answers: list[_Answer]) -> list[_Answer]:
    """One answer per entity (the most confident), and of a road's parts in several townships only those
    in the township or community the text names (when it names one); best first."""
    best: dict[tuple[str, str], _Answer] = {}
    for a in answers:
        key = (a.entity.kind, a.entity.id)
        if key not in best or a.confidence > best[key].confidence:
            best[key] = a
    named: dict[str, int] = {}
    for a in best.values():
        if a.level == "road":
            named[a.entity.name] = max(named.get(a.entity.name, 0), a.agrees)
    kept = [a for a in best.values() if a.level != "road" or a.agrees >= named[a.entity.name]]
    return sorted(kept, key=lambda a: -a.confidence)


def _rank(a: _Answer) -> int:
    return LEVELS.index(a.level)


def _refusal(text: Any) -> str | None:
    """Why ``text`` cannot be an address at all, or None."""
    if text is None:
        return "no address given (None)"
    if isinstance(text, float) and math.isnan(text):
        return "no address given (empty cell)"
    if not isinstance(text, str):
        return f"not text: {type(text).__name__}"
    if not text.strip():
        return "empty address"
    if len(text) > MAX_ADDRESS_CHARS:
        return f"too long for an address ({len(text)} characters, at most {MAX_ADDRESS_CHARS})"
    return None
