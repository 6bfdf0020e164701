"""The intake pipeline: parsed records in, located, de-duplicated and stored — or quarantined — never lost.

    channel adapters (ingest.parse) → locate (ingest.locate) → de-duplicate (ingest.dedup) → store (store.intake)

:class:`Pipeline` holds what is slow to build (the jurisdiction index, the geocoder) and what de-duplication
remembers between batches (the open cases, the text statistics); :meth:`Pipeline.submit` takes one batch of
:class:`~ingest.report.Report` and :class:`~ingest.report.Quarantined` records and stores it in one
transaction:

- every report is stored: located (from its coordinates or its address), or waiting in the manual-location
  queue with the reason and the candidates; a located report joins an open case or opens a new one;
- every quarantined record is stored with its raw bytes, source and reason; a report whose enforcement item
  the store does not know is quarantined too (stage ``store``);
- a record stored before (same channel and external id; same quarantine fingerprint) changes nothing.

:meth:`Pipeline.run` feeds any number of records through in batches (bulk files); :func:`process` is the
live worker's handler. Operators' tools: :meth:`Pipeline.resubmit` (a fixed quarantined record),
:meth:`Pipeline.place` (a report from the manual-location queue) and :meth:`Pipeline.split` (reports that
are another problem, off their case).

>>> pipeline = Pipeline.from_store(open_store())                                    # doctest: +SKIP
>>> summary = pipeline.import_files("hotline_12345", [Path("data/samples/hotline_12345.xlsx")])  # doctest: +SKIP
>>> summary.to_dict()                                                              # doctest: +SKIP
{'read': 56, 'stored': 50, 'new_cases': 47, 'attached': 1, 'manual_location': 2, 'quarantined': 6, ...}
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely

from cases.permissions import Actor
from geo.crs import lonlat_to_metric
from geo.geocoder import Geocoder
from geo.jurisdiction_index import JurisdictionIndex
from ingest import dedup
from ingest.history import HistoricalReport
from ingest.locate import GEOCODED, NEEDS_MANUAL, PLACED, Locator, Placements
from ingest.parse import parse
from ingest.payload import json_safe
from ingest.report import Quarantined, Report, SourceRef
from store import intake
from store.errors import Conflict, InvalidData
from store.store import Store

BATCH = 20_000
"""Records per transaction in :meth:`Pipeline.run` (a bulk import)."""
RETRIES = 3
"""How often a batch is decided again when a case it joined was closed in the meantime."""
REPLAY = 20_000
"""Latest stored reports whose wording a starting pipeline relearns for de-duplication (dedup.replay)."""

Record = Report | Quarantined


def reason_kind(reason: str) -> str:
    """What a quarantine reason is about, for counting: ``unmapped category``, ``bad time``, ``missing
    required field 诉求类型``, ``duplicate 工单编号`` … (the first of several problems)."""
    first = re.sub(r'"[^"]*"', "", reason.split("; ")[0])
    head = " ".join(re.sub(r"\(.*", "", first.split(":")[0]).split())
    if head.startswith("duplicate "):
        return " ".join(head.split()[:2])
    if head.startswith("row has values in"):
        return "row with more values than the header"
    if head.startswith("undecodable bytes"):
        return "undecodable bytes"
    return head[:80]


def fingerprint(record: Quarantined) -> str:
    """A quarantined record's identity: the same bad row imported again is the same record."""
    digest = hashlib.sha256()
    for part in (record.channel, str(record.source), record.external_id or ""):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    digest.update(record.raw)
    return digest.hexdigest()


