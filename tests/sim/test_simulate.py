"""A short simulated run through the real case service: the lagging township ranks last, every row is a true
cache of its trail, and the month has the variety the KPIs need."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from cases.calendar import SHANGHAI
from sim import Settings, simulate
from sim.__main__ import main
from store import Conflict, open_store
from store.casework import CaseService
from store.kpis import kpis, league
from store.models import CaseEvent

START = datetime(2026, 10, 12, tzinfo=SHANGHAI)  # a Monday


def _seeded(url: str, demo_dir: Path):
    store = open_store(url)
    store.upgrade()
    store.seed_jurisdiction(demo_dir)
    return store


def test_a_short_run_ranks_the_lagging_township_last(database_url: str, demo_dir: Path) -> None:
    store = _seeded(database_url, demo_dir)
    service = CaseService(store)
    settings = Settings(start=START, days=3, per_day=120, seed=7)
    summary = simulate(store, settings, service=service)

    table = league(kpis(store, "township", settings.start, settings.end))
    assert table.index[-1] == settings.lagging == "350212109"
    assert len(table) == 11 and table["score"].iloc[0] > table["score"].iloc[-1]

    counts = store.counts()
    assert (counts["cases"], counts["reports"], counts["case_events"]) == (summary.cases, summary.reports,
                                                                           summary.steps)
    assert 250 < summary.cases < 450 and summary.duplicates > 0
    with store.transaction() as conn:
        actions = dict(conn.execute(sa.select(CaseEvent.action, sa.func.count()).group_by(CaseEvent.action)).all())
    for action in ("report", "accept", "reject", "dispatch", "transfer", "department_answer", "arrive",
                   "complete_step", "feedback", "rework", "verify", "close", "archive", "supervise",
                   "request_extension", "approve_extension"):
        assert actions.get(action, 0) > 0, f"no {action} in the run: {actions}"
    assert service.audit() == {}  # replaying every trail gives exactly the stored row


def test_the_same_seed_gives_the_same_month(tmp_path: Path, demo_dir: Path) -> None:
    trails = []
    for n in (1, 2):
        store = _seeded(f"sqlite:///{tmp_path / f'run{n}.sqlite'}", demo_dir)
        simulate(store, Settings(start=START, days=0.5, per_day=60, seed=11))
        with store.transaction() as conn:
            trails.append(conn.execute(sa.select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.action, CaseEvent.actor,
                                                 CaseEvent.at).order_by(CaseEvent.id)).all())
        with pytest.raises(Conflict, match="already holds .* cases simulated with seed 11"):
            simulate(store, Settings(start=START, days=0.5, per_day=60, seed=11))
    assert trails[0] == trails[1] and len(trails[0]) > 20


def test_the_command_line(tmp_path: Path, demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["--database-url", url, "simulate", "--days", "1", "--per-day", "60", "--start", "2026-10-12",
                 "--jurisdiction", str(demo_dir)]) == 0
    out = capsys.readouterr().out
    assert "seeded the sqlite store" in out and "python -m sim league --start 2026-10-12 --end 2026-10-12" in out
    assert main(["--database-url", url, "league", "--start", "2026-10-12", "--end", "2026-10-12"]) == 0
    out = capsys.readouterr().out
    assert "Township league" in out and "汀溪镇" in out and "on_time_closure_rate" in out
    assert main(["--database-url", url, "league", "--end", "2026-10-12", "--by", "channel"]) == 0
    assert "12345" in capsys.readouterr().out
    assert main(["--database-url", url, "league", "--weights", "happiness=3"]) == 1
    assert "unknown rate" in capsys.readouterr().err
