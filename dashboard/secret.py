"""The key that signs session cookies: ``SECRET_KEY``, else one generated once and kept beside the data.

Every server process of one deployment must sign with the same key, and a restart must not sign everyone
out. ``SECRET_KEY`` (environment) says it explicitly; without it the key is read from a file created on the
first start — ``secret_key`` next to the embedded SQLite file (``data/secret_key`` by default, git-ignored),
or ``data/secret_key`` in the repository for a PostGIS store, which then only serves processes on this
machine (a warning says so: set ``SECRET_KEY`` for several hosts).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FILE_NAME = "secret_key"

log = logging.getLogger(__name__)


def secret_key(store: Any) -> str:
    """``SECRET_KEY`` from the environment, else the key kept in the data folder (created once)."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    path = key_file(store)
    if getattr(store, "backend", "sqlite") != "sqlite":
        log.warning("SECRET_KEY is not set: sessions are signed with %s, shared only by processes on this "
                    "machine; set SECRET_KEY for servers on several hosts", path)
    return read_or_create(path)


def key_file(store: Any) -> Path:
    """Where the generated key lives: beside the SQLite file, else in the repository's data folder."""
    database = getattr(getattr(getattr(store, "engine", None), "url", None), "database", None)
    if getattr(store, "backend", None) == "sqlite" and database and database != ":memory:":
        return Path(database).resolve().parent / FILE_NAME
    return ROOT / "data" / FILE_NAME


def read_or_create(path: Path) -> str:
    """The key in ``path``; a new random one written there (mode 600) when the file does not exist.

    Two processes starting together both end up with the key the first one wrote (exclusive create).
    """
    try:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process is writing it: wait for its key
        for _ in range(50):
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} exists but is empty: delete it or set SECRET_KEY") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    log.info("generated the session signing key in %s (keep it private; SECRET_KEY overrides it)", path)
    return key
