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


@pytest.mark.redis
def test_dead_letters_are_listed_and_requeued_from_the_command_line(redis_url: str, capsys) -> None:
    import json

    from ingest.__main__ import main
    from live.connection import connect
    from live.intake import DEAD_LETTERS, STREAM

    client = connect(redis_url)
    dead_id = client.xadd(DEAD_LETTERS, {"kind": "report", "body": b"{}", "reason": "refused 5 times: KeyError: x",
                                         "entry_id": "1-0", "deliveries": 5}).decode()
    assert main(["worker", "--dead-letters", "--redis-url", redis_url]) == 0
    [letter] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (letter["id"], letter["reason"], letter["deliveries"]) == (dead_id, "refused 5 times: KeyError: x", 5)
    assert main(["worker", "--requeue", dead_id, "--redis-url", redis_url]) == 0
    assert client.xlen(DEAD_LETTERS) == 0 and client.xrange(STREAM)[0][1][b"body"] == b"{}"
    with pytest.raises(SystemExit) as exit_:
        main(["worker", "--requeue", dead_id, "--redis-url", redis_url])
    assert exit_.value.code == 2 and f"no dead letter {dead_id}" in capsys.readouterr().err
    client.close()
