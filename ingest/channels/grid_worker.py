"""Grid workers (网格员): reports from the community inspectors' app, JSON with photos and a GPS fix.

Input format
------------
One JSON object per report — or an array of them, an envelope ``{"data": {"list": [...]}}``, or JSON Lines:

.. code-block:: json

    {"id": "WG-20261103-0001",
     "reported_at": "2026-11-03T09:12:33+08:00",
     "worker": {"id": "WG350212001003-02", "name": "林秀英", "phone": "13906001234"},
     "cell_code": "350212001003012",
     "category": "乱堆乱放",
     "description": "凤山路123号门口堆放建材，占用人行道",
     "location": {"lon": 118.15247, "lat": 24.73182, "crs": "gcj02", "accuracy_m": 12},
     "address": "同安区大同街道凤山路123号",
     "photos": ["https://wg.example.cn/p/20261103/0001-1.jpg"],
     "urgent": false}

Required: ``id``, ``reported_at``, ``category`` (the app's wording, mapped to an item), and a location —
``location.lon``/``location.lat`` with a *declared* ``location.crs`` (``wgs84``, ``gcj02`` or ``bd09``; the
app's map SDK decides which, so it is never assumed) or an ``address``. ``cell_code`` is the worker's own
unit grid cell. Flat keys (``lon``, ``lat``, ``crs``, ``worker_id`` …) and the Chinese keys below work too.
"""

from __future__ import annotations

from ingest.channels.base import Channel


class GridWorker(Channel):
    name = "grid_worker"
    title = "网格员上报"
    formats = "JSON (object, array, envelope or JSON Lines)"
    fields = {
        "external_id": ("id", "report_id", "上报编号"),
        "received_at": ("reported_at", "report_time", "上报时间"),
        "occurred_at": ("found_at", "发现时间"),
        "category": ("category", "type", "问题类型"),
        "description": ("description", "content", "问题描述"),
        "address": ("address", "地址"),
        "lon": ("location.lon", "location.lng", "location.longitude", "lon", "lng", "longitude", "经度"),
        "lat": ("location.lat", "location.latitude", "lat", "latitude", "纬度"),
        "crs": ("location.crs", "location.coord_type", "crs", "coord_type", "坐标系"),
        "media": ("photos", "images", "media", "照片"),
        "cell_code": ("cell_code", "grid_code", "网格编码"),
        "reporter_id": ("worker.id", "worker_id", "网格员编号"),
        "reporter_name": ("worker.name", "worker_name", "网格员"),
        "reporter_phone": ("worker.phone", "worker_phone", "网格员电话"),
        "priority": ("urgent", "priority", "紧急程度"),
    }
    required = ("external_id", "received_at", "category")
    default_crs = None  # the app must say which map SDK its coordinates come from


CHANNEL = GridWorker()
