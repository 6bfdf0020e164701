"""Accounts: who may sign in, with which role and scope, and their passwords hashed (never stored plain).

Passwords are hashed with werkzeug's ``generate_password_hash`` (scrypt, a random salt per password) and
checked with ``check_password_hash``, which compares in constant time. An account's ``stamp`` is derived
from its hash: a session records it, so changing the password ends every session begun with the old one.

What an account acts as is :func:`store.casework.actor_for`'s :class:`cases.permissions.Actor` — the same
one the case service records in the audit trail (an officer's officer code, a team leader's team and the
teams under it).

Demo accounts (:func:`create_demo_accounts`): one per role, password ``demo``, on real teams and a real
township of whatever jurisdiction is stored. The dashboard creates them on the embedded SQLite store when
it has no account at all; on PostGIS only ``python -m store users demo`` does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from cases.states import Role
from store.casework import actor_for
from store.errors import Conflict, InvalidData, NotFound, StoreError
from store.models import Officer, Team, Township, User

USERS = User.__table__
ACCOUNT_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.SYSTEM)
"""Roles a person can hold (``system`` is the product itself and never signs in)."""
MIN_PASSWORD = 8
DEMO_PASSWORD = "demo"
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}")
HASH_METHOD = "scrypt"

# checked against when the username is unknown, so an unknown name costs as long as a wrong password
_DUMMY_HASH = generate_password_hash("not a password", method=HASH_METHOD)


def hash_password(password: str) -> str:
    """The salted scrypt hash of ``password`` (what ``users.password_hash`` keeps)."""
    return generate_password_hash(password, method=HASH_METHOD)


def password_matches(password_hash: str, password: str) -> bool:
    """Does ``password`` match ``password_hash`` (constant-time comparison)?"""
    try:
        return check_password_hash(password_hash, password)
    except (ValueError, TypeError):  # an unusable hash ("!", a truncated one): nobody signs in with it
        return False


def stamp(password_hash: str) -> str:
    """A short fingerprint of the hash: a session keeps it; it changes with the password."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:24]


def check_password_strength(password: str, min_length: int = MIN_PASSWORD) -> None:
    """Raise :class:`InvalidData` for a password that is too short or only whitespace."""
    if not password or not password.strip():
        raise InvalidData("the password is empty")
    if len(password) < min_length:
        raise InvalidData(f"the password is too short: {len(password)} characters, at least {min_length}")


# ------------------------------------------------------------------------------------------ writes


def create_account(
    store: Any,
    username: str,
    password: str,
    role: str | Role,
    *,
    display_name: str | None = None,
    township_code: str | None = None,
    team_code: str | None = None,
    department: str | None = None,
    officer_code: str | None = None,
    min_length: int = MIN_PASSWORD,
) -> dict[str, Any]:
    """Create an account and return it (as :func:`get_account`).

    Checked before anything is written, each problem named: the username's form, the role, the password's
    length, that the township, team and officer exist, that an officer or team leader has a team (inside
    the township when both are given), that a department liaison names a department. A taken username is a
    :class:`Conflict`.
    """
    role = _role(role)
    username = _username(username)
    check_password_strength(password, min_length)
    row = {
        "username": username,
        "display_name": (display_name or username).strip(),
        "role": role.value,
        "township_code": township_code or None,
        "team_code": team_code or None,
        "department": department or None,
        "officer_code": officer_code or None,
        "password_hash": hash_password(password),
        "active": True,
        "created_at": datetime.now(UTC),
    }
    with store.transaction() as conn:
        _check_references(conn, row)
        if conn.execute(sa.select(USERS.c.id).where(USERS.c.username == username)).first() is not None:
            raise Conflict(f"user {username!r} exists already")
        conn.execute(sa.insert(USERS).values(**row))
    return get_account(store, username)  # type: ignore[return-value]


def set_password(store: Any, username: str, password: str, min_length: int = MIN_PASSWORD) -> None:
    """Give ``username`` a new password; every session begun with the old one ends."""
    check_password_strength(password, min_length)
    with store.transaction() as conn:
        done = conn.execute(sa.update(USERS).where(USERS.c.username == username)
                            .values(password_hash=hash_password(password)))
        if done.rowcount == 0:
            raise NotFound(f"no user {username!r}")


def set_active(store: Any, username: str, active: bool) -> None:
    """Activate or deactivate ``username`` (a deactivated account cannot sign in; its sessions end)."""
    with store.transaction() as conn:
        done = conn.execute(sa.update(USERS).where(USERS.c.username == username).values(active=bool(active)))
        if done.rowcount == 0:
            raise NotFound(f"no user {username!r}")


