"""Benchmark: next-shift risk on the simulated history — PAI, PEI* and hit rate beside the naive baseline.

    python bench/hotspots_risk.py [--days 60] [--per-day 300] [--test-days 21] [--seed 7]
                                  [--database-url URL]

Without ``--database-url`` a fresh SQLite store is seeded with the demo city and ``--days`` of history are
simulated through the case service (``python -m sim simulate``: about 5 s per simulated day here). The
last ``--test-days`` days are the test period: for every local midnight (a day ahead) and every shift
start 00:00/08:00/16:00 (8 hours ahead) the models forecast from the reports before that moment only:

* **kernel** — :func:`geo.hotspots.risk.kernel_risk` (time-decayed counts, half-life 21 days, a fifth to
  the queen neighbours, day-of-week × hour profile);
* **naive** — the same cells as the last 7 days (reports per cell in the 7 days before).

Printed: mean hit rate, PAI and PEI* at 1 %, 5 % and 10 % of the district's area (cell areas), and the
ratio of the kernel's PAI to the naive one's at 5 % (target ≥ 1.5).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.hotspots import queen_weights  # noqa: E402
from geo.hotspots.backtest import SHARES, backtest, naive_risk  # noqa: E402
from geo.hotspots.risk import kernel_risk  # noqa: E402

TARGET_RATIO = 1.5
LOCAL = timedelta(hours=8)  # Asia/Shanghai


def read_history(url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    import sqlalchemy as sa

    from store.models import Cell, Report
    from store.ready import open_ready_store

    with closing(open_ready_store(url)) as store, store.session() as session:
        cells = pd.DataFrame(session.execute(sa.select(Cell.code, Cell.col, Cell.row, Cell.area_m2)
                                             .order_by(Cell.code)).all(), columns=["code", "col", "row", "area_m2"])
        reports = pd.DataFrame(session.execute(sa.select(Report.cell_code, Report.received_at)
                                               .where(Report.cell_code.is_not(None))).all(),
                               columns=["cell_code", "received_at"])
    reports["received_at"] = pd.to_datetime(reports["received_at"], utc=True).dt.tz_localize(None)
    return cells, reports


def simulate_history(folder: Path, days: int, per_day: float, seed: int) -> str:
    from sim import Settings, simulate
    from store.ready import open_ready_store

    url = f"sqlite:///{folder / 'history.sqlite'}"
    start = datetime.combine(date(2026, 8, 3), datetime.min.time(), tzinfo=UTC) - LOCAL  # a local Monday
    with closing(open_ready_store(url)) as store:
        began = time.perf_counter()
        summary = simulate(store, Settings(start=start, days=days, per_day=per_day, seed=seed))
        print(f"simulated {days} days ({summary.reports} reports) in {time.perf_counter() - began:.0f} s")
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=float, default=300.0)
    parser.add_argument("--test-days", type=int, default=21)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", metavar="URL", help="read this store's history instead of simulating")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or simulate_history(Path(folder), args.days, args.per_day, args.seed)
        cells, reports = read_history(url)
    index = {code: i for i, code in enumerate(cells["code"])}
    cell_index = np.array([index.get(c, -1) for c in reports["cell_code"]], dtype=np.int64)
    times = reports["received_at"].to_numpy(dtype="datetime64[us]")
    n = len(cells)
    neighbours = queen_weights(cells["col"].to_numpy(), cells["row"].to_numpy())
    area = cells["area_m2"].to_numpy(dtype=float)
    last = pd.Timestamp(times.max()).to_pydatetime().replace(tzinfo=UTC)
    last_midnight = datetime.combine((last + LOCAL).date(), datetime.min.time(), tzinfo=UTC) - LOCAL
    print(f"history: {len(reports):,} located reports in {n:,} cells, up to {last:%Y-%m-%d %H:%M} UTC; test period: "
          f"the {args.test_days} days before {last_midnight + LOCAL:%Y-%m-%d} (local)")

    models = {"kernel": lambda at: kernel_risk(cell_index, times, at, n, neighbours=neighbours),
              "naive": lambda at: naive_risk(cell_index, times, at, n)}
    for label, horizon, step in (("next day", timedelta(days=1), timedelta(days=1)),
                                 ("next 8-hour shift", timedelta(hours=8), timedelta(hours=8))):
        first = last_midnight - timedelta(days=args.test_days)
        origins = [first + k * step for k in range(int(timedelta(days=args.test_days) / step))]
        began = time.perf_counter()
        scores = backtest(models, cell_index, times, origins, horizon, area)
        seconds = time.perf_counter() - began
        print(f"\n{label}: {len(origins)} forecasts per model ({seconds:.1f} s for all)")
        print(f"{'':8}" + "".join(f"{f'{s:.0%} of area':>28}" for s in SHARES))
        print(f"{'':8}" + "".join(f"{'hit':>10}{'PAI':>9}{'PEI*':>9}" for _ in SHARES))
        for name, by_share in scores.items():
            print(f"{name:8}" + "".join(f"{by_share[s]['hit_rate']:>10.3f}{by_share[s]['pai']:>9.2f}"
                                        f"{by_share[s]['pei_star']:>9.2f}" for s in SHARES))
        ratio = scores["kernel"][0.05]["pai"] / scores["naive"][0.05]["pai"]
        print(f"PAI at 5 % of the area: kernel ÷ naive = {ratio:.2f} (target ≥ {TARGET_RATIO:g}: "
              f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
