"""The intake command line: ``python -m ingest COMMAND ...``.

Commands
--------
import       channel files into the store (located, de-duplicated, quarantined where needed)::

    python -m ingest import --channel hotline_12345 data/samples/hotline_12345.xlsx [--json]
    python -m ingest import --channel generic_csv export.csv --mapping data/samples/generic_mapping.yaml
    python -m ingest import --channel generic_csv --mapping data/samples/history_mapping.yaml \
        data/samples/history_szcg.csv      # an old platform's cases: a history mapping (ingest.history)

quarantine   records that could not be used: list them, look at one, re-submit it (as it was, or fixed)::

    python -m ingest quarantine list [--status open|fixed|all] [--channel C]
    python -m ingest quarantine show 17 [--raw-out row17.csv] [--unmasked]
    python -m ingest quarantine resubmit 17 [--file row17-fixed.csv] [--mapping MAPPING.yaml]

manual       reports waiting for manual location: list them, place one at a point::

    python -m ingest manual list
    python -m ingest manual place 123 118.1502 24.7315 [--crs gcj02]

split        reports that are another problem, off their case (they open a new case together)::

    python -m ingest split 42 1001 1007 [--operator op-dt]

worker, simulate   the live path (see :mod:`live.worker` and :mod:`ingest.simulate`).

The store is the one ``DATABASE_URL`` names (embedded SQLite at data/command_center.sqlite when unset), or
``--database-url``; it is migrated, and seeded with the demo city when empty. Adding a command is adding
``add_<name>(subparsers)`` and ``run_<name>(args) -> int`` and listing ``add_<name>`` in ``COMMANDS``. Bad
input prints the usage and one error line on stderr and exits with status 2; a store error exits with 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, TextIO

from ingest.channels import channel_names


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", metavar="URL", help="the store (default: DATABASE_URL, else embedded SQLite)")


def _ready_store(args: argparse.Namespace) -> Any:
    from store.ready import open_ready_store

    return open_ready_store(args.database_url)


# -------------------------------------------------------------------------------------------- import


def add_import(subparsers: Any) -> None:
    """``import --channel CHANNEL FILE... [--mapping FILE] [--json]``."""
    parser = subparsers.add_parser(
        "import", help="import channel files: locate, de-duplicate, store; quarantine what cannot be used",
        description=(
            "Read every record of the files as CHANNEL sends them, locate it (coordinates converted or the "
            "address geocoded), attach it to an open case or open a new one, and store it; a record that "
            "cannot be used is quarantined with its raw bytes and the reason, a report that cannot be placed "
            "waits for manual location. Re-importing a file changes nothing. Prints a summary (read, new "
            "cases, attached, quarantined by reason, manual location); --json prints it as one JSON line. "
            "A generic_csv mapping that names a status or step times (accepted_at, closed_at …) imports an "
            "old platform's cases: each row's case is rebuilt with its steps, marked as imported, and a row "
            "whose times contradict each other is quarantined (see ingest/history.py)."),
    )
    parser.add_argument("--channel", required=True, choices=channel_names(), help="the channel the files come from")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="CSV, Excel (.xlsx) or JSON files")
    parser.add_argument("--mapping", type=Path, metavar="FILE", help="column mapping (YAML) for generic_csv")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    parser.add_argument("--batch", type=int, default=None, help="records per transaction (default 20000)")
    _store_option(parser)
    parser.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    from ingest.parse import parse
    from ingest.pipeline import BATCH, Pipeline, Summary

    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        raise ValueError(f"no such file: {', '.join(missing)}")
    if args.mapping is not None and args.channel != "generic_csv":
        raise ValueError(f"--mapping is for generic_csv only, not {args.channel}")
    progress = Progress(sys.stderr) if sys.stderr.isatty() and not args.json else None
    with closing(_ready_store(args)) as store:
        if progress:
            progress.note("building the jurisdiction index and the geocoder …")
        pipeline = Pipeline.from_store(store, batch=args.batch or BATCH)
        total = Summary()
        for number, path in enumerate(args.files, 1):
            label = f"{path.name} ({number}/{len(args.files)})"
            if progress:
                progress.note(f"reading {label} …")
            records = list(parse(args.channel, path, mapping=args.mapping))
            if progress:
                progress.start(label, len(records))
            total.add(pipeline.run(records, progress.advance if progress else None))
            if progress:
                progress.finish()
    if args.json:
        print(json.dumps({"channel": args.channel, "files": [str(p) for p in args.files], **total.to_dict()},
                         ensure_ascii=False))
    else:
        print("\n".join(total.lines()))
    return 0


class Progress:
    """A progress bar on a terminal: ``[#####-----] 23,000/56,000 records  4,100/s``."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.label = ""
        self.total = self.done = 0
        self.started = time.perf_counter()

    def note(self, text: str) -> None:
        self.stream.write(f"\r\x1b[K{text}")
        self.stream.flush()

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.started = label, total, 0, time.perf_counter()
        self._draw()

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def finish(self) -> None:
        self._draw()
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(round(share * self.WIDTH))
        rate = self.done / max(time.perf_counter() - self.started, 1e-9)
        self.note(f"{self.label} [{'#' * filled}{'-' * (self.WIDTH - filled)}] {self.done:,}/{self.total:,} "
                  f"records  {rate:,.0f}/s")


# ---------------------------------------------------------------------------------------- quarantine


def add_quarantine(subparsers: Any) -> None:
    """``quarantine list | show ID | resubmit ID [--file FIXED]``."""
    parser = subparsers.add_parser(
        "quarantine", help="records that could not be used: list, show, re-submit (as they were or fixed)",
        description="Operators' view of the quarantine: every record a channel sent that could not become a "
                    "report, with its raw bytes, where it came from and why. Fix it (or the category mapping) "
                    "and re-submit it.")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="quarantined records, newest first")
    listing.add_argument("--status", default="open", choices=("open", "fixed", "all"))
    listing.add_argument("--channel", choices=channel_names())
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    show = actions.add_parser("show", help="one record: source, reason, readable record, raw bytes")
    show.add_argument("id", type=int)
    show.add_argument("--raw-out", type=Path, metavar="FILE", help="write the raw bytes to FILE (to fix them)")
    show.add_argument("--unmasked", action="store_true", help="show phone numbers and names unmasked")
    resubmit = actions.add_parser("resubmit", help="parse the record again and store it if it now reads")
    resubmit.add_argument("id", type=int)
    resubmit.add_argument("--file", type=Path, metavar="FIXED",
                          help="the fixed record (same format as the raw bytes: a one-row CSV, or JSON)")
    resubmit.add_argument("--mapping", type=Path, metavar="FILE",
                          help="the column mapping (YAML) of a generic_csv record, as given to import")
    for sub in (listing, show, resubmit):
        _store_option(sub)
    parser.set_defaults(run=run_quarantine)


