"""``python -m cases simulate``: the domain's command line runs the simulated month, and loads the store only then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cases.__main__ import main
from store import open_store
from store.casework import CaseService

ROOT = Path(__file__).resolve().parents[2]
DATABASE = {"sqlalchemy", "geoalchemy2", "psycopg", "sqlite3", "store", "sim", "pandas"}


def test_importing_the_command_line_edge_loads_no_database_code() -> None:
    code = "import sys, cases.__main__; print(','.join(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:]))))"
    result = subprocess.run([sys.executable, "-c", code, *sorted(DATABASE)], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_simulate_runs_a_short_month_through_the_case_service(tmp_path: Path, demo_dir: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite'}"
    assert main(["simulate", "--days", "0.5", "--per-day", "60", "--start", "2026-10-12", "--jurisdiction",
                 str(demo_dir), "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "seeded the sqlite store" in out and "done:" in out
    store = open_store(url)
    assert store.counts()["cases"] > 5 and CaseService(store).audit() == {}
    store.close()
    assert main(["league", "--start", "2026-10-12", "--end", "2026-10-12", "--database-url", url]) == 0
    assert "Township league" in capsys.readouterr().out


def test_an_unknown_command_prints_the_commands() -> None:
    result = subprocess.run([sys.executable, "-m", "cases", "replay"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "simulate" in result.stderr and "league" in result.stderr
    assert main(["--help"]) == 0


@pytest.mark.parametrize("argv", [["simulate", "--help"], ["league", "--help"]])
def test_each_command_shows_its_options(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0 and "--start" in capsys.readouterr().out
