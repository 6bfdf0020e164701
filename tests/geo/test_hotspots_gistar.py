"""Gi* hot spots: weights as libpysal builds them, z-scores equal to esda's, pseudo p-values that are right.

esda is the peer: the same input and weights must give the same z-scores (max abs difference ≤ 1e-9) and
pseudo p-values within sampling error. For counts the permutation p-values are checked against the exact
null distribution instead (computed here by enumeration), because esda decides ties between a replicate
and the observation by floating-point rounding.
"""

from __future__ import annotations

import warnings
from math import comb

import numpy as np
import pytest
from scipy import sparse

from geo.hotspots import gi_star, grouped_weights, queen_weights
from geo.hotspots.bins import hotspot_bins
from geo.hotspots.fdr import adjusted, significant
from geo.hotspots.permutation import conditional_counts
from geo.hotspots.weights import distance_band_weights

libpysal_weights = pytest.importorskip("libpysal.weights")
esda = pytest.importorskip("esda")


def lattice(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Square indices in libpysal's lat2W order (row-major)."""
    return np.tile(np.arange(cols), rows), np.repeat(np.arange(rows), cols)


def esda_g(y: np.ndarray, w, transform: str, permutations: int, seed: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda's deprecation notes about its p-value alternative
        return esda.G_Local(y, w, transform=transform, star=True, permutations=permutations, seed=seed,
                            n_jobs=1)


def test_queen_weights_equal_libpysal_lattice() -> None:
    cols, rows = lattice(13, 17)
    mine = queen_weights(cols, rows)
    theirs = libpysal_weights.lat2W(13, 17, rook=False).sparse
    assert mine.shape == theirs.shape and abs(mine - theirs).sum() == 0


def test_cells_of_one_square_are_neighbours_and_share_its_neighbours() -> None:
    # square (1, 0) is cut by a border into two cells (positions 1 and 2)
    cols, rows = np.array([0, 1, 1, 2, 5]), np.array([0, 0, 0, 0, 5])
    w = queen_weights(cols, rows).toarray().astype(int)
    assert w.tolist() == [[0, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 1, 0, 1, 0], [0, 1, 1, 0, 0], [0, 0, 0, 0, 0]]


def test_distance_band_equals_libpysal() -> None:
    rng = np.random.default_rng(4)
    points = rng.uniform(0, 1000, (300, 2))
    mine = distance_band_weights(points[:, 0], points[:, 1], 120.0)
    theirs = libpysal_weights.DistanceBand(points, threshold=120.0, binary=True, silence_warnings=True).sparse
    assert abs(mine - theirs).sum() == 0


def test_grouped_weights_join_groups_that_touch() -> None:
    cols, rows = lattice(4, 6)
    group = (cols // 2) + 3 * (rows // 2)  # six 2×2 blocks
    w = grouped_weights(queen_weights(cols, rows), group, 6).toarray().astype(int)
    # block 0 (top-left) touches 1 (right), 3 (below) and 4 (diagonal), not 2 or 5
    assert w[0].tolist() == [0, 1, 0, 1, 1, 0]
    assert (w == w.T).all() and (np.diag(w) == 0).all()


@pytest.mark.parametrize("transform", ["B", "R"])
@pytest.mark.parametrize("kind", ["counts", "continuous"])
def test_z_scores_equal_esda(transform: str, kind: str) -> None:
    rng = np.random.default_rng(11)
    cols, rows = lattice(25, 32)
    y = rng.poisson(1.2, len(cols)).astype(float) if kind == "counts" else rng.lognormal(size=len(cols))
    y[(cols < 6) & (rows < 5)] += 6  # a hot corner
    theirs = esda_g(y, libpysal_weights.lat2W(25, 32, rook=False), transform, permutations=0, seed=1)
    mine = gi_star(y, queen_weights(cols, rows), transform=transform, permutations=0)
    assert np.abs(mine.z - theirs.Zs).max() <= 1e-9
    assert np.abs(mine.g - theirs.Gs).max() <= 1e-12
    assert np.abs(mine.p_norm - 2 * theirs.p_norm).max() <= 1e-9
    assert mine.p_sim is None and np.array_equal(mine.p_value, mine.p_norm)


def test_z_scores_equal_esda_on_a_distance_band() -> None:
    rng = np.random.default_rng(5)
    points = rng.uniform(0, 2000, (600, 2))
    y = rng.poisson(np.where(points[:, 0] < 400, 4.0, 1.0)).astype(float)
    w = libpysal_weights.DistanceBand(points, threshold=150.0, binary=True, silence_warnings=True)
    theirs = esda_g(y, w, "B", permutations=0, seed=1)
    mine = gi_star(y, distance_band_weights(points[:, 0], points[:, 1], 150.0), permutations=0)
    assert np.abs(mine.z - theirs.Zs).max() <= 1e-9


def test_pseudo_p_values_agree_with_esda_within_sampling_error() -> None:
    rng = np.random.default_rng(2)
    cols, rows = lattice(20, 25)
    y = rng.lognormal(size=len(cols))
    y[(cols > 18) & (rows > 14)] += 3
    permutations = 9999
    theirs = esda_g(y, libpysal_weights.lat2W(20, 25, rook=False), "B", permutations, seed=3)
    mine = gi_star(y, queen_weights(cols, rows), permutations=permutations, seed=3)
    p = (mine.p_sim + theirs.p_sim) / 2
    error = np.sqrt(2 * p * (1 - p) / permutations) + 2 / (permutations + 1)
    assert (np.abs(mine.p_sim - theirs.p_sim) <= 5 * error).all()
    assert np.abs(mine.p_sim - theirs.p_sim).mean() < 0.006


def exact_tail(others: np.ndarray, k: int, observed: float) -> tuple[float, float]:
    """P(sum of k of ``others`` drawn without replacement ≥ / ≤ observed), by enumeration over values."""
    values, counts = np.unique(others.astype(int), return_counts=True)
    top = int(values.max()) * k
    ways = np.zeros((k + 1, top + 1))
    ways[0, 0] = 1.0
    for value, count in zip(values, counts, strict=True):
        new = np.zeros_like(ways)
        for j in range(0, min(count, k) + 1):
            shifted = np.zeros_like(ways)
            shifted[j:, value * j:] = ways[: k + 1 - j, : top + 1 - value * j] if value * j <= top else 0
            new += comb(int(count), j) * shifted
        ways = new
    total = comb(len(others), k)
    sums = np.arange(top + 1)
    return ways[k][sums >= observed].sum() / total, ways[k][sums <= observed].sum() / total


def test_permutation_counts_match_the_exact_null_for_counts_with_ties() -> None:
    rng = np.random.default_rng(8)
    cols, rows = lattice(9, 12)
    y = rng.poisson(1.0, len(cols)).astype(float)
    y[:4] += 5
    w = queen_weights(cols, rows)
    permutations = 20000
    counts = conditional_counts(y, w, permutations=permutations, seed=9)
    for i in range(len(y)):
        neighbours = w.indices[w.indptr[i]:w.indptr[i + 1]]
        at_least, at_most = exact_tail(np.delete(y, i), len(neighbours), y[neighbours].sum())
        for estimate, exact in ((counts.at_least[i] / permutations, at_least),
                                (counts.at_most[i] / permutations, at_most)):
            assert abs(estimate - exact) <= 4.5 * np.sqrt(exact * (1 - exact) / permutations) + 1e-4, i


def test_unequal_weights_use_the_general_path_and_match_brute_force() -> None:
    rng = np.random.default_rng(3)
    n = 40
    dense = (rng.random((n, n)) < 0.12) * rng.uniform(0.5, 2.0, (n, n))
    np.fill_diagonal(dense, 0)
    weights = sparse.csr_array(dense)
    y = rng.lognormal(size=n)
    permutations = 20000
    counts = conditional_counts(y, weights, permutations=permutations, seed=4)
    brute = np.random.default_rng(99)
    for i in range(n):
        cols = weights.indices[weights.indptr[i]:weights.indptr[i + 1]]
        w = weights.data[weights.indptr[i]:weights.indptr[i + 1]]
        if len(cols) == 0:
            assert counts.at_least[i] == counts.at_most[i] == permutations
            continue
        others = np.delete(y, i)
        draws = np.array([others[brute.choice(n - 1, len(cols), replace=False)] @ w for _ in range(4000)])
        expected = (draws >= y[cols] @ w).mean()
        assert abs(counts.at_least[i] / permutations - expected) <= 4.5 * np.sqrt(
            expected * (1 - expected) * (1 / 4000 + 1 / permutations)) + 1e-3, i


def test_the_seed_makes_p_values_reproducible() -> None:
    cols, rows = lattice(15, 15)
    y = np.random.default_rng(1).poisson(2.0, 225).astype(float)
    w = queen_weights(cols, rows)
    first, again = gi_star(y, w, permutations=499, seed=42), gi_star(y, w, permutations=499, seed=42)
    other = gi_star(y, w, permutations=499, seed=43)
    assert np.array_equal(first.p_value, again.p_value) and np.array_equal(first.p_sim, again.p_sim)
    assert not np.array_equal(first.p_sim, other.p_sim)


def test_a_planted_cluster_is_a_99_percent_hot_spot_and_noise_is_not() -> None:
    cols, rows = lattice(30, 30)
    rng = np.random.default_rng(6)
    y = rng.poisson(1.0, 900).astype(float)
    cluster = (np.abs(cols - 10) <= 1) & (np.abs(rows - 20) <= 1)
    y[cluster] = 12
    result = gi_star(y, queen_weights(cols, rows), permutations=999, seed=0)
    bins = result.bins()
    assert (bins[cluster] == 3).all()
    far = (np.abs(cols - 10) > 3) | (np.abs(rows - 20) > 3)
    assert (bins[far] > 0).sum() <= 0.02 * far.sum()
    # under FDR the cluster stays hot (its p-values are the smallest 999 permutations give) and noise goes
    controlled = result.bins(fdr=True)
    assert (controlled[cluster] >= 1).all() and (controlled[far] != 0).sum() == 0


def test_no_reports_means_no_hot_spots() -> None:
    cols, rows = lattice(5, 5)
    for y in (np.zeros(25), np.full(25, 3.0)):
        result = gi_star(y, queen_weights(cols, rows), permutations=99)
        assert (result.z == 0).all() and (result.p_value == 1).all() and (result.bins() == 0).all()


def test_bad_input_is_named() -> None:
    w = queen_weights(*lattice(2, 2))
    with pytest.raises(ValueError, match="non-negative"):
        gi_star(np.array([1.0, -1, 0, 0]), w)
    with pytest.raises(ValueError, match="do not match"):
        gi_star(np.ones(3), w)
    with pytest.raises(ValueError, match="itself"):
        gi_star(np.ones(4), sparse.eye_array(4, format="csr"))
    with pytest.raises(ValueError, match="transform"):
        gi_star(np.ones(4), w, transform="X")


def test_benjamini_hochberg_matches_the_textbook_step_up() -> None:
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(0, 0.002, 30), rng.uniform(0, 1, 970)])
    for alpha in (0.01, 0.05, 0.10):
        ordered = np.sort(p)
        passing = np.flatnonzero(ordered <= alpha * np.arange(1, 1001) / 1000)
        cutoff = ordered[passing[-1]] if len(passing) else -1.0
        assert np.array_equal(significant(p, alpha), p <= cutoff)
        assert np.array_equal(adjusted(p) <= alpha, significant(p, alpha))


def test_bins_follow_z_sign_and_confidence_and_fdr_is_stricter() -> None:
    z = np.array([4.0, 2.2, 1.7, 0.3, -1.8, -2.1, -3.0])
    p = np.array([0.004, 0.03, 0.08, 0.7, 0.07, 0.04, 0.008])
    assert hotspot_bins(z, p).tolist() == [3, 2, 1, 0, -1, -2, -3]
    strict = hotspot_bins(z, p, fdr=True)
    assert strict.tolist() == [2, 1, 1, 0, -1, -1, -2]  # BH: 2 of 7 pass at 95 %, none at 99 %
