"""``python -m store upgrade | seed DIR | counts | users …`` — migrate, seed and inspect the store; accounts.

The store is the one ``DATABASE_URL`` names (embedded SQLite at data/command_center.sqlite when unset), or
``--database-url``. Errors print one line to stderr and exit with status 1.

``users list | add NAME --role R … | passwd NAME | activate NAME | deactivate NAME | demo`` manage who can
sign in (:mod:`store.accounts`). A password is asked twice on a terminal, or read as one line from stdin
with ``--password-stdin``; it never appears on the command line.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path

from store import StoreError, open_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="overrides DATABASE_URL (sqlite:///file or postgresql+psycopg://…)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="create or migrate the schema to the newest revision (idempotent)")
    seed = commands.add_parser("seed", help="migrate, then load a jurisdiction folder into the empty store")
    seed.add_argument("folder", type=Path, help="a jurisdiction folder (manifest.json + layers), e.g. data/demo")
    commands.add_parser("counts", help="print the rows per table as JSON")
    add_user_commands(commands)
    args = parser.parse_args(argv)

    store = open_store(args.database_url)
    try:
        if args.command == "upgrade":
            store.upgrade()
            print(f"{store.backend} store at revision {store.revision()}")
        elif args.command == "seed":
            store.upgrade()
            started = time.perf_counter()
            loaded = store.seed_jurisdiction(args.folder)
            seconds = time.perf_counter() - started
            rows = sum(loaded.values())
            print(json.dumps(loaded, ensure_ascii=False))
            print(f"seeded {rows} rows from {args.folder} into the {store.backend} store in {seconds:.2f} s")
        elif args.command == "users":
            return users(store, args)
        else:
            print(json.dumps(store.counts(), ensure_ascii=False, indent=1))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def add_user_commands(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("users", help="accounts: list, add, passwd, activate, deactivate, demo")
    actions = users.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every account: role, township, team, state, last sign-in")
    listing.add_argument("--json", action="store_true", help="one JSON list instead of a table")
    add = actions.add_parser("add", help="create an account (the password is asked, or read from stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, help="operator, leader, scheduler, team_leader, officer, admin, "
                                                   "supervisor, legal_reviewer, department_liaison")
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--township", help="township code: the account sees and acts in this township only")
    add.add_argument("--team", help="team code (officers and team leaders)")
    add.add_argument("--department", help="department (department liaisons)")
    add.add_argument("--officer", help="officer code the audit trail records for this account")
    add.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    passwd = actions.add_parser("passwd", help="set a new password (every session of the account ends)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    for name, what in (("activate", "allow the account to sign in again"),
                       ("deactivate", "stop the account signing in; its sessions end")):
        actions.add_parser(name, help=what).add_argument("username")
    demo = actions.add_parser("demo", help="create the demo accounts (one per role, on the stored jurisdiction)")
    demo.add_argument("--password", default="demo", help="their password (default: demo)")


def users(store: object, args: argparse.Namespace) -> int:
    from store import accounts

    store.upgrade()
    if args.action == "list":
        rows = accounts.list_accounts(store)
        if args.json:
            print(json.dumps([{k: v for k, v in a.items() if k != "stamp"} for a in rows], ensure_ascii=False,
                             default=str, indent=1))
        else:
            print("\n".join(accounts.describe(rows)) or "no accounts")
    elif args.action == "add":
        account = accounts.create_account(
            store, args.username, read_password(args.password_stdin), args.role, display_name=args.name,
            township_code=args.township, team_code=args.team, department=args.department,
            officer_code=args.officer,
        )
        print(f"created {accounts.describe([account])[0]}")
    elif args.action == "passwd":
        if accounts.get_account(store, args.username) is None:
            print(f"error: no user {args.username!r}", file=sys.stderr)
            return 1
        accounts.set_password(store, args.username, read_password(args.password_stdin))
        print(f"new password set for {args.username}; their sessions have ended")
    elif args.action in ("activate", "deactivate"):
        accounts.set_active(store, args.username, args.action == "activate")
        print(f"{args.username} {args.action}d")
    else:
        created = accounts.create_demo_accounts(store, args.password)
        print("\n".join(accounts.describe(created)) if created else "the demo accounts exist already")
        print(f"{len(created)} demo accounts created (password: {args.password})")
    return 0


def read_password(from_stdin: bool) -> str:
    """One line of stdin, or asked twice without echo on a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise StoreError("the two passwords differ")
    return first


if __name__ == "__main__":
    sys.exit(main())
