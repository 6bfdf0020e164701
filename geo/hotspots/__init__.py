"""Hot spots and early warning (治未病): where reports concentrate, which places get worse, what comes back.

One idea per module, all pure numpy/scipy over arrays (no web, cache or database):

* :mod:`~geo.hotspots.weights` — neighbours as sparse matrices: queen contiguity from grid indices, a
  distance band, communities from cells, the space-time neighbourhood;
* :mod:`~geo.hotspots.gistar` — Getis–Ord Gi* with analytic z-scores (equal to esda's);
* :mod:`~geo.hotspots.permutation` — conditional-permutation pseudo p-values, seeded and vectorised;
* :mod:`~geo.hotspots.fdr` and :mod:`~geo.hotspots.bins` — Benjamini–Hochberg and the ±1/±2/±3 bins;
* :mod:`~geo.hotspots.cube` — reports into a space-time cube (cells × steps);
* :mod:`~geo.hotspots.mann_kendall` — the Mann–Kendall trend test, one row per cell, vectorised;
* :mod:`~geo.hotspots.categories` and :mod:`~geo.hotspots.emerging` — emerging hot spot analysis;
* :mod:`~geo.hotspots.repeats` — repeat places: the same problem back after its case was closed;
* :mod:`~geo.hotspots.risk` and :mod:`~geo.hotspots.backtest` — next-shift risk per cell, and its hit
  rate, PAI and PEI* beside the naive "same cells as last week".
"""

from geo.hotspots.bins import LABELS, LABELS_ZH, hotspot_bins
from geo.hotspots.gistar import GiStar, gi_star
from geo.hotspots.permutation import PermutationCounts, conditional_counts
from geo.hotspots.weights import (
    distance_band_weights,
    grouped_weights,
    queen_weights,
    space_time_weights,
)

__all__ = [
    "LABELS",
    "LABELS_ZH",
    "GiStar",
    "PermutationCounts",
    "conditional_counts",
    "distance_band_weights",
    "gi_star",
    "grouped_weights",
    "hotspot_bins",
    "queen_weights",
    "space_time_weights",
]
