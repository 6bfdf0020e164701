"""Chinese free-text addresses: normalisation and the gazetteer-independent parts of parsing.

The 12345 hotline hands over an address as the caller said it: ``福建省厦门市同安区大同街道凤山路123号``,
``金山小区3栋楼下``, ``大同路与三秀路路口往北50米``, full-width digits, traditional characters, a complaint
run into the address. This module turns such text into one canonical spelling and picks out what can be
recognised without knowing the district's names:

- house numbers (``123号``), building numbers (``3号楼``, written ``3栋``, ``3幢``, ``3座``, ``3#``),
- a relative phrase (``旁边``, ``对面``, ``往北50米``, ``东侧约100米``) and the offset it implies,
- province/city/district words at the start (``福建省厦门市同安区``, or another Xiamen district),
- filler words that carry no place (``附近``, ``有人``, ``占道经营`` …).

Which substring is a road, a compound or a village is decided by :mod:`geo.geocoder` from the gazetteer.

>>> normalise("福建省廈門市同安區 鳳山路１２３號")
'福建省厦门市同安区凤山路123号'
>>> normalise("金山小区三栋楼下")
'金山小区3号楼下'
>>> offset = parse(normalise("凤山农贸市场往北五十米")).relatives[0]
>>> offset.kind, offset.distance_m, offset.dy
('offset', 50.0, 1.0)

Notes
-----
Offsets are unit vectors in a projected (east, north) frame; :mod:`geo.geocoder` applies them in the
district's metric CRS (EPSG:4548), where one unit is one metre.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_ADDRESS_CHARS = 300
"""Longer text is not an address (a whole complaint pasted into the field): it is refused, not searched."""

PROVINCE_WORDS = ("福建省", "福建")
CITY_WORDS = ("厦门市", "厦门")
HOME_DISTRICT_WORDS = ("同安区", "同安")
OTHER_DISTRICT_WORDS = ("思明区", "湖里区", "集美区", "海沧区", "翔安区", "思明", "湖里", "集美", "海沧", "翔安")

FILLER_WORDS = (
    # words of a hotline address that name no place: where-ish words, reporting verbs, common complaints
    "附近", "旁边", "对面", "门口", "门前", "楼下", "楼上", "周边", "周围", "一带", "路边", "路段", "路旁", "边上",
    "处", "位置", "地址", "该处", "此处", "这里", "那里", "里面", "内", "在", "的", "了", "有", "有人", "一家", "商户",
    "市民", "来电", "反映", "投诉", "举报", "称", "人", "处理", "占道经营", "占道", "经营", "摆摊", "乱摆", "摊点",
    "噪音", "噪声", "扰民", "违章", "违建", "搭建", "乱搭", "垃圾", "乱倒", "施工", "油烟", "停车", "乱停", "广告",
    "夜间", "晚上", "凌晨", "请求", "核实", "严重", "影响", "车辆", "道路", "店铺", "店", "门", "前", "后", "边", "下",
)

_DIRECTIONS = {
    "东": (1.0, 0.0), "西": (-1.0, 0.0), "南": (0.0, -1.0), "北": (0.0, 1.0),
    "东北": (0.7071067811865476, 0.7071067811865476), "东南": (0.7071067811865476, -0.7071067811865476),
    "西北": (-0.7071067811865476, 0.7071067811865476), "西南": (-0.7071067811865476, -0.7071067811865476),
}
_UNIT_M = {"米": 1.0, "m": 1.0, "公里": 1000.0, "千米": 1000.0, "km": 1000.0}
MAX_OFFSET_M = 3000.0
"""An offset farther than this is not a relative position of the named place: it is ignored."""

_NUMERAL = "零〇一二两三四五六七八九十百千"
_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL_BEFORE_UNIT = re.compile(rf"[{_NUMERAL}]+(?=号|栋|幢|座|单元|层|室|米|公里|千米|楼)")
_BUILDING = re.compile(r"(\d{1,4})(?:号楼|号栋|号幢|号座|栋楼|幢楼|座楼|#楼|栋|幢|座|#)")
_DROP = re.compile(r"[^\w\-/、#]+")  # punctuation, symbols, emoji, spaces; keeps CJK, letters, digits

_HOUSE_NUMBER = re.compile(r"(\d{1,5})(?:-\d{1,4})?号(?!楼|线)")
_BUILDING_NUMBER = re.compile(r"(\d{1,4})号楼")
_OFFSET = re.compile(
    r"(?:往|向|朝|沿|以|靠)?(东北|东南|西北|西南|东|西|南|北)(?:方向|侧|边|面|方)?(?:走|行|前行|直行)?"
    r"(?:约|大约|大概|近)?(\d+(?:\.\d+)?)(米|m|公里|千米|km)(?:左右|处|远)?"
)
_DIRECTION_ONLY = re.compile(r"(?:往|向|朝|以)?(东北|东南|西北|西南|东|西|南|北)(?:侧|面|边)")
_NEAR = re.compile(r"斜对面|正对面|对面|对过|旁边|隔壁|附近|周边|周围|边上|门口|门前|楼下|一带")
VAGUE_NEAR = frozenset({"附近", "周边", "周围", "一带"})
_ADMIN_PREFIX = re.compile(
    "(?:" + "|".join(PROVINCE_WORDS) + ")?(?:" + "|".join(CITY_WORDS) + ")?(?:"
    + "|".join(HOME_DISTRICT_WORDS + OTHER_DISTRICT_WORDS) + ")?"
)
_ADMIN_START = re.compile("|".join(w[:2] for w in PROVINCE_WORDS[:1] + CITY_WORDS[:1] + HOME_DISTRICT_WORDS[:1]
                                   + OTHER_DISTRICT_WORDS[:5]))
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Number:
    """A number found in the text: its value and where it is (``start``/``end`` index the normalised text)."""

    value: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Relative:
    """Where the caller is relative to the named place.

    ``kind`` is ``near`` (旁边, 门口, 附近 …: the place itself), ``opposite`` (对面: across the street, no
    direction known), ``direction`` (北侧 with no distance: not moved) or ``offset`` (往北50米: moved by
    ``distance_m`` along the unit vector ``(dx, dy)``, east and north).
    """

    phrase: str
    kind: str
    dx: float = 0.0
    dy: float = 0.0
    distance_m: float = 0.0
    start: int = 0
    end: int = 0

    @property
    def vague(self) -> bool:
        """附近/周边/一带: somewhere around, not at the place."""
        return self.phrase in VAGUE_NEAR


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """The gazetteer-independent reading of a normalised address.

    Attributes
    ----------
    text
        The normalised text every span indexes.
    admin
        Span of the province/city/district words (``福建省厦门市同安区``), usually at the start but possibly
        after a reporting phrase (``市民反映福建省…``); ``(0, 0)`` when there are none.
    other_district
        The text names a district other than 同安区 (a wrong prefix, or an address outside the jurisdiction).
    house_numbers, buildings
        ``N号`` and ``N号楼`` (after normalisation of 栋/幢/座/#).
    relatives
        Every relative phrase, in text order.
    fillers
        Spans of words that carry no place.
    """

    text: str
    admin: tuple[int, int]
    other_district: bool
    house_numbers: tuple[Number, ...]
    buildings: tuple[Number, ...]
    relatives: tuple[Relative, ...]
    fillers: tuple[tuple[int, int], ...]

    @property
    def admin_end(self) -> int:
        return self.admin[1]

    def relative_after(self, position: int) -> Relative | None:
        """The first relative phrase starting at or after ``position`` (the end of the named place)."""
        for relative in self.relatives:
            if relative.start >= position:
                return relative
        return None


@lru_cache(maxsize=1)
def _translation() -> dict[int, str]:
    """Traditional → simplified, character by character (zhconv's one-to-one entries)."""
    import zhconv.zhconv as zh

    zh.loaddict()
    table = zh.getdict("zh-hans")
    return {ord(k): v for k, v in table.items() if len(k) == 1 and len(v) == 1 and k != v}


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral: ``十五`` → 15, ``一百零五`` → 105, ``两百`` → 200, ``一二三`` → 123.

    >>> chinese_number("三"), chinese_number("二十"), chinese_number("一百二十三"), chinese_number("一二三")
    (3, 20, 123, 123)
    """
    if not text or any(ch not in _NUMERAL for ch in text):
        return None
    if not any(ch in "十百千" for ch in text):
        return int("".join(str(_DIGIT[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        else:
            scale = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (1 if digit is None else digit) * scale
            digit = None
    return total + (digit or 0)


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """One canonical spelling of an address.

    Full-width characters become half-width (NFKC), traditional characters simplified, letters lower case;
    spaces, punctuation, symbols and emoji are dropped (``-``, ``/`` and ``、`` stay: they join numbers and
    roads); Chinese numerals before a unit become digits (``三栋`` → ``3栋``, ``五十米`` → ``50米``); every
    way of writing a building (``3栋``, ``3幢``, ``3座``, ``3#``, ``3号栋``) becomes ``3号楼``.

    Gazetteer names go through the same function, so a name and its mention always compare equal.
    """
    text = unicodedata.normalize("NFKC", text).translate(_translation()).lower()
    text = _NUMERAL_BEFORE_UNIT.sub(lambda m: str(chinese_number(m.group())), text)
    text = _BUILDING.sub(r"\1号楼", _DROP.sub("", text))
    return text.replace("#", "").replace("_", "")


def has_chinese(text: str) -> bool:
    """True when the text has at least one CJK ideograph (an address of the district always does)."""
    return _CJK.search(text) is not None


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


_FILLER_PATTERN = re.compile("|".join(sorted(FILLER_WORDS, key=len, reverse=True)))


def parse(text: str) -> ParsedAddress:
    """The parts of a *normalised* address that need no gazetteer (see :class:`ParsedAddress`)."""
    first = _ADMIN_START.search(text)
    span = _ADMIN_PREFIX.match(text, first.start()).span() if first else (0, 0)
    prefix = text[span[0]:span[1]]
    other = any(word in prefix for word in OTHER_DISTRICT_WORDS)
    buildings = tuple(Number(int(m.group(1)), m.start(), m.end()) for m in _BUILDING_NUMBER.finditer(text))
    numbers = tuple(Number(int(m.group(1)), m.start(), m.end()) for m in _HOUSE_NUMBER.finditer(text))
    return ParsedAddress(
        text=text,
        admin=span,
        other_district=other,
        house_numbers=numbers,
        buildings=buildings,
        relatives=_relatives(text),
        fillers=tuple((m.start(), m.end()) for m in _FILLER_PATTERN.finditer(text)),
    )


def _relatives(text: str) -> tuple[Relative, ...]:
    found: list[Relative] = []
    taken: list[tuple[int, int]] = []
    for m in _OFFSET.finditer(text):
        dx, dy = _DIRECTIONS[m.group(1)]
        distance = float(m.group(2)) * _UNIT_M[m.group(3)]
        if distance > MAX_OFFSET_M:
            continue
        found.append(Relative(m.group(), "offset", dx, dy, distance, m.start(), m.end()))
        taken.append(m.span())
    for pattern, kind in ((_DIRECTION_ONLY, "direction"), (_NEAR, "near")):
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            phrase = m.group()
            found.append(Relative(phrase, "opposite" if "对" in phrase else kind, start=m.start(), end=m.end()))
            taken.append(m.span())
    return tuple(sorted(found, key=lambda r: r.start))
