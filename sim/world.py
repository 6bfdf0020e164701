"""What the simulation needs to know about the city, read from the store: where, what, who.

Everything comes from the seeded store — townships, the cells reports fall in, the enforcement items and
the 事项清单, teams and their officers — so a simulated month runs on whatever jurisdiction is loaded
(the demo city, or imported boundaries with the demo organisation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from store import Store
from store.errors import NotFound
from store.models import Item, ItemAuthority


@dataclass(frozen=True)
class Place:
    """Where a report falls: a cell of a township, and a point in it (lon/lat)."""

    township_code: str
    community_code: str
    zone_code: str | None
    cell_code: str
    lon: float
    lat: float


@dataclass(frozen=True)
class TeamInfo:
    code: str
    township_code: str | None
    kind: str  # squad | sub_squad | department_unit
    department: str
    officers: tuple[str, ...]


@dataclass
class World:
    """The jurisdiction as the simulation sees it (indexes built once)."""

    townships: pd.DataFrame  # code, name, kind
    cells: pd.DataFrame  # code, community_code, zone_code, township_code, lon, lat
    items: pd.DataFrame  # code, name, default_priority, time_limit_hours
    authority: dict[tuple[str, str], str]  # (township, item) -> 法定 | 赋权 | 委托 | 部门
    teams: dict[str, TeamInfo]
    by_township: dict[str, list[TeamInfo]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for team in self.teams.values():
            if team.township_code:
                self.by_township.setdefault(team.township_code, []).append(team)

    def field_teams(self, township: str) -> list[TeamInfo]:
        """The township's enforcement sub-squads (its squad if it has none) that have officers."""
        teams = [t for t in self.by_township.get(township, []) if t.department == "综合执法" and t.officers]
        subs = [t for t in teams if t.kind == "sub_squad"]
        return subs or teams

    def department_unit(self, township: str, department: str) -> TeamInfo | None:
        """The unit of ``department`` stationed in the township, if any."""
        return next((t for t in self.by_township.get(township, [])
                     if t.kind == "department_unit" and t.department == department and t.officers), None)


def load_world(store: Store) -> World:
    """Read the world from a seeded store; :class:`NotFound` when it lacks items, authority or teams."""
    townships = store.townships()
    if townships.empty:
        raise NotFound("the store holds no townships: seed a jurisdiction first (python -m store seed DIR)")
    cells = store.cells()
    centroids = cells.geometry.representative_point()
    cell_frame = pd.DataFrame({"code": cells["code"], "community_code": cells["community_code"],
                               "zone_code": cells["zone_code"], "township_code": cells["township_code"],
                               "lon": centroids.x.to_numpy(), "lat": centroids.y.to_numpy()})
    with store.transaction() as conn:
        items = pd.DataFrame(conn.execute(sa.select(Item.code, Item.name, Item.default_priority,
                                                    Item.time_limit_hours).order_by(Item.code)).all(),
                             columns=["code", "name", "default_priority", "time_limit_hours"])
        authority = {(t, i): a for t, i, a in conn.execute(
            sa.select(ItemAuthority.township_code, ItemAuthority.item_code, ItemAuthority.authority))}
    teams_frame, officers = store.teams(), store.officers()
    if items.empty or not authority or teams_frame.empty or officers.empty:
        raise NotFound("the store lacks the enforcement items, the 事项清单, teams or officers the simulation "
                       "needs: seed it from a jurisdiction folder that has them (python -m data generate)")
    members = officers.groupby("team_code")["code"].apply(lambda codes: tuple(sorted(codes))).to_dict()
    teams = {row.code: TeamInfo(row.code, row.township_code, row.kind, row.department, members.get(row.code, ()))
             for row in teams_frame.itertuples()}
    return World(townships=pd.DataFrame(townships[["code", "name", "kind"]]), cells=cell_frame, items=items,
                 authority=authority, teams=teams)


def hot_cell_weights(cells: pd.DataFrame, rng: np.random.Generator, share: float = 0.05,
                     boost: float = 12.0) -> np.ndarray:
    """Sampling weights of the cells: a few hot cells (markets, school gates) get ``boost`` times more
    reports, so the month has hotspots."""
    weights = np.ones(len(cells))
    hot = rng.random(len(cells)) < share
    weights[hot] = boost
    return weights
