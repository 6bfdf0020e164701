"""Fixtures of the intake tests: the sample folder and a parse that splits reports from quarantined records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest import Quarantined, Report, parse

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
ARRIVED = datetime(2026, 11, 6, 0, 30, tzinfo=UTC)

Outcome = tuple[list[Report], list[Quarantined]]


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def arrived() -> datetime:
    """When the test's sources 'arrived': fixed, so that nothing depends on the clock."""
    return ARRIVED


@pytest.fixture
def run() -> Callable[..., Outcome]:
    """parse(...) as (reports, quarantined), checking that every output is one or the other."""

    def _run(channel: str, source: Any, **kwargs: Any) -> Outcome:
        kwargs.setdefault("received_at", ARRIVED)
        out = list(parse(channel, source, **kwargs))
        reports = [o for o in out if isinstance(o, Report)]
        quarantined = [o for o in out if isinstance(o, Quarantined)]
        assert len(reports) + len(quarantined) == len(out)
        return reports, quarantined

    return _run
