"""What a channel record becomes: a normalised :class:`Report`, or a :class:`Quarantined` record with its reason.

Every channel speaks its own dialect (Chinese column headers, event codes, three coordinate systems, a dozen
time spellings). Everything after the adapters — locating, de-duplicating, storing, publishing — reads one
shape instead: a report with UTC times, an enforcement-item code beside the channel's own category, the
location *as given* (a point in its declared coordinate system, an address, or both), the reporter's
contact kept whole but printable only through :meth:`Report.masked`, and the original record for audit.

A record that cannot become a report is never dropped: it becomes a :class:`Quarantined` record that names
where it came from (file and row, or message) and exactly what is wrong, and keeps the bytes as received so
that it can be fixed and submitted again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ingest.payload import json_safe
from ingest.privacy import mask_name, mask_phone, mask_text


@dataclass(frozen=True)
class Point:
    """A position exactly as the channel gave it.

    ``crs`` is a name :func:`geo.coords.convert` accepts: ``"wgs84"``, ``"gcj02"``, ``"bd09"`` (x = longitude,
    y = latitude in degrees) or ``"EPSG:4548"``-style codes of a projected system (x = easting,
    y = northing in metres, whatever order the channel wrote them in). Converting is the locator's job.
    """

    x: float
    y: float
    crs: str

    def __str__(self) -> str:
        return f"({self.x:g}, {self.y:g}) {self.crs}"


@dataclass(frozen=True)
class SourceRef:
    """Where a record came from: file and spreadsheet row, or file and record number of a JSON document.

    ``row`` is the row number a person sees in the spreadsheet (the header is usually row 1); for JSON it is
    the record's 1-based position in the document. ``row`` is None when the problem concerns the whole file.
    """

    filename: str
    row: int | None = None
    unit: str = "row"  # "row" (CSV, Excel) or "record" (JSON)
    sheet: str | None = None

    def __str__(self) -> str:
        where = self.filename + (f" sheet {self.sheet}" if self.sheet else "")
        return where if self.row is None else f"{where} {self.unit} {self.row}"


@dataclass(frozen=True)
class Report:
    """上报: one usable record of one channel, normalised.

    Attributes
    ----------
    channel, external_id
        The channel's name (``hotline_12345`` …) and its own id of the record (工单编号, 案卷号, message id);
        together they recognise a record sent twice.
    received_at, occurred_at
        When the channel received the report and, if it says so, when the problem happened; aware, UTC.
    item_code, category
        Our enforcement item (``ZF001`` …) and the channel's own category wording or code it was mapped from.
    point, address
        The location as given: at least one of them is set. ``cell_code`` is the channel's grid cell, if any.
    reporter_name, reporter_phone, reporter_id
        Personal data, kept whole: show them through :meth:`masked`. ``reporter_id`` is a staff number
        (grid worker, supervisor, officer) when the reporter is one of ours.
    priority
        1 urgent, 2 pressing, 3 normal, when the channel states one; None means "the item's default".
    raw, source
        The original row or message (JSON types) and where it came from.
    notes
        What normalisation did that a person may want to know (coordinates re-ordered, a mangled phone …).
    """

    channel: str
    external_id: str
    received_at: datetime
    item_code: str
    category: str
    source: SourceRef
    occurred_at: datetime | None = None
    description: str | None = None
    address: str | None = None
    point: Point | None = None
    cell_code: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_id: str | None = None
    media: tuple[str, ...] = ()
    priority: int | None = None
    raw: Any = field(default=None, compare=False)
    notes: tuple[str, ...] = ()

    def masked(self) -> Report:
        """The same report for display: name ``张**``, phone ``138****5678``, also inside text and payload."""
        name, phone = self.reporter_name, self.reporter_phone
        return replace(
            self,
            reporter_name=mask_name(name),
            reporter_phone=mask_phone(phone),
            description=mask_text(self.description, name),
            address=mask_text(self.address, name),
            raw=_mask_payload(self.raw, name, phone),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON types only (times as ISO 8601 with offset): for the intake stream and the API."""
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        data["occurred_at"] = self.occurred_at.isoformat() if self.occurred_at else None
        data["media"] = list(self.media)
        data["notes"] = list(self.notes)
        data["raw"] = json_safe(self.raw)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """The inverse of :meth:`to_dict`."""
        values = dict(data)
        values["received_at"] = datetime.fromisoformat(values["received_at"]).astimezone(UTC)
        if values.get("occurred_at"):
            values["occurred_at"] = datetime.fromisoformat(values["occurred_at"]).astimezone(UTC)
        values["source"] = SourceRef(**values["source"])
        values["point"] = Point(**values["point"]) if values.get("point") else None
        values["media"] = tuple(values.get("media") or ())
        values["notes"] = tuple(values.get("notes") or ())
        return cls(**values)


@dataclass(frozen=True)
class Quarantined:
    """A record that could not become a report: kept whole, with where it came from and what is wrong.

    ``raw`` is what to keep and re-submit: for a CSV row, a one-row CSV (header + that row) in the file's own
    encoding, undecodable bytes included; for an Excel row or a JSON record, that record as a JSON document;
    for a file that could not be read at all, the whole file. ``record`` is a readable view (JSON types) when
    there is one.
    """

    channel: str
    source: SourceRef
    reason: str
    raw: bytes = field(repr=False)
    content_type: str
    received_at: datetime
    record: Any = field(default=None, compare=False, repr=False)
    external_id: str | None = None

    def describe(self) -> str:
        """One line for a person: ``hotline.csv row 7 (工单编号 GD…): missing required field 诉求类型``."""
        ident = f" ({self.external_id})" if self.external_id else ""
        return f"{self.source}{ident}: {self.reason}"


def _mask_payload(value: Any, name: str | None, phone: str | None) -> Any:
    """The payload with the reporter's name and any phone number masked wherever they appear."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if isinstance(value, dict):
        return {key: _mask_payload(item, name, phone) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_payload(item, name, phone) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool) and digits and _integral(value) == digits:
        return mask_phone(digits)
    if isinstance(value, str):
        if name and value.strip() == name:
            return mask_name(name)
        if digits and "".join(ch for ch in value if ch.isdigit()).endswith(digits) and len(digits) >= 7:
            return mask_phone(phone)  # the phone as written (+86 138 …): shown as the masked number
        return mask_text(value, name)
    return value


def _integral(number: float) -> str:
    """An integral number's digits (a phone number typed into a numeric spreadsheet cell)."""
    try:
        return str(int(number)) if number == int(number) else ""
    except (OverflowError, ValueError):
        return ""
