"""Officer patrol findings (巡查发现): what officers record on the phone page while on patrol, JSON with GPS.

Input format
------------
One JSON object per finding (or an array, an envelope, JSON Lines), as the phone page posts it:

.. code-block:: json

    {"finding_id": "XC-350212001-ZF01-20261103-007",
     "officer": {"code": "350212001-ZF-03", "name": "叶德清"},
     "team_code": "350212001-ZF01",
     "found_at": "2026-11-03T10:21:05+08:00",
     "submitted_at": "2026-11-03T10:23:40+08:00",
     "item_code": "ZF001",
     "description": "流动摊贩占用人行道经营水果",
     "gps": {"lon": 118.14721, "lat": 24.72935, "accuracy": 8.5},
     "address": "同安区大同街道环城西路148号",
     "photos": ["/media/patrol/2026/11/03/XC-007-1.jpg"],
     "priority": 3}

Required: ``finding_id``, ``submitted_at`` (else ``found_at``), ``item_code`` (our item code or item name:
the page offers the catalogue itself) and ``gps`` or ``address``. The browser's geolocation is WGS-84, so
``gps`` is taken as ``wgs84`` unless ``gps.crs`` says otherwise. A fix less precise than
``POOR_ACCURACY_M`` is kept with a note.
"""

from __future__ import annotations

from typing import Any

from ingest.channels.base import Channel
from ingest.records import Record
from ingest.report import Point

POOR_ACCURACY_M = 100.0
"""A GPS accuracy radius beyond this (metres) may put the finding in the wrong 100 m cell."""


class Patrol(Channel):
    name = "patrol"
    title = "巡查发现"
    formats = "JSON (object, array, envelope or JSON Lines)"
    fields = {
        "external_id": ("finding_id", "id"),
        "received_at": ("submitted_at", "found_at"),
        "occurred_at": ("found_at",),
        "category": ("item_code", "item", "category"),
        "description": ("description", "content"),
        "address": ("address",),
        "lon": ("gps.lon", "gps.longitude", "gps.lng", "lon", "longitude"),
        "lat": ("gps.lat", "gps.latitude", "lat", "latitude"),
        "crs": ("gps.crs", "crs"),
        "accuracy": ("gps.accuracy", "gps.accuracy_m", "accuracy"),
        "media": ("photos", "media"),
        "reporter_id": ("officer.code", "officer_code"),
        "reporter_name": ("officer.name", "officer_name"),
        "reporter_phone": ("officer.phone", "officer_phone"),
        "priority": ("priority",),
        "team_code": ("team_code",),
    }
    required = ("external_id", "received_at", "category")
    default_crs = "wgs84"

    def point(self, record: Record) -> tuple[Point | None, list[str]]:
        point, notes = super().point(record)
        accuracy: Any = self.value(record, "accuracy")
        if point is not None and isinstance(accuracy, int | float) and not isinstance(accuracy, bool) \
                and accuracy > POOR_ACCURACY_M:
            notes.append(f"GPS accuracy {accuracy:g} m: the position may be off by more than one grid cell")
        return point, notes


CHANNEL = Patrol()
