"""What the running dashboard knows about its world: the store, the jurisdiction and the map base.

:mod:`dashboard.bootstrap` builds one :class:`Runtime` at start-up and :func:`dashboard.app.create_app`
keeps it in the Flask config; page layouts and callbacks run inside a request and fetch it with
:func:`current`, so no page opens a store of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flask

CONFIG_KEY = "COMMAND_CENTER_RUNTIME"


@dataclass(frozen=True)
class Runtime:
    """The store and the facts about the jurisdiction every page needs.

    Attributes
    ----------
    store
        The open :mod:`store` (``store.open_store``).
    jurisdiction_name : str
        As the store keeps it from the seeded folder's manifest (``store.jurisdiction_info()``).
    demo_boundaries : bool
        The boundaries were drawn by the demo generator: every map says so (示意边界). From the store,
        so imported real boundaries are never labelled demo ones.
    extent : tuple
        (min_lon, min_lat, max_lon, max_lat) of the townships, the map's opening view.
    tile_url, tile_attribution : str
        An XYZ tile server for the map base (env TILE_URL); empty for the plain, offline base.
    """

    store: Any
    jurisdiction_name: str
    demo_boundaries: bool
    extent: tuple[float, float, float, float]
    tile_url: str = ""
    tile_attribution: str = ""


def current() -> Runtime:
    """The runtime of the app serving the current request."""
    try:
        return flask.current_app.config[CONFIG_KEY]
    except KeyError:
        raise RuntimeError("the dashboard was started without a Runtime: use dashboard.app.create_app") from None
