"""Noisy hotline addresses with known truth, made from a gazetteer, for the geocoder's benchmark and tests.

Each address starts from a real gazetteer record — a building, a compound, a point of interest, a named
crossing, a house number on a road (a shop's address), a village house number — written the way a caller
might (with or without ``福建省厦门市同安区``, the township, sometimes the community), and then gets exactly one
kind of noise:

=================  ===========================================================================================
``clean``          as written, with a random depth of administrative prefix
``typo``           one character of the name replaced by a look-alike (``凤山路`` → ``凤出路``)
``homophone``      one character replaced by another with the same pinyin (同音字: ``凤山`` → ``奉山``)
``missing_prefix`` no province, city, district, township or community at all
``wrong_prefix``   another township, or another Xiamen district
``abbreviation``   ``号楼`` → ``栋``/``幢``/``座``/``#``, ``小区`` or ``路`` dropped, ``交叉口`` → ``路口``, ``与`` → ``和``,
                   ``同安区`` dropped from a name, ``街道`` dropped from the township
``relative``       ``旁边``/``对面``/``附近`` (truth unchanged) or ``往北50米``/``东侧约100米`` (truth moved)
``extra_words``    the complaint run into the address (``楼下有人占道经营``, ``市民反映…``)
=================  ===========================================================================================

The truth is the record's point (moved by an offset phrase) and the community that point lies in.

    from bench.noisy_addresses import noisy_addresses
    samples = noisy_addresses(gazetteer, n=20_000, seed=350212)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from geo.gazetteer import Gazetteer, Place

NOISE_TYPES = ("clean", "typo", "homophone", "missing_prefix", "wrong_prefix", "abbreviation", "relative",
               "extra_words")
SOURCES = {"building": 0.25, "compound": 0.1, "poi": 0.22, "intersection": 0.15, "road_number": 0.23,
           "village": 0.05}
OTHER_DISTRICTS = ("思明区", "湖里区", "集美区", "海沧区", "翔安区")
NEAR_WORDS = ("旁边", "对面", "附近", "门口", "边上", "隔壁")
OFFSET_TEMPLATES = ("往{d}{m}米", "{d}侧{m}米", "向{d}约{m}米", "{d}面{m}米处", "往{d}走{m}米")
DIRECTIONS = {"东": (1.0, 0.0), "西": (-1.0, 0.0), "南": (0.0, -1.0), "北": (0.0, 1.0)}
COMPLAINT_BEFORE = ("市民反映", "来电人称", "有群众反映", "")
COMPLAINT_AFTER = ("楼下有人占道经营", "附近噪音扰民", "门口有流动摊贩", "路边乱停车", "有人违章搭建", "施工噪音扰民",
                   "油烟扰民严重", "占道堆放杂物", "夜间施工", "垃圾无人清理")
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "华府", "新城", "公寓", "山庄", "雅居", "名都", "嘉园", "苑", "湾")
NAME_SUFFIXES = ("大道", "路", "街", "巷", "里", "社区", "村", "交叉口") + COMPOUND_SUFFIXES

LOOK_ALIKES = ["己已巳", "未末", "土士", "日曰", "人入八", "大太犬", "天夭", "王玉主", "千干于", "贝见", "侯候", "即既", "汀订", "山出", "凤风", "溪谿", "西酉", "柯何", "祥样详", "和私", "美姜", "林材", "莲连", "花化", "洪烘", "塘糖", "五丑", "显昱", "路踏", "街衔", "巷港", "道遒", "小少", "区匹", "金全", "银很", "阳阴", "光先", "滨宾", "海梅", "碧壁", "水永", "翠萃", "湖胡", "紫柴", "荆刑", "锦绵", "绣锈", "顺须", "书韦", "香杳", "悦说", "岸炭", "御卸", "景影", "龙尤", "泉皋", "东车", "方万", "明朋", "珠殊", "盛感", "嘉喜", "禾木", "兰栏", "丹舟", "桂娃", "榕溶", "城诚", "鹭露", "星早", "河何", "春椿", "晖辉", "源原", "福幅", "润涧", "怡恰", "瑞端", "君群", "侨桥", "聚娶", "状壮", "元无", "峰锋", "望妄", "观现", "澜斓", "梧语", "桐铜", "园圆", "苑宛", "府俯", "家冢", "华毕", "居局", "雅鸦", "都郡", "湾弯", "公仑", "寓遇", "庄压", "市币", "场扬", "农衣", "贸贺", "学觉", "中申", "幼幻", "儿几", "医匮", "院浣", "心必", "休体", "闲闭", "超起", "便使", "网冈", "吧巴", "歌哥", "加架", "油抽", "站占", "工土", "地她", "项顶", "目日", "改攻", "造告", "商滴", "住往", "信言", "社杜", "行衍", "宾滨", "馆官", "酒洒", "店站", "烧浇", "烤考", "肉内", "面而", "线钱", "糊湖", "笋笔", "冻冰", "陈阵", "张弦", "吴昊", "李季", "郑邓", "蔡祭", "苏办", "叶什", "曾鲁", "三王", "秀季", "后启", "炉护", "边过", "北比", "门闩", "池他", "朝潮", "岳兵", "丰半", "宅宇", "下卞", "头买", "康庚", "浔寻", "陆际", "桥娇", "岗岚", "声壳", "芸云", "岭领", "乌鸟", "涂途", "洋样", "厝措", "埔浦", "柑甘", "丙两", "洲州", "吕台", "埭逮", "官宫", "翟濯", "卿乡", "朴扑", "瑶遥", "侣铝", "兴光", "坂板", "南雨", "仑仓", "潘番", "白百", "沙纱", "蔗庶", "田由", "陵凌", "军车", "营莹", "淡谈", "交文", "祠词", "坑抗", "罗萝", "尾屋", "坪评", "澳奥", "云去", "窑窟", "石右", "郭廓", "霞瑕", "墩敦", "隘溢", "褒衰", "古吉", "荏茬", "畲佘", "顶项", "堤提", "半羊", "格恪", "汪注", "竹个", "坝贝", "垵按", "布市", "仔子", "垄笼", "宋宗", "四西", "孔札", "庙店", "梵焚", "寺等", "轮论", "颂松", "辰晨", "库厍", "红虹", "色包", "育盲", "基墓", "森淼", "岛鸟", "态杰", "业亚", "铁钛", "号兮", "政故", "派脉", "所听", "监盐", "管营", "资姿", "司同", "法去", "应庆", "急怎", "理埋", "办为", "事争", "处外", "厦夏", "第弟", "汽气", "车东", "枢抠", "纽扭", "体休", "实买", "验脸", "排徘", "档挡", "阿河", "记纪", "村材", "新亲", "民氏", "安按", "同司", "一二", "二三", "集隼", "忠思", "支技", "宁字", "前剪", "务各", "平乎", "文交", "用甩"]


@dataclass(frozen=True, slots=True)
class NoisyAddress:
    """One test address and its truth (metric x/y in EPSG:4548, lon/lat not needed for scoring)."""

    text: str
    noise: str
    source: str
    truth_id: str
    x: float
    y: float
    community_code: str
    township_code: str


@lru_cache(maxsize=1)
def _look_alike() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in LOOK_ALIKES:
        for ch in group:
            table.setdefault(ch, group.replace(ch, ""))
    return table


def look_alikes(ch: str) -> str:
    """Characters easily mistaken for ``ch`` by eye ('' when the table has none)."""
    return _look_alike().get(ch, "")


@lru_cache(maxsize=1)
def _homophones() -> tuple[dict[str, str], list[str]]:
    """Toneless pinyin of the 3,755 common characters (GB2312 level 1), and the characters per sound."""
    from pypinyin import lazy_pinyin

    common = []
    for row in range(0xB0, 0xD8):
        for col in range(0xA1, 0xFF):
            try:
                common.append(bytes((row, col)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    sound = {ch: lazy_pinyin(ch)[0] for ch in common}
    return sound, common


def same_sound(ch: str) -> list[str]:
    """Common characters with the same toneless pinyin as ``ch`` (its homophones, 同音字)."""
    from pypinyin import lazy_pinyin

    sound, common = _homophones()
    target = sound.get(ch) or lazy_pinyin(ch)[0]
    return sorted(c for c in common if sound[c] == target and c != ch)


class _Maker:
    def __init__(self, gaz: Gazetteer, rng: np.random.Generator) -> None:
        self.gaz, self.rng = gaz, rng
        places = list(gaz.places.values())
        by_kind: dict[str, list[Place]] = {}
        for p in places:
            by_kind.setdefault(p.kind, []).append(p)
        self.buildings = by_kind.get("building", [])
        self.compounds = by_kind.get("compound", [])
        self.pois = by_kind.get("poi", []) + by_kind.get("landmark", [])
        self.crossings = [p for p in by_kind.get("intersection", []) if p.name.count("与") == 1]
        self.numbered: list[tuple[Place, str, str, int]] = []  # place, township name, road or village, number
        self.villages: list[tuple[Place, str, str, int]] = []
        community_names = {c.name for c in gaz.communities.values()}
        pattern = re.compile(r"^同安区(.+?(?:街道|镇))(.+?)(\d+)号$")
        for p in by_kind.get("poi", []):
            m = pattern.match(p.address)
            if not m or p.category in ("community_office", "metro", "bus_stop"):
                continue
            township, where, number = m.group(1), m.group(2), int(m.group(3))
            if where in gaz.roads:
                self.numbered.append((p, township, where, number))
            elif where in community_names:
                self.villages.append((p, township, where, number))
        self.townships = sorted(t.name for t in gaz.townships.values())
        self.town_name = {t.code: t.name for t in gaz.townships.values()}

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    # ------------------------------------------------------------ the record, as (stem, body, tail)

    def record(self, source: str):
        """(place, township name, body pieces): body is a list of (text, corruptible) fragments."""
        if source == "building":
            p = self.pick(self.buildings)
            m = re.match(r"^(.+?)(\d+)号楼$", p.name)
            compound, n = m.group(1), m.group(2)
            stem, suffix = _split_suffix(compound)
            return p, [(stem, True), (suffix, False), (f"{n}号楼", False)]
        if source == "compound":
            p = self.pick(self.compounds)
            stem, suffix = _split_suffix(p.name)
            return p, [(stem, True), (suffix, False)]
        if source == "poi":
            p = self.pick(self.pois)
            if p.name.startswith("同安区"):
                return p, [("同安区", False), (p.name.removeprefix("同安区"), True)]
            return p, [(p.name, True)]
        if source == "intersection":
            p = self.pick(self.crossings)
            a, b = p.name.removesuffix("交叉口").split("与")
            sa, xa = _split_suffix(a)
            sb, xb = _split_suffix(b)
            return p, [(sa, True), (xa, False), ("与", False), (sb, True), (xb, False), ("交叉口", False)]
        if source == "road_number":
            p, _, road, number = self.pick(self.numbered)
            stem, suffix = _split_suffix(road)
            return p, [(stem, True), (suffix, False), (f"{number}号", False)]
        p, _, village, number = self.pick(self.villages)
        stem, suffix = _split_suffix(village)
        return p, [(stem, True), (suffix, False), (f"{number}号", False)]

    def prefix(self, place: Place, township: str | None = None, depth: int | None = None) -> str:
        depth = int(self.rng.integers(0, 5)) if depth is None else depth
        township = township or self.town_name.get(place.township_code, "")
        parts = ["福建省", "厦门市", "同安区", township][4 - depth:] if depth else []
        text = "".join(parts)
        if depth and self.rng.random() < 0.15 and place.kind not in ("intersection",):
            community = self.gaz.communities.get(place.community_code)
            if community is not None:
                text += community.name
        return text

    # ------------------------------------------------------------ noise

    def make(self, source: str, noise: str) -> tuple[str, Place, float, float] | None:
        place, body = self.record(source)
        x, y = place.x, place.y
        if noise == "missing_prefix":
            prefix = ""
        elif noise == "wrong_prefix":
            prefix = self._wrong_prefix(place)
        else:
            prefix = self.prefix(place)
        if noise in ("typo", "homophone"):
            body = self._corrupt(body, noise)
            if body is None:
                return None
        elif noise == "abbreviation":
            body, prefix = self._abbreviate(source, body, prefix, place)
            if body is None:
                return None
        text = prefix + "".join(t for t, _ in body)
        if noise == "relative":
            if self.rng.random() < 0.5:
                text += self.pick(NEAR_WORDS)
            else:
                d = self.pick(list(DIRECTIONS))
                metres = int(self.rng.choice([20, 30, 50, 80, 100, 150, 200]))
                text += self.pick(OFFSET_TEMPLATES).format(d=d, m=metres)
                x, y = x + DIRECTIONS[d][0] * metres, y + DIRECTIONS[d][1] * metres
        elif noise == "extra_words":
            text = self.pick(COMPLAINT_BEFORE) + text + self.pick(COMPLAINT_AFTER)
        return text, place, x, y

    def _wrong_prefix(self, place: Place) -> str:
        right = self.town_name.get(place.township_code, "")
        if self.rng.random() < 0.3:
            return self.pick(["", "厦门市"]) + self.pick(OTHER_DISTRICTS) + right
        wrong = self.pick([t for t in self.townships if t != right])
        return self.pick(["", "同安区", "厦门市同安区"]) + wrong

    def _corrupt(self, body, noise: str):
        slots = [(k, i) for k, (t, ok) in enumerate(body) if ok for i, ch in enumerate(t) if "\u4e00" <= ch <= "\u9fff"]
        order = self.rng.permutation(len(slots))
        for s in order:
            k, i = slots[int(s)]
            ch = body[k][0][i]
            if noise == "typo":
                options = list(look_alikes(ch)) or _homophones()[1]
                options = [c for c in options if c != ch]
            else:
                options = same_sound(ch)
            if not options:
                continue
            new = self.pick(options)
            text = body[k][0]
            out = list(body)
            out[k] = (text[:i] + new + text[i + 1:], True)
            return out
        return None

    def _abbreviate(self, source: str, body, prefix: str, place: Place):
        options = []
        texts = [t for t, _ in body]
        if source == "building":
            options += [("building", w) for w in ("栋", "幢", "座", "#", "号")]
        if source in ("building", "compound") and "小区" in texts:
            options.append(("drop", "小区"))
        if source == "poi" and texts[0] == "同安区":
            options.append(("drop", "同安区"))
        if source == "intersection":
            options += [("cross", w) for w in ("路口", "交汇处", "交界处", "十字路口")]
            options += [("join", w) for w in ("和", "、", "跟")]
        if source == "road_number" and texts[1] == "路" and not texts[0][-1].isdigit():
            options.append(("drop", "路"))
        if source == "village":
            options.append(("drop", texts[1]))
        if "街道" in prefix:
            options.append(("township", "街道"))
        if not options:
            return None, prefix
        kind, word = options[int(self.rng.integers(len(options)))]
        out = list(body)
        if kind == "building":
            out[-1] = (texts[-1].replace("号楼", word), False)
        elif kind == "drop":
            out = [(t, ok) for t, ok in body if t != word] if word != "路" else \
                [(t if t != "路" else "", ok) for t, ok in body]
        elif kind == "cross":
            out[-1] = (word, False)
        elif kind == "join":
            out[2] = (word, False)
        elif kind == "township":
            prefix = prefix.replace("街道", "", 1)
        return out, prefix


def _split_suffix(name: str) -> tuple[str, str]:
    """A name as (proper part, kind suffix): 金山小区 → (金山, 小区); 凤山路 → (凤山, 路)."""
    for suffix in sorted(NAME_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)], suffix
    return name, ""


def noisy_addresses(gaz: Gazetteer, n: int = 20_000, seed: int = 350212,
                    noises: tuple[str, ...] = NOISE_TYPES) -> list[NoisyAddress]:
    """``n`` noisy addresses, the noise types in equal shares and sources in :data:`SOURCES` proportions."""
    rng = np.random.default_rng(seed)
    maker = _Maker(gaz, rng)
    sources = list(SOURCES)
    weights = np.array([SOURCES[s] for s in sources])
    out: list[NoisyAddress] = []
    k = 0
    while len(out) < n:
        noise = noises[k % len(noises)]
        k += 1
        source = sources[int(rng.choice(len(sources), p=weights / weights.sum()))]
        made = maker.make(source, noise)
        if made is None:
            k -= 1  # this record cannot take this noise: draw another for the same noise type
            continue
        text, place, x, y = made
        moved = (x, y) != (place.x, place.y)
        community = gaz.community_at(x, y) if moved else place.community_code
        if community is None:
            k -= 1
            continue
        township = gaz.township_of(community) or place.township_code
        out.append(NoisyAddress(text, noise, source, place.id, x, y, community, township))
    return out
