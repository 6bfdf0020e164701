"""Hot and cold spot confidence bins: −3…+3 for 99/95/90 % cold … hot, 0 for not significant.

The bins of ArcGIS Pro's Hot Spot Analysis (``Gi_Bin``): the sign of the z-score says hot or cold, the
p-value (two-sided) how sure. With ``fdr=True`` each level is judged by Benjamini–Hochberg across all
cells at that level's alpha, so the bins stay nested (a 99 % cell is also significant at 95 and 90 %).

>>> import numpy as np
>>> hotspot_bins(np.array([3.1, 2.1, 1.7, 0.4, -2.2]), np.array([0.002, 0.036, 0.089, 0.69, 0.028])).tolist()
[3, 2, 1, 0, -2]
"""

from __future__ import annotations

import numpy as np

from geo.hotspots.fdr import significant

LEVELS = ((0.10, 1), (0.05, 2), (0.01, 3))
"""(alpha, bin) from the loosest to the strictest level."""

LABELS = {3: "hot 99%", 2: "hot 95%", 1: "hot 90%", 0: "not significant",
          -1: "cold 90%", -2: "cold 95%", -3: "cold 99%"}
LABELS_ZH = {3: "热点 99%", 2: "热点 95%", 1: "热点 90%", 0: "不显著",
             -1: "冷点 90%", -2: "冷点 95%", -3: "冷点 99%"}


def hotspot_bins(z: np.ndarray, p_values: np.ndarray, *, fdr: bool = False) -> np.ndarray:
    """Confidence bin of every cell (int8): sign of ``z`` × the strictest level its p-value passes."""
    z = np.asarray(z, dtype=np.float64)
    p = np.asarray(p_values, dtype=np.float64)
    if z.shape != p.shape:
        raise ValueError(f"z and p-values differ in shape: {z.shape} and {p.shape}")
    level = np.zeros(z.shape, dtype=np.int8)
    for alpha, value in LEVELS:
        passed = significant(p, alpha) if fdr else p <= alpha
        level[passed] = value
    return (np.sign(z).astype(np.int8) * level).astype(np.int8)
