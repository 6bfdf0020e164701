"""What the live layers (cases, report density, teams) are asked: the view, a time window and filters.

The boundary layers answer a :class:`~layers.registry.LayerQuery` (viewport, zoom, language). The layers
over live data also need *when* (a window of report or case times, and the instant "overdue" is judged at)
and *which* (townships — a township user's scope —, enforcement items, channels, case statuses).
:class:`ActivityQuery` is a LayerQuery with those fields, so a live layer still takes any LayerQuery (the
window then defaults to the last 24 hours) and can sit in the same registry as the others.

The helpers at the bottom build the portable SQL both backends share: a grid key (``floor``) that renders
the same way in SELECT and GROUP BY, and the filter clauses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from layers.registry import LayerQuery

DEFAULT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class ActivityQuery(LayerQuery):
    """A view (bbox, zoom, language) plus a time window and filters; every filter None means "all".

    Attributes
    ----------
    start, end : datetime, optional
        The window ``[start, end)`` (aware). Missing ends: ``end`` now, ``start`` 24 hours before ``end``.
    as_of : datetime, optional
        When a case is judged overdue (its deadline passed while open); default now.
    townships, items, channels, statuses : tuple of str, optional
        Keep only these township codes, enforcement item codes, channels, case statuses. An empty tuple
        matches nothing (a user scoped to no township sees nothing), None matches everything.

    Bad values raise ValueError naming the field (they come from a browser).
    """

    start: datetime | None = None
    end: datetime | None = None
    as_of: datetime | None = None
    townships: tuple[str, ...] | None = None
    items: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("start", "end", "as_of"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
                raise ValueError(f"ActivityQuery.{name} must be an aware datetime, got {value!r}")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(f"ActivityQuery window is empty: start {self.start.isoformat()} is not before "
                             f"end {self.end.isoformat()}")
        for name in ("townships", "items", "channels", "statuses"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
                raise ValueError(f"ActivityQuery.{name} must be a sequence of non-empty strings, got {value!r}")
            object.__setattr__(self, name, tuple(value))

    def window(self, now: datetime | None = None) -> tuple[datetime, datetime]:
        """``(start, end)`` with the defaults filled in (end: now; start: 24 hours before end)."""
        end = self.end or now or datetime.now(UTC)
        return self.start or end - DEFAULT_WINDOW, end

    def judged_at(self, now: datetime | None = None) -> datetime:
        """The instant deadlines are compared with."""
        return self.as_of or now or datetime.now(UTC)


def activity(query: LayerQuery) -> ActivityQuery:
    """``query`` as an ActivityQuery (a plain LayerQuery gets the default window and no filters)."""
    if isinstance(query, ActivityQuery):
        return query
    return ActivityQuery(bbox=query.bbox, zoom=query.zoom, lang=query.lang)


# ----------------------------------------------------------------------------------------------- SQL


def number(value: float) -> Any:
    """A float as an SQL literal, so an expression renders identically wherever it appears.

    PostgreSQL matches GROUP BY expressions textually: ``floor(x / $1)`` in the SELECT list and
    ``floor(x / $5)`` in GROUP BY are different expressions to it, though the values are equal.
    """
    return sa.literal_column(repr(float(value)))


def floor(expression: Any, backend: str) -> Any:
    """``floor(expression)`` for a non-negative expression, on either backend.

    SQLite's ``floor`` exists only when the library was built with its math functions; ``CAST(… AS
    INTEGER)`` truncates, which equals floor for the non-negative values the grids here produce.
    PostgreSQL's CAST would round instead, so it gets ``floor``.
    """
    if backend == "postgis":
        return sa.func.floor(expression)
    return sa.cast(expression, sa.Integer)


def divided(column: Any, k: int) -> Any:
    """``column / k`` in integer arithmetic on both backends, rendered with ``k`` inline.

    SQLAlchemy's ``/`` is true division (it casts to NUMERIC on PostgreSQL); for non-negative integers the
    plain SQL operator truncates, which is floor.
    """
    return column.op("/", return_type=sa.Integer)(sa.literal_column(str(int(k))))


def overlaps(table: sa.Table, bbox: tuple[float, float, float, float]) -> list[Any]:
    """Rows of a spatial table whose bounds (``min_lon`` … ``max_lat``) meet ``bbox``, as plain comparisons."""
    min_lon, min_lat, max_lon, max_lat = bbox
    c = table.c
    return [c.max_lon >= min_lon, c.min_lon <= max_lon, c.max_lat >= min_lat, c.min_lat <= max_lat]


def among(column: Any, values: Sequence[str] | None) -> list[Any]:
    """A WHERE clause list for ``column IN values`` (nothing for None; always false for an empty tuple)."""
    if values is None:
        return []
    if not values:
        return [sa.false()]
    return [column.in_(list(values))]


def in_window(column: Any, start: datetime, end: datetime) -> list[Any]:
    return [column >= start, column < end]


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Values in first-seen order, without repeats."""
    return tuple(dict.fromkeys(values))
