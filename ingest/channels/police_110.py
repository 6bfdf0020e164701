"""110 non-police transfers (110非警务警情分流): calls the police hand over to the township, JSON or CSV.

Input format
------------
JSON objects (one, an array, an envelope or JSON Lines) from the 110 platform's transfer interface, or a
CSV/Excel export with the Chinese headers in brackets:

.. code-block:: json

    {"transfer_no": "FL3502122026110300045",
     "incident_no": "J350212202611030123",
     "call_time": "2026-11-03 21:47:10",
     "transfer_time": "2026-11-03 21:52:00",
     "category": "噪音扰民",
     "content": "报警人称楼下KTV音响声音过大",
     "caller": {"name": "王建国", "phone": "13859201234"},
     "address": "同安区大同街道凤山路54号",
     "location": {"lng": 118.15912, "lat": 24.74081, "coord_type": "bd09ll"},
     "level": "一般",
     "police_station": "大同派出所"}

Required: ``transfer_no`` [分流单号], ``transfer_time`` [分流时间] (else ``call_time`` [接警时间]),
``category`` [警情类别], and a location: the point — Baidu ``bd09ll`` unless ``coord_type`` [坐标系] says
otherwise; Baidu Mercator ``bd09mc`` is refused — or ``address`` [发案地址]. ``content`` [报警内容],
``caller.name`` [报警人], ``caller.phone`` [报警电话], ``level`` [紧急程度], ``occurred_at`` [发案时间] are optional;
``incident_no`` [警情编号] and ``police_station`` [管辖派出所] stay in the raw payload.
"""

from __future__ import annotations

from ingest.channels.base import Channel


class Police110(Channel):
    name = "police_110"
    title = "110非警务分流"
    formats = "JSON (object, array, envelope or JSON Lines) or CSV/Excel with Chinese headers"
    fields = {
        "external_id": ("transfer_no", "分流单号", "移交单号"),
        "received_at": ("transfer_time", "分流时间", "移交时间", "call_time", "接警时间"),
        "occurred_at": ("occurred_at", "发案时间", "案发时间"),
        "category": ("category", "警情类别", "警情类型"),
        "description": ("content", "报警内容", "简要警情"),
        "address": ("address", "发案地址", "事发地址"),
        "lon": ("location.lng", "location.lon", "lng", "lon", "bd_lng", "经度"),
        "lat": ("location.lat", "lat", "bd_lat", "纬度"),
        "crs": ("location.coord_type", "coord_type", "crs", "坐标系"),
        "reporter_name": ("caller.name", "caller_name", "报警人"),
        "reporter_phone": ("caller.phone", "caller_phone", "报警电话"),
        "priority": ("level", "紧急程度", "警情级别"),
        "incident_no": ("incident_no", "警情编号"),
        "police_station": ("police_station", "管辖派出所"),
    }
    required = ("external_id", "received_at", "category")
    default_crs = "bd09"  # the 110 platform's map is Baidu's


CHANNEL = Police110()
