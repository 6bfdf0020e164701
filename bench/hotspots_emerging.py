"""Benchmark: emerging hot spot analysis on 10,000 cells × 52 weeks with 199 permutations, beside pyehsa.

    python bench/hotspots_emerging.py [--cells 10000] [--weeks 52] [--permutations 199] [--runs 2]
                                      [--peer-budget 60] [--peer-weeks 12]

Ours: :func:`geo.hotspots.emerging.emerging_hot_spots` on a square lattice of ``--cells`` cells with weekly
counts (a low background, busy clusters, some growing, some fading, some flaring up late), queen weights
and one time lag, built and classified in the timed call (weights, space-time Gi* with permutations,
Mann–Kendall, categories); median of ``--runs`` runs; target ≤ 30 s.

Peer: pyehsa (``EmergingHotspotAnalysis.emerging_hotspot_analysis``, the only Python port found; same k = 1
time lag and the same number of permutations) runs in a child process on growing cubes of ``--peer-weeks``
weeks — 16, 36, 64, 100 … cells — each killed after ``--peer-budget`` seconds; the largest cube it
finishes is timed for ours too, for the ratio. Without pyehsa installed the peer part says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.hotspots import queen_weights  # noqa: E402
from geo.hotspots.emerging import emerging_hot_spots  # noqa: E402

TARGET_SECONDS = 30.0
SEED = 350212
PEER_SIDES = (4, 6, 8, 10, 12, 15, 18, 20, 25, 30, 40, 50)

PEER_SCRIPT = r"""
import json, sys, time, warnings, logging, contextlib, io
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
import numpy as np, pandas as pd, shapely
sys.path.insert(0, sys.argv[1])
from bench.hotspots_emerging import weekly_counts
from pyehsa import EmergingHotspotAnalysis
side, weeks, nsim = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cube = weekly_counts(side, weeks)
cols, rows = np.tile(np.arange(side), side), np.repeat(np.arange(side), side)
size = 0.001  # about 100 m in degrees
squares = shapely.box(118 + cols * size, 24 + rows * size, 118 + (cols + 1) * size, 24 + (rows + 1) * size)
df = pd.DataFrame({
    "region": np.repeat([f"c{i:05d}" for i in range(side * side)], weeks),
    "period": np.tile(np.arange(weeks), side * side),
    "value": cube.ravel().astype(float),
    "geometry": np.repeat(shapely.to_wkt(squares), weeks),  # pyehsa reads WKT
})
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    result = EmergingHotspotAnalysis.emerging_hotspot_analysis(df, "region", "period", "value", k=1, nsim=nsim)
print(json.dumps({"seconds": time.perf_counter() - start, "locations": len(result)}))
"""


def weekly_counts(side: int, weeks: int, seed: int = SEED) -> np.ndarray:
    """Counts (side², weeks): low background, clusters that stay, grow, fade or flare up late."""
    rng = np.random.default_rng(seed)
    c, r = np.tile(np.arange(side), side), np.repeat(np.arange(side), side)
    t = np.arange(weeks) / max(weeks - 1, 1)
    rate = np.full((side * side, weeks), 0.2)
    for k in range(max(2, side * side // 400)):
        cx, cy, spread, peak = rng.uniform(0, side), rng.uniform(0, side), rng.uniform(1, 4), rng.uniform(2, 8)
        shape = (np.ones(weeks), 0.3 + 1.4 * t, 1.7 - 1.4 * t, (t > 0.8) * 2.0)[k % 4]
        rate += peak * np.exp(-((c - cx) ** 2 + (r - cy) ** 2) / (2 * spread**2))[:, None] * shape[None, :]
    return rng.poisson(rate)


def ours(side: int, weeks: int, permutations: int) -> tuple[float, dict[str, int]]:
    cube = weekly_counts(side, weeks)
    start = time.perf_counter()
    cols, rows = np.tile(np.arange(side), side), np.repeat(np.arange(side), side)
    result = emerging_hot_spots(cube, queen_weights(cols, rows), lags=1, permutations=permutations, seed=SEED)
    seconds = time.perf_counter() - start
    names, counts = np.unique(result.category, return_counts=True)
    return seconds, dict(zip(names.tolist(), counts.tolist(), strict=True))


def peer(side: int, weeks: int, permutations: int, budget: float) -> float | None:
    """pyehsa's seconds on a side² × weeks cube, or None when it did not finish within ``budget``."""
    try:
        done = subprocess.run([sys.executable, "-c", PEER_SCRIPT, str(ROOT), str(side), str(weeks),
                               str(permutations)], capture_output=True, text=True, timeout=budget, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"pyehsa failed on {side}×{side}×{weeks}: {done.stderr.strip()[-400:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--permutations", type=int, default=199)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--peer-budget", type=float, default=60.0)
    parser.add_argument("--peer-weeks", type=int, default=12)
    args = parser.parse_args(argv)
    side = int(round(args.cells ** 0.5))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    times = []
    for _ in range(args.runs):
        seconds, categories = ours(side, args.weeks, args.permutations)
        times.append(seconds)
    median = statistics.median(times)
    print(f"ours: {side * side:,} cells × {args.weeks} weeks, {args.permutations} permutations, 1 lag: "
          f"median {median:.2f} s of {args.runs} (target ≤ {TARGET_SECONDS:g} s: "
          f"{'met' if median <= TARGET_SECONDS else 'MISSED'})")
    print("  categories: " + ", ".join(f"{k} {v}" for k, v in sorted(categories.items(), key=lambda kv: -kv[1])))

    try:
        import pyehsa  # noqa: F401
    except ImportError:
        print("pyehsa is not installed (pip install pyehsa): no peer figure")
        return 0 if median <= TARGET_SECONDS else 1
    largest, largest_seconds = None, None
    for peer_side in PEER_SIDES:
        seconds = peer(peer_side, args.peer_weeks, args.permutations, args.peer_budget)
        label = f"{peer_side * peer_side} cells × {args.peer_weeks} weeks"
        print(f"pyehsa: {label}: " + (f"{seconds:.1f} s" if seconds is not None
                                       else f"not finished within {args.peer_budget:g} s"))
        if seconds is None:
            break
        largest, largest_seconds = peer_side, seconds
    if largest is None:
        print("pyehsa finished no cube within the budget")
        return 0 if median <= TARGET_SECONDS else 1
    same = statistics.median(ours(largest, args.peer_weeks, args.permutations)[0] for _ in range(3))
    print(f"on pyehsa's largest cube within {args.peer_budget:g} s ({largest * largest} cells × {args.peer_weeks} "
          f"weeks, {args.permutations} permutations): pyehsa {largest_seconds:.1f} s, ours {same:.3f} s — "
          f"{largest_seconds / same:,.0f}× faster")
    return 0 if median <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