@dataclass
class Summary:
    """What an import did.

    ``read``: records read; ``stored``: new reports; ``new_cases`` / ``attached``: of those, how many opened
    a case or joined one; ``manual_location``: new reports waiting to be placed by hand; ``quarantined``: new
    quarantined records by kind of reason; ``already_stored`` / ``already_quarantined``: records the store
    had before (a re-imported file, a re-delivered message), left as they were.
    """

    read: int = 0
    stored: int = 0
    new_cases: int = 0
    attached: int = 0
    manual_location: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    already_stored: int = 0
    already_quarantined: int = 0
    seconds: float = 0.0

    def add(self, other: Summary) -> None:
        for name in ("read", "stored", "new_cases", "attached", "manual_location", "already_stored",
                     "already_quarantined", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.quarantined.update(other.quarantined)

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "stored": self.stored, "new_cases": self.new_cases, "attached": self.attached,
                "manual_location": self.manual_location, "quarantined": sum(self.quarantined.values()),
                "quarantined_by_reason": dict(self.quarantined.most_common()),
                "already_stored": self.already_stored, "already_quarantined": self.already_quarantined,
                "seconds": round(self.seconds, 3)}

    def lines(self) -> list[str]:
        """The summary for a person, one fact a line."""
        out = [f"read {self.read} records (locating, de-duplicating and storing took {self.seconds:.1f} s)",
               f"  stored {self.stored} new reports: {self.new_cases} opened a case, {self.attached} joined an "
               f"open case, {self.manual_location} wait for manual location"]
        if self.quarantined:
            out.append(f"  quarantined {sum(self.quarantined.values())}:")
            out += [f"    {n:>6}  {kind}" for kind, n in self.quarantined.most_common()]
        else:
            out.append("  quarantined 0")
        if self.already_stored or self.already_quarantined:
            out.append(f"  unchanged: {self.already_stored} reports and {self.already_quarantined} quarantined "
                       "records were stored before")
        return out


@dataclass(frozen=True)
class Outcome:
    """One batch: the summary, and for each record in order its stored id (``report/<id>``,
    ``quarantine/<id>``)."""

    summary: Summary
    ids: list[str]