# ------------------------------------------------------------------------------------------- reads


def verify_password(store: Any, username: str, password: str) -> dict[str, Any] | None:
    """The account when ``username`` is active and ``password`` is right (its ``last_login_at`` set to
    now), else None — the same answer, after the same work, for an unknown user and a wrong password."""
    with store.transaction() as conn:
        row = conn.execute(sa.select(USERS.c.password_hash, USERS.c.active)
                           .where(USERS.c.username == (username or "").strip())).first()
        if row is None:
            password_matches(_DUMMY_HASH, password or "")
            return None
        if not password_matches(row.password_hash, password or "") or not row.active:
            return None
        conn.execute(sa.update(USERS).where(USERS.c.username == username.strip())
                     .values(last_login_at=datetime.now(UTC)))
    return get_account(store, username.strip())


def get_account(store: Any, username: str) -> dict[str, Any] | None:
    """One account, or None: username, display_name, role, township_code, team_code, department,
    officer_code, active, created_at, last_login_at, ``stamp``, and what it acts as: ``actor_id``
    and ``teams`` (a team leader's team and those under it). ``problem`` says why the account cannot act
    (an officer without a team …), else None; such an account cannot sign in."""
    with store.transaction() as conn:
        row = conn.execute(sa.select(USERS).where(USERS.c.username == username)).mappings().first()
        if row is None:
            return None
        return _account(conn, row)


def list_accounts(store: Any) -> list[dict[str, Any]]:
    """Every account by username (without hashes)."""
    with store.transaction() as conn:
        rows = conn.execute(sa.select(USERS).order_by(USERS.c.username)).mappings().all()
        return [_account(conn, row) for row in rows]


def has_accounts(store: Any) -> bool:
    """True once any account exists."""
    with store.transaction() as conn:
        return conn.execute(sa.select(sa.exists().select_from(USERS))).scalar()


# -------------------------------------------------------------------------------------------- demo


def demo_accounts(store: Any) -> list[dict[str, Any]]:
    """The demo accounts for the stored jurisdiction: one per role a person holds, plus a township
    operator and leader. The team leader and the officer are the first two officers of the store's first
    sub-squad (中队; a squad when there is none), the township users are of that sub-squad's township, and
    the liaison represents a department unit there. Raises :class:`NotFound` when nothing is seeded yet."""
    with store.transaction() as conn:
        townships = conn.execute(sa.select(Township.code, Township.name).order_by(Township.code)).all()
        if not townships:
            raise NotFound("no jurisdiction stored yet: seed one before creating demo accounts")
        teams = conn.execute(sa.select(Team.code, Team.township_code, Team.kind, Team.department, Team.parent_code)
                             .order_by(Team.code)).all()
        officers = conn.execute(sa.select(Officer.code, Officer.name, Officer.team_code).order_by(Officer.code)).all()
    by_team: dict[str, list[Any]] = {}
    for officer in officers:
        by_team.setdefault(officer.team_code, []).append(officer)
    # a 中队长 leads a sub-squad (中队); without sub-squads, a squad. It needs two officers: leader, officer
    crews = [t for t in teams if t.kind in ("sub_squad", "squad") and t.township_code and len(by_team.get(t.code, ())) >= 2]
    crew = min(crews, key=lambda t: (t.kind != "sub_squad", t.code), default=None)
    township_code = crew.township_code if crew else townships[0].code
    township_name = dict(townships)[township_code]
    accounts: list[dict[str, Any]] = [
        {"username": "operator", "role": Role.OPERATOR, "display_name": "值班员（区）"},
        {"username": "leader", "role": Role.LEADER, "display_name": "区领导"},
        {"username": "scheduler", "role": Role.SCHEDULER, "display_name": "排班调度员"},
        {"username": "supervisor", "role": Role.SUPERVISOR, "display_name": "督查考核员"},
        {"username": "legal", "role": Role.LEGAL_REVIEWER, "display_name": "法制审核员"},
        {"username": "admin", "role": Role.ADMIN, "display_name": "系统管理员"},
        {"username": "operator_town", "role": Role.OPERATOR, "display_name": f"值班员（{township_name}）",
         "township_code": township_code},
        {"username": "leader_town", "role": Role.LEADER, "display_name": f"镇街领导（{township_name}）",
         "township_code": township_code},
    ]
    units = [t for t in teams if t.kind == "department_unit" and t.township_code == township_code]
    if units:
        accounts.append({"username": "liaison", "role": Role.DEPARTMENT_LIAISON, "display_name": "部门联络员",
                         "department": units[0].department, "township_code": township_code})
    if crew is not None:
        leader, officer = by_team[crew.code][:2]
        accounts.append({"username": "team_leader", "role": Role.TEAM_LEADER, "display_name": f"中队长 {leader.name}",
                         "township_code": township_code, "team_code": crew.code, "officer_code": leader.code})
        accounts.append({"username": "officer", "role": Role.OFFICER, "display_name": f"执法队员 {officer.name}",
                         "township_code": township_code, "team_code": crew.code, "officer_code": officer.code})
    return accounts


