"""Benchmark: the address geocoder on noisy hotline addresses with known truth, beside a plain fuzzy baseline.

    python bench/geo_geocode.py [--data DIR] [--n 20000] [--seed 350212] [--runs 5] [--baseline-n N]

Makes ``--n`` noisy addresses from the gazetteer of a jurisdiction folder (the demo city, generated into a
temporary folder when ``--data`` is not given) with :mod:`bench.noisy_addresses`, geocodes them, and prints
per noise type and per kind of source:

- ``right comm``  confident (status ``ok``) and in the true community,
- ``<=100 m``     confident and within 100 m of the true point,
- ``wrong>thr``   confident but in another community (the dangerous case: nobody looks at it),
- ``manual``      not confident (status needs_manual, ambiguous, not_found): sent to an operator;

so ``right comm + wrong>thr + manual = 100 %``. Throughput is addresses per second through
``Geocoder.geocode`` one at a time, single process: one warm-up pass (fills the lazy per-cell community
lists and the pinyin of characters), then the median of ``--runs`` passes with the normalisation cache
cleared before each, as wall-clock and as CPU time (the machine is shared: CPU time is the steadier figure).

The baseline is what one would write first: ``rapidfuzz.process.extractOne(text, names, scorer=WRatio)``
over every name of the gazetteer (places, buildings, crossings, roads, communities, townships), the score
/ 100 as confidence, the same threshold. Targets of the issue: ≥ 97 % right community, ≥ 90 % within
100 m, ≤ 0.5 % wrong above the threshold, ≥ 10,000 addresses/s.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz, process  # noqa: E402

from bench.noisy_addresses import NOISE_TYPES, SOURCES, NoisyAddress, noisy_addresses  # noqa: E402
from geo.address import normalise  # noqa: E402
from geo.crs import DISTRICT_METRIC_CRS, WGS84, transformer  # noqa: E402
from geo.gazetteer import Gazetteer  # noqa: E402
from geo.geocoder import DEFAULT_THRESHOLD, Geocoder  # noqa: E402

TARGETS = {"right": 97.0, "near": 90.0, "wrong": 0.5, "speed": 10_000}


def _answers(results) -> list[tuple[bool, float | None, float | None, str | None]]:
    """(confident, x, y, community) of each geocoder result, in metres."""
    to_metric = transformer(WGS84, DISTRICT_METRIC_CRS).transform
    out = []
    for r in results:
        if r.status == "ok":
            x, y = to_metric(r.lon, r.lat)
            out.append((True, x, y, r.community_code))
        else:
            out.append((False, None, None, None))
    return out


def _score(samples: list[NoisyAddress], answers) -> dict[str, dict[str, float]]:
    groups: dict[str, list[tuple[NoisyAddress, tuple]]] = defaultdict(list)
    for s, a in zip(samples, answers, strict=True):
        for key in ("all", s.noise, f"from {s.source}"):
            groups[key].append((s, a))
    table = {}
    for key, rows in groups.items():
        n = len(rows)
        right = near = wrong = manual = 0
        for s, (ok, x, y, community) in rows:
            if not ok:
                manual += 1
                continue
            right += community == s.community_code
            wrong += community != s.community_code
            near += math.hypot(x - s.x, y - s.y) <= 100.0
        table[key] = {"n": n, "right": 100 * right / n, "near": 100 * near / n, "wrong": 100 * wrong / n,
                      "manual": 100 * manual / n}
    return table


def _baseline(gaz: Gazetteer, samples: list[NoisyAddress], threshold: float) -> tuple[list, float]:
    """Best WRatio match over all names; returns answers like :func:`_answers` and addresses/s."""
    choices: list[str] = []
    where: list[tuple[float, float, str | None]] = []
    for p in gaz.places.values():
        choices.append(p.name)
        where.append((p.x, p.y, p.community_code))
    for road in gaz.roads.values():
        part = max(road.parts.values(), key=lambda part: part.length_m)
        choices.append(road.name)
        where.append((part.x, part.y, part.community_code))
    for c in gaz.communities.values():
        choices.append(c.name)
        where.append((c.x, c.y, c.code))
    for t in gaz.townships.values():
        choices.append(t.name)
        where.append((t.x, t.y, None))
    answers = []
    start = time.perf_counter()
    for s in samples:
        _, score, k = process.extractOne(s.text, choices, scorer=fuzz.WRatio)
        if score / 100.0 >= threshold:
            answers.append((True, *where[k]))
        else:
            answers.append((False, None, None, None))
    return answers, len(samples) / (time.perf_counter() - start)


def _timed_runs(geocoder: Geocoder, texts: list[str], runs: int) -> tuple[float, float, list]:
    results = [geocoder.geocode(t) for t in texts]  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        normalise.cache_clear()
        w0, c0 = time.perf_counter(), time.process_time()
        results = [geocoder.geocode(t) for t in texts]
        wall.append(len(texts) / (time.perf_counter() - w0))
        cpu.append(len(texts) / (time.process_time() - c0))
    return statistics.median(wall), statistics.median(cpu), results


def _print_table(ours: dict, base: dict) -> None:
    head = f"{'group':<18}{'n':>6} | {'right comm':>10}{'<=100 m':>9}{'wrong>thr':>10}{'manual':>8} |" \
           f" {'right comm':>10}{'<=100 m':>9}{'wrong>thr':>10}{'manual':>8}"
    print(f"{'':<25}| {'geocoder':^37} | {'baseline (extractOne, WRatio)':^37}")
    print(head)
    print("-" * len(head))
    keys = ["all", *NOISE_TYPES, *(f"from {s}" for s in SOURCES)]
    for key in keys:
        if key not in ours:
            continue
        o, b = ours[key], base.get(key)
        line = f"{key:<18}{o['n']:>6} | {o['right']:>9.1f}%{o['near']:>8.1f}%{o['wrong']:>9.2f}%{o['manual']:>7.1f}% |"
        if b:
            line += f" {b['right']:>9.1f}%{b['near']:>8.1f}%{b['wrong']:>9.2f}%{b['manual']:>7.1f}%"
        print(line)
        if key == "all" or key == NOISE_TYPES[-1]:
            print("-" * len(head))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="jurisdiction folder (default: generate the demo city)")
    parser.add_argument("--n", type=int, default=20_000, help="noisy addresses (default 20000)")
    parser.add_argument("--seed", type=int, default=350212)
    parser.add_argument("--runs", type=int, default=5, help="timed passes; the median is printed")
    parser.add_argument("--baseline-n", type=int, default=None, help="baseline on the first N only (it is slow)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)

    print(f"python {platform.python_version()} on {platform.machine()}, os.cpu_count() = {os.cpu_count()}, "
          f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data
        if folder is None:
            from data.demo_city import generate

            folder = Path(tmp) / "demo"
            t0 = time.perf_counter()
            generate(folder)
            print(f"demo city generated in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        geocoder = Geocoder.from_folder(folder, threshold=args.threshold)
        gaz = geocoder.gazetteer
        print(f"gazetteer: {len(gaz.townships)} townships, {len(gaz.communities)} communities, "
              f"{len(gaz.roads)} road names, {len(gaz.places)} places; geocoder built in "
              f"{time.perf_counter() - t0:.2f} s")
        samples = noisy_addresses(gaz, n=args.n, seed=args.seed)
        texts = [s.text for s in samples]
        print(f"{len(samples)} noisy addresses (seed {args.seed}), {len(set(texts))} distinct; "
              f"threshold {args.threshold}")

        wall, cpu, results = _timed_runs(geocoder, texts, args.runs)
        ours = _score(samples, _answers(results))
        subset = samples[: args.baseline_n] if args.baseline_n else samples
        base_answers, base_speed = _baseline(gaz, subset, args.threshold)
        base = _score(subset, base_answers)

    print()
    _print_table(ours, base)
    if args.baseline_n:
        print(f"(baseline on the first {len(subset)} addresses only)")
    wrong = [(s, r) for s, r in zip(samples, results, strict=True)
             if r.status == "ok" and r.community_code != s.community_code]
    if wrong:
        to_metric = transformer(WGS84, DISTRICT_METRIC_CRS).transform
        off = sorted(math.hypot(to_metric(r.lon, r.lat)[0] - s.x, to_metric(r.lon, r.lat)[1] - s.y)
                     for s, r in wrong)
        print(f"confident answers in the wrong community: {len(wrong)}; distance to the true point: median "
              f"{statistics.median(off):.0f} m, {sum(d <= 50 for d in off)} of them within 50 m (community "
              f"borders), {sum(d > 100 for d in off)} farther than 100 m")
    print()
    print(f"throughput, geocoder: {wall:,.0f} addresses/s wall-clock, {cpu:,.0f} addresses/s CPU time "
          f"(median of {args.runs} runs, single process)")
    print(f"throughput, baseline: {base_speed:,.0f} addresses/s wall-clock (one run)")
    a = ours["all"]
    print(f"targets: right community {a['right']:.1f}% (≥ {TARGETS['right']}%), within 100 m {a['near']:.1f}% "
          f"(≥ {TARGETS['near']}%), wrong above threshold {a['wrong']:.2f}% (≤ {TARGETS['wrong']}%), "
          f"{wall:,.0f}/s (≥ {TARGETS['speed']:,}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
