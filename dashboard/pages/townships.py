"""镇街闭环看板 — the closed loop per township, for leaders, supervisors and the command center.

For the cases opened in the chosen days (default the last 30): per township the funnel reported →
accepted → dispatched → handled → closed (count and share of reported), rework, transfers to departments,
extensions and overdue; the median and p90 of each step's time; the league with each component of the
score (value, weight, points). A click on a township (or the township filter) drills down into its
communities and its teams — the same funnel and step times, the team a case is with now.

Everything comes from :mod:`briefing.board`, itself the KPIs of :mod:`store.kpis` (defined once) and one
funnel query. A township user sees their township only: the board, its rank among all townships, and its
communities and teams; asking for another township's drill-down (the filter, a drill button or a direct
call of the callback) is refused with 403 on the server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dash
from dash import ALL, Input, Output, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from briefing.board import Board, board
from briefing.period import Days, PeriodError, local_today, parse_days
from cases.states import Role
from dashboard import access
from dashboard.components import board_panels as panels
from dashboard.components.changes import TtlCache
from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import normalise, t
from dashboard.runtime import current
from store.case_queue import names as store_names

ROLES = (Role.LEADER, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)

dash.register_page(__name__, path="/townships", name="镇街闭环看板", title=t("tw.title"), order=20,
                   text_key="nav.townships", roles=ROLES)

RANGE_ID, TOWNSHIP_ID, HEADING_ID, MESSAGE_ID = "tw-range", "tw-township", "tw-heading", "tw-message"
WEEK_ID, MONTH_ID, QUARTER_ID = "tw-7", "tw-30", "tw-90"
FUNNEL_ID, LOOP_ID, STEPS_ID, LEAGUE_ID = "tw-funnel", "tw-loop", "tw-steps", "tw-league"
DRILL_ID, DRILL_TITLE_ID, DRILL_FUNNEL_ID, COMMUNITIES_ID, TEAMS_ID = (
    "tw-drill", "tw-drill-title", "tw-drill-funnel", "tw-communities", "tw-teams")
DEFAULT_DAYS = 30

_boards = TtlCache(max_entries=32)


def period(start: Any, end: Any) -> Days:
    return parse_days(start, end, today=local_today())


def default_days() -> Days:
    today = local_today()
    return Days(today - timedelta(days=DEFAULT_DAYS - 1), today)


def viewer_scope() -> tuple[str, ...] | None:
    actor = access.check(*ROLES)
    return None if actor.township_code is None else (actor.township_code,)


def checked_township(code: str | None) -> str | None:
    """The township to drill into, refused (403) outside the viewer's scope or when unknown; a township
    user without a choice gets their own."""
    actor = access.check(*ROLES)
    if not code:
        return actor.township_code
    access.check_scope(actor, code)
    if code not in store_names(current().store).townships:
        raise access.NotAllowed(f"无权访问 · no township {code!r}")
    return code


def cached_board(level: str, days: Days, townships: tuple[str, ...] | None, groups: tuple[str, ...]) -> Board:
    """:func:`briefing.board.board`, shared for a minute per level, days, scope and rows."""
    store = current().store
    now = datetime.now(UTC)
    end = max(min(days.end, now), days.start + timedelta(seconds=1))

    def read() -> Board:
        return board(store, level, days.start, end, townships, groups)

    ttl = 60.0 if days.end > now else 600.0
    return _boards.get_or_compute((id(store), level, days.key(), townships, groups), ttl, read)


def namer(kind: str, lang: str):
    known = store_names(current().store)
    return lambda code: known.name(kind, code, lang)


# -------------------------------------------------------------------------------------------- layout


@access.page_roles(*ROLES)
def layout(start: str | None = None, end: str | None = None, township: str | None = None, **_query: Any) -> html.Div:
    actor = access.current_actor()
    own = actor.township_code if actor else None
    known = store_names(current().store)
    try:
        days = period(start, end) if start else default_days()
    except PeriodError:
        days = default_days()
    chosen = own or (township if township in known.townships else None)
    options = [{"value": code, "label": known.name("townships", code)} for code in sorted(known.townships)
               if own is None or code == own]
    graph = {"displayModeBar": False, "responsive": True}
    return html.Div(
        [
            html.Div([html.H1(text("tw.title", slot="page"), className="sit-title"),
                      html.Div(id=HEADING_ID, className="sit-heading")], className="sit-head"),
            html.Div(
                [
                    html.Div([html.Button(text("tw.last7"), id=WEEK_ID, n_clicks=0, className="sit-chip"),
                              html.Button(text("tw.last30"), id=MONTH_ID, n_clicks=0, className="sit-chip"),
                              html.Button(text("tw.last90"), id=QUARTER_ID, n_clicks=0, className="sit-chip")],
                             className="sit-chips"),
                    dcc.DatePickerRange(id=RANGE_ID, start_date=days.first.isoformat(), end_date=days.last.isoformat(),
                                        max_date_allowed=local_today().isoformat(), display_format="YYYY-MM-DD",
                                        first_day_of_week=1, minimum_nights=0, className="sit-range"),
                    dcc.Dropdown(id=TOWNSHIP_ID, options=options, value=chosen, placeholder=t("tw.pick"),
                                 clearable=own is None, disabled=own is not None, className="sit-township"),
                ],
                className="sit-controls",
            ),
            html.Div(id=MESSAGE_ID, className="sit-message", role="alert"),
            html.Div(
                [
                    html.Section([html.H2(text("tw.funnel"), className="sit-h2"),
                                  dcc.Graph(id=FUNNEL_ID, config=graph, className="sit-graph",
                                            style={"height": f"{panels.FUNNEL_HEIGHT}px"})],
                                 className="sit-card tw-card-funnel"),
                    html.Section([html.H2(text("tw.league"), className="sit-h2"), html.Div(id=LEAGUE_ID)],
                                 className="sit-card tw-card-league"),
                    html.Section([html.H2(text("tw.loop"), className="sit-h2"),
                                  html.P(text("tw.loop.hint"), className="sit-note"), html.Div(id=LOOP_ID)],
                                 className="sit-card sit-wide tw-card-loop"),
                    html.Section([html.H2(text("tw.steps"), className="sit-h2"), html.Div(id=STEPS_ID)],
                                 className="sit-card sit-wide tw-card-steps"),
                    # filled when a township is chosen: a plot drawn while hidden would keep a wrong size
                    html.Section(id=DRILL_ID, className="sit-card sit-wide tw-card-drill tw-hidden"),
                ],
                className="sit-grid",
            ),
        ],
        className="cc-page sit-page tw-page",
    )


# ----------------------------------------------------------------------------------------- callbacks


@callback(Output(RANGE_ID, "start_date"), Output(RANGE_ID, "end_date"),
          Input(WEEK_ID, "n_clicks"), Input(MONTH_ID, "n_clicks"), Input(QUARTER_ID, "n_clicks"),
          prevent_initial_call=True)
@access.require(*ROLES)
def quick_range(_w: int, _m: int, _q: int) -> tuple[str, str]:
    """The last 7, 30 or 90 days, today included."""
    span = {WEEK_ID: 7, MONTH_ID: 30, QUARTER_ID: 90}.get(ctx.triggered_id, DEFAULT_DAYS)
    today = local_today()
    return (today - timedelta(days=span - 1)).isoformat(), today.isoformat()


@callback(
    Output(HEADING_ID, "children"), Output(FUNNEL_ID, "figure"), Output(LOOP_ID, "children"),
    Output(STEPS_ID, "children"), Output(LEAGUE_ID, "children"), Output(MESSAGE_ID, "children"),
    Output(TOWNSHIP_ID, "options"), Output(TOWNSHIP_ID, "placeholder"),
    Input(RANGE_ID, "start_date"), Input(RANGE_ID, "end_date"), Input(LANG_STORE, "data"),
    Input(TOWNSHIP_ID, "value"),
)
@access.require(*ROLES)
def refresh(start: str | None, end: str | None, lang: str | None, selected: str | None) -> tuple:
    """The township level of the board for the chosen days (the scope's townships only)."""
    lang = normalise(lang)
    scope = viewer_scope()
    try:
        days = period(start, end)
    except PeriodError as exc:
        return (*([no_update] * 5), t("sit.bad_period", lang, reason=str(exc)), no_update, no_update)
    codes = tuple(sorted(store_names(current().store).townships)) if scope is None else scope
    result = cached_board("township", days, scope, codes)
    name = namer("townships", lang)
    heading = [html.Span(t("tw.scope", lang, name=name(scope[0])) if scope else t("sit.district", lang),
                         className="sit-scope-name"),
               html.Span(days.label(), className="sit-days"),
               html.Span(t("tw.cohort", lang), className="sit-as-of")]
    return (heading, panels.funnel_figure(result.totals(), lang),
            panels.loop_table(result, name, lang, pick=True, selected=selected),
            panels.steps_table(result, name, lang), panels.league_table(result, name, lang), "",
            [{"value": code, "label": name(code)} for code in codes], t("tw.pick", lang))


@callback(Output(TOWNSHIP_ID, "value"), Input({"type": panels.PICK, "code": ALL}, "n_clicks"),
          prevent_initial_call=True)
@access.require(*ROLES)
def pick(clicks: list[int | None]) -> str:
    """A click on a township's name drills down into it (refused outside the viewer's scope)."""
    if not ctx.triggered_id or not any(clicks or []):
        raise PreventUpdate
    return checked_township(ctx.triggered_id["code"])


@callback(
    Output(DRILL_ID, "className"), Output(DRILL_ID, "children"),
    Input(TOWNSHIP_ID, "value"), Input(RANGE_ID, "start_date"), Input(RANGE_ID, "end_date"), Input(LANG_STORE, "data"),
)
@access.require(*ROLES)
def drill(township: str | None, start: str | None, end: str | None, lang: str | None) -> tuple:
    """The communities and teams of the chosen township: their funnel, step times and rework."""
    lang = normalise(lang)
    code = checked_township(township)
    shown = "sit-card sit-wide tw-card-drill"
    if not code:
        return shown + " tw-hidden", []
    try:
        days = period(start, end)
    except PeriodError:
        raise PreventUpdate from None
    store = current().store
    known = store_names(store)
    communities = tuple(sorted(store.communities(code)["code"]))
    teams = tuple(known.teams_of(code, kinds=("squad", "sub_squad", "department_unit")))
    by_community = cached_board("community", days, (code,), communities)
    by_team = cached_board("team", days, (code,), teams)
    community_name, team_name = namer("communities", lang), namer("teams", lang)
    graph = {"displayModeBar": False, "responsive": True}
    return shown, [
        html.H2(t("tw.drill", lang, name=known.name("townships", code, lang)), id=DRILL_TITLE_ID, className="sit-h2"),
        html.Div([
            dcc.Graph(id=DRILL_FUNNEL_ID, figure=panels.funnel_figure(by_community.totals(), lang), config=graph,
                      className="sit-graph tw-drill-funnel", style={"height": f"{panels.FUNNEL_HEIGHT}px"}),
            html.Div([html.H3(t("tw.communities", lang), className="sit-h3"),
                      html.Div([panels.loop_table(by_community, community_name, lang),
                                panels.steps_table(by_community, community_name, lang)], id=COMMUNITIES_ID),
                      html.H3(t("tw.teams", lang), className="sit-h3"),
                      html.Div([panels.loop_table(by_team, team_name, lang),
                                panels.steps_table(by_team, team_name, lang)], id=TEAMS_ID)],
                     className="tw-drill-tables"),
        ], className="tw-drill-body"),
    ]
