"""The geo command line: ``python -m geo COMMAND ...``.

Commands
--------
convert   one point from one coordinate system to another, printed as JSON::

    python -m geo convert --from gcj02 --to wgs84 116.41024449916938 39.91640428150164
    python -m geo convert --from cgcs2000-gk --to wgs84 616350.13 2736634.55      # X = easting, Y = northing

Adding a command is adding two functions, ``add_<name>(subparsers)`` to declare its arguments and
``run_<name>(args) -> int`` to do the work, and listing ``add_<name>`` in ``COMMANDS``.
Bad input prints the usage and one error line on stderr, and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pyproj import Geod

from geo.coords import SYSTEMS, convert, is_geographic

_WGS84_ELLIPSOID = Geod(ellps="WGS84")


def add_convert(subparsers: Any) -> None:
    """``convert --from SYSTEM --to SYSTEM A B``."""
    systems = ", ".join(SYSTEMS)
    parser = subparsers.add_parser(
        "convert",
        help="convert one point between WGS-84, GCJ-02, BD-09 and CGCS2000 (geographic or Gauss–Krüger)",
        description=(
            "Convert one point and print JSON: the converted coordinates and how far (metres) the point moves "
            f"when both ends are longitude/latitude. Systems: {systems}, or an EPSG code such as EPSG:4549."
        ),
    )
    parser.add_argument("--from", dest="src", required=True, metavar="SYSTEM", help="the input's system")
    parser.add_argument("--to", dest="dst", required=True, metavar="SYSTEM", help="the output's system")
    parser.add_argument("first", type=float, metavar="LON|X",
                        help="longitude in degrees, or the easting x in metres for a projected system")
    parser.add_argument("second", type=float, metavar="LAT|Y",
                        help="latitude in degrees, or the northing y in metres for a projected system")
    parser.set_defaults(run=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    first, second = convert(args.first, args.second, args.src, args.dst)
    source_is_geographic, target_is_geographic = is_geographic(args.src), is_geographic(args.dst)
    result: dict[str, Any] = {"from": args.src, "to": args.dst}
    result["input"] = _pair(args.first, args.second, source_is_geographic, rounded=False)
    result.update(_pair(float(first), float(second), target_is_geographic))
    shift = None
    if source_is_geographic and target_is_geographic:
        _, _, metres = _WGS84_ELLIPSOID.inv(args.first, args.second, float(first), float(second))
        shift = round(float(metres), 3)
    result["shift_m"] = shift
    print(json.dumps(result, ensure_ascii=False))
    return 0


def _pair(first: float, second: float, geographic: bool, rounded: bool = True) -> dict[str, float]:
    """Named coordinates; ``rounded``: degrees to 1e-10 (0.01 mm, the inverses' tolerance), metres to 0.1 mm."""
    if geographic:
        return {"lon": round(first, 10), "lat": round(second, 10)} if rounded else {"lon": first, "lat": second}
    return {"x": round(first, 4), "y": round(second, 4)} if rounded else {"x": first, "y": second}


COMMANDS: tuple[Callable[[Any], None], ...] = (add_convert,)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo", description="Coordinates, places and the jurisdiction of the district."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValueError as exc:
        parser.error(str(exc))  # prints "python -m geo: error: ..." and exits with status 2


if __name__ == "__main__":
    sys.exit(main())
