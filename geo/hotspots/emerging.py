"""Emerging hot spot analysis: which places are new, intensifying, persistent, fading … hot (or cold) spots.

As ArcGIS Pro does it (*Emerging Hot Spot Analysis*, defaults: *Neighborhood Time Step* 1, *Define Global
Window* = entire cube):

1. the space-time cube (cells × steps) is one set of ``cells × steps`` bins; a bin's neighbourhood is its
   spatial neighbours in the same step plus itself and its spatial neighbours in the ``lags`` previous
   steps (:func:`~geo.hotspots.weights.space_time_weights`);
2. Gi* of every bin against the whole cube (one global mean and variance), analytic z-scores and
   conditional-permutation pseudo p-values (:func:`~geo.hotspots.gistar.gi_star`);
3. a bin is a hot (cold) bin when significant at 90 % with a positive (negative) z — optionally under
   false-discovery-rate control over all bins, as Pro applies it;
4. the Mann–Kendall test of each cell's series of z-scores gives the trend of clustering intensity;
5. :func:`~geo.hotspots.categories.classify` names the pattern.

Every cell of the jurisdiction is a location (Pro with a polygon analysis mask): a cell with no report is
a real zero, not missing data.

Significance comes from the two-sided permutation p-value by default. False-discovery-rate control needs
p-values far below ``alpha``: with 199 permutations the smallest pseudo p-value is 0.01, so over
thousands of bins FDR can reject little; use ``inference="normal"`` with ``fdr=True`` for Pro's
combination (analytic p-values, FDR-corrected).

>>> import numpy as np
>>> from geo.hotspots.weights import queen_weights
>>> cols, rows = np.meshgrid(np.arange(8), np.arange(8))
>>> w = queen_weights(cols.ravel(), rows.ravel())
>>> cube = np.ones((64, 10), dtype=int)
>>> cube[[0, 1, 8, 9], -1] = 12                                   # a corner flares up in the last step
>>> result = emerging_hot_spots(cube, w, permutations=199, seed=1)
>>> result.category[[0, 1, 8, 9, 36]].tolist()
['new_hot', 'new_hot', 'new_hot', 'new_hot', 'no_pattern']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from geo.hotspots.categories import classify
from geo.hotspots.fdr import significant
from geo.hotspots.gistar import gi_star
from geo.hotspots.mann_kendall import Trend, mann_kendall
from geo.hotspots.weights import space_time_weights

INFERENCES = ("permutation", "normal")


@dataclass(frozen=True)
class EmergingHotSpots:
    """The space-time Gi* of every bin, each cell's trend, and its category.

    Attributes
    ----------
    z, p : array (cells, steps)
        Gi* z-score and the p-value significance was judged on, per bin.
    hot, cold : bool array (cells, steps)
        Significant hot / cold bins.
    trend : Trend
        Mann–Kendall test of each cell's z-scores over the steps.
    trend_direction : int8 array (cells,)
        +1 / −1 significant rising / falling trend at ``alpha``, 0 none.
    category : str array (cells,)
        One of :data:`~geo.hotspots.categories.CATEGORIES`.
    """

    z: np.ndarray
    p: np.ndarray
    hot: np.ndarray
    cold: np.ndarray
    trend: Trend
    trend_direction: np.ndarray
    category: np.ndarray
    alpha: float
    lags: int
    permutations: int
    inference: str
    fdr: bool


def emerging_hot_spots(
    cube: np.ndarray,
    neighbours: sparse.sparray,
    *,
    lags: int = 1,
    permutations: int = 199,
    seed: int | None = 0,
    alpha: float = 0.10,
    inference: str = "permutation",
    fdr: bool = False,
    transform: str = "B",
) -> EmergingHotSpots:
    """Classify every cell of a space-time cube.

    Parameters
    ----------
    cube : array (cells, steps)
        Counts per cell and step, oldest step first (:func:`~geo.hotspots.cube.space_time_cube`).
    neighbours : sparse (cells, cells)
        Spatial neighbours, binary, empty diagonal (:mod:`geo.hotspots.weights`).
    lags : int
        Previous steps in a bin's neighbourhood (Pro's *Neighborhood Time Step*, default 1).
    permutations, seed : int
        Conditional permutations per bin and their seed (reproducible).
    alpha : float
        Significance of a bin and of a trend (0.10: Pro's 90 %).
    inference : {"permutation", "normal"}
        Judge bins on the two-sided permutation p-value or on the analytic one.
    fdr : bool
        Benjamini–Hochberg over all bins of the cube.
    """
    values = np.asarray(cube, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"the cube must be (cells, steps), got shape {values.shape}")
    cells, steps = values.shape
    if steps < 2:
        raise ValueError(f"emerging hot spots need at least two time steps, got {steps}")
    if inference not in INFERENCES:
        raise ValueError(f"inference must be one of {INFERENCES}, got {inference!r}")
    if inference == "permutation" and permutations < 1:
        raise ValueError("permutation inference needs permutations ≥ 1 (or use inference='normal')")
    if neighbours.shape != (cells, cells):
        raise ValueError(f"neighbours of shape {neighbours.shape} do not match the cube's {cells} cells")
    weights = space_time_weights(neighbours, steps, lags)
    flat = values.T.ravel()  # bin = step × cells + cell
    result = gi_star(flat, weights, transform=transform,
                     permutations=permutations if inference == "permutation" else 0, seed=seed)
    p = result.p_value if inference == "permutation" else result.p_norm
    passed = significant(p, alpha) if fdr else p <= alpha
    z = result.z.reshape(steps, cells).T
    p_grid = p.reshape(steps, cells).T
    passed = passed.reshape(steps, cells).T
    hot = passed & (z > 0)
    cold = passed & (z < 0)
    trend = mann_kendall(z)
    direction = trend.direction(alpha)
    return EmergingHotSpots(
        z=z, p=p_grid, hot=hot, cold=cold, trend=trend, trend_direction=direction,
        category=classify(hot, cold, direction), alpha=alpha, lags=lags, permutations=int(permutations),
        inference=inference, fdr=fdr,
    )
