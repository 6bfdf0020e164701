"""The live feed ``python -m dashboard`` starts beside itself: an ingest worker and the simulator.

So that the README's first command shows a working command center — reports arriving on the wall, cases
opening — the dashboard starts two child processes against the same store and the same Redis:

- ``python -m ingest worker``: consumes the intake stream, stores each report, announces it;
- ``python -m ingest simulate --rate N``: appends a realistic feed over the demo city to the stream.

Without ``REDIS_URL`` the Redis is the embedded Valkey (:mod:`live.connection`), which lives in *this*
process: it is started here first and its URL handed to the children (and kept in this process's
environment, so the wall's poll reads the same server). The store is the same ``DATABASE_URL`` (or the
embedded SQLite file, which SQLite's WAL mode lets several processes share).

The children end with the dashboard: on a normal exit, Ctrl-C or SIGTERM they are sent SIGTERM (the
worker finishes its batch, the simulator flushes) and killed if they linger; on Linux they are also told to
receive SIGTERM should the dashboard die without cleaning up (``PR_SET_PDEATHSIG``).
``--no-simulator`` starts neither (production runs its workers on their own, see README).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("dashboard")

DEFAULT_RATE = 0.5
"""Simulated reports per second (mean over a week): one every two seconds keeps a demo wall lively."""
STOP_TIMEOUT_S = 15.0
ROOT = Path(__file__).resolve().parents[1]


def commands(rate: float, jurisdiction: Path | None) -> list[list[str]]:
    """The two child commands: the worker, then the simulator (over ``jurisdiction`` when it is a
    generated demo city folder, else the default one)."""
    if not rate > 0:
        raise ValueError(f"--rate must be a positive number of reports per second, got {rate!r}")
    simulate = [sys.executable, "-m", "ingest", "simulate", "--rate", f"{rate:g}"]
    if jurisdiction is not None and (Path(jurisdiction) / "places.csv").exists():
        simulate += ["--folder", str(jurisdiction)]
    worker = [sys.executable, "-m", "ingest", "worker", "--consumer", f"dashboard-{os.getpid()}"]
    return [worker, simulate]


def child_environment(database_url: str | None = None) -> dict[str, str]:
    """This process's environment with ``REDIS_URL`` set — starting the embedded Valkey here when unset —
    and ``DATABASE_URL`` when given; also exported to this process so its own clients agree."""
    from live.connection import redis_url

    os.environ["REDIS_URL"] = redis_url()
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    return dict(os.environ)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: deliver SIGTERM to this child when the dashboard process dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    return subprocess.Popen(command, cwd=ROOT, env=env, preexec_fn=preexec)


def stop(processes: list[subprocess.Popen], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM each child, wait for all, kill those still running after ``timeout`` seconds."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("child %s did not stop in %.0f s: killed", process.pid, timeout)
            process.kill()
            process.wait()


@contextlib.contextmanager
def live_feed(rate: float | None, *, jurisdiction: Path | None = None,
              database_url: str | None = None) -> Iterator[list[subprocess.Popen]]:
    """Run the worker and the simulator for the duration of the block (nothing when ``rate`` is None).

    SIGTERM to this process ends the block (as Ctrl-C does), so the children are stopped either way.
    """
    if rate is None:
        yield []
        return
    argv = commands(rate, jurisdiction)
    env = child_environment(database_url)
    processes: list[subprocess.Popen] = []
    previous = signal.getsignal(signal.SIGTERM)

    def terminated(_signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminated)
    try:
        for command in argv:
            processes.append(start(command, env))
        log.info("live feed: ingest worker (pid %d) and simulator at %g reports/s (pid %d) on %s",
                 processes[0].pid, rate, processes[1].pid, _describe(env["REDIS_URL"]))
        yield processes
    finally:
        stop(processes)
        signal.signal(signal.SIGTERM, previous)


def _describe(url: str) -> str:
    """The Redis URL without a password."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return url