def run_quarantine(args: argparse.Namespace) -> int:
    from store import intake

    with closing(_ready_store(args)) as store:
        if args.action == "list":
            rows = intake.quarantine_list(store, status=None if args.status == "all" else args.status,
                                          channel=args.channel, limit=args.limit)
            for row in rows:
                if args.json:
                    print(json.dumps(_jsonable(row), ensure_ascii=False))
                else:
                    print(f"{row['id']:>6}  {row['status']:<5}  {row['channel']:<13}  {_where(row['source_ref'])}"
                          f"{'  ' + row['external_id'] if row['external_id'] else ''}  [{row['stage']}]  "
                          f"{row['reason']}")
            if not args.json:
                print(f"{len(rows)} record(s)", file=sys.stderr)
            return 0
        if args.action == "show":
            return _show(store, args)
        fixed = None
        if args.file is not None:
            if not args.file.is_file():
                raise ValueError(f"no such file: {args.file}")
            fixed = args.file.read_bytes()
        if args.mapping is None and intake.quarantined(store, args.id)["channel"] == "generic_csv":
            raise ValueError(f"quarantined record {args.id} came through generic_csv: give its column mapping "
                             "with --mapping FILE")
        from ingest.pipeline import Pipeline

        result = Pipeline.from_store(store).resubmit(args.id, fixed, filename=args.file.name if args.file else None,
                                                     mapping=args.mapping)
        print(json.dumps(result, ensure_ascii=False))
        return 0 if result["status"] == "stored" else 1


