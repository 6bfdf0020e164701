"""Repeat places (反复发生): the same problem back at the same place after its case was closed.

A case is a *repeat* when it was opened at a place, for an enforcement item, after an earlier case of the
same item at the same place had been closed — within ``within`` of that closure. Places with repeats are
where closing cases does not solve the problem: they need source treatment (源头治理), not another patrol.

A place is a cell code, or an address normalised so that spacing and full-width characters do not split
one address in two (:func:`normalise_address`).

>>> import pandas as pd
>>> cases = pd.DataFrame({
...     "case_id": [1, 2, 3, 4],
...     "place": ["C1", "C1", "C1", "C2"],
...     "item_code": ["ZF001", "ZF001", "ZF002", "ZF001"],
...     "opened_at": pd.to_datetime(["2026-10-01", "2026-10-20", "2026-10-21", "2026-10-02"], utc=True),
...     "closed_at": pd.to_datetime(["2026-10-05", None, "2026-10-22", "2026-10-03"], utc=True)})
>>> table = repeat_places(cases)
>>> table[["place", "item_code", "cases", "repeats", "days_to_return"]].to_dict("records")
[{'place': 'C1', 'item_code': 'ZF001', 'cases': 2, 'repeats': 1, 'days_to_return': 15.0}]
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import numpy as np
import pandas as pd

COLUMNS = ("case_id", "place", "item_code", "opened_at", "closed_at")
RESULT_COLUMNS = ["place", "item_code", "cases", "repeats", "first_opened_at", "last_opened_at",
                  "days_to_return", "case_ids", "repeat_case_ids"]
DEFAULT_WITHIN = timedelta(days=90)
"""A problem back within 90 days of its closure counts as the same problem returning."""


def normalise_address(address: str | None) -> str | None:
    """One key per written address: NFKC (full-width → half-width), no spaces, no trailing punctuation.

    >>> normalise_address(" 大同街道 凤山路１２３号。")
    '大同街道凤山路123号'
    """
    if address is None or (isinstance(address, float) and np.isnan(address)):
        return None
    text = "".join(unicodedata.normalize("NFKC", str(address)).split()).rstrip("。.,，;；")
    return text or None


def repeat_places(
    cases: pd.DataFrame, *, within: timedelta | None = DEFAULT_WITHIN, min_repeats: int = 1
) -> pd.DataFrame:
    """Places and items whose problem came back after a closed case, the most repeats first.

    Parameters
    ----------
    cases : DataFrame
        Columns ``case_id, place, item_code, opened_at, closed_at`` (aware times; ``closed_at`` empty while
        open). Rows without a place or an item cannot repeat anything and are left out.
    within : timedelta or None
        Longest gap from a closure to the next opening that still counts (None: any gap).
    min_repeats : int
        Keep places with at least this many repeat cases.

    Returns
    -------
    DataFrame
        ``place, item_code, cases`` (all cases there of that item), ``repeats``, ``first_opened_at``,
        ``last_opened_at``, ``days_to_return`` (median days from a closure to the repeat), ``case_ids``
        and ``repeat_case_ids`` (lists).

    Raises
    ------
    ValueError
        A column is missing, or a case was closed before it was opened (named by its id).
    """
    missing = [c for c in COLUMNS if c not in cases.columns]
    if missing:
        raise ValueError(f"case rows need the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}")
    frame = cases.loc[:, list(COLUMNS)].copy()
    frame = frame[frame["place"].notna() & frame["item_code"].notna() & frame["opened_at"].notna()]
    frame["opened_at"] = pd.to_datetime(frame["opened_at"], utc=True)
    frame["closed_at"] = pd.to_datetime(frame["closed_at"], utc=True)
    wrong = frame["closed_at"].notna() & (frame["closed_at"] < frame["opened_at"])
    if wrong.any():
        first = frame[wrong].iloc[0]
        raise ValueError(f"case {first['case_id']} was closed ({first['closed_at'].isoformat()}) before it was "
                         f"opened ({first['opened_at'].isoformat()})")
    if frame.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    frame["place"] = frame["place"].astype(str)
    frame["item_code"] = frame["item_code"].astype(str)
    closures = (frame.loc[frame["closed_at"].notna(), ["place", "item_code", "closed_at"]]
                .sort_values("closed_at", kind="stable"))
    opened = frame.sort_values("opened_at", kind="stable")
    # the latest closure of the same item at the same place strictly before each opening
    matched = pd.merge_asof(opened, closures.rename(columns={"closed_at": "previous_closure"}),
                            left_on="opened_at", right_on="previous_closure", by=["place", "item_code"],
                            allow_exact_matches=False, direction="backward")
    gap = matched["opened_at"] - matched["previous_closure"]
    matched["repeat"] = matched["previous_closure"].notna() & (True if within is None else gap <= within)
    matched["gap_days"] = gap.dt.total_seconds() / 86400.0
    groups = matched.groupby(["place", "item_code"], sort=False)
    summary = groups.agg(
        cases=("case_id", "size"), repeats=("repeat", "sum"), first_opened_at=("opened_at", "min"),
        last_opened_at=("opened_at", "max"), case_ids=("case_id", list),
    ).reset_index()
    returned = matched[matched["repeat"]].groupby(["place", "item_code"], sort=False)
    extra = returned.agg(days_to_return=("gap_days", "median"), repeat_case_ids=("case_id", list)).reset_index()
    summary = summary.merge(extra, on=["place", "item_code"], how="left")
    summary["repeats"] = summary["repeats"].astype(int)
    summary = summary[summary["repeats"] >= max(1, min_repeats)]
    summary = summary.sort_values(["repeats", "last_opened_at", "place", "item_code"],
                                  ascending=[False, False, True, True], kind="stable")
    return summary[RESULT_COLUMNS].reset_index(drop=True)
