"""Chinese coordinate systems: WGS-84, GCJ-02, BD-09 and CGCS2000 (geographic and Gauss–Krüger).

The same place reaches the command center in four coordinate systems:

========================  =====================================  ===========================================
name                      who sends it                           what it is
========================  =====================================  ===========================================
``"wgs84"``               GPS receivers, officer phones          longitude/latitude, EPSG:4326 (what we store)
``"gcj02"``               most phone map SDKs (Amap, Tencent)    WGS-84 plus a published, deliberate offset
``"bd09"``                Baidu SDK, 110 transfers               GCJ-02 plus a second, Baidu offset
``"cgcs2000"``            surveying, government GIS              longitude/latitude, EPSG:4490 (see Notes)
``"cgcs2000-gk"``         12319 digital city management          Gauss–Krüger metres, EPSG:4548 by default;
                                                                 ``"EPSG:NNNN"`` names any other projection
========================  =====================================  ===========================================

pyproj knows CGCS2000 but not GCJ-02 nor BD-09, so those two are computed here from their published
formulas, vectorised over NumPy arrays: ``convert`` turns a million points per call at millions of points a
second (``python bench/geo_coords.py`` prints the figures), and inverts the offsets to well under a
millimetre instead of the metres of the usual one-step inverse.

>>> lon, lat = convert(116.404, 39.915, "wgs84", "gcj02")      # Tiananmen, the reference point
>>> round(float(lon), 9), round(float(lat), 9)
(116.410244499, 39.916404282)
>>> back = convert(lon, lat, "gcj02", "wgs84")
>>> round(float(back[0]), 9), round(float(back[1]), 9)
(116.404, 39.915)

Notes
-----
*GCJ-02* (国测局坐标, "Mars coordinates") adds to a WGS-84 point an offset of a few hundred metres given by
two trigonometric series on the Krasovsky ellipsoid (a = 6 378 245 m, e² = 0.00669342162296594323); the
series below are the ones every reference implementation (eviltransform, coordtransform) publishes.

*Out of China.* The published rule leaves a point untouched when it lies outside the rectangle
lon 72.004–137.8347 °E, lat 0.8293–55.8271 °N, and so does this module, exactly. The rectangle is not
China's border: it also covers most of India, Nepal, Bangladesh, South-East Asia, the Philippines, Mongolia,
the Korean peninsula, western Japan and parts of Russia and Central Asia, where the offset is applied
although no Chinese map is involved. Its edges lie at sea or abroad, where the offset stops abruptly (a jump
of up to ~0.7 km); the inverse decides by the rectangle test on the GCJ-02 point it is given, so a point
within ~0.01° of an edge may not round-trip.

*BD-09* (百度坐标) is GCJ-02 turned by 3·10⁻⁶ cos(lon·3000π/180) radians about (0, 0), stretched by
2·10⁻⁵ sin(lat·3000π/180) degrees of radius and moved by (+0.0065°, +0.006°). It is applied everywhere, as in
coordtransform and coord-convert (eviltransform skips it outside the rectangle too).

*Inverses* (GCJ-02 → WGS-84, BD-09 → GCJ-02) have no closed form: the point p we look for solves
p + offset(p) = q. Both offsets' Jacobians come cheaply with the sines already computed, so the inverses take
Newton steps from p = q (less the fixed BD-09 shift), a chunk of points at a time, and stop when a bound on
the remaining error, ½·max|offset''|·step² + (Jacobian error)·step, is below ``tol`` (10⁻¹⁰° ≈ 0.01 mm):
two steps. The published one-step inverse, p = q − offset(q), is the first step of a plain fixed-point
iteration and is metres off. One exception: the GCJ-02 series contains √|lon − 105|, whose slope is unbounded
on the 105 °E meridian, so no curvature bound holds there; a chunk with a point within 2·10⁻⁴° (~20 m) of it
uses the plain fixed-point bound step·L/(1 − L) (L ≤ 0.0073, the offset's Lipschitz constant elsewhere)
and takes a third step. The tests check every constant of these bounds on a grid.

*CGCS2000* (China Geodetic Coordinate System 2000, EPSG:4490) and WGS-84 agree to a few centimetres as
frames (their ellipsoids differ by 0.1 mm in the semi-minor axis); pyproj's EPSG:4490 ↔ EPSG:4326 is a null
transformation, and "cgcs2000" is treated here as the same numbers as "wgs84". Strictly, CGCS2000 is fixed
to epoch 2000.0 while a GPS fix today is at today's epoch, and the ground in Fujian has moved about 3 cm a
year since: a present-day WGS-84 fix of a surveyed point differs from its CGCS2000 coordinates by well under
a metre — far below phone GPS noise and the 100 m grid cell, but not "the same" for a surveyor.

*Gauss–Krüger axes.* ``"cgcs2000-gk"`` takes and returns (x = easting, y = northing), GIS order. Chinese
surveying writes X for the *northing* and Y for the easting; data copied from such a table must be swapped
(for Tong'an, easting ≈ 616 000 m and northing ≈ 2 736 000 m in EPSG:4548). A point that lands far outside
the projection's area of use is refused with a message saying so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Final, NamedTuple

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.crs import DISTRICT_METRIC_CRS, WGS84, transformer

FloatArray = NDArray[np.float64]

SYSTEMS: Final = ("wgs84", "gcj02", "bd09", "cgcs2000", "cgcs2000-gk")
"""The coordinate system names ``convert`` accepts; ``"EPSG:NNNN"`` is accepted too (a projected CRS)."""

CHINA_RECTANGLE: Final = (72.004, 0.8293, 137.8347, 55.8271)
"""(min lon, min lat, max lon, max lat) of the published out-of-China test, in degrees."""

KRASOVSKY_A: Final = 6378245.0
KRASOVSKY_EE: Final = 0.00669342162296594323
BD09_X_PI: Final = math.pi * 3000.0 / 180.0
BD09_SHIFT: Final = (0.0065, 0.006)

INVERSE_TOL_DEG: Final = 1e-10
"""The error an inverse may leave, in degrees (≈ 0.01 mm); see Notes for how it is bounded."""
INVERSE_MAX_ITER: Final = 12

_CHUNK = 16384  # points per pass, fastest here: smaller pays numpy's per-call cost, larger leaves the cache
_ALIASES = {"wgs-84": "wgs84", "gcj-02": "gcj02", "bd-09": "bd09", "epsg:4326": "wgs84", "epsg:4490": "cgcs2000"}
_EPSG = re.compile(r"^epsg:\d{4,6}$")
_AREA_MARGIN_DEG = 1.5  # how far outside a projection's area of use a Gauss–Krüger point may fall


# --------------------------------------------------------------------------------------------------------
# Sine and cosine without np.sin
# --------------------------------------------------------------------------------------------------------
# np.sin on float64 costs ~10 ns a value here (scalar libm, no SIMD) and the GCJ-02 series needs a dozen
# sines per point. They are all integer multiples of two base angles, so we compute sin/cos of the bases by a
# Taylor polynomial (a few cheap array passes) and build the multiples by the double-, triple- and
# sum-of-angles identities. The tests hold the results to np.sin within ~1e-15.

_SIN_TAYLOR = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(1, 9))  # a³ … a¹⁷


def _sincos_small(a: FloatArray, s: FloatArray, c: FloatArray, tmp: FloatArray) -> None:
    """sin a → ``s`` and cos a → ``c`` for |a| ≤ 0.9; ``a`` may be ``c``, ``tmp`` is scratch.

    Taylor to a¹⁷ truncates below 1e-18 there; cos a ≥ 0.6, so √(1 − sin² a) is exact to rounding.
    """
    np.multiply(a, a, out=tmp)
    np.multiply(tmp, _SIN_TAYLOR[-1], out=s)
    for coefficient in reversed(_SIN_TAYLOR[:-1]):
        np.add(s, coefficient, out=s)
        np.multiply(s, tmp, out=s)
    np.multiply(s, a, out=s)
    np.add(s, a, out=s)
    np.multiply(s, s, out=c)
    np.subtract(1.0, c, out=c)
    np.sqrt(c, out=c)


def _sincos_turns(turns: FloatArray, s: FloatArray, c: FloatArray, tmp: FloatArray) -> None:
    """sin(2π·turns) → ``s`` and cos(2π·turns) → ``c`` for any real ``turns``; ``tmp`` is scratch."""
    np.rint(turns, out=tmp)
    np.subtract(turns, tmp, out=c)  # the fraction of a turn, in [-0.5, 0.5]: exact
    np.multiply(c, math.pi / 2.0, out=c)  # a quarter of the angle, |a| ≤ π/4
    _sincos_small(c, s, c, tmp)
    _double(s, c, tmp)
    _double(s, c, tmp)


def _double(s: FloatArray, c: FloatArray, tmp: FloatArray) -> None:
    """(sin a, cos a) → (sin 2a, cos 2a) in place."""
    np.multiply(s, c, out=tmp)
    np.multiply(s, s, out=c)
    np.multiply(c, -2.0, out=c)
    np.add(c, 1.0, out=c)
    np.multiply(tmp, 2.0, out=s)


def _double_into(s: FloatArray, c: FloatArray, s2: FloatArray, c2: FloatArray) -> None:
    """(sin a, cos a) → (sin 2a, cos 2a) into ``s2``, ``c2`` (which must not be the inputs)."""
    np.multiply(s, c, out=s2)
    np.multiply(s2, 2.0, out=s2)
    np.multiply(s, s, out=c2)
    np.multiply(c2, -2.0, out=c2)
    np.add(c2, 1.0, out=c2)


def _triple(s: FloatArray, c: FloatArray | None, s3: FloatArray, c3: FloatArray | None) -> None:
    """sin 3a = sin a (3 − 4 sin² a) → ``s3``; cos 3a = cos a (4 cos² a − 3) → ``c3`` (if given)."""
    np.multiply(s, s, out=s3)
    np.multiply(s3, -4.0, out=s3)
    np.add(s3, 3.0, out=s3)
    np.multiply(s3, s, out=s3)
    if c is not None and c3 is not None:
        np.multiply(c, c, out=c3)
        np.multiply(c3, 4.0, out=c3)
        np.add(c3, -3.0, out=c3)
        np.multiply(c3, c, out=c3)


def _add_angles(s1: FloatArray, c1: FloatArray, s2: FloatArray, c2: FloatArray,
                s: FloatArray, c: FloatArray, tmp: FloatArray) -> None:
    """(sin, cos) of a1 + a2 → ``s``, ``c`` (which must not be any of the inputs)."""
    np.multiply(s1, c2, out=s)
    np.multiply(c1, s2, out=tmp)
    np.add(s, tmp, out=s)
    np.multiply(c1, c2, out=c)
    np.multiply(s1, s2, out=tmp)
    np.subtract(c, tmp, out=c)


# --------------------------------------------------------------------------------------------------------
# GCJ-02: the published offset series
# --------------------------------------------------------------------------------------------------------
# With x = lon − 105 and y = lat − 35, the published transformLon/transformLat are linear combinations of
# the 16 terms below; the table holds their coefficients (each "(20 sin A + 40 sin B)·2/3" of the reference
# code is folded into 40/3 and 80/3). The second table holds the same series' derivatives, for the
# inverse's Newton steps, as combinations of the 13 derivative terms. (Matrix products would be neater, but
# OpenBLAS may spread them over threads, which on a busy two-core machine made them slower half the time.)
_TERMS = ("1", "x", "y", "x²", "y²", "xy", "√|x|", "sin 2πx + sin 6πx", "sin πx", "sin πx/3", "sin πx/12",
          "sin πx/30", "sin πy", "sin πy/3", "sin πy/12", "sin πy/30")
_SERIES = np.array([
    # 1      x    y    x²   y²   xy   √|x|  2πx+6πx  πx     πx/3    πx/12  πx/30  πy     πy/3    πy/12    πy/30
    [300.0, 1.0, 2.0, 0.1, 0.0, 0.1, 0.1, 40 / 3, 40 / 3, 80 / 3, 100.0, 200.0, 0.0, 0.0, 0.0, 0.0],  # lon
    [-100.0, 2.0, 3.0, 0.0, 0.2, 0.1, 0.2, 40 / 3, 0.0, 0.0, 0.0, 0.0, 40 / 3, 80 / 3, 320 / 3, 640 / 3],  # lat
])
_DERIVATIVE_TERMS = ("1", "x", "y", "d√|x|/dx", "2π cos 2πx + 6π cos 6πx", "cos πx", "cos πx/3", "cos πx/12",
                     "cos πx/30", "cos πy", "cos πy/3", "cos πy/12", "cos πy/30")
_PI = math.pi
_SERIES_DERIVATIVES = np.array([
    # 1   x    y    √'   2π/6π   πx       πx/3      πx/12      πx/30      πy       πy/3      πy/12     πy/30
    [1.0, 0.2, 0.1, 0.1, 40 / 3, 40 * _PI / 3, 80 * _PI / 9, 100 * _PI / 12, 200 * _PI / 30, 0, 0, 0, 0],  # ∂lon/∂x
    [2.0, 0.1, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0],  # ∂lon/∂y
    [2.0, 0.0, 0.1, 0.2, 40 / 3, 0, 0, 0, 0, 0, 0, 0, 0],  # ∂lat/∂x
    [3.0, 0.1, 0.4, 0.0, 0.0, 0, 0, 0, 0, 40 * _PI / 3, 80 * _PI / 9, 320 * _PI / 36, 640 * _PI / 90],  # ∂lat/∂y
])
# metres of the series → degrees: lat by the meridian radius a(1−e²)/W³, lon by the parallel radius a·cos φ/W
_LAT_DEG_PER_M = 180.0 / (math.pi * KRASOVSKY_A * (1.0 - KRASOVSKY_EE))
_LON_DEG_PER_M = 180.0 / (math.pi * KRASOVSKY_A)
_SIN_35, _COS_35 = math.sin(math.radians(35.0)), math.cos(math.radians(35.0))
_CUSP_CLAMP = 1e-4  # |x| below which the slope of √|x| is held at its value there (see _CUSP_BAND)


def _combine(table: np.ndarray, rows: Sequence[FloatArray], out: FloatArray, tmp: FloatArray) -> None:
    """out[i] = Σ_j table[i, j]·rows[j], where rows[0] stands for the constant 1 (not read)."""
    for total, coefficients in zip(out, table, strict=True):
        np.multiply(rows[1], coefficients[1], out=total)
        for row, k in zip(rows[2:], coefficients[2:], strict=True):
            if k != 0.0:
                np.multiply(row, k, out=tmp)
                np.add(total, tmp, out=total)
        np.add(total, coefficients[0], out=total)


def _gcj02_offset(lon: FloatArray, lat: FloatArray, dlon: FloatArray, dlat: FloatArray, ws: FloatArray,
                  jacobian: FloatArray | None = None) -> None:
    """GCJ-02 − WGS-84 (degrees) at WGS-84 points → ``dlon``, ``dlat``: the smooth published series, without
    the out-of-China test. ``ws`` is scratch of shape (≥ 46, ≥ len(lon)). With ``jacobian`` (4 rows), also
    ∂dlon/∂lon, ∂dlon/∂lat, ∂dlat/∂lon, ∂dlat/∂lat.

    Accurate (to ~1e-15°) for |lon − 105| ≤ 34.5 and |lat − 35| ≤ 34.5, which covers the China rectangle
    with a margin; elsewhere the values are meaningless (NaN, even) and the callers discard them.
    """
    m = lon.shape[0]
    terms = ws[0:16, :m]  # rows in the order of _TERMS
    angle, s, c, tmp = ws[16:18, :m], ws[18:20, :m], ws[20:22, :m], ws[22:24, :m]  # rows: x, y
    sin_lat, cos_lat, series = ws[24, :m], ws[25, :m], ws[26:28, :m]
    # scratch, then the cosines the Jacobian needs, each named by its angle
    b, cc, s3, c3, f, g = (ws[i, :m] for i in range(28, 34))
    cos_x30, cos_x12, cos_x3, cos_x, cos_y30, cos_y12, cos_y3, cos_y = (ws[i, :m] for i in range(34, 42))

    x, y = terms[1], terms[2]  # (row 0, the constant term, is not needed)
    np.subtract(lon, 105.0, out=x)
    np.subtract(lat, 35.0, out=y)
    np.multiply(x, x, out=terms[3])
    np.multiply(y, y, out=terms[4])
    np.multiply(x, y, out=terms[5])
    np.abs(x, out=terms[6])
    np.sqrt(terms[6], out=terms[6])

    # Base angles: t = πx/60, got from its half (|πx/120| ≤ 0.9), and u = πy/180 (|u| ≤ 0.61).
    np.multiply(x, math.pi / 120.0, out=angle[0])
    np.multiply(y, math.pi / 180.0, out=angle[1])
    _sincos_small(angle, s, c, tmp)
    _double(s[0], c[0], tmp[0])
    sx, cx, sy, cy, t = s[0], c[0], s[1], c[1], tmp[0]

    # Latitude φ = 35° + u.
    np.multiply(sy, _COS_35, out=sin_lat)
    np.multiply(cy, _SIN_35, out=t)
    np.add(sin_lat, t, out=sin_lat)
    np.multiply(cy, _COS_35, out=cos_lat)
    np.multiply(sy, _SIN_35, out=t)
    np.subtract(cos_lat, t, out=cos_lat)

    # x: 2t, 4t, 5t = 4t + t, 10t, 20t, 60t = πx, then 2πx and 6πx = 3·2πx.
    _double_into(sx, cx, terms[11], cos_x30)  # sin πx/30
    _double_into(terms[11], cos_x30, b, cc)
    _add_angles(b, cc, sx, cx, terms[10], cos_x12, t)  # sin πx/12
    _double_into(terms[10], cos_x12, b, cc)
    _double_into(b, cc, terms[9], cos_x3)  # sin πx/3
    _triple(terms[9], cos_x3, terms[8], cos_x)  # sin πx
    sin_2x = b
    np.multiply(terms[8], cos_x, out=sin_2x)
    np.multiply(sin_2x, 2.0, out=sin_2x)
    sum_sines = terms[7]
    np.multiply(sin_2x, sin_2x, out=sum_sines)
    np.multiply(sum_sines, -4.0, out=sum_sines)
    np.add(sum_sines, 4.0, out=sum_sines)
    np.multiply(sum_sines, sin_2x, out=sum_sines)  # sin 2πx + sin 6πx = sin 2πx · (4 − 4 sin² 2πx)

    # y: 3u, 6u = πy/30, 12u, 15u = πy/12, 30u, 60u = πy/3, 180u = πy.
    _triple(sy, cy, s3, c3)
    _double_into(s3, c3, terms[15], cos_y30)  # sin πy/30
    _double_into(terms[15], cos_y30, f, g)
    _add_angles(f, g, s3, c3, terms[14], cos_y12, t)  # sin πy/12
    _double_into(terms[14], cos_y12, f, g)
    _double_into(f, g, terms[13], cos_y3)  # sin πy/3
    _triple(terms[13], cos_y3, terms[12], cos_y if jacobian is not None else None)  # sin πy

    _combine(_SERIES, terms, series, t)

    # Metres → degrees on the Krasovsky ellipsoid: W² = 1 − e² sin² φ.
    w2, k_lon = tmp[1], c[1]
    k_lat = s[1]
    np.multiply(sin_lat, sin_lat, out=w2)
    np.multiply(w2, -KRASOVSKY_EE, out=w2)
    np.add(w2, 1.0, out=w2)
    np.sqrt(w2, out=k_lon)
    np.multiply(k_lon, w2, out=k_lat)
    np.multiply(k_lat, _LAT_DEG_PER_M, out=k_lat)  # W³·180/(π a (1 − e²))
    np.divide(k_lon, cos_lat, out=k_lon)
    np.multiply(k_lon, _LON_DEG_PER_M, out=k_lon)  # W/cos φ · 180/(π a)
    np.multiply(series[0], k_lon, out=dlon)
    np.multiply(series[1], k_lat, out=dlat)
    if jacobian is None:
        return

    # The derivative terms, in the order of _DERIVATIVE_TERMS.
    cos_2x, cos_6x, d_sqrt, d_sum = b, cc, terms[3], terms[4]
    np.multiply(terms[8], terms[8], out=cos_2x)
    np.multiply(cos_2x, -2.0, out=cos_2x)
    np.add(cos_2x, 1.0, out=cos_2x)  # cos 2πx = 1 − 2 sin² πx
    np.multiply(cos_2x, cos_2x, out=cos_6x)
    np.multiply(cos_6x, 4.0, out=cos_6x)
    np.add(cos_6x, -3.0, out=cos_6x)
    np.multiply(cos_6x, cos_2x, out=cos_6x)  # cos 6πx = cos 2πx (4 cos² 2πx − 3)
    np.multiply(cos_6x, 6.0 * math.pi, out=d_sum)
    np.multiply(cos_2x, 2.0 * math.pi, out=t)
    np.add(d_sum, t, out=d_sum)
    np.maximum(terms[6], math.sqrt(_CUSP_CLAMP), out=d_sqrt)
    np.divide(0.5, d_sqrt, out=d_sqrt)
    np.copysign(d_sqrt, x, out=d_sqrt)  # d√|x|/dx = sign(x) / (2√|x|), held at |x| = _CUSP_CLAMP
    dterms = (terms[0], x, y, d_sqrt, d_sum, cos_x, cos_x3, cos_x12, cos_x30, cos_y, cos_y3, cos_y12, cos_y30)
    derivatives = ws[42:46, :m]  # ∂S_lon/∂x, ∂S_lon/∂y, ∂S_lat/∂x, ∂S_lat/∂y in metres per degree
    _combine(_SERIES_DERIVATIVES, dterms, derivatives, t)
    j11, j12, j21, j22 = jacobian[:, :m]
    np.multiply(derivatives[0], k_lon, out=j11)
    np.multiply(derivatives[2], k_lat, out=j21)
    # the scale factors vary with latitude: d ln(W/cos φ)/dφ = tan φ − e² sin φ cos φ / W², d ln W³/dφ = −3 e² …
    q = b
    np.multiply(sin_lat, cos_lat, out=q)
    np.divide(q, w2, out=q)
    np.multiply(q, KRASOVSKY_EE * math.pi / 180.0, out=q)  # e² sin φ cos φ / W² per degree
    np.divide(sin_lat, cos_lat, out=t)
    np.multiply(t, math.pi / 180.0, out=t)
    np.subtract(t, q, out=t)
    np.multiply(t, dlon, out=t)
    np.multiply(derivatives[1], k_lon, out=j12)
    np.add(j12, t, out=j12)
    np.multiply(q, -3.0, out=q)
    np.multiply(q, dlat, out=q)
    np.multiply(derivatives[3], k_lat, out=j22)
    np.add(j22, q, out=j22)


# --------------------------------------------------------------------------------------------------------
# BD-09: a small turn and stretch of GCJ-02 about (0, 0), then a fixed shift
# --------------------------------------------------------------------------------------------------------
# Published: z = r + 2e-5 sin(lat·X), θ = atan2(lat, lon) + 3e-6 cos(lon·X), bd = z(cos θ, sin θ) + shift,
# with r = |(lon, lat)| and X = 3000π/180. As a rotation by δ = 3e-6 cos(lon·X) of the point stretched by
# k = z/r = 1 + e it needs no atan2: bd = k·R(δ)·p + shift. lon·X = 2π·(lon·25/3), hence the turns below.
# The same sines and cosines give the Jacobian almost for free, so the inverse takes Newton steps.


def _bd09_offset(lon: FloatArray, lat: FloatArray, dlon: FloatArray, dlat: FloatArray, ws: FloatArray,
                 jacobian: FloatArray | None = None) -> None:
    """BD-09 − GCJ-02 (degrees) at GCJ-02 points → ``dlon``, ``dlat``; ``ws`` is scratch (≥ 9 rows).

    With ``jacobian`` (4 rows), also the offset's derivatives ∂(dlon, dlat)/∂(lon, lat) as rows
    (∂dlon/∂lon, ∂dlon/∂lat, ∂dlat/∂lon, ∂dlat/∂lat), leaving out terms below 1e-6 (they only slow Newton's
    convergence by that factor): with S, C the sine and cosine of lon·X and lat·X,
    δ' = ∂δ/∂lon = −3e-6·X·S(lon) and e' = ∂e/∂lat ≈ 2e-5·X·C(lat)/r.
    """
    m = lon.shape[0]
    turns, s, c, tmp = ws[0:2, :m], ws[2:4, :m], ws[4:6, :m], ws[6:8, :m]  # rows: lon, lat
    np.multiply(lon, 25.0 / 3.0, out=turns[0])
    np.multiply(lat, 25.0 / 3.0, out=turns[1])
    _sincos_turns(turns, s, c, tmp)
    r, t = turns[0], turns[1]
    stretch, delta, h, sin_delta = ws[8, :m], tmp[0], tmp[1], c[0]
    np.multiply(lon, lon, out=r)
    np.multiply(lat, lat, out=t)
    np.add(r, t, out=r)
    np.sqrt(r, out=r)
    np.maximum(r, 1e-300, out=r)  # at (0, 0), where sin(lat·X) = 0 too, e = 0 (as the published formula gives)
    np.multiply(s[1], 2e-5, out=stretch)
    np.divide(stretch, r, out=stretch)  # e = k − 1 = 2e-5 sin(lat·X) / r
    np.multiply(c[0], 3e-6, out=delta)  # δ; below, cos δ − 1 = −δ²/2 and sin δ = δ − δ³/6, exact to 1e-24
    np.multiply(delta, delta, out=h)
    np.multiply(h, -0.5, out=h)  # h = cos δ − 1
    np.multiply(h, delta, out=sin_delta)
    np.multiply(sin_delta, 1.0 / 3.0, out=sin_delta)
    np.add(sin_delta, delta, out=sin_delta)
    # A = k cos δ − 1 = e(1 + h) + h and B = k sin δ = (1 + e) sin δ, kept apart so that nothing cancels
    a, b = delta, sin_delta
    np.add(h, 1.0, out=a)
    np.multiply(a, stretch, out=a)
    np.add(a, h, out=a)
    np.add(stretch, 1.0, out=t)
    np.multiply(sin_delta, t, out=b)
    # offset = A·p + B·(−lat, lon) + shift
    np.multiply(a, lon, out=dlon)
    np.multiply(b, lat, out=t)
    np.subtract(dlon, t, out=dlon)
    np.add(dlon, BD09_SHIFT[0], out=dlon)
    np.multiply(a, lat, out=dlat)
    np.multiply(b, lon, out=t)
    np.add(dlat, t, out=dlat)
    np.add(dlat, BD09_SHIFT[1], out=dlat)
    if jacobian is None:
        return
    d_delta, d_stretch = s[0], c[1]
    np.multiply(s[0], -3e-6 * BD09_X_PI, out=d_delta)  # δ'
    np.multiply(c[1], 2e-5 * BD09_X_PI, out=d_stretch)
    np.divide(d_stretch, r, out=d_stretch)  # e'
    j11, j12, j21, j22 = jacobian[:, :m]
    np.multiply(lat, d_delta, out=j11)
    np.subtract(a, j11, out=j11)  # A − lat·δ'
    np.multiply(lon, d_stretch, out=j12)
    np.subtract(j12, b, out=j12)  # lon·e' − B
    np.multiply(lon, d_delta, out=j21)
    np.add(j21, b, out=j21)  # B + lon·δ'
    np.multiply(lat, d_stretch, out=j22)
    np.add(j22, a, out=j22)  # A + lat·e'


# --------------------------------------------------------------------------------------------------------
# Forward and inverse over whole arrays, chunk by chunk
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Rule:
    """One published offset, q = p + offset(p), and what its inverse's error bound needs."""

    name: str
    offset: Callable[..., None]  # (lon, lat, dlon, dlat, ws, jacobian=None)
    china_only: bool  # no offset outside CHINA_RECTANGLE
    first_guess: tuple[float, float]  # the inverse starts at p = q − first_guess
    curvature: float  # ≥ max |second derivative of the offset|, per degree
    jacobian_slack: float  # ≥ how far the computed Jacobian may be from the true one
    contraction: float  # ≥ the offset's Lipschitz constant (used only near the cusp below)
    cusp_lon: float | None = None  # a meridian along which the offset has a √ cusp

    def error_after(self, step: float, near_cusp: bool) -> float:
        """A bound on the error left after a Newton step that moved the points by at most ``step`` degrees:
        ½·curvature·step² + slack·step; near the cusp, where no curvature bound holds, the bound of a plain
        fixed-point step, step·L/(1 − L) (Newton's step there is at least as good: its Jacobian differs from
        the true one only in the cusp term, which the plain step leaves out entirely)."""
        if near_cusp:
            return step * self.contraction / (1.0 - self.contraction)
        return 0.5 * self.curvature * step * step + self.jacobian_slack * step