def _show(store: Any, args: argparse.Namespace) -> int:
    from ingest.privacy import mask_text
    from store import intake

    row = intake.quarantined(store, args.id)
    raw = bytes(row["raw_payload"])
    record = json.dumps(row["record"], ensure_ascii=False, indent=2) if row["record"] is not None else None
    preview = raw[:2000].decode("utf-8", "replace")
    if not args.unmasked:
        names = _reporter_names(row["channel"], row["record"])
        record, preview = mask_text(record, *names), mask_text(preview, *names)
    print(f"quarantined record {row['id']} ({row['status']}), channel {row['channel']}, stage {row['stage']}")
    print(f"  from      {_where(row['source_ref'])}{' (' + row['external_id'] + ')' if row['external_id'] else ''}")
    print(f"  received  {row['received_at'].isoformat()}")
    print(f"  reason    {row['reason']}")
    if row["resubmitted_report_id"]:
        print(f"  fixed     report {row['resubmitted_report_id']} at {row['fixed_at'].isoformat()}")
    print(f"  raw       {len(raw)} bytes, {row['content_type']}")
    if record:
        print("record:\n" + record)
    print("raw bytes (as UTF-8):\n" + preview)
    if args.raw_out is not None:
        args.raw_out.write_bytes(raw)
        print(f"raw bytes written to {args.raw_out}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------------------- manual


def add_manual(subparsers: Any) -> None:
    """``manual list | place ID LON LAT [--crs SYSTEM]``."""
    parser = subparsers.add_parser(
        "manual", help="reports waiting for manual location: list them, place one",
        description="Reports the pipeline could not place with confidence (an unknown or ambiguous address, a "
                    "point outside the jurisdiction) wait here with the reason and the candidates. Placing "
                    "one opens or joins a case like any located report.")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the queue, oldest first")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    place = actions.add_parser("place", help="place one report at a point")
    place.add_argument("id", type=int)
    place.add_argument("lon", type=float, metavar="LON|X")
    place.add_argument("lat", type=float, metavar="LAT|Y")
    place.add_argument("--crs", default="wgs84", help="wgs84 (default), gcj02, bd09 or cgcs2000-gk")
    place.add_argument("--operator", default="operator", help="who placed it (recorded with the report)")
    for sub in (listing, place):
        _store_option(sub)
    parser.set_defaults(run=run_manual)


def run_manual(args: argparse.Namespace) -> int:
    from store import intake

    with closing(_ready_store(args)) as store:
        if args.action == "list":
            rows = intake.manual_queue(store, limit=args.limit)
            for row in rows:
                if args.json:
                    print(json.dumps(_jsonable(row), ensure_ascii=False))
                    continue
                candidates = "; ".join(
                    f"{c.get('name')} ({c.get('township_code') or ''} {c.get('confidence') or c.get('distance_m')})"
                    for c in (row["location_candidates"] or [])[:3])
                print(f"{row['id']:>8}  {row['channel']:<13} {row['external_id']}  {row['location_reason']}"
                      f"{'  candidates: ' + candidates if candidates else ''}")
            if not args.json:
                print(f"{len(rows)} report(s) waiting", file=sys.stderr)
            return 0
        from ingest.pipeline import Pipeline

        result = Pipeline.from_store(store).place(args.id, args.lon, args.lat, args.crs, actor=args.operator)
        print(json.dumps(_jsonable(result), ensure_ascii=False))
        return 0


# -------------------------------------------------------------------------------------------- split


def add_split(subparsers: Any) -> None:
    """``split CASE_ID REPORT_ID... [--operator NAME]``."""
    parser = subparsers.add_parser(
        "split", help="split reports off a case: they are another problem and open a new case",
        description="Undo a de-duplication: the named reports leave the case and open a new one together "
                    "(opened by the earliest of them); the link records who split them and when.")
    parser.add_argument("case_id", type=int)
    parser.add_argument("report_ids", type=int, nargs="+", metavar="REPORT_ID")
    parser.add_argument("--operator", default="operator", help="who splits (the audit trail's actor)")
    _store_option(parser)
    parser.set_defaults(run=run_split)


def run_split(args: argparse.Namespace) -> int:
    from cases.permissions import Actor
    from cases.states import Role
    from ingest.pipeline import Pipeline

    with closing(_ready_store(args)) as store:
        result = Pipeline.from_store(store).split(args.case_id, args.report_ids, Actor(args.operator, Role.OPERATOR))
    print(json.dumps(result, ensure_ascii=False))
    return 0


# ------------------------------------------------------------------------------------- live commands


def add_worker(subparsers: Any) -> None:
    """``worker``: :mod:`live.worker` (imported when the command line is built)."""
    from live.worker import add_worker as add

    add(subparsers)


def add_simulate(subparsers: Any) -> None:
    """``simulate``: :mod:`ingest.simulate`."""
    from ingest.simulate import add_simulate as add

    add(subparsers)


COMMANDS: tuple[Callable[[Any], None], ...] = (add_import, add_quarantine, add_manual, add_split, add_worker,
                                               add_simulate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest",
                                     description="Channel reports in: import, quarantine, manual location, live.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from store.errors import StoreError

    try:
        return args.run(args)
    except ValueError as exc:
        parser.error(str(exc))  # prints "python -m ingest: error: ..." and exits with status 2
    except StoreError as exc:
        print(f"python -m ingest: {exc}", file=sys.stderr)
        return 1


def _reporter_names(channel: str, record: Any) -> list[str]:
    """The reporter's name in a quarantined record's readable view (under any of the channel's names for it)."""
    from ingest.channels import UnknownChannel, get_channel
    from ingest.records import field_key

    if not isinstance(record, dict):
        return []
    try:
        aliases = {field_key(a) for a in get_channel(channel).fields.get("reporter_name", ())}
    except UnknownChannel:
        return []
    return [str(v) for k, v in record.items() if field_key(k) in aliases and v]


def _where(source: dict[str, Any] | None) -> str:
    if not source:
        return "(unknown source)"
    from ingest.report import SourceRef

    return str(SourceRef(**source))


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in row.items()}


if __name__ == "__main__":
    sys.exit(main())
