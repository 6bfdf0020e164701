"""``python -m store upgrade | seed DIR | counts`` against the store DATABASE_URL names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "store", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_upgrade_seed_counts(database_url: str, tiny_dir: Path) -> None:
    done = _run(database_url, "upgrade")
    assert done.returncode == 0, done.stderr
    assert "at revision 0008" in done.stdout
    done = _run(database_url, "seed", str(tiny_dir))
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[0])
    done = _run(database_url, "counts")
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["cells"] == loaded["cells"] > 0 and counts["reports"] == 0
    again = _run(database_url, "seed", str(tiny_dir))
    assert again.returncode == 1
    assert again.stderr.startswith("error: the store already holds a jurisdiction")


def test_bad_folder_exits_with_the_reason(sqlite_url: str, tmp_path: Path) -> None:
    done = _run(sqlite_url, "seed", str(tmp_path / "nowhere"))
    assert done.returncode == 1
    assert "nowhere: not a folder" in done.stderr
