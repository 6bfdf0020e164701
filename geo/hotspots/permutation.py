"""Conditional permutation inference for local statistics: pseudo p-values, seeded and vectorised.

Under the null of spatial randomness a cell keeps its own value while its neighbours' values are drawn at
random, without replacement, from all the *other* cells (conditional randomisation, Anselin 1995). For
each replicate the neighbourhood lag ``Σ_j w_ij y_j`` is recomputed and compared with the observed one.

Why it is fast (the design, not fewer permutations)
---------------------------------------------------
esda draws one table of random neighbour indices and re-uses it for every cell (each cell indexes the
values *without itself*), then loops over the cells in numba: n × permutations × k gathers. Here:

* cells are grouped by their number of neighbours ``k``; one table of ``k + 1`` distinct indices per
  replicate is drawn for the whole group (esda, too, shares its draws between cells);
* a cell that appears among the first ``k`` draws of a replicate takes the ``k + 1``-th draw instead —
  for every cell the ``k`` values are then a uniform draw from the *other* cells, exactly the conditional
  null — and such hits are rare (probability k/n per replicate), so they are patched afterwards;
* when all of a cell's weights are equal (binary weights, row-standardised weights, a distance band) its
  null is ``w × (the replicate's base sum)``: the group's replicates are sorted once and every cell's
  count is a ``searchsorted`` — O(k × permutations) per group instead of O(n × k × permutations);
* cells with unequal weights get their replicates as one matrix product per chunk (BLAS), then the same
  patching.

The comparison of the observed lag with a replicate is done on the lags themselves (for equal weights on
the plain neighbour sums, exact for counts), so ties are counted as ties, not decided by rounding.

>>> import numpy as np
>>> from geo.hotspots.weights import queen_weights
>>> w = queen_weights(np.arange(5), np.zeros(5, dtype=int))
>>> counts = conditional_counts(np.array([0.0, 0, 1, 5, 9]), w, permutations=99, seed=1)
>>> counts.two_sided_p().round(2).tolist()
[0.54, 0.48, 0.96, 0.24, 0.48]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

BLOCK = 1 << 22
"""Most replicate values held at once for cells with unequal weights (4 M doubles, 32 MB)."""


@dataclass(frozen=True)
class PermutationCounts:
    """How many replicates reached (≥) and stayed under (≤) each cell's observed lag."""

    at_least: np.ndarray
    at_most: np.ndarray
    permutations: int

    def directed_p(self) -> np.ndarray:
        """esda's ``p_sim``: ``(min(#≥, #<) + 1) / (permutations + 1)``, one-sided toward the nearer tail.

        With many ties (counts with many zeros) this is misleading: an observed lag equal to most
        replicates gets ``#< = 0`` and so the smallest p-value. :meth:`two_sided_p` counts ties on both
        sides; use it to decide significance.
        """
        p = self.permutations
        larger = self.at_least.astype(np.int64)
        folded = np.where(p - larger < larger, p - larger, larger)
        return (folded + 1) / (p + 1)

    def two_sided_p(self) -> np.ndarray:
        """``min(1, 2 × (min(#≥, #≤) + 1) / (permutations + 1))``: ties count toward both tails."""
        low = np.minimum(self.at_least, self.at_most)
        return np.minimum(1.0, 2.0 * (low + 1) / (self.permutations + 1))