def create_demo_accounts(store: Any, password: str = DEMO_PASSWORD) -> list[dict[str, Any]]:
    """Create the :func:`demo_accounts` that do not exist yet (all with ``password``); the ones created."""
    created = []
    for spec in demo_accounts(store):
        if get_account(store, spec["username"]) is not None:
            continue
        spec = dict(spec)
        created.append(create_account(store, spec.pop("username"), password, spec.pop("role"), min_length=1, **spec))
    return created


# ----------------------------------------------------------------------------------------- helpers


def _account(conn: Connection, row: Any) -> dict[str, Any]:
    account = {key: row[key] for key in ("username", "display_name", "role", "township_code", "team_code",
                                        "department", "officer_code", "active", "created_at", "last_login_at")}
    account["stamp"] = stamp(row["password_hash"])
    try:
        actor = actor_for(conn, row["username"])
        account.update(actor_id=actor.id, teams=sorted(actor.teams), problem=None)
    except (StoreError, ValueError) as exc:
        account.update(actor_id=row["username"], teams=[], problem=str(exc))
    return account


def _role(role: str | Role) -> Role:
    try:
        value = Role(role)
    except ValueError:
        value = None
    if value is None or value is Role.SYSTEM:
        names = ", ".join(r.value for r in ACCOUNT_ROLES)
        raise InvalidData(f"unknown role {role!r}: one of {names}")
    return value


def _username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME.fullmatch(username):
        raise InvalidData(f"username {username!r}: 2–64 letters, digits, '_', '.' or '-', starting with a letter "
                          "or digit")
    return username


def _check_references(conn: Connection, row: dict[str, Any]) -> None:
    """Every code the account names exists, and the combination can act (see :class:`Actor`)."""
    who, role = row["username"], Role(row["role"])

    def exists(column: Any, value: str) -> bool:
        return conn.execute(sa.select(column).where(column == value)).first() is not None

    if row["township_code"] and not exists(Township.code, row["township_code"]):
        raise InvalidData(f"user {who!r}: no township {row['township_code']!r}")
    if row["team_code"]:
        team = conn.execute(sa.select(Team.township_code).where(Team.code == row["team_code"])).first()
        if team is None:
            raise InvalidData(f"user {who!r}: no team {row['team_code']!r}")
        if row["township_code"] and team.township_code and team.township_code != row["township_code"]:
            raise InvalidData(f"user {who!r}: team {row['team_code']} belongs to township {team.township_code}, "
                              f"not {row['township_code']}")
    if row["officer_code"]:
        officer = conn.execute(sa.select(Officer.team_code).where(Officer.code == row["officer_code"])).first()
        if officer is None:
            raise InvalidData(f"user {who!r}: no officer {row['officer_code']!r}")
    if role in (Role.OFFICER, Role.TEAM_LEADER) and not row["team_code"]:
        raise InvalidData(f"user {who!r}: {role.value.replace('_', ' ')}s must belong to a team (give --team)")
    if role is Role.DEPARTMENT_LIAISON and not row["department"]:
        raise InvalidData(f"user {who!r}: a department_liaison must name their department (give --department)")


def describe(accounts: Sequence[dict[str, Any]]) -> list[str]:
    """One line per account for a terminal: username, role, scope, team, state."""
    lines = []
    for a in accounts:
        scope = a["township_code"] or "district"
        team = f" team {a['team_code']}" if a["team_code"] else ""
        dept = f" dept {a['department']}" if a["department"] else ""
        state = "active" if a["active"] else "inactive"
        last = a["last_login_at"].isoformat(timespec="seconds") if a["last_login_at"] else "never"
        lines.append(f"{a['username']:<16} {Role(a['role']).label:<24} {scope:<10}{team}{dept}  {state}, "
                     f"last sign-in {last}")
    return lines
