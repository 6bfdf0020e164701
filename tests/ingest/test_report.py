"""Report and Quarantined as values: JSON round trip for the intake stream, storable payloads."""

from __future__ import annotations

import json

from ingest import Report
from ingest.payload import clean_text, fingerprint, json_safe, to_bytes


def test_report_round_trips_through_json(samples, run):
    for channel, name in [("grid_worker", "grid_worker.json"), ("hotline_12345", "hotline_12345.xlsx"),
                          ("dcm_12319", "dcm_12319.csv")]:
        reports, _ = run(channel, samples / name)
        for report in reports:
            data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
            again = Report.from_dict(data)
            assert again == report
            assert again.raw == report.raw


def test_quarantined_payloads_are_bytes_and_records_are_json(samples, run):
    for channel, name in [("police_110", "police_110.jsonl"), ("hotline_12345", "hotline_12345_gbk.csv")]:
        _, quarantined = run(channel, samples / name)
        for q in quarantined:
            assert isinstance(q.raw, bytes) and q.raw
            json.dumps(q.record, ensure_ascii=False).encode("utf-8")  # storable as jsonb


def test_json_safe_cleans_what_json_columns_refuse():
    from datetime import date, datetime
    from decimal import Decimal

    value = {"t": datetime(2026, 11, 3, 14, 5), "d": date(2026, 11, 3), "n": float("nan"), "x": Decimal("1.50"),
             "s": "a\x00b\udcff", 3: [b"\xe5\x8d\xa0", (1, 2)], "ok": True}
    assert json_safe(value) == {"t": "2026-11-03T14:05:00", "d": "2026-11-03", "n": "nan", "x": "1.50",
                                "s": "a\ufffdb\ufffd", "3": ["占", [1, 2]], "ok": True}
    assert clean_text("占道") == "占道"


def test_to_bytes_keeps_undecodable_text_as_escapes():
    assert to_bytes({"a": "占"}) == '{"a": "占"}'.encode()
    assert to_bytes({"a": "\udcff"}) == b'{"a": "\\udcff"}'


def test_fingerprint_ignores_key_order_only():
    assert fingerprint({"a": 1, "b": "占"}) == fingerprint({"b": "占", "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
