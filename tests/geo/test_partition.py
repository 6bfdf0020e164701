"""Splitting a region into pieces with bent borders that still tile it exactly."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.partition import displace_line, noisy_coverage, power_partition, sample_points, split_region

L_SHAPE = shapely.Polygon([(0, 0), (6000, 0), (6000, 2500), (2500, 2500), (2500, 5000), (0, 5000)])


def test_sample_points_lie_inside_and_spread_out() -> None:
    points = sample_points(L_SHAPE, 30, np.random.default_rng(1))
    assert points.shape == (30, 2)
    assert shapely.contains_xy(L_SHAPE, points[:, 0], points[:, 1]).all()
    gaps = np.hypot(points[:, None, 0] - points[None, :, 0], points[:, None, 1] - points[None, :, 1])
    assert np.min(gaps + np.eye(30) * 1e9) > 200  # no clumps


def test_power_partition_hits_the_target_areas() -> None:
    rng = np.random.default_rng(2)
    weights = [1, 1, 2, 3, 1, 2, 1, 1]
    pieces, _ = power_partition(L_SHAPE, sample_points(L_SHAPE, len(weights), rng), weights)
    area = shapely.area(np.array(pieces, dtype=object))
    target = np.array(weights) / sum(weights) * L_SHAPE.area
    assert np.abs(area / target - 1).max() < 0.05
    assert abs(area.sum() - L_SHAPE.area) < 1e-3


def test_displaced_line_keeps_its_ends_and_gets_rough() -> None:
    line = displace_line(np.array([[0.0, 0.0], [1000.0, 0.0]]), np.random.default_rng(3), 0.2, 20.0)
    assert np.array_equal(line[0], [0, 0]) and np.array_equal(line[-1], [1000, 0])
    assert len(line) > 40 and np.abs(line[:, 1]).max() > 10
    assert np.hypot(*np.diff(line, axis=0).T).max() <= 20.0


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_split_region_tiles_the_region_exactly(seed: int) -> None:
    weights = [1, 1, 1, 2, 2, 3, 1, 1, 2, 1]
    pieces = np.array(split_region(L_SHAPE, weights, np.random.default_rng(seed)), dtype=object)
    assert len(pieces) == len(weights)
    assert shapely.is_valid(pieces).all()
    assert shapely.coverage_is_valid(pieces)
    union = shapely.union_all(pieces)
    assert shapely.symmetric_difference(union, L_SHAPE).area < 1e-6 * L_SHAPE.area
    # borders are bent: far more vertices than the straight power diagram has
    assert sum(len(shapely.get_coordinates(p)) for p in pieces) > 20 * len(pieces)
    share = shapely.area(pieces) / L_SHAPE.area * sum(weights) / np.array(weights)
    assert share.min() > 0.6 and share.max() < 1.4


def test_split_region_is_deterministic() -> None:
    a = split_region(L_SHAPE, [1, 2, 3], np.random.default_rng(7))
    b = split_region(L_SHAPE, [1, 2, 3], np.random.default_rng(7))
    assert all(x.equals_exact(y, 0) for x, y in zip(a, b, strict=True))


def test_fixed_borders_do_not_move() -> None:
    left, right = shapely.box(0, 0, 3000, 3000), shapely.box(3000, 0, 6000, 3000)
    halves = [left, right]
    quarters = [shapely.box(0, 0, 3000, 1500), shapely.box(0, 1500, 3000, 3000),
                shapely.box(3000, 0, 6000, 1500), shapely.box(3000, 1500, 6000, 3000)]
    fixed = shapely.union_all([h.boundary for h in halves])
    bent = noisy_coverage(quarters, np.random.default_rng(8), fixed=fixed)
    west = shapely.union_all(bent[:2])
    assert shapely.symmetric_difference(west, left).area < 1e-6
    assert len(shapely.get_coordinates(bent[0])) > 10
