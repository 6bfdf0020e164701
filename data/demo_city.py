"""The demo city: a complete, deterministic jurisdiction folder for 同安区 with drawn (示意) boundaries.

``generate(out_dir)`` chains the builders, each fed from its own random stream derived from the seed (so
changing one builder never reshuffles another's output):

divisions (real names and codes) → townships and communities (:mod:`data.demo_townships`) → unit grid
cells (:func:`geo.grid.build_cells`) → patrol zones (:func:`geo.zones.build_zones`) → roads
(:mod:`data.demo_roads`) → places (:mod:`data.demo_places`) → teams and officers (:mod:`data.demo_people`)
→ enforcement items and authorities (:mod:`data.catalogue`) → files and manifest (:mod:`data.jurisdiction`).

Two runs with the same seed write the same bytes.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from data.catalogue import authority_table, items_table, load_catalogue
from data.demo_people import build_officers, build_teams
from data.demo_places import build_places
from data.demo_roads import build_roads
from data.demo_townships import build_boundaries
from data.divisions import load_divisions
from data.jurisdiction import write_jurisdiction
from geo.crs import CELL_SIZE_M, DISTRICT_METRIC_CRS
from geo.grid import build_cells
from geo.zones import build_zones

DEFAULT_SEED = 350212
DEFAULT_OUT = Path(__file__).resolve().parent / "demo"
TARGET_ZONES = 40
NAME = "同安区（示意边界）Tong'an District (demo boundaries)"

STREAMS = {"boundaries": 1, "roads": 2, "places": 3, "officers": 4}


def _rng(seed: int, stage: str) -> np.random.Generator:
    """The random stream of one stage: independent of every other stage's draws."""
    return np.random.default_rng([seed, STREAMS[stage]])


def build(seed: int = DEFAULT_SEED) -> dict:
    """Every layer of the demo city in memory (geometry in EPSG:4548; tables with metric ``x``/``y``)."""
    divisions = load_divisions()
    townships, communities = build_boundaries(divisions, _rng(seed, "boundaries"))
    cells = build_cells(communities, CELL_SIZE_M, DISTRICT_METRIC_CRS, output_crs=DISTRICT_METRIC_CRS)
    zones, cells = build_zones(cells, townships, TARGET_ZONES)
    network = build_roads(townships, communities, _rng(seed, "roads"))
    places = build_places(townships, communities, network, _rng(seed, "places"))
    teams = build_teams(townships, places)
    officers = build_officers(teams, _rng(seed, "officers"))
    items, pilot_towns = load_catalogue()
    return {
        "townships": townships,
        "communities": communities,
        "cells": cells,
        "zones": zones,
        "roads": network.pieces,
        "places": places,
        "teams": teams,
        "officers": officers,
        "items": items_table(items),
        "authority": authority_table(items, townships, pilot_towns),
    }


def generate(out_dir: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED) -> dict:
    """Build the demo city and write its jurisdiction folder into ``out_dir``; returns the manifest.

    The manifest also records, outside the hashed files, nothing that varies between runs: the same seed
    gives the same bytes in every file, the manifest included.
    """
    layers = build(seed)
    return write_jurisdiction(
        Path(out_dir), layers, name=NAME, generator="data.demo_city", seed=seed, demo_boundaries=True,
        metric_crs=DISTRICT_METRIC_CRS, cell_size_m=CELL_SIZE_M,
    )


def timed_generate(out_dir: Path = DEFAULT_OUT, seed: int = DEFAULT_SEED) -> tuple[dict, float]:
    """``generate`` and the seconds it took (for the CLI's report)."""
    start = time.perf_counter()
    manifest = generate(out_dir, seed)
    return manifest, time.perf_counter() - start
