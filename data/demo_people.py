"""Demo enforcement teams and officers: synthetic people, deterministic from the seed.

Per township: its comprehensive enforcement squad (综合执法队) and 2–4 sub-squads (中队) under it, plus the
department units stationed there (派出所 in every township; 市场监管所, 自然资源所, 司法所, 应急管理办 where
listed below; the pilot town 五显镇 hosts them all). About 60 teams and 600 officers in all.

Officers' names, certificate numbers and phone numbers are invented (common surnames and given-name
characters drawn at random); they stand in for personal data and are not anyone's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from geopandas import GeoDataFrame

TEAM_COLUMNS = ["code", "name", "name_en", "township_code", "kind", "department", "parent_code", "x", "y"]
OFFICER_COLUMNS = ["code", "name", "team_code", "certified", "certificate_no", "duty_pattern", "phone"]

PILOT_TOWN = "350212110"
SUB_SQUADS = {"街道": 2, "镇": 3}
EXTRA_SUB_SQUADS = {"350212001": 1, PILOT_TOWN: 1}  # the old town and the pilot town have one more

DEPARTMENT_UNITS = (
    # (department, code suffix, place category it sits in, townships hosting one: "all", "towns" or codes)
    ("公安", "GA", "police", "all"),
    ("市场监管", "SJ", "market_supervision", ("350212001", "350212004", "350212107", PILOT_TOWN)),
    ("自然资源", "ZY", "natural_resources", "towns"),
    ("司法", "SF", "judicial", (PILOT_TOWN,)),
    ("应急管理", "YJ", "emergency", (PILOT_TOWN,)),
)
UNIT_EN = {"police": "Police Station", "market_supervision": "Market Supervision Office",
           "natural_resources": "Natural Resources Office", "judicial": "Judicial Office",
           "emergency": "Emergency Management Office"}
NUMERALS = "一二三四五六七八九"

SURNAMES = (
    "陈林黄张吴李王郑蔡刘杨许洪苏叶庄曾颜柯谢周徐何高郭罗邱卢江詹施游纪方傅沈朱彭余胡孙"
)
SURNAME_WEIGHTS = np.array([14, 12, 9, 7, 6, 6, 6, 5, 4, 4, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                            2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=float)
"""Rough frequencies in southern Fujian (陈, 林, 黄 lead), one weight per surname above."""
GIVEN = (
    "伟芳敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚志建华文辉鹏斌婷雪琳晨宇浩凯俊鑫振荣海燕玲红峰宏毅兴龙清坤榕闽鹭嘉"
    "煌炜彬铭东南阳春雅思梓涵子豪欣怡佳颖晓锦泉源福德"
)
DUTY_PATTERNS = {
    "squad": (("白班", 0.6), ("早晚两班", 0.4)),
    "sub_squad": (("早晚两班", 0.45), ("四班三运转", 0.25), ("白班", 0.2), ("周末轮值", 0.1)),
    "department_unit": (("白班", 0.75), ("周末轮值", 0.25)),
}
TEAM_SIZE = {"squad": (6, 9), "sub_squad": (11, 16), "department_unit": (5, 9)}
PHONE_PREFIXES = ("133", "135", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "186", "189")


def _hosts(rule, townships: pd.DataFrame) -> set[str]:
    if rule == "all":
        return set(townships["code"])
    if rule == "towns":
        return set(townships.loc[townships["kind"] == "镇", "code"])
    return set(rule)


def _spread(points: np.ndarray, k: int) -> list[int]:
    """``k`` of ``points`` far apart (farthest-point sampling from the first), so sub-squads cover the area."""
    chosen = [0]
    gap = np.hypot(*(points - points[0]).T)
    while len(chosen) < min(k, len(points)):
        chosen.append(int(np.argmax(gap)))
        gap = np.minimum(gap, np.hypot(*(points - points[chosen[-1]]).T))
    return chosen


def build_teams(townships: GeoDataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """The teams (EPSG:4548 ``x``/``y`` of their base): squads, sub-squads and stationed department units.

    A squad sits at its township's government; a sub-squad at a community office, spread over the
    township; a department unit at its office (the ``places`` of that category in the township).
    """
    rows = []
    for town in townships.sort_values("code").itertuples():
        short = town.name.removesuffix("街道").removesuffix("镇")
        short_en = town.name_en.rsplit(" ", 1)[0]
        mine = places[places["township_code"] == town.code]
        office = mine[mine["category"] == "government"]
        base = office.iloc[0] if len(office) else mine.iloc[0]
        squad = f"{town.code}-ZF"
        rows.append({"code": squad, "name": f"{town.name}综合执法队", "name_en": f"{town.name_en} Comprehensive Enforcement Squad",
                     "township_code": town.code, "kind": "squad", "department": "综合执法", "parent_code": "",
                     "x": base["x"], "y": base["y"]})
        offices = mine[mine["category"] == "community_office"].sort_values("id")
        count = SUB_SQUADS[town.kind] + EXTRA_SUB_SQUADS.get(town.code, 0)
        for n, k in enumerate(_spread(offices[["x", "y"]].to_numpy(), count), start=1):
            rows.append({"code": f"{squad}{n:02d}", "name": f"{town.name}综合执法{NUMERALS[n - 1]}中队",
                         "name_en": f"{town.name_en} Enforcement Sub-squad {n}", "township_code": town.code,
                         "kind": "sub_squad", "department": "综合执法", "parent_code": squad,
                         "x": offices.iloc[k]["x"], "y": offices.iloc[k]["y"]})
        for department, suffix, category, rule in DEPARTMENT_UNITS:
            if town.code not in _hosts(rule, townships):
                continue
            spot = mine[mine["category"] == category]
            where = spot.iloc[0] if len(spot) else base
            rows.append({"code": f"{town.code}-{suffix}", "name": where["name"] if len(spot) else f"{short}{department}",
                         "name_en": f"{short_en} {UNIT_EN[category]}", "township_code": town.code,
                         "kind": "department_unit", "department": department, "parent_code": "",
                         "x": where["x"], "y": where["y"]})
    return pd.DataFrame(rows, columns=TEAM_COLUMNS)


def _person(rng: np.random.Generator, taken: set[str]) -> str:
    while True:
        surname = SURNAMES[int(rng.choice(len(SURNAMES), p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum()))]
        given = "".join(GIVEN[int(i)] for i in rng.integers(len(GIVEN), size=int(rng.choice([1, 2], p=[0.3, 0.7]))))
        if surname + given not in taken:
            taken.add(surname + given)
            return surname + given


def build_officers(teams: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Officers of every team: unique synthetic names, ~85 % certified, a duty pattern, a phone number."""
    rows = []
    taken: set[str] = set()
    serial = 0
    for team in teams.itertuples():
        low, high = TEAM_SIZE[team.kind]
        patterns, weights = zip(*DUTY_PATTERNS[team.kind], strict=True)
        for n in range(1, int(rng.integers(low, high + 1)) + 1):
            certified = bool(rng.random() < 0.85)
            serial += 1
            year = int(rng.integers(15, 25))
            rows.append({
                "code": f"{team.code}-{n:02d}",
                "name": _person(rng, taken),
                "team_code": team.code,
                "certified": certified,
                "certificate_no": f"闽执法证 3502{year:02d}{serial:05d}" if certified else "",
                "duty_pattern": str(rng.choice(patterns, p=np.array(weights) / sum(weights))),
                "phone": str(rng.choice(PHONE_PREFIXES)) + f"{int(rng.integers(0, 10**8)):08d}",
            })
    return pd.DataFrame(rows, columns=OFFICER_COLUMNS)
