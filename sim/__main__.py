"""``python -m sim simulate | league`` — fill a store with a simulated month of casework; print the KPIs.

The store is the one ``DATABASE_URL`` names (embedded SQLite at data/command_center.sqlite when unset), or
``--database-url``. ``simulate`` migrates it and, when it is empty, seeds it from ``--jurisdiction``
(default ``data/demo``, generated first if missing). Errors print one line to stderr and exit with status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from cases.calendar import SHANGHAI
from sim.simulate import Settings, simulate
from store import Store, StoreError, open_store
from store.kpis import DEFAULT_WEIGHTS, GROUPINGS, kpis, league

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JURISDICTION = ROOT / "data" / "demo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="overrides DATABASE_URL (sqlite:///file or postgresql+psycopg://…)")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("simulate", help="drive simulated reports and cases through the case service")
    run.add_argument("--days", type=float, default=30, help="length of the run in days (default 30)")
    run.add_argument("--seed", type=int, default=350212, help="random seed: the same seed gives the same month")
    run.add_argument("--per-day", type=float, default=300, help="reports per day, district-wide (default 300)")
    run.add_argument("--start", type=date.fromisoformat,
                     help="first local day (YYYY-MM-DD); default: the run ends today")
    run.add_argument("--lagging", default="350212109", help="the township that lags (default 汀溪镇); '' for none")
    run.add_argument("--jurisdiction", type=Path, default=DEFAULT_JURISDICTION,
                     help="folder to seed an empty store from (default data/demo, generated if missing)")
    table = commands.add_parser("league", help="print the KPIs and the township league of a period")
    table.add_argument("--start", type=date.fromisoformat, help="first local day (default: 30 days before --end)")
    table.add_argument("--end", type=date.fromisoformat, help="last local day, included (default: today)")
    table.add_argument("--by", choices=GROUPINGS, default="township", help="grouping of the KPI table")
    table.add_argument("--weights", help="league weights, e.g. handling_rate=30,rework_rate=20 (default: "
                       + ",".join(f"{k}={v:g}" for k, v in DEFAULT_WEIGHTS.items()) + ")")
    args = parser.parse_args(argv)

    store = open_store(args.database_url)
    try:
        if args.command == "simulate":
            return _simulate(store, args)
        return _league(store, args)
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def _simulate(store: Store, args: argparse.Namespace) -> int:
    store.upgrade()
    if store.is_empty():
        if not (args.jurisdiction / "manifest.json").exists():
            from data.demo_city import generate

            generate(args.jurisdiction)
            print(f"generated the demo city in {args.jurisdiction}")
        store.seed_jurisdiction(args.jurisdiction)
        print(f"seeded the {store.backend} store from {args.jurisdiction}")
    today = datetime.now(SHANGHAI).date()
    start = args.start or today - timedelta(days=round(args.days) - 1)
    settings = Settings(start=_local_midnight(start), days=args.days, per_day=args.per_day, seed=args.seed,
                        lagging=args.lagging or None)
    print(f"simulating {args.days:g} days from {start} (seed {args.seed}, {args.per_day:g} reports/day) "
          f"into {store!r}", flush=True)
    summary = simulate(store, settings, progress=lambda day, s: print(f"day {day}: {s.line()}", flush=True))
    print(f"done: {summary.line()}")
    end_day = (settings.end - timedelta(seconds=1)).astimezone(SHANGHAI).date()
    print(f"see the KPIs: python -m sim league --start {start} --end {end_day}")
    return 0


def _league(store: Store, args: argparse.Namespace) -> int:
    end_day = args.end or datetime.now(SHANGHAI).date()
    start_day = args.start or end_day - timedelta(days=29)
    weights = DEFAULT_WEIGHTS
    if args.weights:
        weights = {k.strip(): float(v) for k, v in (pair.split("=") for pair in args.weights.split(","))}
    started = time.perf_counter()
    frame = kpis(store, by=args.by, start=_local_midnight(start_day), end=_local_midnight(end_day + timedelta(days=1)))
    seconds = time.perf_counter() - started
    with pd.option_context("display.width", 200, "display.max_columns", 60, "display.max_rows", 200,
                           "display.float_format", "{:.3f}".format):
        print(f"KPIs by {args.by}, {start_day} … {end_day} (Asia/Shanghai), computed in {seconds:.2f} s:")
        print(frame.T.to_string())
        if args.by == "township":
            names = store.townships().set_index("code")["name"]
            ranked = league(frame, weights)
            ranked.insert(0, "name", names.reindex(ranked.index).to_numpy())
            print("\nTownship league (score out of 100; points per component):")
            print(ranked.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
