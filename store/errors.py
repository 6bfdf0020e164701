"""The storage errors every caller maps, whichever backend raised them.

Callers (the dashboard, the HTTP API, the CLI) catch these four and never a driver's exception, so that a
page can say "no such case" or "the database is down" without knowing whether SQLite or PostGIS is behind
the store. The original driver exception stays attached as ``__cause__`` for the logs.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class: anything the storage layer refuses or cannot do."""


class NotFound(StoreError):
    """The record asked for does not exist."""


class Conflict(StoreError):
    """The write clashes with what is stored: a duplicate key, a non-empty store, an append-only table."""


class Unavailable(StoreError):
    """The database cannot be reached or is locked; the same call may succeed later."""


class InvalidData(StoreError):
    """Input that cannot be stored as given; the message names the file, record and problem."""
