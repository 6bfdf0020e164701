"""The channel adapters, registered by name: adding a channel is adding one module (and its sample file).

Every module of this package except ``base`` defines ``CHANNEL``, an instance of a
:class:`~ingest.channels.base.Channel` subclass whose ``name`` is how callers ask for it
(``parse("hotline_12345", ...)``). The registry is built by looking at the package's modules, so a new
module is picked up without touching this file; ``tests/ingest/test_samples.py`` insists that every
registered channel has a sample file in ``data/samples/`` and a section in its README.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from ingest.channels.base import Channel, Context


class UnknownChannel(KeyError):
    """A channel name that no adapter answers to (a caller's mistake, not a record's)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown channel"


@lru_cache(maxsize=1)
def registry() -> dict[str, Channel]:
    """Channel name → adapter, in name order."""
    found: dict[str, Channel] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_") or module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        channel = getattr(module, "CHANNEL", None)
        if not isinstance(channel, Channel):
            raise TypeError(f"{module.__name__} defines no CHANNEL adapter instance")
        if channel.name in found:
            raise TypeError(f"two adapters are called {channel.name!r}")
        found[channel.name] = channel
    return dict(sorted(found.items()))


def channel_names() -> tuple[str, ...]:
    return tuple(registry())


def get_channel(name: str) -> Channel:
    """The adapter called ``name``; :class:`UnknownChannel` lists the known ones otherwise."""
    try:
        return registry()[name]
    except (KeyError, TypeError):
        raise UnknownChannel(f"unknown channel {name!r}: known channels are {', '.join(registry())}") from None


__all__ = ["Channel", "Context", "UnknownChannel", "channel_names", "get_channel", "registry"]