def _distinct_rows(rng: np.random.Generator, n: int, m: int, rows: int) -> np.ndarray:
    """``rows`` independent ordered samples of ``m`` distinct indices out of ``n`` (uniform)."""
    if m > n:
        raise ValueError(f"cannot draw {m} distinct cells out of {n}")
    if m * (m - 1) <= n:  # collisions are rare: draw with replacement, redraw the rows that collide
        out = rng.integers(0, n, size=(rows, m))
        while True:
            ordered = np.sort(out, axis=1)
            bad = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
            if len(bad) == 0:
                return out
            out[bad] = rng.integers(0, n, size=(len(bad), m))
    out = np.empty((rows, m), dtype=np.int64)
    step = max(1, BLOCK // max(n, 1))
    for start in range(0, rows, step):  # random keys, the m smallest, in random order
        keys = rng.random((min(step, rows - start), n))
        chosen = np.argpartition(keys, m - 1, axis=1)[:, :m] if m < n else np.argsort(keys, axis=1)
        out[start:start + len(keys)] = rng.permuted(chosen, axis=1)
    return out


def _row_extremes(data: np.ndarray, indptr: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = np.zeros(len(k))
    hi = np.zeros(len(k))
    has = k > 0
    if has.any():
        starts = indptr[:-1][has]
        lo[has] = np.minimum.reduceat(data, starts)
        hi[has] = np.maximum.reduceat(data, starts)
    return lo, hi


def _equal_group(y, draws, k, sites, binary_lag, at_least, at_most, member) -> None:
    """Cells whose weights are all equal: one sorted null for the group, patched where a cell was drawn."""
    p = len(draws)
    values = y[draws]
    base = values[:, :k].sum(axis=1)
    spare = values[:, k]
    ordered = np.sort(base)
    observed = binary_lag[sites]
    at_least[sites] = p - np.searchsorted(ordered, observed, side="left")
    at_most[sites] = np.searchsorted(ordered, observed, side="right")
    member[sites] = True
    hit_rep, hit_pos = np.nonzero(member[draws[:, :k]])
    member[sites] = False
    if len(hit_rep) == 0:
        return
    site = draws[hit_rep, hit_pos]
    was = base[hit_rep]
    now = was - y[site] + spare[hit_rep]
    o = binary_lag[site]
    np.add.at(at_least, site, (now >= o).astype(np.int64) - (was >= o))
    np.add.at(at_most, site, (now <= o).astype(np.int64) - (was <= o))


def _general_group(y, draws, k, sites, csr, lag, at_least, at_most, position) -> None:
    """Cells with unequal weights: replicates as a matrix product per chunk of cells, then patched."""
    p = len(draws)
    values = y[draws[:, :k]]  # (p, k)
    spare = y[draws[:, k]]
    scale = float(np.abs(y).max()) if len(y) else 0.0
    chunk = max(1, BLOCK // max(p, 1))
    for start in range(0, len(sites), chunk):
        part = sites[start:start + chunk]
        weights = csr.data[csr.indptr[part][:, None] + np.arange(k)]  # (c, k), order irrelevant
        null = weights @ values.T  # (c, p)
        position[part] = np.arange(len(part))
        hit_rep, hit_pos = np.nonzero(position[draws[:, :k]] >= 0)
        if len(hit_rep):
            site = draws[hit_rep, hit_pos]
            local = position[site]
            np.add.at(null, (local, hit_rep), weights[local, hit_pos] * (spare[hit_rep] - y[site]))
        position[part] = -1
        observed = lag[part][:, None]
        tolerance = (1e-12 * scale * np.abs(weights).sum(axis=1))[:, None]
        at_least[part] = (null >= observed - tolerance).sum(axis=1)
        at_most[part] = (null <= observed + tolerance).sum(axis=1)


def conditional_counts(
    values: np.ndarray, neighbours: sparse.sparray, permutations: int = 999, seed: int | None = 0
) -> PermutationCounts:
    """Count, for every cell, the conditional-permutation replicates at or above / at or below its lag.

    Parameters
    ----------
    values : array (n,)
        The variable (report counts per cell).
    neighbours : sparse (n, n)
        Non-negative weights of the *other* cells (empty diagonal; the cell's own term is fixed under
        conditional randomisation, so it never enters the comparison).
    permutations : int
        Replicates per cell.
    seed : int or None
        Seed of the random generator: the same seed, input and weights give the same counts.

    Returns
    -------
    PermutationCounts
        A cell without neighbours gets every replicate equal to its (empty) lag.
    """
    y = np.asarray(values, dtype=np.float64)
    csr = sparse.csr_array(neighbours, dtype=np.float64)
    csr.sort_indices()
    n = len(y)
    if csr.shape != (n, n):
        raise ValueError(f"weights of shape {csr.shape} do not match {n} values")
    if permutations < 1:
        raise ValueError(f"need at least one permutation, got {permutations}")
    if (csr.diagonal() != 0).any():
        raise ValueError("the weights must not include a cell's own value (empty diagonal)")
    csr.eliminate_zeros()
    if len(csr.data) and csr.data.min() < 0:
        raise ValueError("negative weights are not supported")
    k = np.diff(csr.indptr)
    rng = np.random.default_rng(seed)
    at_least = np.full(n, permutations, dtype=np.int64)  # islands: every replicate ties
    at_most = np.full(n, permutations, dtype=np.int64)
    lo, hi = _row_extremes(csr.data, csr.indptr, k)
    equal = (k > 0) & (lo == hi)
    binary = sparse.csr_array((np.ones_like(csr.data), csr.indices, csr.indptr), shape=csr.shape)
    binary_lag = binary @ y
    lag = csr @ y
    member = np.zeros(n, dtype=bool)
    position = np.full(n, -1, dtype=np.int64)
    for size in np.unique(k[k > 0]):
        size = int(size)
        group = np.flatnonzero(k == size)
        draws = _distinct_rows(rng, n, size + 1, permutations)
        same = group[equal[group]]
        if len(same):
            _equal_group(y, draws, size, same, binary_lag, at_least, at_most, member)
        other = group[~equal[group]]
        if len(other):
            _general_group(y, draws, size, other, csr, lag, at_least, at_most, position)
    return PermutationCounts(at_least=at_least, at_most=at_most, permutations=int(permutations))
