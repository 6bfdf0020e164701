"""Telling the dashboards that reports were stored: a pub/sub message per report and a version counter.

Two kinds of listener, two mechanisms:

* pages with a live connection (Dash's WebSocket callbacks) subscribe to :data:`CHANNEL` and get one JSON
  message per stored report, within milliseconds;
* pages that poll (``dcc.Interval``) read :data:`VERSION_KEY` and refetch only when it moved — a counter
  costs one ``GET`` per poll however many reports arrived.

Pub/sub is fire-and-forget: a page that was not listening misses messages, which is why the counter exists
and why the store, not this channel, is the record. Messages carry no personal data (no reporter name or
phone): the channel is a broadcast.

Workers announce *after* the store committed and *before* acknowledging the stream entry, so a report is
announced at least once; after a worker crash it may be announced twice — listeners key on ``id``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

import redis

from ingest.privacy import mask_text
from ingest.report import Report

CHANNEL = "cc:reports:stored"
"""Pub/sub channel: one JSON message per stored report."""
VERSION_KEY = "cc:reports:version"
"""Counter bumped once per announced batch, for pages that poll."""


class Announcer:
    """Publishes stored reports and bumps the version counter, in one round trip per batch."""

    def __init__(self, client: redis.Redis, *, channel: str = CHANNEL, version_key: str = VERSION_KEY) -> None:
        self.client = client
        self.channel = channel
        self.version_key = version_key

    def announce(self, events: Sequence[dict[str, Any]]) -> int | None:
        """Publish each event (a JSON-able dict) and bump the counter; the new version, None if no events."""
        if not events:
            return None
        stamp = time.time()
        pipe = self.client.pipeline(transaction=False)
        for event in events:
            pipe.publish(self.channel, json.dumps({**event, "announced_at": stamp}, ensure_ascii=False,
                                                  separators=(",", ":"), default=str))
        pipe.incr(self.version_key)
        return int(pipe.execute()[-1])

    def version(self) -> int:
        """The counter; 0 before anything was announced."""
        return int(self.client.get(self.version_key) or 0)


def report_event(report: Report, stored_id: str, *, stream_id: str | None = None,
                 appended_at: float | None = None) -> dict[str, Any]:
    """What the dashboards are told about one stored report: enough to place and label it, nothing personal.

    ``point`` is the position as the channel gave it (its ``crs`` may be GCJ-02, BD-09 or Gauss–Krüger);
    pages that need the located cell or township read the stored report by ``id``.
    """
    point = report.point
    return {
        "id": stored_id,
        "channel": report.channel,
        "external_id": report.external_id,
        "item_code": report.item_code,
        "priority": report.priority,
        "received_at": report.received_at.isoformat(),
        "address": mask_text(report.address, report.reporter_name),
        "point": None if point is None else {"x": point.x, "y": point.y, "crs": point.crs},
        "stream_id": stream_id,
        "appended_at": appended_at,
    }


class Subscription:
    """A listener on the announcements; ``get`` waits at most ``timeout`` seconds, so a page's loop can
    notice that its client left (a bare ``pubsub.listen()`` would block forever and leak the subscriber).

    Examples
    --------
    >>> with Subscription(connect()) as feed:           # doctest: +SKIP
    ...     while page_is_open():
    ...         event = feed.get(timeout=1.0)
    """

    def __init__(self, client: redis.Redis, *, channel: str = CHANNEL) -> None:
        self._pubsub = client.pubsub()
        self._pubsub.subscribe(channel)
        # wait for the server's confirmation: every message published after __init__ returns is received
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            message = self._pubsub.get_message(timeout=0.1)
            if message is not None and message.get("type") == "subscribe":
                break
        else:
            raise TimeoutError(f"no confirmation of the subscription to {channel} within 5 s")

    def get(self, timeout: float = 1.0) -> dict[str, Any] | None:
        """The next announced event, or None when none came within ``timeout`` seconds."""
        message = self._pubsub.get_message(timeout=timeout)
        if message is None or message.get("type") != "message":
            return None
        return json.loads(message["data"])

    def drain(self, timeout: float = 0.0) -> Iterable[dict[str, Any]]:
        """Every event already received, then those arriving within ``timeout`` seconds of each other."""
        while (event := self.get(timeout)) is not None:
            yield event

    def close(self) -> None:
        self._pubsub.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
