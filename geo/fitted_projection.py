"""A polynomial stand-in for the district's Gauss–Krüger projection, exact to a measured tolerance.

pyproj projects a few million points a second; the jurisdiction index needs tens of millions. Over a
district-sized box the projection is smooth enough that a low-degree bivariate polynomial, fitted on
Chebyshev nodes, matches pyproj to a few micrometres. The fit measures its own error on a dense check
grid and refuses a box where it cannot reach the tolerance, so callers can keep an exact fallback for
points within that error of a decision boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import Transformer


@dataclass(frozen=True)
class FittedProjection:
    """A bivariate polynomial in (lon − lon0, lat − lat0) giving grid units (x / size − col0, y / size − row0).

    Valid inside ``box`` (lon/lat); ``max_error_m`` is the largest difference from pyproj measured on a
    201 × 201 grid over the box.
    """

    box: tuple[float, float, float, float]
    coefficients: tuple[tuple[tuple[float, ...], ...], tuple[tuple[float, ...], ...]]  # [x|y][i][j]: uⁱ vʲ
    degree: int
    max_error_m: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2.0, (self.box[1] + self.box[3]) / 2.0

    @classmethod
    def fit(cls, forward: Transformer, box: tuple[float, float, float, float], origin: tuple[float, float],
            size: float, tolerance_m: float) -> FittedProjection:
        """The lowest degree (3 to 6) whose measured error is within ``tolerance_m``."""
        west, south, east, north = box
        lon0, lat0 = (west + east) / 2.0, (south + north) / 2.0
        hu, hv = (east - west) / 2.0, (north - south) / 2.0
        nodes = np.cos(np.pi * (np.arange(48) + 0.5) / 48)  # Chebyshev nodes: no Runge wiggles at the edges
        fu, fv = (a.ravel() for a in np.meshgrid(nodes, nodes))
        check = np.linspace(-1.0, 1.0, 201)
        cu, cv = (a.ravel() for a in np.meshgrid(check, check))
        targets = [cls._grid_units(forward, lon0 + fu * hu, lat0 + fv * hv, origin, size),
                   cls._grid_units(forward, lon0 + cu * hu, lat0 + cv * hv, origin, size)]
        error = np.inf
        for degree in range(3, 7):
            powers = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
            design = np.stack([fu**i * fv**j for i, j in powers], axis=1)  # fitted on (-1, 1)², well conditioned
            fitted = np.linalg.lstsq(design, np.stack(targets[0], axis=1), rcond=None)[0]
            coefficients = tuple(
                tuple(tuple(float(fitted[powers.index((i, j)), axis] / (hu**i * hv**j))
                            for j in range(degree + 1 - i)) for i in range(degree + 1))
                for axis in (0, 1))
            candidate = cls(box, coefficients, degree, 0.0)  # type: ignore[arg-type]
            gx, gy = candidate.project(lon0 + cu * hu, lat0 + cv * hv)  # measured as locate evaluates it
            error = max(float(np.abs(gx - targets[1][0]).max()), float(np.abs(gy - targets[1][1]).max())) * size
            if error <= tolerance_m:
                return cls(box, coefficients, degree, error)  # type: ignore[arg-type]
        raise ValueError(
            f"the jurisdiction spans {east - west:.2f}° × {north - south:.2f}°: a degree-6 polynomial still misses "
            f"the projection by {error * 1000:.2f} mm (more than {tolerance_m * 1000:.2f} mm); the index needs a "
            "district-sized extent"
        )

    @staticmethod
    def _grid_units(forward: Transformer, lon, lat, origin, size) -> tuple[np.ndarray, np.ndarray]:
        x, y = forward.transform(lon, lat)
        return np.asarray(x) / size - origin[0], np.asarray(y) / size - origin[1]

    def evaluate(self, u: np.ndarray, v: np.ndarray, axis: int, out: np.ndarray, tmp: np.ndarray) -> None:
        """Horner's scheme in u over polynomials in v, into ``out``; u, v are lon − lon0, lat − lat0."""
        rows = self.coefficients[axis]
        np.multiply(u, rows[-1][0], out=out)
        for i in range(len(rows) - 2, -1, -1):
            column = rows[i]
            np.multiply(v, column[-1], out=tmp)
            for c in column[-2:0:-1]:
                np.add(tmp, c, out=tmp)
                np.multiply(tmp, v, out=tmp)
            np.add(tmp, column[0], out=tmp)
            np.add(out, tmp, out=out)
            if i:
                np.multiply(out, u, out=out)

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid units of points inside the box (a convenience for small arrays)."""
        lon0, lat0 = self.centre
        u, v = np.asarray(lon, float) - lon0, np.asarray(lat, float) - lat0
        gx, gy, tmp = np.empty_like(u), np.empty_like(u), np.empty_like(u)
        self.evaluate(u, v, 0, gx, tmp)
        self.evaluate(u, v, 1, gy, tmp)
        return gx, gy
