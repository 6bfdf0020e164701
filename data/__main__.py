"""Command line of the data folder.

    python -m data generate [--out data/demo] [--seed 350212]
    python -m data import-boundaries FILE [--communities FILE] [--name-column COL] [--code-column COL]
                                          [--zones 40] [--out data/imported]

``generate`` writes the demo city (drawn boundaries) and prints what it wrote and how long it took.
``import-boundaries`` checks real boundaries and writes a jurisdiction folder with townships, communities,
cells and zones; on bad input it prints every problem to stderr, writes nothing and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data.demo_city import DEFAULT_OUT, DEFAULT_SEED, TARGET_ZONES, timed_generate
from data.jurisdiction import write_jurisdiction
from geo.boundaries import BoundaryError, import_boundaries
from geo.crs import CELL_SIZE_M, DISTRICT_METRIC_CRS

DEFAULT_IMPORT_OUT = Path(__file__).resolve().parent / "imported"


def _print_counts(manifest: dict, out: Path) -> None:
    width = max(len(k) for k in manifest["counts"])
    for stem, n in manifest["counts"].items():
        print(f"  {stem:<{width}}  {n:>7,}")
    print(f"written to {out}")


def _generate(args: argparse.Namespace) -> int:
    manifest, seconds = timed_generate(args.out, args.seed)
    print(f"demo city {manifest['name']} (seed {manifest['seed']}) generated in {seconds:.1f} s:")
    _print_counts(manifest, args.out)
    return 0


def _import(args: argparse.Namespace) -> int:
    try:
        layers = import_boundaries(
            args.file, args.communities, name_column=args.name_column, code_column=args.code_column,
            target_zones=args.zones,
        )
    except BoundaryError as exc:
        print(f"import-boundaries: nothing written. {exc}", file=sys.stderr)
        return 2
    name = "、".join(layers["townships"]["name"].tolist()[:3]) + ("…" if len(layers["townships"]) > 3 else "")
    manifest = write_jurisdiction(
        args.out, layers, name=f"{name} (imported from {Path(args.file).name})", generator="geo.boundaries",
        seed=None, demo_boundaries=False, metric_crs=DISTRICT_METRIC_CRS, cell_size_m=CELL_SIZE_M,
    )
    print("boundaries imported:")
    _print_counts(manifest, args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data", description="Demo city and boundary import.")
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write the demo city (deterministic)")
    gen.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder to write (default {DEFAULT_OUT})")
    gen.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    gen.set_defaults(run=_generate)

    imp = commands.add_parser("import-boundaries", help="real boundaries → cells and zones")
    imp.add_argument("file", type=Path, help="townships: GeoJSON, GeoPackage or Shapefile, any CRS")
    imp.add_argument("--communities", type=Path, help="communities (村/社区) file; without it they are generated")
    imp.add_argument("--name-column", help="column with the names (default: found among name, 名称, …)")
    imp.add_argument("--code-column", help="column with the division codes (default: found among code, 代码, …)")
    imp.add_argument("--zones", type=int, default=TARGET_ZONES, help=f"patrol zones wanted (default {TARGET_ZONES})")
    imp.add_argument("--out", type=Path, default=DEFAULT_IMPORT_OUT, help=f"folder to write (default {DEFAULT_IMPORT_OUT})")
    imp.set_defaults(run=_import)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