class Pipeline:
    """Locate, de-duplicate and store batches of records in one store.

    Parameters
    ----------
    store
        The store (migrated to revision 0006 or later, seeded).
    locator
        Places reports; :meth:`from_store` builds it from the store's jurisdiction and gazetteer.
    rules
        De-duplication rules (default: from the items catalogue).
    batch
        Records per transaction in :meth:`run`.
    """

    def __init__(self, store: Store, locator: Locator, rules: dedup.DedupRules | None = None,
                 batch: int = BATCH) -> None:
        self.store = store
        self.locator = locator
        self.rules = rules or dedup.DedupRules.from_items()
        self.batch = batch
        self.stats = dedup.TextStats.from_catalogue()
        self._open = dedup.OpenCases()
        self._covered: tuple[int, int] | None = None  # report times (epoch s) whose open cases are loaded
        self._max_case_id: int | None = None
        self._priorities: dict[str, int] = {}
        self._lock = threading.Lock()
        self._window_s = int(self.rules.largest.minutes * 60)

    @classmethod
    def from_store(cls, store: Store, **options: Any) -> Pipeline:
        """A pipeline whose jurisdiction index and geocoder are built from the store (a few seconds)."""
        index = JurisdictionIndex.from_store(store)
        geocoder = Geocoder.from_frames(*intake.gazetteer_frames(store))
        return cls(store, Locator(index, geocoder), **options)

    # ------------------------------------------------------------------------------------------ batches

    def run(self, records: Iterable[Record], progress: Callable[[int], None] | None = None) -> Summary:
        """Store any number of records, :attr:`batch` per transaction; ``progress(n)`` after each batch."""
        total = Summary()
        for chunk in _chunks(records, self.batch):
            outcome = self.submit(chunk)
            total.add(outcome.summary)
            if progress is not None:
                progress(len(chunk))
        return total

    def import_files(self, channel: str, paths: Sequence[Path], *, mapping: Any = None,
                     received_at: datetime | None = None, progress: Callable[[int], None] | None = None) -> Summary:
        """Parse files of one channel (see :func:`ingest.parse`) and :meth:`run` their records."""
        def records() -> Iterator[Record]:
            for path in paths:
                yield from parse(channel, Path(path), mapping=mapping, received_at=received_at)

        return self.run(records(), progress)

    def submit(self, records: Sequence[Record]) -> Outcome:
        """Store one batch in one transaction (see the module docstring); safe to call again with the same
        records. Raises :class:`store.errors.Unavailable` when the database is away (nothing was stored)."""
        if any(isinstance(r, HistoricalReport) for r in records):  # an old platform's cases: ingest.history_store
            from ingest.history_store import submit_history

            with self._lock:
                return submit_history(self, records)
        started = time.perf_counter()
        with self._lock:
            reports = [(k, r) for k, r in enumerate(records) if isinstance(r, Report)]
            rejected = [(k, r) for k, r in enumerate(records) if isinstance(r, Quarantined)]
            if len(reports) + len(rejected) != len(records):
                odd = next(r for r in records if not isinstance(r, Report | Quarantined))
                raise TypeError(f"expected Report or Quarantined records, got {type(odd).__name__}")
            placements = self.locator.locate([r for _, r in reports])
            normal = [dedup.normalise_text(r.description) for _, r in reports]
            self.stats.add(normal)
            for attempt in range(RETRIES + 1):
                try:
                    summary, ids, memo = self._store(reports, rejected, placements, normal, len(records))
                    break
                except _CaseClosed as closed:
                    self._open.remove(closed.case_ids)
                    if attempt == RETRIES:
                        raise Conflict(f"cases {sorted(closed.case_ids)[:5]} keep closing while this batch is "
                                       "stored: try again") from None
            self._remember(memo)
        summary.read = len(records)
        summary.seconds = time.perf_counter() - started
        return Outcome(summary, ids)

    def _store(self, reports: list[tuple[int, Report]], rejected: list[tuple[int, Quarantined]],
               placements: Placements, normal: list[str], n: int) -> tuple[Summary, list[str], _Memo]:
        summary = Summary()
        ids: list[str] = [""] * n
        rejected = list(rejected)  # a retry starts again from what the batch holds
        with self.store.transaction(write=True) as conn:
            intake.lock(conn)
            if not self._priorities or any(r.item_code not in self._priorities for _, r in reports):
                self._priorities = intake.item_priorities(conn)
            existing = intake.existing_reports(conn, [(r.channel, r.external_id) for _, r in reports])
            fresh: list[int] = []  # positions in ``reports`` of reports to store
            again: list[tuple[int, tuple[str, str]]] = []  # the same report twice in the batch: stored once
            first_seen: set[tuple[str, str]] = set()
            for j, (k, report) in enumerate(reports):
                key = (report.channel, report.external_id)
                found = existing.get(key)
                if found is not None:
                    ids[k] = f"report/{found}"
                    summary.already_stored += 1
                elif key in first_seen:
                    again.append((k, key))
                elif report.item_code not in self._priorities:
                    rejected.append((k, _unknown_item(report)))
                else:
                    first_seen.add(key)
                    fresh.append(j)
            memo = self._decide_and_write(conn, reports, placements, normal, fresh, summary, ids)
            stored = {(r.channel, r.external_id): ids[k] for k, r in reports if ids[k]}
            for k, key in again:
                ids[k] = stored[key]
                summary.already_stored += 1
            self._write_quarantine(conn, rejected, summary, ids)
        return summary, ids, memo

    def _decide_and_write(self, conn: Any, reports: list[tuple[int, Report]], placements: Placements,
                          normal: list[str], fresh: list[int], summary: Summary, ids: list[str]) -> _Memo:
        fresh_arr = np.asarray(fresh, np.int64)
        placed = fresh_arr[placements.placed[fresh_arr]] if len(fresh) else fresh_arr
        chosen = [reports[j][1] for j in placed.tolist()]
        times = dedup.epoch_seconds([r.received_at for r in chosen])
        self._refresh(conn, times)
        x, y = lonlat_to_metric(placements.lon[placed], placements.lat[placed]) if len(placed) else (
            np.empty(0), np.empty(0))
        texts = [normal[j] for j in placed.tolist()]
        # de-duplication: a geocoded address's match level widens its distance window (dedup.SPREAD_M)
        spread = dedup.location_spread([self.locator.geocode(r.address or "").level if status == GEOCODED else None
                                        for r, status in zip(chosen, placements.status[placed], strict=True)])
        decisions = dedup.assign(x, y, times, [r.item_code for r in chosen], texts, self._open, self.rules,
                                 self.stats, normalised=True, spread=spread)
        joined = {int(c) for c in decisions.case_id[~decisions.opens] if c >= 0}
        if joined:
            closed = joined - intake.still_open(conn, joined)
            if closed:
                raise _CaseClosed(closed)
        openers = np.flatnonzero(decisions.opens)
        new_ids = intake.allocate_case_ids(conn, len(openers))
        case_of = decisions.case_ids(new_ids) if len(placed) else np.empty(0, np.int64)
        intake.insert_cases(conn, self._new_cases(chosen, placements, placed, openers, new_ids))
        rows = self._report_rows(reports, placements, fresh_arr, placed, case_of, decisions)
        stored = intake.insert_reports(conn, rows)
        if len(stored) != len(fresh):
            missing = [reports[j][1].external_id for j in fresh
                       if (reports[j][1].channel, reports[j][1].external_id) not in stored][:5]
            raise Conflict(f"report(s) {missing} were stored by another writer meanwhile: the batch is rolled back")
        for j in fresh:
            k, report = reports[j]
            ids[k] = f"report/{stored[(report.channel, report.external_id)]}"
        summary.stored += len(fresh)
        summary.new_cases += len(openers)
        summary.attached += decisions.attached
        summary.manual_location += len(fresh) - len(placed)
        return _Memo(new_ids, x[openers], y[openers],
                     decisions.new_latest[openers],
                     [chosen[i].item_code for i in openers], [texts[i] for i in openers], decisions.latest, times,
                     spread[openers], [(texts[k], text) for k, text in decisions.learning])

    def _write_quarantine(self, conn: Any, rejected: list[tuple[int, Quarantined]], summary: Summary,
                          ids: list[str]) -> None:
        if not rejected:
            return
        prints = [fingerprint(q) for _, q in rejected]
        before = set(intake.existing_quarantine(conn, prints))
        rows = intake.Rows({
            "channel": [q.channel for _, q in rejected],
            "raw_payload": [bytes(q.raw) for _, q in rejected],
            "content_type": [q.content_type for _, q in rejected],
            "reason": [intake.storable(q.reason) for _, q in rejected],
            "received_at": [q.received_at for _, q in rejected],
            "status": ["open"] * len(rejected),
            "source_ref": [_source(q.source) for _, q in rejected],
            "external_id": [intake.storable(q.external_id) for _, q in rejected],
            "record": [json_safe(q.record) for _, q in rejected],
            "stage": [_stage(q) for _, q in rejected],
            "fingerprint": prints,
        })
        stored = intake.insert_quarantine(conn, rows)
        for (k, record), key in zip(rejected, prints, strict=True):
            ids[k] = f"quarantine/{stored[key]}"
            if key in before:
                summary.already_quarantined += 1
            else:
                summary.quarantined[reason_kind(record.reason)] += 1
                before.add(key)  # the same bad record twice in one batch is quarantined once

    # ------------------------------------------------------------------------------------------ rows

    def _new_cases(self, chosen: list[Report], placements: Placements, placed: np.ndarray, openers: np.ndarray,
                   new_ids: list[int]) -> intake.NewCases:
        rows = placed[openers]
        reports = [chosen[i] for i in openers.tolist()]
        return intake.NewCases(
            ids=list(new_ids), opened_at=[r.received_at for r in reports],
            township_code=placements.township[rows].tolist(), community_code=placements.community[rows].tolist(),
            zone_code=placements.zone[rows].tolist(), cell_code=placements.cell[rows].tolist(),
            item_code=[r.item_code for r in reports],
            priority=[r.priority or self._priorities.get(r.item_code, 3) for r in reports],
            description=[r.description for r in reports], address=[r.address for r in reports],
            channel=[r.channel for r in reports], note=[f"{r.channel} {r.external_id}" for r in reports],
            lon=placements.lon[rows].tolist(), lat=placements.lat[rows].tolist())

    def _report_rows(self, reports: list[tuple[int, Report]], placements: Placements, fresh: np.ndarray,
                     placed: np.ndarray, case_of: np.ndarray, decisions: dedup.Decisions) -> intake.Rows:
        """The ``reports`` rows of the fresh reports (placed ones with their case and link)."""
        n = len(fresh)
        which = {int(j): i for i, j in enumerate(placed.tolist())}  # report position → index among placed
        chosen = [reports[j][1] for j in fresh.tolist()]
        status = placements.status[fresh]
        lon, lat = placements.lon[fresh], placements.lat[fresh]
        is_placed = status != NEEDS_MANUAL
        geoms = np.full(n, None, dtype=object)
        if is_placed.any():
            geoms[is_placed] = shapely.points(lon[is_placed], lat[is_placed])
        box_lon = np.where(is_placed, lon, np.nan)
        box_lat = np.where(is_placed, lat, np.nan)
        case_ids: list[int | None] = []
        links: list[dict[str, Any] | None] = []
        for j in fresh.tolist():
            i = which.get(j)
            if i is None:
                case_ids.append(None)
                links.append(None)
                continue
            case_ids.append(int(case_of[i]))
            link = decisions.links[i]
            links.append({"rule": "opened"} if link is None else link.to_dict())
        confidence = placements.confidence[fresh]
        notes = [list(r.notes) + list(placements.notes[j]) for r, j in zip(chosen, fresh.tolist(), strict=True)]
        return intake.Rows({
            "channel": [r.channel for r in chosen],
            "external_id": [r.external_id for r in chosen],
            "received_at": [r.received_at for r in chosen],
            "occurred_at": [r.occurred_at for r in chosen],
            "category": [intake.storable(r.category) for r in chosen],
            "item_code": [r.item_code for r in chosen],
            "description": [intake.storable(r.description) for r in chosen],
            "address": [intake.storable(r.address) for r in chosen],
            "reporter_name": [intake.storable(r.reporter_name) for r in chosen],
            "reporter_phone": [intake.storable(r.reporter_phone) for r in chosen],
            "reporter_id": [intake.storable(r.reporter_id) for r in chosen],
            "media": [list(r.media) if r.media else None for r in chosen],
            "priority": [r.priority for r in chosen],
            "raw_payload": [_json_ready(r.raw) for r in chosen],
            "township_code": placements.township[fresh].tolist(),
            "community_code": placements.community[fresh].tolist(),
            "zone_code": placements.zone[fresh].tolist(),
            "cell_code": placements.cell[fresh].tolist(),
            "case_id": case_ids,
            "geom": geoms.tolist(),
            "min_lon": _floats(box_lon), "min_lat": _floats(box_lat),
            "max_lon": _floats(box_lon), "max_lat": _floats(box_lat),
            "source_ref": [_source(r.source) for r in chosen],
            "notes": [note or None for note in notes],
            "channel_cell_code": [r.cell_code for r in chosen],
            "original_x": [r.point.x if r.point else None for r in chosen],
            "original_y": [r.point.y if r.point else None for r in chosen],
            "original_crs": [r.point.crs if r.point else None for r in chosen],
            "location_status": status.tolist(),
            "location_confidence": _floats(confidence),
            "location_reason": [placements.reason[j] for j in fresh.tolist()],
            "location_candidates": [list(placements.candidates[j]) or None for j in fresh.tolist()],
            "link_reason": links,
        })

    # ------------------------------------------------------------------------------------ open cases

    def _refresh(self, conn: Any, times: np.ndarray) -> None:
        """Bring the remembered open cases up to date for reports at ``times``: cases opened by other writers
        since, and the cases with reports near these times not loaded yet."""
        if self._max_case_id is None:
            self._max_case_id = intake.max_case_id(conn)
            dedup.replay(self.stats, *_recent_reports(conn, REPLAY))  # de-duplication: relearn the wording
            baseline = True
        else:
            baseline = False
        if not baseline:
            self._add(intake.open_cases_after(conn, self._max_case_id))
        if not len(times):
            return
        low, high = int(times.min()) - self._window_s, int(times.max()) + self._window_s
        covered = self._covered
        gaps = [(low, high)] if covered is None else [(a, b) for a, b in ((low, covered[0] - 1),
                                                                          (covered[1] + 1, high)) if a <= b]
        for a, b in gaps:
            self._add(intake.open_cases(conn, _utc(a), _utc(b)))
        self._covered = (low, high) if covered is None else (min(low, covered[0]), max(high, covered[1]))

    def _add(self, snapshot: intake.CaseSnapshot) -> None:
        if not len(snapshot):
            return
        known = np.isin(snapshot.ids, self._open.ids)
        keep = np.flatnonzero(~known)
        if len(keep):
            x, y = lonlat_to_metric(snapshot.lon[keep], snapshot.lat[keep])
            self._open.add(snapshot.ids[keep], x, y, snapshot.latest[keep], [snapshot.items[i] for i in keep],
                           [snapshot.texts[i] for i in keep])
        self._max_case_id = max(self._max_case_id or 0, int(snapshot.ids.max()))

    def _remember(self, memo: _Memo) -> None:
        """After a commit: the cases the batch opened, and the new latest reports of the cases it joined."""
        self._open.touch(memo.latest)
        self.stats.learn(memo.learning)  # what committed comparisons teach about wording (dedup.TextStats)
        if memo.case_ids:
            self._open.add(memo.case_ids, memo.x, memo.y, memo.new_latest, memo.items, memo.texts, normalised=True,
                           spread=memo.spread)
            self._max_case_id = max(self._max_case_id or 0, max(memo.case_ids))
        if len(memo.times) and len(self._open) > 20_000:  # forget cases far behind what arrives now
            horizon = int(memo.times.max()) - 2 * self._window_s
            old = self._open.ids[self._open.t < horizon]
            self._open.remove(old.tolist())
            if self._covered is not None:
                self._covered = (max(self._covered[0], horizon), self._covered[1])

    # ----------------------------------------------------------------------------------- operators

    def resubmit(self, record_id: int, fixed: bytes | None = None, filename: str | None = None,
                 mapping: Any = None) -> dict[str, Any]:
        """Parse a quarantined record again — as it was (after a mapping was added) or as ``fixed`` — and
        store it. Returns ``{"status": "stored" | "still quarantined", "report_id", "reason", "summary"}``.
        ``mapping``: the column mapping of a ``generic_csv`` record (a history mapping rebuilds its case).
        """
        row = intake.quarantined(self.store, record_id)
        if row["status"] != "open":
            raise InvalidData(f"quarantined record {record_id} is {row['status']}, not open: nothing to re-submit")
        source = SourceRef(**row["source_ref"]) if row.get("source_ref") else SourceRef(f"quarantine-{record_id}")
        name = filename or _filename_for(source.filename, row.get("content_type"))
        outcomes = list(parse(row["channel"], fixed if fixed is not None else bytes(row["raw_payload"]),
                              filename=name, received_at=row["received_at"], mapping=mapping))
        reports = [o for o in outcomes if isinstance(o, Report)]
        if len(outcomes) != 1:
            problem = f"the re-submitted bytes hold {len(outcomes)} records, not one"
            intake.mark_quarantine(self.store, record_id, reason=problem)
            return {"status": "still quarantined", "report_id": None, "reason": problem}
        if not reports:
            reason = outcomes[0].reason  # type: ignore[union-attr]
            intake.mark_quarantine(self.store, record_id, reason=reason)
            return {"status": "still quarantined", "report_id": None, "reason": reason}
        report = replace(reports[0], source=source,
                         notes=(*reports[0].notes, f"re-submitted from quarantined record {record_id}"))
        outcome = self.submit([report])
        stored = outcome.ids[0]
        if not stored.startswith("report/"):
            reason = intake.quarantined(self.store, int(stored.split("/")[1]))["reason"]
            intake.mark_quarantine(self.store, record_id, reason=reason)
            return {"status": "still quarantined", "report_id": None, "reason": reason}
        report_id = int(stored.split("/")[1])
        intake.mark_quarantine(self.store, record_id, report_id=report_id)
        return {"status": "stored", "report_id": report_id, "reason": None, "summary": outcome.summary.to_dict()}

    def place(self, report_id: int, lon: float, lat: float, crs: str = "wgs84", *, actor: str = "operator",
              at: datetime | None = None) -> dict[str, Any]:
        """Place a report of the manual-location queue at a point an operator chose; it then opens or joins
        a case like any located report. Returns the placement and the case."""
        where = self.locator.locate_point(lon, lat, crs)
        if where["status"] != PLACED:
            raise InvalidData(f"report {report_id}: {where['reason']}")
        at = at or datetime.now(UTC)
        with self._lock, self.store.transaction(write=True) as conn:
            intake.lock(conn)
            row = intake.report(conn, report_id)
            if row["location_status"] != NEEDS_MANUAL:
                raise InvalidData(f"report {report_id} is {row['location_status']}, not waiting for manual location")
            if not self._priorities:
                self._priorities = intake.item_priorities(conn)
            t = dedup.epoch_seconds([row["received_at"]])
            self._refresh(conn, t)
            x, y = lonlat_to_metric(np.array([where["lon"]]), np.array([where["lat"]]))
            decisions = dedup.assign(x, y, t, [row["item_code"]], [row["description"]], self._open, self.rules,
                                     self.stats)
            if decisions.opens[0]:
                [case_id] = intake.allocate_case_ids(conn, 1)
                intake.insert_cases(conn, intake.NewCases(
                    [case_id], [row["received_at"]], [where["township"]], [where["community"]], [where["zone"]],
                    [where["cell"]], [row["item_code"]], [row["priority"] or self._priorities.get(row["item_code"], 3)],
                    [row["description"]], [row["address"]], [row["channel"]], [f"{row['channel']} {row['external_id']}"],
                    [where["lon"]], [where["lat"]]))
                link: dict[str, Any] = {"rule": "opened"}
                memo = _Memo([case_id], x, y, t, [row["item_code"]], [dedup.normalise_text(row["description"])], {}, t)
            else:
                case_id = int(decisions.case_id[0])
                if case_id not in intake.still_open(conn, [case_id]):
                    raise Conflict(f"case {case_id} closed while report {report_id} was placed: try again")
                link = decisions.links[0].to_dict()  # type: ignore[union-attr]
                memo = _Memo([], np.empty(0), np.empty(0), np.empty(0, np.int64), [], [], decisions.latest, t)
            point = shapely.Point(where["lon"], where["lat"])
            intake.update_reports(conn, [report_id], {
                "geom": point, "min_lon": point.x, "min_lat": point.y, "max_lon": point.x, "max_lat": point.y,
                "township_code": where["township"], "community_code": where["community"], "zone_code": where["zone"],
                "cell_code": where["cell"], "location_status": PLACED, "location_confidence": 1.0,
                "case_id": case_id, "link_reason": {**link, "placed_by": actor, "placed_at": at.isoformat()},
                "notes": [*(row["notes"] or []), f"placed by {actor} at ({where['lon']:.6f}, {where['lat']:.6f})"],
            })
        self._remember(memo)
        return {"report_id": report_id, "case_id": case_id, "link": link, **where}

    def split(self, case_id: int, report_ids: Sequence[int], actor: Actor, at: datetime | None = None) -> dict[str, Any]:
        """Split reports off a case (an operator found they are another problem): they open a new case
        together, opened by the earliest of them. Returns the new case's id and the split."""
        at = at or datetime.now(UTC)
        with self._lock, self.store.transaction(write=True) as conn:
            intake.lock(conn)
            old = intake.case_row(conn, case_id)
            members = intake.case_reports(conn, case_id)
            the_split = dedup.split([dedup.CaseReport(r["id"], r["received_at"], (r["link_reason"] or {}).get("rule")
                                                      == "opened") for r in members], report_ids)
            first = intake.report(conn, the_split.opener)
            if first["location_status"] == NEEDS_MANUAL or first["township_code"] is None:
                raise InvalidData(f"report {the_split.opener} has no location: place it first")
            lon, lat = _point_of(conn, the_split.opener)
            [new_id] = intake.allocate_case_ids(conn, 1)
            intake.insert_cases(conn, intake.NewCases(
                [new_id], [first["received_at"]], [first["township_code"]], [first["community_code"]],
                [first["zone_code"]], [first["cell_code"]], [first["item_code"]],
                [first["priority"] or old["priority"]], [first["description"]], [first["address"]],
                [first["channel"]], [f"split off case {old['code']} by {actor.id}"], [lon], [lat]), actor)
            link = {"rule": "split", "from_case": old["code"], "by": actor.id, "at": at.isoformat()}
            intake.update_reports(conn, list(the_split.moving), {"case_id": new_id, "link_reason": link})
        return {"case_id": new_id, "moving": list(the_split.moving), "staying": list(the_split.staying),
                "opener": the_split.opener}


