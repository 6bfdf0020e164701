"""Translated text: a span that follows the language switch.

``text("app.title")`` renders the Chinese text at once (no flash of empty labels) and one app-wide,
pattern-matching callback rewrites every such span when the language in the ``lang`` store changes.
Give ``slot`` when the same key appears twice on one page, so the two ids differ.
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, callback, html

from dashboard.i18n import DEFAULT_LANGUAGE, normalise, t

LANG_STORE = "lang"
TEXT_TYPE = "i18n"


def text(key: str, *, slot: str = "", className: str | None = None) -> html.Span:
    """A span showing ``key`` in the current interface language."""
    t(key)  # fail at layout time, not in the browser, for an unknown key
    return html.Span(t(key, DEFAULT_LANGUAGE), id={"type": TEXT_TYPE, "key": key, "slot": slot}, className=className)


@callback(
    Output({"type": TEXT_TYPE, "key": ALL, "slot": ALL}, "children"),
    Input(LANG_STORE, "data"),
    State({"type": TEXT_TYPE, "key": ALL, "slot": ALL}, "id"),
)
def translate(lang: str | None, ids: list[dict]) -> list[str]:
    lang = normalise(lang)
    return [t(i["key"], lang) for i in ids]
