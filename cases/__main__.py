"""``python -m cases simulate | league`` — the closed loop's commands, run by :mod:`sim`.

``cases`` is the pure domain core: it never imports the store, SQLAlchemy or a driver. This module is only
its command-line edge: it reads nothing but the command's name and hands the rest to ``python -m sim``
(:func:`sim.__main__.main`), importing it when a command runs — never when ``cases`` or this module is
imported — so the core stays free of the database while ``python -m cases simulate --days 30`` drives a
simulated month through the case service.

>>> delegate(["simulate", "--days", "30"])
('sim', ['simulate', '--days', '30'])
>>> delegate(["simulate", "--days", "1", "--database-url", "sqlite:///s.sqlite"])  # sim wants it first
('sim', ['--database-url', 'sqlite:///s.sqlite', 'simulate', '--days', '1'])
>>> delegate(["--help"])[0], delegate(["audit"])[0]
('cases', 'cases')
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

COMMANDS: Mapping[str, tuple[str, str]] = {
    "simulate": ("sim", "a simulated month of reports and cases through the case service (python -m sim simulate)"),
    "league": ("sim", "the KPIs of a period and the township league table (python -m sim league)"),
}
"""Command → (the package whose ``__main__.main`` runs it, what it does)."""


def delegate(argv: Sequence[str]) -> tuple[str, list[str]]:
    """(the package that runs ``argv``, its arguments): ``("cases", argv)`` when no package does."""
    args = list(argv)
    if not args or args[0] not in COMMANDS:
        return "cases", args
    front: list[str] = []  # sim's own option goes before its command, wherever it was typed here
    for k, arg in enumerate(args):
        if arg.startswith("--database-url="):
            front = [arg]
            args = args[:k] + args[k + 1:]
            break
        if arg == "--database-url" and k + 1 < len(args):
            front = args[k:k + 2]
            args = args[:k] + args[k + 2:]
            break
    return COMMANDS[args[0]][0], front + args


def usage() -> str:
    lines = ["usage: python -m cases COMMAND [options]  (COMMAND --help for its options)", "", "commands:"]
    lines += [f"  {name:<9} {what}" for name, (_, what) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    target, args = delegate(sys.argv[1:] if argv is None else argv)
    if target == "sim":
        from sim.__main__ import main as run  # the store and SQLAlchemy come in here, at run time only

        return run(args)
    print(usage(), file=sys.stderr if args and args[0] not in ("-h", "--help") else sys.stdout)
    return 0 if args and args[0] in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())
