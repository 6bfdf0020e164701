"""Storing history from an old platform: each row's report, and its case with the whole reconstructed trail.

:meth:`ingest.pipeline.Pipeline.submit` hands a batch holding :class:`~ingest.history.HistoricalReport`
records here (``python -m ingest import --channel generic_csv --mapping history_mapping.yaml FILE`` makes
them; see :mod:`ingest.history`). In one transaction per batch (of :data:`BATCH`), like a bulk import:

- every report is located as usual (:class:`ingest.locate.Locator`: coordinates converted, or the address
  geocoded); a row that cannot be placed is quarantined — a case needs its township — to be fixed and sent
  again (``python -m ingest quarantine resubmit ID --file FIXED --mapping MAPPING``);
- it is **not de-duplicated**: the old platform's case is a case of its own, and it never joins an open case;
  a closed historical case is not open, so later reports never join it either (an open one they may);
- its case is rebuilt by :func:`ingest.history_trail.rebuild` and written with its events through the same
  batched path (``COPY`` on PostGIS) as the bulk import's new cases (:func:`store.intake.insert_trails`),
  :data:`BATCH` records per transaction, not one transaction per event; the ``cases`` row is what
  :meth:`store.casework.CaseService.audit` rebuilds from the trail;
- a row the store contradicts (a team it does not know, an item its 事项清单 sends elsewhere …) is
  quarantined with its raw bytes and the reason;
- a row stored before (same channel and external id) changes nothing: re-importing a file is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingest import dedup
from ingest.history import HistoricalReport
from ingest.history_trail import Catalogue, HistoryRefused, Team, Trail, rebuild
from ingest.report import Quarantined, Report
from store import intake
from store.casework import default_policy, event_row, read_catalogue
from store.errors import Conflict
from store.models import Team as TeamRow

if TYPE_CHECKING:
    from ingest.pipeline import Outcome, Pipeline

TEAMS: sa.Table = TeamRow.__table__  # type: ignore[assignment]
BATCH = 2_000
"""Historical records per transaction: rebuilding a case takes its steps through the rules (a few ms), so
a smaller batch than a bulk import's keeps the intake lock short for the live workers meanwhile."""


def submit_history(pipeline: Pipeline, records: Sequence[Report | Quarantined]) -> Outcome:
    """Store historical reports (and quarantined rows), :data:`BATCH` records per transaction; the stored id
    of each record in order (``report/<id>``, ``quarantine/<id>``), as :meth:`Pipeline.submit` returns them."""
    from ingest.pipeline import Outcome, Summary

    summary, ids = Summary(), []
    for start in range(0, len(records), BATCH):
        outcome = _submit(pipeline, records[start:start + BATCH])
        summary.add(outcome.summary)
        ids += outcome.ids
    return Outcome(summary, ids)


def _submit(pipeline: Pipeline, records: Sequence[Report | Quarantined]) -> Outcome:
    """One transaction (see the module docstring)."""
    from ingest.pipeline import Outcome, Summary

    started = time.perf_counter()
    reports = [(k, r) for k, r in enumerate(records) if isinstance(r, HistoricalReport)]
    rejected = [(k, r) for k, r in enumerate(records) if isinstance(r, Quarantined)]
    if len(reports) + len(rejected) != len(records):
        odd = next(r for r in records if not isinstance(r, HistoricalReport | Quarantined))
        raise TypeError(f"a batch of history holds historical reports and quarantined rows only, not "
                        f"{type(odd).__name__} (import live reports separately)")
    placements = pipeline.locator.locate([r for _, r in reports])
    summary = Summary()
    ids: list[str] = [""] * len(records)
    policy = default_policy()
    with pipeline.store.transaction(write=True) as conn:
        intake.lock(conn)
        catalogue = read_history_catalogue(conn)
        existing = intake.existing_reports(conn, [(r.channel, r.external_id) for _, r in reports])
        fresh: list[int] = []
        again: list[tuple[int, tuple[str, str]]] = []
        seen: set[tuple[str, str]] = set()
        for j, (k, report) in enumerate(reports):
            key = (report.channel, report.external_id)
            if key in existing:
                ids[k] = f"report/{existing[key]}"
                summary.already_stored += 1
            elif key in seen:
                again.append((k, key))
            elif report.item_code not in catalogue.priorities:
                rejected.append((k, quarantine(report, f"enforcement item {report.item_code} is not in the store's "
                                                       "catalogue (items)")))
            elif not placements.placed[j]:
                rejected.append((k, quarantine(report, "cannot place the historical case: "
                                                       f"{placements.reason[j] or 'no location'}")))
            else:
                seen.add(key)
                fresh.append(j)
        case_ids = intake.allocate_case_ids(conn, len(fresh))
        built: list[tuple[int, int, Trail]] = []
        refused: dict[tuple[str, str], str] = {}
        for j, case_id in zip(fresh, case_ids, strict=True):
            k, report = reports[j]
            try:
                trail = rebuild(report, case_code=intake.case_code(case_id, report.received_at),
                                township_code=placements.township[j], community_code=placements.community[j],
                                cell_code=placements.cell[j], catalogue=catalogue, policy=policy)
            except HistoryRefused as problem:
                refused[(report.channel, report.external_id)] = str(problem)
                rejected.append((k, quarantine(report, str(problem))))
                continue
            built.append((j, case_id, trail))
        _write(conn, pipeline, reports, placements, built, summary, ids)
        stored = {(r.channel, r.external_id): ids[k] for k, r in reports if ids[k].startswith("report/")}
        for k, key in again:  # the same row in two files of one batch: stored (or refused) once
            if key in stored:
                ids[k] = stored[key]
                summary.already_stored += 1
            else:
                rejected.append((k, quarantine(records[k], refused[key])))  # type: ignore[arg-type]
        pipeline._write_quarantine(conn, rejected, summary, ids)  # noqa: SLF001 - the pipeline's own quarantine
    summary.read = len(records)
    summary.seconds = time.perf_counter() - started
    return Outcome(summary, ids)


