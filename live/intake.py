"""The intake stream: where every live report waits, durably, until a worker has stored it.

Producers (the HTTP intake endpoint, the simulator, a partner's push) call :meth:`Intake.append`; workers
(:mod:`live.worker`) read the stream through a consumer group, store each report and only then acknowledge
it. A report therefore lives in Redis from the moment ``append`` returns its stream id until the store has
it: a worker that dies, a database that is down, a deploy — none of them loses it.

One entry per record, fields:

``kind``
    ``report`` (a normalised :class:`~ingest.report.Report`) or ``quarantined`` (a record the adapter could
    not use: it travels the same road so that it reaches the store's quarantine, never the floor).
``body``
    The record as JSON (``Report.to_dict()``; for a quarantined record its fields without the raw bytes).
``raw``
    Quarantined records only: the bytes as received (stream fields are binary-safe).
``appended_at``
    The producer's clock at append, seconds since the epoch: what the live latency is measured from.

Length policy — why no ``MAXLEN``
---------------------------------
``XADD … MAXLEN n`` trims the *oldest* entries whatever their state, so a backlog larger than ``n`` (workers
down for a while, the database in maintenance) would silently drop reports nobody has stored. Instead:

* :meth:`Intake.trim` removes only entries that **every** consumer group has acknowledged
  (``XTRIM MINID`` below the oldest entry still pending or not yet delivered in any group), keeping the
  acknowledged ones of the last ``keep_acked_seconds`` for inspection. Workers call it every few seconds.
  Approximate trimming (``~``) only ever trims *less* than asked.
* The stream has a hard ceiling, ``max_length``: an append that would pass it is refused with
  :class:`IntakeFull` (the HTTP endpoint answers 503, the sender retries), checked and appended atomically
  in one Lua script. Refusing loudly at the door is the only honest alternative to dropping in the back.

Durability: ``append`` returning means Redis has the entry. Whether it survives a *crash* of Redis depends on
the server's persistence: with ``appendonly yes`` and ``appendfsync always`` the entry is on disk before the
reply (the reliability test runs that way); the Redis default ``everysec`` may lose the last second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from ingest.report import Quarantined, Report, SourceRef

STREAM = "cc:intake:reports"
"""The stream every live report is appended to."""
DEAD_LETTERS = "cc:intake:dead"
"""Where a worker moves an entry it cannot store after repeated tries, with the reason (see live.worker)."""
MAX_LENGTH = 500_000
"""Default ceiling on the stream's length (~17 minutes of backlog at 500 reports/s, ~1 GB of memory)."""

Item = Report | Quarantined

_APPEND = """
local limit = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local length = redis.call('XLEN', KEYS[1])
if length + count > limit then
  return redis.error_reply('INTAKEFULL ' .. KEYS[1] .. ' holds ' .. length .. ' entries; ' .. count ..
                           ' more would pass its ceiling of ' .. limit)
end
local ids = {}
local at = 3
for n = 1, count do
  local width = tonumber(ARGV[at])
  ids[n] = redis.call('XADD', KEYS[1], '*', unpack(ARGV, at + 1, at + width))
  at = at + width + 1
end
return ids
"""


class IntakeFull(RuntimeError):
    """The stream is at its ceiling (workers behind or down): retry later; nothing was appended."""


@dataclass(frozen=True)
class Entry:
    """One stream entry, decoded: its id, the record, and when the producer appended it."""

    id: str
    item: Item
    appended_at: float | None


