"""``python -m ingest simulate`` then ``python -m ingest worker``: the feed goes through into the store."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from store import open_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
@pytest.mark.slow
def test_simulated_feed_through_the_worker_command(redis_url: str, sqlite_url: str, demo_dir: Path) -> None:
    simulate = subprocess.run(
        [sys.executable, "-m", "ingest", "simulate", "--rate", "60", "--seconds", "2", "--flat", "--seed", "11",
         "--folder", str(demo_dir), "--redis-url", redis_url],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert simulate.returncode == 0, simulate.stderr
    appended = re.search(r"appended (\d+) messages .*: (\d+) reports, (\d+) quarantined", simulate.stdout)
    assert appended, simulate.stdout
    total, reports, quarantined = map(int, appended.groups())
    assert total > 60

    worker = subprocess.run(
        [sys.executable, "-m", "ingest", "worker", "--until-idle", "--database-url", sqlite_url,
         "--jurisdiction", str(demo_dir), "--redis-url", redis_url, "--consumer", "cli-test"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert worker.returncode == 0, worker.stderr
    assert f"stored {reports}, quarantined {quarantined}, dead-lettered 0" in worker.stdout

    counts = open_store(sqlite_url).counts()
    assert counts["reports"] == reports and counts["quarantine"] >= quarantined
