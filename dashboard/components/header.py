"""The header every page shares: product name, page navigation, the 中文/English switch, who is signed in.

It is built per request (the app's layout is a function): the navigation lists only the pages the signed-in
role may open (:func:`dashboard.access.page_allowed_roles` — the pages check again on the server), and the
user's name and role sit beside a sign-out button (a form POST carrying the session's CSRF token).

The chosen language lives in the ``lang`` store (browser local storage, so it survives a reload); the
switch and the store are kept in step by one callback, and a client-side callback puts the language on
the app root as a class (``cc-lang-zh``/``cc-lang-en``) for the texts Leaflet draws itself.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard import access
from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import DEFAULT_LANGUAGE, normalise, t

SWITCH_ID = "lang-switch"
ROOT_ID = "cc-root"


def header() -> html.Header:
    """Brand, one link per registered page the signed-in role may open (in ``order``), the language
    switch, and the signed-in user with a sign-out button."""
    actor = access.current_actor()
    pages = sorted(
        (page for page in dash.page_registry.values()
         if page.get("text_key")  # pages without a nav text (a case's own page) are reached by links
         and actor is not None and access.allowed(actor, access.page_allowed_roles(page))),
        key=lambda page: page.get("order") or 0,
    )
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
            *([signed_in(actor)] if actor is not None else []),
        ],
        className="cc-header",
    )


def both(zh: str, en: str, **kwargs: Any) -> list[html.Span]:
    """A text in both languages; the app root's language class shows one (no callback needed)."""
    return [html.Span(zh, lang="zh", className="cc-i18n", **kwargs), html.Span(en, lang="en", className="cc-i18n")]


def signed_in(actor: Any) -> html.Div:
    """The user's name and role, and the sign-out form (POST /logout with the CSRF token)."""
    from cases.states import ROLE_LABELS

    account = access.current_account() or {}
    scope = account.get("township_code")
    role_en = actor.role.value.replace("_", " ")
    return html.Div(
        [
            html.Div(
                [
                    html.Span(account.get("display_name") or actor.id, className="cc-user-name", id="cc-user-name"),
                    html.Span(
                        [*both(ROLE_LABELS[actor.role], role_en), *([f" · {scope}"] if scope else [])],
                        className="cc-user-role",
                        id="cc-user-role",
                        **{"data-role": actor.role.value},
                    ),
                ],
                className="cc-user-text",
            ),
            html.Form(
                [
                    dcc.Input(type="hidden", name=access.CSRF_FORM_FIELD, value=access.csrf_token()),
                    html.Button(both("退出", "Sign out"), type="submit", className="cc-logout", id="cc-logout"),
                ],
                method="POST",
                action=access.LOGOUT_PATH,
                className="cc-logout-form",
            ),
        ],
        className="cc-user",
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
