"""Getis–Ord Gi*: where high (or low) counts cluster — a cell together with its neighbours.

``G*_i = Σ_j w_ij y_j / Σ_j y_j`` with the cell itself among its neighbours (the star). The analytic
z-score compares it with its expectation under spatial randomness (Getis & Ord 1992; Ord & Getis 1995), in
exactly the form esda.G_Local(star=True) uses, so the two agree to rounding on the same input and weights
(``transform="B"``: binary weights plus a self-weight of 1; ``"R"``: the same row-standardised)::

    E[G*_i] = W_i / n            W_i = Σ_j w_ij (self included)
    V[G*_i] = W_i (n − W_i) / (n − 1) / n² × s² / ȳ²       s² = mean(y²) − ȳ²

Pseudo p-values come from conditional permutations (:mod:`geo.hotspots.permutation`).

>>> import numpy as np
>>> from geo.hotspots.weights import queen_weights
>>> cols, rows = np.meshgrid(np.arange(5), np.arange(5))
>>> w = queen_weights(cols.ravel(), rows.ravel())
>>> y = np.zeros(25); y[[0, 1, 5, 6]] = [9, 7, 8, 6]           # a cluster in the corner
>>> result = gi_star(y, w, permutations=199, seed=3)
>>> int(np.argmax(result.z)), round(float(result.z.max()), 2), result.bins().reshape(5, 5)[0].tolist()
(0, 4.84, [3, 2, 0, 0, 0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats

from geo.hotspots.bins import hotspot_bins
from geo.hotspots.permutation import conditional_counts

TRANSFORMS = ("B", "R")


@dataclass(frozen=True)
class GiStar:
    """Gi* of every cell.

    Attributes
    ----------
    g, expected, variance, z : array (n,)
        The statistic, its expectation and variance under randomness, and the analytic z-score
        (esda's ``Gs``, ``EGs``, ``VGs``, ``Zs``). All-equal values give z = 0.
    p_norm : array (n,)
        Two-sided p-value of z under the normal approximation (esda's one-sided ``p_norm`` × 2).
    p_sim : array (n,) or None
        esda's directed pseudo p-value (one tail; see :meth:`PermutationCounts.directed_p`).
    p_value : array (n,)
        The p-value significance is judged on: the two-sided, tie-aware permutation p-value, or
        ``p_norm`` when no permutation was run.
    """

    g: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray | None
    p_value: np.ndarray
    permutations: int
    seed: int | None

    def bins(self, *, fdr: bool = False) -> np.ndarray:
        """Hot/cold confidence bins −3…+3 (99/95/90 %), optionally under false-discovery-rate control."""
        return hotspot_bins(self.z, self.p_value, fdr=fdr)


def _neighbour_structure(neighbours: sparse.sparray, n: int) -> sparse.csr_array:
    """The neighbours as a binary CSR matrix (values ignored), checked: n × n, no cell its own neighbour."""
    off = sparse.csr_array(neighbours)
    if off.shape != (n, n):
        raise ValueError(f"weights of shape {off.shape} do not match {n} values")
    off.eliminate_zeros()
    if (off.diagonal() != 0).any():
        raise ValueError("neighbours must not include the cell itself: Gi* adds it")
    return sparse.csr_array((np.ones(off.nnz), off.indices, off.indptr), shape=(n, n))


def gi_star(
    values: np.ndarray,
    neighbours: sparse.sparray,
    *,
    transform: str = "B",
    permutations: int = 999,
    seed: int | None = 0,
) -> GiStar:
    """Gi* z-scores and pseudo p-values of every cell.

    Parameters
    ----------
    values : array (n,)
        Non-negative variable, e.g. reports per cell in a window (Gi* needs a positive sum).
    neighbours : sparse (n, n)
        Neighbours with an empty diagonal (:mod:`geo.hotspots.weights`); only which entries are set
        matters (contiguity or distance band), the cell itself is added here.
    transform : {"B", "R"}
        Binary weights (self-weight 1) or row-standardised ones, as esda's ``transform``.
    permutations : int
        Conditional permutations for the pseudo p-values (0: analytic only).
    seed : int or None
        Seed of the permutations (reproducible results).
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"values must be one number per cell, got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError(f"values must be finite; cell {int(np.flatnonzero(~np.isfinite(y))[0])} is not")
    if (y < 0).any():
        raise ValueError(f"Gi* needs non-negative values; cell {int(np.flatnonzero(y < 0)[0])} is {y[y < 0][0]}")
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
    n = len(y)
    off = _neighbour_structure(neighbours, n)
    k = np.diff(off.indptr).astype(np.float64)
    lag = off @ y + y  # the cell's own value is the star
    if transform == "R":  # self and neighbours weighted 1 / (k + 1) each: rows sum to one
        lag, cardinality = lag / (k + 1), np.ones(n)
    else:
        cardinality = k + 1
    total = y.sum()
    mean = total / n if n else 0.0
    spread = (y * y).sum() / n - mean * mean if n else 0.0
    expected = cardinality / n if n else cardinality
    degenerate = total <= 0 or n < 2 or spread <= 1e-12 * mean * mean  # all values equal: no pattern
    with np.errstate(divide="ignore", invalid="ignore"):
        g = lag / total if total > 0 else np.zeros(n)
        variance = cardinality * (n - cardinality) / (n - 1) / n**2 * (spread / mean**2) if not degenerate \
            else np.zeros(n)
        z = (g - expected) / np.sqrt(variance)
    z = np.where(np.isfinite(z), z, 0.0) if not degenerate else np.zeros(n)
    p_norm = 2.0 * stats.norm.sf(np.abs(z))
    p_sim = None
    p_value = p_norm
    if permutations:
        if degenerate:  # nothing to permute: every replicate equals the observation
            p_sim, p_value = np.full(n, 1.0), np.full(n, 1.0)
        else:
            counts = conditional_counts(y, off, permutations=permutations, seed=seed)
            p_sim, p_value = counts.directed_p(), counts.two_sided_p()
    return GiStar(g=g, expected=expected, variance=variance, z=z, p_norm=p_norm, p_sim=p_sim,
                  p_value=p_value, permutations=int(permutations), seed=seed)
