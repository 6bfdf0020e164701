"""Callers see the store's own errors, never a driver's: unreachable, not migrated, unsupported."""

from __future__ import annotations

import threading

import pytest

from store import StoreError, Unavailable, open_store


def test_unreachable_server_is_unavailable() -> None:
    store = open_store("postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2")
    with pytest.raises(Unavailable, match="database unavailable.*127.0.0.1:1"):
        store.is_empty()


def test_store_never_migrated_says_what_to_run(database_url: str) -> None:
    store = open_store(database_url)
    with pytest.raises(StoreError, match="python -m store upgrade"):
        store.counts()


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        open_store("mysql://someone@localhost/cc")


def test_password_never_appears_in_messages() -> None:
    store = open_store("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/nowhere?connect_timeout=2")
    with pytest.raises(Unavailable) as caught:
        store.is_empty()
    assert "s3cret" not in str(caught.value) and "s3cret" not in repr(store)


def test_sqlite_store_serves_several_threads(sqlite_url: str) -> None:
    """Dash runs callbacks in threads: one store object must serve them all."""
    store = open_store(sqlite_url)
    store.upgrade()
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(store.is_empty())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4
