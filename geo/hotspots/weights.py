"""Spatial weights for hot spot statistics: who counts as a neighbour of whom, as a sparse matrix.

Every builder returns a ``scipy.sparse.csr_array`` of shape (n, n) with ones where cell *j* is a neighbour
of cell *i* and an empty diagonal: the cell itself is added by Gi* (the star), never stored here.

* :func:`queen_weights` — queen contiguity on the unit grid straight from the cells' ``(col, row)``
  indices, no geometry: two cells are neighbours when their squares touch at an edge or a corner (their
  columns and rows differ by at most one). A square cut by a community border is one cell per community;
  those cells share the square and are neighbours of each other. Sorting and ``searchsorted`` make it
  O(n log n) and vectorised: 100,000 cells take a fraction of a second.
* :func:`distance_band_weights` — every cell whose centre lies within a distance (a KD-tree query).
* :func:`grouped_weights` — neighbours between groups of cells (communities): two groups are neighbours
  when a cell of one is a neighbour of a cell of the other.
* :func:`space_time_weights` — the space-time neighbourhood of ArcGIS Pro's Emerging Hot Spot Analysis:
  the spatial neighbours and the cell itself in the previous ``lags`` time steps.

Notes
-----
A cell merged with a sliver of the next square keeps the ``(col, row)`` of its main square, so its
adjacency through the sliver is not seen: a deliberate trade of a few edges for speed and for needing no
geometry (esda's own lattice weights do the same).

>>> import numpy as np
>>> w = queen_weights(np.array([0, 1, 2, 0]), np.array([0, 0, 0, 1]))
>>> w.toarray().astype(int)
array([[0, 1, 0, 1],
       [1, 0, 1, 1],
       [0, 1, 0, 0],
       [1, 1, 0, 0]])
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree


def _binary(rows: np.ndarray, cols: np.ndarray, n: int) -> sparse.csr_array:
    """A binary n×n matrix with ones at (rows, cols), duplicates merged, diagonal dropped."""
    off = rows != cols
    data = np.ones(int(off.sum()), dtype=np.float64)
    matrix = sparse.csr_array((data, (rows[off], cols[off])), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix


def queen_weights(cols: np.ndarray, rows: np.ndarray) -> sparse.csr_array:
    """Queen contiguity of grid cells from their square indices (cells may share a square).

    Parameters
    ----------
    cols, rows : array of int
        The grid square of every cell (``col = floor(x / size)``, ``row = floor(y / size)``).

    Returns
    -------
    scipy.sparse.csr_array
        Binary, symmetric, empty diagonal.
    """
    cols = np.asarray(cols, dtype=np.int64)
    rows = np.asarray(rows, dtype=np.int64)
    if cols.shape != rows.shape or cols.ndim != 1:
        raise ValueError(f"cols and rows must be 1-d arrays of one length, got {cols.shape} and {rows.shape}")
    n = len(cols)
    if n == 0:
        return sparse.csr_array((0, 0))
    # square key: shift to non-negative, then row-major in a box one wider than the extent on each side
    c0, r0 = cols.min() - 1, rows.min() - 1
    width = int(cols.max() - c0 + 2)
    key = (rows - r0) * width + (cols - c0)
    squares, square_of = np.unique(key, return_inverse=True)  # squares sorted by key
    # cells of each square, as a CSR-like list: order cells by square
    by_square = np.argsort(square_of, kind="stable")
    starts = np.searchsorted(square_of[by_square], np.arange(len(squares) + 1))
    pair_i, pair_j = [], []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            target = squares + dr * width + dc
            pos = np.searchsorted(squares, target)
            pos = np.minimum(pos, len(squares) - 1)
            found = squares[pos] == target
            pair_i.append(np.flatnonzero(found))
            pair_j.append(pos[found])
    sq_i, sq_j = np.concatenate(pair_i), np.concatenate(pair_j)
    # expand square pairs into cell pairs: every cell of square a with every cell of square b
    size = starts[1:] - starts[:-1]
    count = size[sq_i] * size[sq_j]
    a = np.repeat(sq_i, count)
    b = np.repeat(sq_j, count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    nb = size[b]
    cell_i = by_square[starts[a] + offset // nb]
    cell_j = by_square[starts[b] + offset % nb]
    return _binary(cell_i, cell_j, n)


def distance_band_weights(x: np.ndarray, y: np.ndarray, threshold: float) -> sparse.csr_array:
    """Cells whose centres lie within ``threshold`` (same units as x, y: metres in the metric CRS).

    >>> distance_band_weights(np.array([0.0, 100, 250]), np.zeros(3), 150).toarray().astype(int)
    array([[0, 1, 0],
           [1, 0, 1],
           [0, 1, 0]])
    """
    if not threshold > 0:
        raise ValueError(f"the distance band must be positive, got {threshold!r}")
    points = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    pairs = cKDTree(points).query_pairs(float(threshold), output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]]) if len(pairs) else np.empty(0, dtype=np.int64)
    j = np.concatenate([pairs[:, 1], pairs[:, 0]]) if len(pairs) else np.empty(0, dtype=np.int64)
    return _binary(i, j, len(points))


def grouped_weights(neighbours: sparse.sparray, group: np.ndarray, n_groups: int) -> sparse.csr_array:
    """Neighbours between groups (e.g. communities) of cells: groups touch when any of their cells do.

    >>> w = queen_weights(np.arange(4), np.zeros(4, dtype=int))   # four squares in a row
    >>> grouped_weights(w, np.array([0, 0, 1, 2]), 3).toarray().astype(int)
    array([[0, 1, 0],
           [1, 0, 1],
           [0, 1, 0]])
    """
    group = np.asarray(group, dtype=np.int64)
    n = neighbours.shape[0]
    if group.shape != (n,):
        raise ValueError(f"group must give one group per cell ({n}), got shape {group.shape}")
    coo = sparse.coo_array(neighbours)
    return _binary(group[coo.row], group[coo.col], int(n_groups))


def space_time_weights(spatial: sparse.sparray, steps: int, lags: int = 1) -> sparse.csr_array:
    """The space-time neighbours of every bin of a cube ordered step by step (bin = step × n + cell).

    A bin's neighbours are its spatial neighbours in the same step, and the cell itself and its spatial
    neighbours in each of the ``lags`` previous steps (ArcGIS Pro's *Neighborhood Time Step*). The matrix
    is not symmetric: a step looks back, never ahead. Built straight into CSR (rows in order, columns
    sorted), one template per number of available lags: 10,000 cells × 52 steps in a fraction of a second.

    >>> line = queen_weights(np.arange(2), np.zeros(2, dtype=int))
    >>> space_time_weights(line, steps=2).toarray().astype(int)
    array([[0, 1, 0, 0],
           [1, 0, 0, 0],
           [1, 1, 0, 1],
           [1, 1, 1, 0]])
    """
    if steps < 1 or lags < 0:
        raise ValueError(f"need at least one step and no negative lag, got steps={steps}, lags={lags}")
    n = spatial.shape[0]
    same = _binary(*_coo(spatial), n)
    with_self = sparse.csr_array((np.ones(same.nnz + n), *_with_diagonal(same)), shape=(n, n))
    k_same, k_self = np.diff(same.indptr), np.diff(with_self.indptr)
    rows_same = np.repeat(np.arange(n), k_same)
    rows_self = np.repeat(np.arange(n), k_self)
    q_same = np.arange(same.nnz) - same.indptr[rows_same]
    q_self = np.arange(with_self.nnz) - with_self.indptr[rows_self]
    templates = {}
    for back in range(min(lags, steps - 1) + 1):  # a row: `back` copies of (self + neighbours), then neighbours
        length = back * k_self + k_same
        start = np.concatenate([[0], np.cumsum(length)])
        out = np.empty(int(start[-1]), dtype=np.int64)
        for copy in range(back):
            out[start[rows_self] + copy * k_self[rows_self] + q_self] = with_self.indices + copy * n
        out[start[rows_same] + back * k_self[rows_same] + q_same] = same.indices + back * n
        templates[back] = (out, start)
    indices, indptr, offset = [], [np.zeros(1, dtype=np.int64)], 0
    for step in range(steps):
        back = min(lags, step)
        out, start = templates[back]
        indices.append(out + (step - back) * n)
        indptr.append(start[1:] + offset)
        offset += len(out)
    indices_all = np.concatenate(indices) if indices else np.empty(0, dtype=np.int64)
    return sparse.csr_array((np.ones(len(indices_all)), indices_all, np.concatenate(indptr)),
                            shape=(n * steps, n * steps))


def _coo(matrix: sparse.sparray) -> tuple[np.ndarray, np.ndarray]:
    coo = sparse.coo_array(matrix)
    return coo.row, coo.col


def _with_diagonal(binary: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """(indices, indptr) of ``binary`` plus its diagonal, columns still sorted."""
    n = binary.shape[0]
    k = np.diff(binary.indptr)
    rows = np.repeat(np.arange(n), k)
    # each row's diagonal goes after the neighbours left of it
    before = np.concatenate([[0], np.cumsum(binary.indices < rows)])
    left = before[binary.indptr[1:]] - before[binary.indptr[:-1]]
    indptr = binary.indptr + np.arange(n + 1)
    indices = np.empty(binary.nnz + n, dtype=np.int64)
    shift = np.arange(binary.nnz) - binary.indptr[rows]  # position within the row
    after = shift >= left[rows]
    indices[binary.indptr[rows] + rows + shift + after] = binary.indices
    indices[indptr[:-1] + left] = np.arange(n)
    return indices, indptr


def cardinalities(neighbours: sparse.sparray) -> np.ndarray:
    """Number of neighbours of every row (the cell itself not counted)."""
    csr = sparse.csr_array(neighbours)
    return np.diff(csr.indptr)
