"""Accounts on both backends: revision 0007, hashed passwords, checks before writing, demo accounts, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from store import Conflict, InvalidData, NotFound, accounts, open_store
from store.models import User

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seeded(database_url: str, tiny_dir: Path):
    store = open_store(database_url)
    store.upgrade()
    store.seed_jurisdiction(tiny_dir)
    yield store
    store.close()


def test_hashing_is_salted_scrypt_and_never_plain() -> None:
    first, second = accounts.hash_password("s3cret-pass"), accounts.hash_password("s3cret-pass")
    assert first.startswith("scrypt:") and "s3cret-pass" not in first
    assert first != second  # a random salt per password
    assert accounts.password_matches(first, "s3cret-pass") and accounts.password_matches(second, "s3cret-pass")
    assert not accounts.password_matches(first, "s3cret-pasS")
    assert not accounts.password_matches("!", "anything")  # an unusable hash lets nobody in
    assert accounts.stamp(first) != accounts.stamp(second)
    with pytest.raises(InvalidData, match="too short: 5 characters, at least 8"):
        accounts.check_password_strength("short")


def test_revision_0007_keeps_existing_users_and_goes_back(database_url: str, tiny_dir: Path) -> None:
    store = open_store(database_url)
    store.upgrade("0006")
    store.seed_jurisdiction(tiny_dir)
    with store.transaction() as conn:
        conn.execute(sa.text("insert into users (username, display_name, role, password_hash) "
                             "values ('old', 'Old', 'leader', :h)"), {"h": accounts.hash_password("old-password")})
    store.upgrade("0007")
    assert store.revision() == "0007"
    old = accounts.get_account(store, "old")
    assert old["active"] is True and old["created_at"] is not None and old["last_login_at"] is None
    assert accounts.verify_password(store, "old", "old-password")["username"] == "old"
    store.downgrade("0006")
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("users")}
    assert "active" not in columns and "username" in columns
    with store.transaction() as conn:
        assert conn.execute(sa.text("select count(*) from users")).scalar() == 1
    store.close()


def test_create_verify_list_and_change(seeded) -> None:
    made = accounts.create_account(seeded, "wang.op", "first-password", "operator", display_name="王值班",
                                   township_code="350212001")
    assert made["role"] == "operator" and made["township_code"] == "350212001" and made["problem"] is None
    with seeded.transaction() as conn:
        stored = conn.execute(sa.select(User.password_hash).where(User.username == "wang.op")).scalar()
    assert stored.startswith("scrypt:") and "first-password" not in stored
    assert accounts.verify_password(seeded, "wang.op", "wrong-password") is None
    assert accounts.verify_password(seeded, "nobody", "first-password") is None
    signed = accounts.verify_password(seeded, "wang.op", "first-password")
    assert signed["last_login_at"] is not None and signed["stamp"] == made["stamp"]

    accounts.set_password(seeded, "wang.op", "second-password")
    assert accounts.verify_password(seeded, "wang.op", "first-password") is None
    assert accounts.get_account(seeded, "wang.op")["stamp"] != made["stamp"]
    accounts.set_active(seeded, "wang.op", False)
    assert accounts.verify_password(seeded, "wang.op", "second-password") is None
    accounts.set_active(seeded, "wang.op", True)
    assert accounts.verify_password(seeded, "wang.op", "second-password") is not None
    assert [a["username"] for a in accounts.list_accounts(seeded)] == ["wang.op"]
    with pytest.raises(NotFound):
        accounts.set_password(seeded, "nobody", "whatever-password")


def test_problems_are_named_before_anything_is_written(seeded) -> None:
    cases = [
        (("x", "long-password", "operator"), {}, "username 'x'"),
        (("a b", "long-password", "operator"), {}, "username 'a b'"),
        (("ok", "long-password", "boss"), {}, "unknown role 'boss'"),
        (("ok", "long-password", "system"), {}, "unknown role 'system'"),
        (("ok", "short", "operator"), {}, "too short"),
        (("ok", "long-password", "operator"), {"township_code": "999999999"}, "no township '999999999'"),
        (("ok", "long-password", "officer"), {}, "officers must belong to a team"),
        (("ok", "long-password", "officer"), {"team_code": "T404"}, "no team 'T404'"),
        (("ok", "long-password", "officer"), {"team_code": "T001", "township_code": "350212101"},
         "team T001 belongs to township 350212001, not 350212101"),
        (("ok", "long-password", "department_liaison"), {}, "must name their department"),
        (("ok", "long-password", "officer"), {"team_code": "T001", "officer_code": "O404"}, "no officer 'O404'"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(InvalidData, match=message):
            accounts.create_account(seeded, *args, **kwargs)
    assert accounts.list_accounts(seeded) == []
    accounts.create_account(seeded, "ok", "long-password", "leader")
    with pytest.raises(Conflict, match="user 'ok' exists already"):
        accounts.create_account(seeded, "ok", "long-password", "leader")


def test_demo_accounts_stand_on_real_teams(seeded) -> None:
    created = accounts.create_demo_accounts(seeded)
    by_name = {a["username"]: a for a in created}
    assert {a["role"] for a in created} >= {"operator", "leader", "scheduler", "team_leader", "officer", "admin"}
    assert by_name["operator"]["township_code"] is None
    assert by_name["operator_town"]["township_code"] == "350212001"
    leader, officer = by_name["team_leader"], by_name["officer"]
    assert leader["team_code"] == officer["team_code"] == "T001"  # the one crew with two officers
    assert leader["teams"] == ["T001", "T001A"] and officer["teams"] == ["T001"]  # a leader's sub-squads too
    assert (leader["actor_id"], officer["actor_id"]) == ("O0001", "O0002")
    assert "liaison" not in by_name  # the tiny city has no department unit in 大同
    assert all(a["problem"] is None for a in created)
    assert accounts.verify_password(seeded, "scheduler", "demo")["role"] == "scheduler"
    assert accounts.create_demo_accounts(seeded) == []  # again: nothing new


def test_demo_accounts_need_a_jurisdiction(database_url: str) -> None:
    store = open_store(database_url)
    store.upgrade()
    with pytest.raises(NotFound, match="seed one before"):
        accounts.create_demo_accounts(store)
    store.close()


def _run(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "store", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_the_users_command(seeded, database_url: str) -> None:
    done = _run(database_url, "users", "add", "chen", "--role", "officer", "--team", "T001A", "--officer", "O0003",
                "--name", "陈队员", "--password-stdin", stdin="a-long-password\n")
    assert done.returncode == 0, done.stderr
    assert "chen" in done.stdout and "T001A" in done.stdout
    done = _run(database_url, "users", "add", "lin", "--role", "officer", "--password-stdin", stdin="a-long-password\n")
    assert done.returncode == 1 and "must belong to a team" in done.stderr
    done = _run(database_url, "users", "demo")
    assert done.returncode == 0, done.stderr
    assert "demo accounts created (password: demo)" in done.stdout
    listed = json.loads(_run(database_url, "users", "list", "--json").stdout)
    assert {"chen", "operator", "team_leader", "officer", "admin"} <= {a["username"] for a in listed}
    assert not any("password" in key or key == "stamp" for a in listed for key in a)
    assert _run(database_url, "users", "passwd", "chen", "--password-stdin", stdin="another-password\n").returncode == 0
    assert accounts.verify_password(seeded, "chen", "another-password")["actor_id"] == "O0003"
    assert _run(database_url, "users", "deactivate", "chen").returncode == 0
    assert accounts.verify_password(seeded, "chen", "another-password") is None
    done = _run(database_url, "users", "passwd", "nobody", "--password-stdin", stdin="another-password\n")
    assert done.returncode == 1 and "no user 'nobody'" in done.stderr
