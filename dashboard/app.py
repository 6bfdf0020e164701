"""The Dash app: shared header, the app-wide language store and the page container (Dash Pages).

Each page is one module in ``dashboard/pages``; shared pieces are in ``dashboard/components``.
Signing in (``/login``, :mod:`dashboard.login`) and the checks in front of every request
(:mod:`dashboard.access`) are installed here; the layout is built per request, so the header shows the
signed-in user and only the pages their role may open.
Everything the browser loads is served from here (``serve_locally``), compressed; debug stays off
because Dash's dev tools call a version-check host on the internet.
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash, dcc, html

from dashboard.i18n import t
from dashboard.runtime import CONFIG_KEY, Runtime

HERE = Path(__file__).resolve().parent


def create_app(runtime: Runtime) -> Dash:
    """The app serving ``runtime``'s store; call once per process (pages register global callbacks)."""
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title=t("app.title"),
        update_title=None,
        compress=True,
        serve_locally=True,
        suppress_callback_exceptions=True,
    )
    app.server.config[CONFIG_KEY] = runtime
    from dashboard import access, login, media
    from dashboard.components.header import ROOT_ID, header  # after Dash(): the header lists the pages
    from dashboard.components.text import LANG_STORE

    login.install(app.server, runtime.store, runtime.jurisdiction_name)
    access.install(app)
    media.install(app.server)  # evidence photos, served only within the case's scope

    def layout() -> html.Div:
        """Per request: the header knows who is signed in."""
        return html.Div(
            [dcc.Store(id=LANG_STORE, storage_type="local"), header(), html.Main(dash.page_container, className="cc-main")],
            id=ROOT_ID,
            className="cc-app cc-lang-zh",
        )

    app.layout = layout
    return app