def read_history_catalogue(conn: Connection) -> Catalogue:
    """The store's 事项清单, items and teams, as :func:`ingest.history_trail.rebuild` needs them."""
    authority, limits = read_catalogue(conn)
    teams = {row.code: Team(row.code, row.name, row.township_code, row.kind, row.department)
             for row in conn.execute(sa.select(TEAMS.c.code, TEAMS.c.name, TEAMS.c.township_code, TEAMS.c.kind,
                                               TEAMS.c.department))}
    return Catalogue(authority, limits, intake.item_priorities(conn), teams)


def quarantine(report: HistoricalReport, reason: str) -> Quarantined:
    """A row the store cannot take, kept as received (its raw bytes), with the reason."""
    return Quarantined(report.channel, report.source, reason, report.raw_bytes, report.content_type,
                       report.arrived_at or report.received_at, report.raw, report.external_id[:64])


def _write(conn: Connection, pipeline: Pipeline, reports: list[tuple[int, Report]], placements: Any,
           built: list[tuple[int, int, Trail]], summary: Any, ids: list[str]) -> None:
    """The cases with their events, then the reports pointing to them (the pipeline's own report rows)."""
    if not built:
        return
    case_columns: dict[str, list[Any]] = {}
    event_columns: dict[str, list[Any]] = {}
    for j, case_id, trail in built:
        report = reports[j][1]
        lon, lat = float(placements.lon[j]), float(placements.lat[j])
        row = {**trail.columns, "id": case_id, "channel": report.channel, "zone_code": placements.zone[j],
               "description": intake.storable(report.description), "address": intake.storable(report.address),
               "geom": shapely.Point(lon, lat), "min_lon": lon, "min_lat": lat, "max_lon": lon, "max_lat": lat}
        for name, value in row.items():
            case_columns.setdefault(name, []).append(value)
        for event in trail.events:
            for name, value in event_row(case_id, event).items():
                event_columns.setdefault(name, []).append(value)
    intake.insert_trails(conn, intake.Rows(case_columns), intake.Rows(event_columns))
    positions = np.asarray([j for j, _, _ in built], np.int64)
    n = len(built)
    decisions = dedup.Decisions(opens=np.ones(n, bool), case_id=np.full(n, -1, np.int64),
                                opener=np.arange(n, dtype=np.int64), links=[None] * n)
    case_of = np.asarray([case_id for _, case_id, _ in built], np.int64)
    rows = pipeline._report_rows(reports, placements, positions, positions, case_of, decisions)  # noqa: SLF001
    rows.columns["link_reason"] = [
        {"rule": "opened", "imported": True, "legacy_case_id": trail.events[0].payload.get("legacy_case_id"),
         "source_row": str(reports[j][1].source), "status": trail.state.status.value} for j, _, trail in built]
    stored = intake.insert_reports(conn, rows)
    if len(stored) != n:
        missing = [reports[j][1].external_id for j, _, _ in built
                   if (reports[j][1].channel, reports[j][1].external_id) not in stored][:5]
        raise Conflict(f"report(s) {missing} were stored by another writer meanwhile: the batch is rolled back")
    for j, _, _ in built:
        k, report = reports[j]
        ids[k] = f"report/{stored[(report.channel, report.external_id)]}"
    summary.stored += n
    summary.new_cases += n


__all__ = ["quarantine", "read_history_catalogue", "submit_history"]