# The constants are checked on a grid over the China rectangle by the tests (finite differences; measured
# maxima in brackets). GCJ-02: |offset''| < 0.5 per degree once |lon − 105| > 1e-4 (0.08 from the series,
# 0.42 from √|x| there), Lipschitz constant < 0.008 (0.0072), Jacobian exact to rounding. BD-09:
# |offset''| ≤ r·3e-6·X² + 2e-5·X² < 1.3 for r = |(lon, lat)| < 150 (1.13), Lipschitz < 0.025 (0.021), its
# Jacobian leaves out terms below 1e-6 (3e-7). A chunk stops on the curvature bound only if all its points
# are ≥ 2e-4° from the cusp: the last step (< 1e-4°, else the bound is not met anyway) then started ≥ 1e-4°
# from it, where the Jacobian's √ slope is exact and the curvature bound holds.
_GCJ02 = _Rule("GCJ-02", _gcj02_offset, china_only=True, first_guess=(0.0, 0.0), curvature=0.5,
               jacobian_slack=1e-8, contraction=0.008, cusp_lon=105.0)
_BD09 = _Rule("BD-09", _bd09_offset, china_only=False, first_guess=BD09_SHIFT, curvature=1.3,
              jacobian_slack=1e-6, contraction=0.025)
_CUSP_BAND = 2 * _CUSP_CLAMP  # a chunk with a point this close to the cusp uses the cusp bound
_WORKSPACE_ROWS = 56


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies outside the published GCJ-02 rectangle (and so gets no offset).

    Notes
    -----
    The rectangle (``CHINA_RECTANGLE``) is the published rule, not China's border: see the module Notes.

    Examples
    --------
    >>> out_of_china([118.15, -74.0, 127.0], [24.73, 40.7, 37.5]).tolist()   # Tong'an, New York, Seoul
    [False, True, False]
    """
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    min_lon, min_lat, max_lon, max_lat = CHINA_RECTANGLE
    return ~((lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat))


def _chunks(n: int) -> range:
    return range(0, n, _CHUNK)


def _forward(rule: _Rule, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """q = p + offset(p) for 1-D arrays of p, computed _CHUNK points at a time in one reused workspace."""
    out_lon, out_lat = np.empty_like(lon), np.empty_like(lat)
    ws = np.empty((_WORKSPACE_ROWS, min(_CHUNK, lon.shape[0])))
    with np.errstate(all="ignore"):  # far outside China the series may overflow; those points are reset
        for start in _chunks(lon.shape[0]):
            part = slice(start, start + _CHUNK)
            p_lon, p_lat, q_lon, q_lat = lon[part], lat[part], out_lon[part], out_lat[part]
            rule.offset(p_lon, p_lat, q_lon, q_lat, ws)
            if rule.china_only:
                outside = out_of_china(p_lon, p_lat)
                q_lon[outside] = 0.0
                q_lat[outside] = 0.0
            np.add(q_lon, p_lon, out=q_lon)
            np.add(q_lat, p_lat, out=q_lat)
    return out_lon, out_lat


def _inverse(rule: _Rule, lon: FloatArray, lat: FloatArray, *, tol: float,
             max_iter: int) -> tuple[FloatArray, FloatArray]:
    """Solve p + offset(p) = q for p by Newton steps, _CHUNK points at a time, until the chunk's error
    bound ``rule.error_after(largest step, near the cusp?)`` is below ``tol``.

    Every point of a chunk takes part in every step: bench/geo_coords.py compares this with shrinking the
    arrays to the unconverged points. With ``rule.china_only``, q outside the rectangle is returned unchanged.
    """
    out_lon, out_lat = np.empty_like(lon), np.empty_like(lat)
    width = min(_CHUNK, lon.shape[0])
    ws = np.empty((_WORKSPACE_ROWS, width))
    step_lon, step_lat, scratch, jacobian, det = ws[46], ws[47], ws[48], ws[49:53], ws[53]
    with np.errstate(all="ignore"):
        for start in _chunks(lon.shape[0]):
            part = slice(start, start + _CHUNK)
            q_lon, q_lat, p_lon, p_lat = lon[part], lat[part], out_lon[part], out_lat[part]
            m = q_lon.shape[0]
            d_lon, d_lat, t = step_lon[:m], step_lat[:m], scratch[:m]
            outside = out_of_china(q_lon, q_lat) if rule.china_only else np.zeros(0, dtype=bool)
            any_outside = bool(outside.any())
            np.subtract(q_lon, rule.first_guess[0], out=p_lon)
            np.subtract(q_lat, rule.first_guess[1], out=p_lat)
            for _ in range(max_iter):
                rule.offset(p_lon, p_lat, d_lon, d_lat, ws, jacobian)
                # the fixed-point step (q − offset(p)) − p, turned into the Newton step (I + J)⁻¹·(that)
                np.subtract(q_lon, d_lon, out=d_lon)
                np.subtract(d_lon, p_lon, out=d_lon)
                np.subtract(q_lat, d_lat, out=d_lat)
                np.subtract(d_lat, p_lat, out=d_lat)
                _solve_newton(jacobian[:, :m], d_lon, d_lat, det[:m], t)
                if any_outside:
                    d_lon[outside] = 0.0
                    d_lat[outside] = 0.0
                np.add(p_lon, d_lon, out=p_lon)
                np.add(p_lat, d_lat, out=p_lat)
                largest = max(float(np.max(np.abs(d_lon, out=t), initial=0.0)),
                              float(np.max(np.abs(d_lat, out=t), initial=0.0)))
                near_cusp = False
                if rule.cusp_lon is not None:
                    np.subtract(p_lon, rule.cusp_lon, out=t)
                    near_cusp = bool(np.any(np.abs(t, out=t) < _CUSP_BAND))
                if rule.error_after(largest, near_cusp) < tol:
                    break
            else:
                raise RuntimeError(
                    f"{rule.name} inverse did not converge to {tol:g}° in {max_iter} steps for points "
                    f"{start}–{start + m - 1} (last step {largest:.3g}°)"
                )
    return out_lon, out_lat


def _solve_newton(jacobian: FloatArray, d_lon: FloatArray, d_lat: FloatArray, det: FloatArray,
                  t: FloatArray) -> None:
    """Turn the fixed-point step v into the Newton step (I + J)⁻¹·v, in place (J: the offset's Jacobian)."""
    j11, j12, j21, j22 = jacobian
    np.add(j11, 1.0, out=j11)
    np.add(j22, 1.0, out=j22)
    np.multiply(j11, j22, out=det)
    np.multiply(j12, j21, out=t)
    np.subtract(det, t, out=det)
    np.divide(1.0, det, out=det)
    # (x, y) ← ((m22·x − m12·y), (m11·y − m21·x)) / det
    np.multiply(j12, d_lat, out=t)
    np.multiply(j21, d_lon, out=j21)
    np.multiply(j22, d_lon, out=d_lon)
    np.subtract(d_lon, t, out=d_lon)
    np.multiply(d_lon, det, out=d_lon)
    np.multiply(j11, d_lat, out=d_lat)
    np.subtract(d_lat, j21, out=d_lat)
    np.multiply(d_lat, det, out=d_lat)


# --------------------------------------------------------------------------------------------------------
# Names, inputs and the public entry points
# --------------------------------------------------------------------------------------------------------
class _System(NamedTuple):
    name: str  # as the caller wrote it, for messages
    kind: str  # "bd09" | "gcj02" | "wgs84" | "pyproj"
    crs: str | None  # for "pyproj": the CRS pyproj converts from/to WGS-84


_POSITION = {"bd09": 0, "gcj02": 1, "wgs84": 2}  # the chain BD-09 — GCJ-02 — WGS-84 (— pyproj CRSs)


def _system(name: str) -> _System:
    """Parse a coordinate system name; a clear ValueError for anything else."""
    if not isinstance(name, str):
        raise ValueError(f"coordinate system must be a name such as 'wgs84', not {name!r}")
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        return _System(name, "wgs84" if key == "cgcs2000" else key, None)
    if key == "cgcs2000-gk":
        return _System(name, "pyproj", DISTRICT_METRIC_CRS)
    if _EPSG.match(key):
        crs = key.upper()
        try:
            CRS.from_user_input(crs)
        except CRSError:
            raise ValueError(f"unknown coordinate system {name!r}: pyproj knows no such EPSG code") from None
        return _System(name, "pyproj", crs)
    raise ValueError(
        f"unknown coordinate system {name!r}: expected one of {', '.join(SYSTEMS)} or an EPSG code such as "
        f"'{DISTRICT_METRIC_CRS}'"
    )


def is_geographic(system: str) -> bool:
    """True when ``system`` gives longitude/latitude in degrees, False when it gives projected x/y.

    >>> is_geographic("GCJ-02"), is_geographic("cgcs2000-gk"), is_geographic("EPSG:4490")
    (True, False, True)
    """
    parsed = _system(system)
    return parsed.kind != "pyproj" or CRS.from_user_input(parsed.crs).is_geographic


def _as_points(lon: ArrayLike, lat: ArrayLike, names: tuple[str, str],
               geographic: bool) -> tuple[FloatArray, FloatArray, tuple[int, ...]]:
    """Two flat float64 arrays and the common shape; a ValueError naming the first bad value."""
    arrays = []
    for values, name in zip((lon, lat), names, strict=True):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numbers: {exc}") from None
        arrays.append(array)
    first, second = arrays
    if first.shape != second.shape:
        raise ValueError(
            f"{names[0]} has shape {first.shape} but {names[1]} has shape {second.shape}: "
            f"give one {names[1]} per {names[0]}"
        )
    limits = ((180.0, "[-180, 180]"), (90.0, "[-90, 90]")) if geographic else ((math.inf, ""), (math.inf, ""))
    for array, name, (limit, interval) in zip(arrays, names, limits, strict=True):
        bad = ~np.isfinite(array)
        if bad.any():
            where = _where(name, bad)
            raise ValueError(f"{where} is {array[np.unravel_index(np.argmax(bad), array.shape)]}: "
                             "coordinates must be finite numbers")
        bad = np.abs(array) > limit
        if bad.any():
            value = float(array[np.unravel_index(np.argmax(bad), array.shape)])
            hint = "; are lon and lat swapped?" if name == "lat" else ""
            raise ValueError(f"{_where(name, bad)} = {value:g} is outside {interval}{hint}")
    return np.ascontiguousarray(first.ravel()), np.ascontiguousarray(second.ravel()), first.shape


def _where(name: str, bad: NDArray[np.bool_]) -> str:
    if bad.ndim == 0:
        return name
    index = np.unravel_index(np.argmax(bad), bad.shape)
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


@lru_cache(maxsize=32)
def _area_of_use(crs: str) -> tuple[float, float, float, float] | None:
    area = CRS.from_user_input(crs).area_of_use
    return None if area is None else (area.west, area.south, area.east, area.north)


def _from_pyproj(source: _System, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Projected (or other pyproj) coordinates to WGS-84, refusing points far outside the CRS's area of use."""
    assert source.crs is not None
    lon, lat = transformer(source.crs, WGS84).transform(x, y)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    area = _area_of_use(source.crs)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if area is not None:
        west, south, east, north = area
        with np.errstate(invalid="ignore"):
            bad |= (lon < west - _AREA_MARGIN_DEG) | (lon > east + _AREA_MARGIN_DEG)
            bad |= (lat < south - _AREA_MARGIN_DEG) | (lat > north + _AREA_MARGIN_DEG)
    if bad.any():
        i = int(np.argmax(bad))
        where = f"point {i}" if x.shape[0] > 1 else "the point"
        bounds = "" if area is None else f" (its area of use is {area[0]:g}–{area[2]:g}°E, {area[1]:g}–{area[3]:g}°N)"
        raise ValueError(
            f"{where} x={x[i]:.3f}, y={y[i]:.3f} in {source.crs} lands at lon={lon[i]:.4f}, lat={lat[i]:.4f}, "
            f"outside that projection{bounds}: x must be the easting and y the northing "
            f"(Chinese surveying writes X for the northing: swap them?), in that CRS's metres"
        )
    return lon, lat


def _to_pyproj(target: _System, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    assert target.crs is not None
    x, y = transformer(WGS84, target.crs).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _route(source: _System, target: _System, tol: float, max_iter: int) -> list[Callable[..., Any]]:
    """The conversion steps from ``source`` to ``target`` along BD-09 — GCJ-02 — WGS-84 — pyproj CRSs."""
    if source.kind == target.kind and source.crs == target.crs:
        return []
    links = {
        (0, 1): partial(_inverse, _BD09, tol=tol, max_iter=max_iter),
        (1, 0): partial(_forward, _BD09),
        (1, 2): partial(_inverse, _GCJ02, tol=tol, max_iter=max_iter),
        (2, 1): partial(_forward, _GCJ02),
    }
    steps: list[Callable[..., Any]] = []
    here = _POSITION.get(source.kind, 2)
    if source.kind == "pyproj":
        steps.append(partial(_from_pyproj, source))
    there = _POSITION.get(target.kind, 2)
    while here != there:
        step = 1 if there > here else -1
        steps.append(links[(here, here + step)])
        here += step
    if target.kind == "pyproj":
        steps.append(partial(_to_pyproj, target))
    return steps


def convert(lon: ArrayLike, lat: ArrayLike, src: str, dst: str, *, tol: float = INVERSE_TOL_DEG,
            max_iter: int = INVERSE_MAX_ITER) -> tuple[Any, Any]:
    """Convert points between Chinese coordinate systems.

    Parameters
    ----------
    lon, lat : float, sequence or ndarray
        Longitudes and latitudes in degrees, of the same shape; for a projected ``src`` (``"cgcs2000-gk"``,
        ``"EPSG:NNNN"``) the easting x and northing y in metres.
    src, dst : str
        ``"wgs84"``, ``"gcj02"``, ``"bd09"``, ``"cgcs2000"`` (geographic, treated as WGS-84),
        ``"cgcs2000-gk"`` (EPSG:4548, the district's Gauss–Krüger zone) or ``"EPSG:NNNN"`` (any CRS pyproj
        knows, e.g. another 3-degree Gauss–Krüger zone such as ``"EPSG:4549"``). Case-insensitive;
        ``"GCJ-02"``, ``"BD-09"``, ``"WGS-84"`` are accepted too.
    tol, max_iter
        Convergence of the GCJ-02 and BD-09 inverses: stop when the largest correction is below ``tol``
        degrees; raise RuntimeError if that takes more than ``max_iter`` steps.

    Returns
    -------
    (lon, lat) : tuple of ndarray
        float64 arrays of the input's shape (NumPy scalars for scalar input); for a projected ``dst``,
        (x, y) in metres.

    Raises
    ------
    ValueError
        An unknown system name; inputs that are not numbers, not finite, of different shapes, or outside
        [-180, 180] / [-90, 90]; projected points far outside their CRS's area of use.

    Notes
    -----
    Conversions run along the chain BD-09 — GCJ-02 — WGS-84 — projected CRSs, so BD-09 → GCJ-02 never
    passes through WGS-84 and every other pair does. Forward offsets follow the published formulas (to
    ~1e-16°); inverses iterate to ``tol``. Points outside the published China rectangle get no GCJ-02
    offset, either way (see the module Notes for what the rectangle covers).

    Examples
    --------
    >>> lon, lat = convert([116.404, 118.15], [39.915, 24.73], "wgs84", "bd09")
    >>> lon.round(6).tolist(), lat.round(6).tolist()
    ([116.416627, 118.161474], [39.9227, 24.733044])
    >>> x, y = convert(118.15, 24.73, "wgs84", "cgcs2000-gk")
    >>> round(float(x)), round(float(y))
    (616350, 2736635)
    >>> convert(-74.006, 40.7128, "wgs84", "gcj02")          # New York: outside China, untouched
    (np.float64(-74.006), np.float64(40.7128))
    """
    source, target = _system(src), _system(dst)
    if not (tol > 0.0 and max_iter >= 1):
        raise ValueError(f"tol must be > 0 and max_iter ≥ 1, not tol={tol!r}, max_iter={max_iter!r}")
    names = ("x", "y") if source.kind == "pyproj" else ("lon", "lat")
    first, second, shape = _as_points(lon, lat, names, geographic=source.kind != "pyproj")
    steps = _route(source, target, tol, max_iter)
    if not steps:  # same system: still new arrays, never views of the caller's
        first, second = first.copy(), second.copy()
    for step in steps:
        first, second = step(first, second)
    first, second = first.reshape(shape), second.reshape(shape)
    if not shape:
        return first[()], second[()]
    return first, second


def convert_geometry(geometry: Any, src: str, dst: str, *, tol: float = INVERSE_TOL_DEG,
                     max_iter: int = INVERSE_MAX_ITER) -> Any:
    """Convert every coordinate of a shapely geometry, or of an array of them, between coordinate systems.

    Parameters
    ----------
    geometry : shapely.Geometry or array_like of them
        Points, lines, polygons, collections; None and empty geometries pass through. A GeoSeries works as
        an array (wrap the result in ``GeoSeries(..., crs=...)`` yourself: only WGS-84, CGCS2000 and the
        projected systems have an EPSG code).
    src, dst, tol, max_iter
        As for `convert`.

    Returns
    -------
    shapely.Geometry or ndarray of them
        New geometries; z coordinates are kept unchanged.

    Raises
    ------
    ValueError
        As for `convert`; a non-finite coordinate is reported with the number of its geometry.
    TypeError
        When ``geometry`` is not a shapely geometry nor an array of them.

    Examples
    --------
    >>> from shapely import LineString, to_wkt
    >>> line = LineString([(116.41024449916938, 39.91640428150164), (118.15, 24.73)])
    >>> to_wkt(convert_geometry(line, "gcj02", "wgs84"), rounding_precision=6)
    'LINESTRING (116.404 39.915, 118.145075 24.732698)'
    """
    _system(src), _system(dst)  # unknown names fail even for empty input
    try:
        coords, index = shapely.get_coordinates(geometry, include_z=False, return_index=True)
    except TypeError:
        raise TypeError(
            f"convert_geometry takes a shapely geometry or an array of them, not {type(geometry).__name__}"
        ) from None
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        which = "the geometry" if isinstance(geometry, shapely.Geometry) else f"geometry {int(index[i])}"
        raise ValueError(f"{which} has a non-finite coordinate ({coords[i, 0]}, {coords[i, 1]})")

    def transform(x: FloatArray, y: FloatArray, z: FloatArray | None = None) -> tuple[FloatArray, ...]:
        lon, lat = convert(x, y, src, dst, tol=tol, max_iter=max_iter)
        return (lon, lat) if z is None else (lon, lat, z)

    try:
        return shapely.transform(geometry, transform, include_z=None, interleaved=False)
    except ValueError as exc:
        raise ValueError(f"geometry coordinates: {exc}") from None
