"""账号管理 — the accounts and their roles, for administrators only.

Who can sign in, with which role, township scope and team, whether the account is active and when it last
signed in; filtered by role. Changes are made on the command line (``python -m store users …``). The page
and its one callback are limited to administrators on the server (:mod:`dashboard.access`).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash
from dash import Input, Output, callback, dcc, html

from cases.states import ROLE_LABELS, Role
from dashboard import access
from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import DEFAULT_LANGUAGE, normalise, t
from dashboard.runtime import current

ROLES = (Role.ADMIN,)
SHANGHAI = ZoneInfo("Asia/Shanghai")

dash.register_page(__name__, path="/accounts", name="账号管理", title=t("app.title"), order=90,
                   text_key="nav.accounts", roles=ROLES)

ROLE_FILTER_ID = "acc-role"
TABLE_ID = "acc-table"
COLUMNS = ("username", "display_name", "role", "township", "team", "state", "last_login")


@access.page_roles(*ROLES)
def layout(**_query: Any) -> html.Div:
    return html.Div(
        [
            html.H2(text("accounts.title"), className="cc-panel-heading"),
            dcc.Dropdown(
                id=ROLE_FILTER_ID,
                options=role_options(DEFAULT_LANGUAGE),
                placeholder=t("accounts.all_roles"),
                clearable=True,
                className="cc-accounts-filter",
            ),
            html.Div(id=TABLE_ID, className="cc-accounts-table"),
            html.P(text("accounts.hint"), className="cc-panel-hint"),
        ],
        className="cc-page cc-page-accounts",
    )


def role_options(lang: str) -> list[dict[str, str]]:
    return [{"label": ROLE_LABELS[r] if lang == "zh" else r.value.replace("_", " "), "value": r.value}
            for r in Role if r is not Role.SYSTEM]


@callback(Output(TABLE_ID, "children"), Input(ROLE_FILTER_ID, "value"), Input(LANG_STORE, "data"))
@access.require(*ROLES)
def show_accounts(role: str | None, lang: str | None) -> html.Div:
    """The accounts (of one role when chosen), as a table in the interface language."""
    from store import accounts

    lang = normalise(lang)
    rows = [a for a in accounts.list_accounts(current().store) if not role or a["role"] == role]
    return account_table(rows, lang)


def account_table(rows: list[dict[str, Any]], lang: str) -> html.Div:
    """The table of ``rows`` (from :func:`store.accounts.list_accounts`) and their count."""
    def cells(a: dict[str, Any]) -> list[Any]:
        role = Role(a["role"])
        last = (a["last_login_at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if a["last_login_at"]
                else t("accounts.never", lang))
        return [
            a["username"], a["display_name"], ROLE_LABELS[role] if lang == "zh" else role.value.replace("_", " "),
            a["township_code"] or t("accounts.district", lang), a["team_code"] or a["department"] or "",
            t("accounts.active" if a["active"] else "accounts.inactive", lang), last,
        ]

    return html.Div([
        html.P(t("accounts.count", lang, n=len(rows)), className="cc-panel-hint"),
        html.Table(
            [html.Thead(html.Tr([html.Th(t(f"accounts.col.{c}", lang)) for c in COLUMNS])),
             html.Tbody([html.Tr([html.Td(v) for v in cells(a)], **{"data-username": a["username"]}) for a in rows])],
            className="cc-table",
        ),
    ])
