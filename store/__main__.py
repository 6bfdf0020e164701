"""``python -m store upgrade | seed DIR | counts`` — migrate, seed and inspect the store from a shell.

The store is the one ``DATABASE_URL`` names (embedded SQLite at data/command_center.sqlite when unset), or
``--database-url``. Errors print one line to stderr and exit with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from store import StoreError, open_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="overrides DATABASE_URL (sqlite:///file or postgresql+psycopg://…)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="create or migrate the schema to the newest revision (idempotent)")
    seed = commands.add_parser("seed", help="migrate, then load a jurisdiction folder into the empty store")
    seed.add_argument("folder", type=Path, help="a jurisdiction folder (manifest.json + layers), e.g. data/demo")
    commands.add_parser("counts", help="print the rows per table as JSON")
    args = parser.parse_args(argv)

    store = open_store(args.database_url)
    try:
        if args.command == "upgrade":
            store.upgrade()
            print(f"{store.backend} store at revision {store.revision()}")
        elif args.command == "seed":
            store.upgrade()
            started = time.perf_counter()
            loaded = store.seed_jurisdiction(args.folder)
            seconds = time.perf_counter() - started
            rows = sum(loaded.values())
            print(json.dumps(loaded, ensure_ascii=False))
            print(f"seeded {rows} rows from {args.folder} into the {store.backend} store in {seconds:.2f} s")
        else:
            print(json.dumps(store.counts(), ensure_ascii=False, indent=1))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