@dataclass
class _Memo:
    """What a committed batch changes in the remembered open cases."""

    case_ids: list[int]
    x: np.ndarray
    y: np.ndarray
    new_latest: np.ndarray
    items: list[str]
    texts: list[str]  # normalised
    latest: dict[int, int]
    times: np.ndarray
    spread: np.ndarray | None = None  # of the new cases' positions (dedup.location_spread)
    learning: list[tuple[str, str]] = field(default_factory=list)  # for dedup.TextStats.learn


class _CaseClosed(Exception):
    def __init__(self, case_ids: set[int]) -> None:
        super().__init__(f"cases closed meanwhile: {sorted(case_ids)}")
        self.case_ids = case_ids


# ------------------------------------------------------------------------------------ live worker


_PIPELINES: weakref.WeakKeyDictionary[Store, Pipeline] = weakref.WeakKeyDictionary()
_BUILDING = threading.Lock()


def process(store: Store, items: Sequence[Record]) -> list[str]:
    """The live worker's handler: store a batch (one transaction), the stored id of each record in order.

    The pipeline for ``store`` is built on first use (a few seconds) and kept for the next batches.
    """
    with _BUILDING:
        pipeline = _PIPELINES.get(store)
        if pipeline is None:
            pipeline = _PIPELINES[store] = Pipeline.from_store(store)
    return pipeline.submit(list(items)).ids


