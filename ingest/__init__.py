"""Intake: channel adapters that turn what each channel sends into normalised reports.

``parse(channel, bytes_or_path, filename=...)`` yields one :class:`Report` or :class:`Quarantined` per record.
This package is pure parsing — no database, no Redis, no coordinate conversion or geocoding: reports carry
their location as given (a point with its coordinate system, an address) for the locating step that follows.

>>> from ingest import parse
>>> rows = "工单编号,来电时间,诉求类型,事发地址\\n12345-1,2026/11/3 14:05,占道经营,凤山路123号\\n".encode()
>>> [report] = parse("hotline_12345", rows, filename="orders.csv")
>>> report.item_code, report.received_at.isoformat(), report.address
('ZF001', '2026-11-03T06:05:00+00:00', '凤山路123号')
"""

from ingest.channels import UnknownChannel, channel_names, get_channel
from ingest.parse import parse
from ingest.report import Point, Quarantined, Report, SourceRef

__all__ = ["Point", "Quarantined", "Report", "SourceRef", "UnknownChannel", "channel_names", "get_channel", "parse"]
