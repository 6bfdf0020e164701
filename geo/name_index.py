"""Finding the gazetteer's names in a normalised address: exactly, by sound, and with a typo.

Three indexes are built once from a :class:`geo.gazetteer.Gazetteer`:

- a character trie of every surface form (full names and the short forms people use: ``凤山`` for 凤山社区,
  ``金山`` for 金山小区, ``凤山小学`` for 同安区凤山小学), scanned at each position of the text for the
  longest name starting there — the Aho–Corasick idea in a dozen lines;
- the same trie keyed by pinyin syllables, so a homophone typed by a pinyin input method (``风山路`` for
  凤山路) still matches; syllables are folded the way southern speakers and fuzzy-pinyin input merge them
  (zh/z, ch/c, sh/s, n/l, -ng/-n after i and e);
- a character → names posting list for typos: the names sharing all but one (two) of their characters
  with the text around the unexplained characters are compared, Levenshtein distance in rapidfuzz, with
  every stretch of their length ±1 that overlaps them — a short list, never the whole gazetteer.

>>> from geo.address import normalise
>>> index = NameIndex.from_names([("road", "凤山路", "凤山路", 0.0)])
>>> [(m.start, m.end, m.method) for m in index.scan_sounds(normalise("大同街道风山路12号"))]
[(4, 7, 'homophone')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from rapidfuzz.distance import Levenshtein

from geo.address import is_cjk, normalise
from geo.gazetteer import Gazetteer

_END = ""  # trie key of the entries of a complete surface form (never a character or a syllable)

COMPOUND_SUFFIXES = ("小区", "花园", "家园", "华府", "新城", "公寓", "山庄", "雅居", "名都", "嘉园", "苑", "湾")
PREFIX_ALIAS_PENALTY = 0.02
"""Short forms that lose nothing (``凤山小学`` for 同安区凤山小学, a committee's official name)."""
STEM_ALIAS_PENALTY = 0.08
"""Short forms that drop the kind (``凤山`` for 凤山社区 or 凤山路, ``金山`` for 金山小区): weaker evidence."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing a surface form can mean.

    ``kind`` is township, community, road or place; ``key`` its code, road name or place id; ``surface``
    the indexed spelling; ``penalty`` how much weaker than the full name this spelling is as evidence.
    """

    kind: str
    key: str
    surface: str
    penalty: float = 0.0

    @property
    def alias(self) -> bool:
        return self.penalty > 0.0


@dataclass(frozen=True, slots=True)
class Mention:
    """A name found in the text: ``text[start:end]`` means one of ``entries``.

    ``method`` is ``exact``, ``homophone`` (same sound, ``edits`` characters differ) or ``fuzzy`` (a typo:
    ``edits`` is the Levenshtein distance to the gazetteer's spelling).
    """

    start: int
    end: int
    entries: tuple[Entry, ...]
    method: str = "exact"
    edits: int = 0

    @property
    def length(self) -> int:
        return self.end - self.start


_FOLD_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FOLD_FINALS = (("ing", "in"), ("eng", "en"))


@cache
def syllable(ch: str) -> str:
    """The folded, toneless pinyin of one character (the character itself when it is not a hanzi)."""
    if not is_cjk(ch):
        return ch
    from pypinyin import lazy_pinyin

    s = lazy_pinyin(ch)[0]
    for a, b in _FOLD_INITIALS:
        if s.startswith(a):
            s = b + s[len(a):]
            break
    for a, b in _FOLD_FINALS:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


def _add(root: dict, keys: Sequence[str], entry: Entry) -> None:
    node = root
    for key in keys:
        node = node.setdefault(key, {})
    node.setdefault(_END, []).append(entry)


def _longest_at_each_start(root: dict, keys: Sequence[str]) -> list[tuple[int, int, list[Entry]]]:
    """For each start position, the longest surface form of the trie beginning there."""
    found = []
    n = len(keys)
    for i in range(n):
        node = root.get(keys[i])
        if node is None:
            continue
        j, best = i + 1, None
        while True:
            if _END in node:
                best = (j, node[_END])
            if j == n:
                break
            node = node.get(keys[j])
            if node is None:
                break
            j += 1
        if best is not None:
            found.append((i, best[0], best[1]))
    return found


class NameIndex:
    """Surface forms of the gazetteer's names and the three ways of finding them (module docstring)."""

    def __init__(self) -> None:
        self._chars: dict = {}
        self._sounds: dict = {}
        self._postings: dict[str, np.ndarray] = {}
        self._targets: list[tuple[str, tuple[Entry, ...]]] = []
        self._need = np.empty(0, dtype=np.int16)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_names(cls, names: Iterable[tuple[str, str, str, float]]) -> NameIndex:
        """An index of ``(kind, key, surface, penalty)`` rows; full names (penalty 0) also get typo search."""
        index = cls()
        fuzzy: dict[str, list[Entry]] = {}
        for kind, key, surface, penalty in names:
            surface = normalise(surface)
            if len(surface) < 2:
                continue
            entry = Entry(kind, key, surface, penalty)
            _add(index._chars, surface, entry)
            _add(index._sounds, [syllable(ch) for ch in surface], entry)
            if penalty == 0.0 and len(surface) >= 3:
                fuzzy.setdefault(surface, []).append(entry)
        postings: dict[str, list[int]] = {}
        need = []
        for surface, entries in fuzzy.items():
            target = len(index._targets)
            index._targets.append((surface, tuple(entries)))
            # a name with one typo (two when longer than six) still shows all its other characters
            need.append(max(2, len(set(surface)) - (1 if len(surface) <= 6 else 2)))
            for ch in set(surface):
                postings.setdefault(ch, []).append(target)
        index._postings = {ch: np.array(ts, dtype=np.int32) for ch, ts in postings.items()}
        index._need = np.array(need, dtype=np.int16)
        return index

    @classmethod
    def from_gazetteer(cls, gaz: Gazetteer) -> NameIndex:
        return cls.from_names(surface_forms(gaz))

    # ------------------------------------------------------------------ finding

    def scan(self, text: str) -> list[Mention]:
        """The longest name starting at each position of ``text``, spelt exactly."""
        return [Mention(i, j, tuple(entries)) for i, j, entries in _longest_at_each_start(self._chars, text)]

    def scan_sounds(self, text: str, exact: Sequence[Mention] = (),
                    runs: Sequence[tuple[int, int]] | None = None) -> list[Mention]:
        """Names that sound like a stretch of ``text`` but are spelt differently (homophones), and exact names
        hidden behind a longer exact match at the same start; ``exact`` is what :meth:`scan` found, and when
        ``runs`` (unexplained stretches) are given only names overlapping one of them are returned."""
        found = []
        seen = {(m.start, m.end) for m in exact}
        for i, j, entries in _longest_at_each_start(self._sounds, [syllable(ch) for ch in text]):
            if (i, j) in seen or (runs is not None and not any(a < j and i < b for a, b in runs)):
                continue
            written = text[i:j]
            edits = [sum(a != b for a, b in zip(written, e.surface, strict=True)) for e in entries]
            best = min(edits)
            if best * 3 > j - i:  # a third of the name replaced is a different name, not a homophone
                continue
            chosen = tuple(e for e, d in zip(entries, edits, strict=True) if d == best)
            found.append(Mention(i, j, chosen, "homophone" if best else "exact", best))
        return found

    def fuzzy(self, text: str, runs: Sequence[tuple[int, int]], max_candidates: int = 12) -> list[Mention]:
        """Names written with a typo that overlap the unexplained ``runs`` of ``text``: at most one edit in a
        name of up to six characters, two in a longer one; best first (fewest edits per character, longest).

        Candidates are the names sharing all but one (two) of their characters with the text around the runs;
        each is compared (Levenshtein, in rapidfuzz) with every stretch of its length ±1 that overlaps a run.
        """
        if not runs:
            return []
        lo = max(0, min(a for a, _ in runs) - 8)
        hi = min(len(text), max(b for _, b in runs) + 8)
        votes = np.zeros(len(self._targets), dtype=np.int16)
        for ch in set(text[lo:hi]):
            hits = self._postings.get(ch)
            if hits is not None:
                votes[hits] += 1
        candidates = np.flatnonzero(votes >= self._need)
        if len(candidates) > max_candidates * 4:  # the most shared characters first
            candidates = candidates[np.argsort(-votes[candidates], kind="stable")[: max_candidates * 4]]
        windows: dict[int, list[tuple[int, int]]] = {}
        found = []
        for target in candidates.tolist():
            surface, entries = self._targets[target]
            size = len(surface)
            allowed = 1 if size <= 6 else 2
            best = None
            for width in (size, size - 1, size + 1):
                spans = windows.get(width)
                if spans is None:
                    spans = windows[width] = _windows(runs, width, len(text))
                for a, b in spans:
                    d = Levenshtein.distance(surface, text[a:b], score_cutoff=allowed)
                    if d <= allowed and (best is None or d < best[0]):
                        best = (d, a, b)
                if best is not None and best[0] == 1:
                    break
            if best is not None and best[0] > 0:
                found.append(Mention(best[1], best[2], entries, "fuzzy", best[0]))
        found.sort(key=lambda m: (m.edits / len(m.entries[0].surface), -len(m.entries[0].surface), m.start))
        return found[:max_candidates]


def _windows(runs: Sequence[tuple[int, int]], width: int, length: int) -> list[tuple[int, int]]:
    """Every ``[a, a + width)`` inside the text that overlaps one of the runs."""
    if width < 2:
        return []
    spans = set()
    for start, end in runs:
        for a in range(max(0, start - width + 1), min(end, length - width + 1)):
            spans.add((a, a + width))
    return sorted(spans)


def surface_forms(gaz: Gazetteer) -> list[tuple[str, str, str, float]]:
    """``(kind, key, surface, penalty)`` for every name of the gazetteer and its usual short forms."""
    rows: list[tuple[str, str, str, float]] = []
    for t in gaz.townships.values():
        rows.append(("township", t.code, t.name, 0.0))
        short = t.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        if len(short) >= 2 and short != t.name:
            rows.append(("township", t.code, short, STEM_ALIAS_PENALTY))
            other = "镇" if t.name.endswith("街道") else "街道"
            rows.append(("township", t.code, short + other, PREFIX_ALIAS_PENALTY))
    for c in gaz.communities.values():
        rows.append(("community", c.code, c.name, 0.0))
        if c.official_name and c.official_name != c.name:
            rows.append(("community", c.code, c.official_name, PREFIX_ALIAS_PENALTY))
        short = c.name.removesuffix("社区").removesuffix("村")
        if len(short) >= 2 and short != c.name:
            rows.append(("community", c.code, short, STEM_ALIAS_PENALTY))
    for road in gaz.roads.values():
        rows.append(("road", road.name, road.name, 0.0))
        # 凤山123号 for 凤山路123号: people drop 路, not 大道/街/巷
        stem = road.name.removesuffix("路")
        if stem != road.name and len(stem) >= 2 and not stem[-1].isdigit():
            rows.append(("road", road.name, stem, STEM_ALIAS_PENALTY))
    for place in gaz.places.values():
        if place.kind in ("intersection", "building"):
            continue  # found through their roads and their compound
        rows.append(("place", place.id, place.name, 0.0))
        if place.name.startswith("同安区") and len(place.name) >= 6:
            rows.append(("place", place.id, place.name.removeprefix("同安区"), PREFIX_ALIAS_PENALTY))
        if place.kind == "compound":
            for suffix in COMPOUND_SUFFIXES:
                stem = place.name.removesuffix(suffix)
                if stem != place.name and len(stem) >= 2:
                    rows.append(("place", place.id, stem, STEM_ALIAS_PENALTY))
                    break
        if place.category == "metro" and place.name.startswith("地铁") and place.name.endswith("站"):
            station = place.name.split("线", 1)[-1].removesuffix("站")
            rows.append(("place", place.id, f"{station}地铁站", PREFIX_ALIAS_PENALTY))
    return rows