# ---------------------------------------------------------------------------------------- helpers


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _unknown_item(report: Report) -> Quarantined:
    """A report the store cannot take: its enforcement item is not in the store's catalogue."""
    raw = json_safe(report.to_dict())
    return Quarantined(report.channel, report.source,
                       f"enforcement item {report.item_code} is not in the store's catalogue (items)",
                       json.dumps(raw, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8",
                       report.received_at, raw, report.external_id)


_UNSTORABLE_JSON = re.compile(rb"\\u0000")
_PLAIN_JSON_ONLY = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _json_ready(value: Any) -> Any:
    """``value`` when it is plain JSON a database takes (the adapters' raw records are), else :func:`json_safe`
    of it (NUL characters, lone surrogates, dates and other objects made storable)."""
    try:
        text = orjson.dumps(value, option=_PLAIN_JSON_ONLY)  # refuses lone surrogates, dates and other objects
    except (TypeError, orjson.JSONEncodeError):
        return json_safe(value)
    return json_safe(value) if _UNSTORABLE_JSON.search(text) else value


def _stage(record: Quarantined) -> str:
    return "store" if record.reason.startswith("enforcement item ") else "parse"


def _source(source: SourceRef) -> dict[str, Any]:
    return {"filename": source.filename, "row": source.row, "unit": source.unit, "sheet": source.sheet}


def _filename_for(filename: str, content_type: str | None) -> str:
    """The name a quarantined record is parsed again under: its raw bytes are a one-row CSV, or JSON."""
    if content_type and "json" in content_type:
        return str(Path(filename).with_suffix(".json"))
    if content_type and "csv" in content_type:
        return str(Path(filename).with_suffix(".csv"))
    return filename


def _floats(values: np.ndarray) -> list[float | None]:
    return [None if v != v else float(v) for v in values.tolist()]


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _recent_reports(conn: Any, limit: int) -> tuple[list[str | None], list[str | None], list[int | None]]:
    """Descriptions, items and cases of the ``limit`` latest reports with a case, oldest first (dedup.replay)."""
    import sqlalchemy as sa

    columns = intake.REPORTS.c
    rows = conn.execute(sa.select(columns.description, columns.item_code, columns.case_id)
                        .where(columns.case_id.is_not(None)).order_by(columns.id.desc()).limit(limit)).all()[::-1]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def _point_of(conn: Any, report_id: int) -> tuple[float, float]:
    import sqlalchemy as sa

    row = conn.execute(sa.select(intake.REPORTS.c.min_lon, intake.REPORTS.c.min_lat)
                       .where(intake.REPORTS.c.id == report_id)).first()
    return float(row[0]), float(row[1])


__all__ = ["BATCH", "Outcome", "Pipeline", "Summary", "fingerprint", "process", "reason_kind"]
