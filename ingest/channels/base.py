"""The one interface every channel adapter implements, and the normalisation they share.

A channel adapter says three things: what its fields are called in its exports (``fields``: our field name →
the names the channel uses, first one preferred in messages), which of them a record cannot do without
(``required``), and how a record becomes a :class:`~ingest.report.Report` (:meth:`Channel.normalise`). The
shared :meth:`Channel.normalise` reads the common fields the common way — id, times, category → item,
description, address, reporter, media, priority, grid cell — and asks two hooks a channel may override:
:meth:`Channel.category` (a 12319 record classifies by codes, not words) and :meth:`Channel.point` (a
12319 record gives Gauss–Krüger metres, the others longitude/latitude in some declared system).

Anything wrong raises :class:`~ingest.fields.Rejection` with the precise reason; :func:`ingest.parse.parse`
turns it into a quarantined record and goes on with the next one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from ingest import coordinates, fields
from ingest.categories import CategoryMap
from ingest.coordinates import NoFix
from ingest.fields import Rejection
from ingest.privacy import is_plausible_phone, reporter_name, reporter_phone
from ingest.records import Record
from ingest.report import Point, Report, SourceRef
from ingest.times import BadTime, parse_time


@dataclass(frozen=True)
class Context:
    """What a channel needs besides the record: the category tables and when the source arrived.

    ``received_at`` stands in for a record's own receiving time when its channel has none, and dates the
    quarantined records.
    """

    categories: CategoryMap
    received_at: datetime


class Channel:
    """Base of the channel adapters; a subclass sets the class attributes and overrides hooks as needed."""

    name: ClassVar[str]
    title: ClassVar[str]  # 中文 name for people
    formats: ClassVar[str] = "CSV, Excel (.xlsx) or JSON"
    fields: ClassVar[Mapping[str, Sequence[str]]]
    required: ClassVar[Sequence[str]] = ("external_id", "category")
    default_crs: ClassVar[str | None] = "wgs84"  # for lon/lat without a declared system; None: must declare

    @property
    def required_columns(self) -> tuple[str, ...]:
        """The fields whose columns a table must have (its header row is found by them)."""
        return tuple(self.required)

    def configured(self, mapping: Any = None) -> Channel:
        """This channel for one source; only channels with a column mapping (generic_csv) take ``mapping``."""
        if mapping is not None:
            raise ValueError(f"channel {self.name} takes no column mapping; only generic_csv does")
        return self

    # --------------------------------------------------------------------------------------- reading fields

    def label(self, name: str, record: Record | None = None) -> str:
        """How the channel calls a field: the header found in this record, else its preferred name."""
        if record is not None:
            found, _ = record.lookup(self.fields.get(name, ()))
            if found is not None:
                return found
        aliases = self.fields.get(name) or (name,)
        return aliases[0]

    def value(self, record: Record, name: str) -> Any:
        return record.lookup(self.fields.get(name, ()))[1]

    def text(self, record: Record, name: str, required: bool = False) -> str | None:
        result = fields.text(self.value(record, name))
        if result is None and required:
            raise Rejection(f"missing required field {self.label(name, record)}")
        return result

    def time(self, record: Record, name: str, required: bool = False) -> datetime | None:
        value = self.value(record, name)
        if fields.is_blank(value):
            if required:
                raise Rejection(f"missing required field {self.label(name, record)}")
            return None
        try:
            return parse_time(value)
        except BadTime as bad:
            raise Rejection(f'bad time "{bad.text}" in {self.label(name, record)}: {bad.why}') from None

    def external_id(self, record: Record) -> str:
        return fields.identifier(self.value(record, "external_id"), self.label("external_id", record))

    def duplicate(self, record: Record, external_id: str, first: SourceRef) -> str:
        """The reason for a record whose id already came earlier in the same source."""
        return f"duplicate {self.label('external_id', record)} {external_id}: already in {first}"

    # ---------------------------------------------------------------------------------------------- hooks

    def category(self, record: Record, context: Context) -> tuple[str, str]:
        """(item code, the channel's category as given)."""
        category = self.text(record, "category", required=True)
        assert category is not None
        return context.categories.item(self.name, category), category

    def point(self, record: Record) -> tuple[Point | None, list[str]]:
        """The position as given, and notes; longitude/latitude in the declared or default system."""
        lon, lat = self.value(record, "lon"), self.value(record, "lat")
        if fields.is_blank(lon) and fields.is_blank(lat):
            return None, []
        crs = coordinates.coordinate_system(self.value(record, "crs"), self.default_crs, self.label("crs", record))
        labels = (self.label("lon", record), self.label("lat", record))
        return coordinates.lonlat(lon, lat, crs, labels), []

    # ------------------------------------------------------------------------------------------ normalise

    def normalise(self, record: Record, context: Context) -> Report:
        """The report of one record, or :class:`Rejection` naming every problem found (``; ``-separated)."""
        notes: list[str] = []
        problems: list[str] = []

        def attempt(step: Any, *args: Any, default: Any = None) -> Any:
            try:
                return step(*args)
            except Rejection as problem:
                problems.append(str(problem))
                return default

        external_id = attempt(self.external_id, record)
        received_at = attempt(self.time, record, "received_at", "received_at" in self.required)
        occurred_at = attempt(self.time, record, "occurred_at")
        item_code, category = attempt(self.category, record, context, default=(None, None))
        address = attempt(self.text, record, "address", "address" in self.required)
        address_missing = address is None and "address" in self.required  # already reported above
        point = None if address_missing else attempt(self._located, record, address, notes)
        if problems:
            raise Rejection("; ".join(problems))
        priority, note = fields.priority(self.value(record, "priority"))
        notes += [note] if note else []
        media, media_notes = fields.media_links(self.value(record, "media"))
        cell, note = fields.cell_code(self.value(record, "cell_code"))
        notes += media_notes + ([note] if note else [])
        name, phone, reporter_id = self.reporter(record, notes)
        return Report(
            channel=self.name,
            external_id=external_id,
            received_at=received_at or context.received_at,
            occurred_at=occurred_at,
            item_code=item_code,
            category=category,
            source=record.source,
            description=self.text(record, "description"),
            address=address,
            point=point,
            cell_code=cell,
            reporter_name=name,
            reporter_phone=phone,
            reporter_id=reporter_id,
            media=media,
            priority=priority,
            raw=record.raw,
            notes=tuple(notes),
        )

    def reporter(self, record: Record, notes: list[str]) -> tuple[str | None, str | None, str | None]:
        """(name, phone, staff id) of whoever reported; an implausible phone is kept with a note."""
        phone = reporter_phone(self.text(record, "reporter_phone"))
        if phone is not None and not is_plausible_phone(phone):
            notes.append(f'reporter phone "{phone[:30]}" is not a phone number as written: kept as given')
        return reporter_name(self.text(record, "reporter_name")), phone, self.text(record, "reporter_id")

    def _located(self, record: Record, address: str | None, notes: list[str]) -> Point | None:
        """The point, falling back to the address when the device had no fix; one of them is required."""
        try:
            point, point_notes = self.point(record)
        except NoFix as no_fix:
            if address is None:
                raise Rejection(f"no location: {no_fix}, and no {self.label('address', record)}") from None
            notes.append(f"{no_fix}: located from the address instead")
            return None
        notes += point_notes
        if point is None and address is None:
            raise Rejection(f"no location: neither coordinates nor {self.label('address', record)}")
        return point
