"""The header every page shares: product name, page navigation and the 中文/English switch.

The chosen language lives in the ``lang`` store (browser local storage, so it survives a reload); the
switch and the store are kept in step by one callback, and a client-side callback puts the language on
the app root as a class (``cc-lang-zh``/``cc-lang-en``) for the texts Leaflet draws itself.
"""

from __future__ import annotations

import dash
from dash import Input, Output, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import DEFAULT_LANGUAGE, normalise, t

SWITCH_ID = "lang-switch"
ROOT_ID = "cc-root"


def header() -> html.Header:
    """Brand, one link per registered page (in ``order``), and the language switch."""
    pages = sorted(dash.page_registry.values(), key=lambda page: page.get("order") or 0)
    return html.Header(
        [
            html.Div(
                [
                    html.Div("执", className="cc-emblem", **{"aria-hidden": "true"}),
                    html.Div(
                        [text("app.title", className="cc-title"), text("app.subtitle", className="cc-subtitle")],
                        className="cc-brand-text",
                    ),
                ],
                className="cc-brand",
            ),
            html.Nav(
                [
                    dcc.Link(text(page["text_key"], slot="nav"), href=page["relative_path"], className="cc-nav-link")
                    for page in pages
                ],
                className="cc-nav",
            ),
            dcc.RadioItems(
                id=SWITCH_ID,
                options=[{"label": t("lang.zh"), "value": "zh"}, {"label": t("lang.en"), "value": "en"}],
                value=DEFAULT_LANGUAGE,
                inline=True,
                className="cc-lang-switch",
                inputClassName="cc-lang-input",
                labelClassName="cc-lang-label",
            ),
        ],
        className="cc-header",
    )


@callback(
    Output(LANG_STORE, "data"),
    Output(SWITCH_ID, "value"),
    Input(SWITCH_ID, "value"),
    Input(LANG_STORE, "data"),
)
def keep_language(switch: str | None, stored: str | None) -> tuple:
    """The switch writes the store; on load the stored choice sets the switch."""
    if ctx.triggered_id == SWITCH_ID:
        return normalise(switch), no_update
    return no_update, normalise(stored)


clientside_callback(
    """function(lang) {
        lang = (lang === "en") ? "en" : "zh";
        document.documentElement.lang = (lang === "en") ? "en" : "zh-CN";
        return "cc-app cc-lang-" + lang;
    }""",
    Output(ROOT_ID, "className"),
    Input(LANG_STORE, "data"),
)
