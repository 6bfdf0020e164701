"""The README is the product's manual: every setting the code reads and every command it offers is there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SOURCE_DIRS = ("api", "cases", "dashboard", "data", "geo", "ingest", "layers", "live", "store", "tests", "bench")
ENV_READ = re.compile(r"""(?:environ\.get|environ\[|getenv\(|setenv\(|delenv\()\s*\(?["']([A-Z][A-Z0-9_]+)["']""")


def _python_files() -> list[Path]:
    return [p for d in SOURCE_DIRS if (ROOT / d).is_dir() for p in (ROOT / d).rglob("*.py")]


def test_every_setting_is_documented() -> None:
    settings = {name for path in _python_files() for name in ENV_READ.findall(path.read_text(encoding="utf-8"))}
    assert "DATABASE_URL" in settings, "the scan found no settings: the pattern is broken"
    missing = sorted(name for name in settings if f"`{name}`" not in README)
    assert not missing, f"settings read by the code but missing from README.md: {missing}"


def test_every_command_is_documented() -> None:
    commands = sorted(p.parent.name for p in ROOT.glob("*/__main__.py"))
    assert "dashboard" in commands
    missing = [name for name in commands if f"python -m {name}" not in README]
    assert not missing, f"commands (python -m …) missing from README.md: {missing}"