class Intake:
    """The producer side of the intake stream.

    Examples
    --------
    >>> intake = Intake(connect())                      # doctest: +SKIP
    >>> intake.append(report)                           # doctest: +SKIP
    '1763111111111-0'
    """

    def __init__(self, client: redis.Redis, *, stream: str = STREAM, max_length: int = MAX_LENGTH) -> None:
        self.client = client
        self.stream = stream
        self.max_length = max_length
        self._append_script = client.register_script(_APPEND)

    def append(self, item: Item) -> str:
        """Append one report (or quarantined record); its stream id once Redis holds it."""
        return self.append_many([item])[0]

    def append_many(self, items: Iterable[Item]) -> list[str]:
        """Append several records in one round trip, all or none; their stream ids in order.

        Raises
        ------
        IntakeFull
            The stream would pass ``max_length``; nothing was appended.
        redis.ConnectionError
            Redis is unreachable; nothing or everything may have been appended — re-sending is safe, the
            store is idempotent on channel + external id.
        """
        now = time.time()
        args: list[Any] = []
        count = 0
        for item in items:
            fields = encode(item, appended_at=now)
            args.append(2 * len(fields))
            for key, value in fields.items():
                args.extend((key, value))
            count += 1
        if not count:
            return []
        try:
            ids = self._append_script(keys=[self.stream], args=[self.max_length, count, *args])
        except redis.ResponseError as exc:
            if str(exc).startswith("INTAKEFULL"):
                raise IntakeFull(str(exc).removeprefix("INTAKEFULL ")) from None
            raise
        return [_text(i) for i in ids]

    def length(self) -> int:
        """Entries in the stream: the backlog plus acknowledged entries not trimmed yet."""
        return int(self.client.xlen(self.stream))

    def trim(self, *, keep_acked_seconds: float = 60.0) -> int:
        """Remove entries every consumer group has acknowledged and that are older than the grace period.

        Returns the number of entries removed. With no consumer group nothing is trimmed: no worker has read
        anything yet.
        """
        floor = safe_trim_floor(self.client, self.stream)
        if floor is None:
            return 0
        seconds, micros = self.client.time()
        horizon = (int(seconds * 1000 + micros // 1000 - keep_acked_seconds * 1000), 0)
        cutoff = min(floor, horizon)
        if cutoff <= (0, 0):
            return 0
        return int(self.client.xtrim(self.stream, minid=f"{cutoff[0]}-{cutoff[1]}", approximate=True))

    def dead_letters(self, *, dead_letters: str = DEAD_LETTERS, count: int = 100) -> list[dict[str, Any]]:
        """The oldest dead letters: their id, the original entry id, reason, deliveries and record."""
        listing = []
        for dead_id, fields in self.client.xrange(dead_letters, count=count):
            letter = {_text(key): value for key, value in fields.items()}
            listing.append({
                "id": _text(dead_id),
                "entry_id": _text(letter.get("entry_id", b"")),
                "reason": _text(letter.get("reason", b"")),
                "deliveries": int(letter.get("deliveries", 0)),
                "dead_at": _text(letter.get("dead_at", b"")),
                "kind": _text(letter.get("kind", b"")),
                "body": letter.get("body", b"").decode("utf-8", "replace"),
            })
        return listing

    def requeue(self, dead_id: str, *, dead_letters: str = DEAD_LETTERS, item: Item | None = None) -> str:
        """Send a dead-lettered entry through the stream again, as it was or corrected (``item``).

        The dead letter is removed in the same transaction, so the entry is in exactly one place.
        """
        found = self.client.xrange(dead_letters, dead_id, dead_id)
        if not found:
            raise KeyError(f"no dead letter {dead_id} in {dead_letters}")
        fields = dict(found[0][1])
        original = {key: fields[key.encode()] for key in ("kind", "body", "raw", "appended_at")
                    if key.encode() in fields}
        if item is not None:
            original = encode(item, appended_at=time.time())
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.stream, original)
        pipe.xdel(dead_letters, dead_id)
        new_id, _ = pipe.execute()
        return _text(new_id)


def safe_trim_floor(client: redis.Redis, stream: str) -> tuple[int, int] | None:
    """The lowest entry id that some consumer group has not acknowledged yet; None without groups.

    For each group that is the smaller of its oldest pending entry and the entry after its last-delivered
    id. Groups are read before their pending lists: both only move forward, so the floor found is never
    above the true one.
    """
    try:
        groups = client.xinfo_groups(stream)
    except redis.ResponseError:  # no such stream yet
        return None
    if not groups:
        return None
    floor: tuple[int, int] | None = None
    for group in groups:
        ms, seq = parse_id(group["last-delivered-id"])
        candidate = (ms, seq + 1)
        if int(group["pending"]):
            summary = client.xpending(stream, group["name"])
            if summary["min"] is not None:
                candidate = min(candidate, parse_id(summary["min"]))
        floor = candidate if floor is None else min(floor, candidate)
    return floor


def parse_id(entry_id: str | bytes) -> tuple[int, int]:
    """``"1763111111111-3"`` → ``(1763111111111, 3)``, comparable in stream order."""
    ms, _, seq = _text(entry_id).partition("-")
    return int(ms), int(seq or 0)


# ------------------------------------------------------------------------------------------------ encoding


def encode(item: Item, *, appended_at: float) -> dict[str, bytes | str]:
    """The stream fields of a report or quarantined record."""
    stamp = f"{appended_at:.6f}"
    if isinstance(item, Report):
        body = json.dumps(item.to_dict(), ensure_ascii=False, separators=(",", ":"))
        return {"kind": "report", "body": body, "appended_at": stamp}
    if isinstance(item, Quarantined):
        body = json.dumps(_quarantined_dict(item), ensure_ascii=False, separators=(",", ":"))
        return {"kind": "quarantined", "body": body, "raw": item.raw, "appended_at": stamp}
    raise TypeError(f"the intake stream takes Report or Quarantined records, not {type(item).__name__}")


def decode(entry_id: str | bytes, fields: dict[bytes, bytes]) -> Entry:
    """The record of a stream entry.

    Raises
    ------
    ValueError
        The entry is not one :func:`encode` wrote (missing field, bad JSON, a report that does not rebuild);
        the message says which.
    """
    ident = _text(entry_id)
    kind = _text(fields.get(b"kind", b""))
    body = fields.get(b"body")
    if body is None:
        raise ValueError(f"stream entry {ident} has no body field")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"stream entry {ident}: body is not JSON ({exc})") from None
    try:
        if kind == "report":
            item: Item = Report.from_dict(data)
        elif kind == "quarantined":
            item = _quarantined_from_dict(data, fields.get(b"raw", b""))
        else:
            raise ValueError(f"unknown kind {kind!r} (expected report or quarantined)")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"stream entry {ident}: not a {kind or 'record'}: {exc!r}") from None
    stamp = fields.get(b"appended_at")
    try:
        appended_at = float(stamp) if stamp else None
    except ValueError:
        appended_at = None
    return Entry(ident, item, appended_at)


def _quarantined_dict(item: Quarantined) -> dict[str, Any]:
    source = item.source
    return {
        "channel": item.channel,
        "source": {"filename": source.filename, "row": source.row, "unit": source.unit, "sheet": source.sheet},
        "reason": item.reason,
        "content_type": item.content_type,
        "received_at": item.received_at.isoformat(),
        "record": item.record,
        "external_id": item.external_id,
    }


def _quarantined_from_dict(data: dict[str, Any], raw: bytes) -> Quarantined:
    return Quarantined(
        channel=data["channel"], source=SourceRef(**data["source"]), reason=data["reason"], raw=raw,
        content_type=data["content_type"], received_at=datetime.fromisoformat(data["received_at"]),
        record=data.get("record"), external_id=data.get("external_id"),
    )


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

