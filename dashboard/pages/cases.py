"""案件队列 — the case queue: every case in the viewer's scope, filtered, sorted, with its traffic light.

An AG Grid in the infinite row model: the browser asks for one block of rows at a time (with the sort it
shows) and :func:`rows` answers from :func:`store.case_queue.queue_block` — filtering, sorting and paging
happen in the database, so the page is as quick with 50,000 open cases and millions closed as with fifty.
The filters above the grid (status, township, item, traffic light, text) are read by the server with
every block; changing one empties the grid's cache so it asks again.

Live: every two seconds the page asks whether anything changed (:func:`dashboard.components.changes.current_version`:
a report stored or a case step anywhere, across server processes) and, only when it did, has the grid re-fetch
the blocks on screen.

Scope is the server's: the township filter offers only the viewer's township to a township user, and the
query is limited to it whatever the browser sends (a township outside it is refused with 403).
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from cases.calendar import SHANGHAI
from cases.states import Role, Status
from dashboard import access
from dashboard.components import changes
from dashboard.components.text import LANG_STORE, text
from dashboard.i18n import DEFAULT_LANGUAGE, has, normalise, t
from dashboard.runtime import current
from store import InvalidData
from store.case_queue import (
    LIGHTS,
    MAX_BLOCK,
    OPEN,
    SORTS,
    QueueQuery,
    names,
    queue_block,
    queue_count,
    township_options,
)

ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.LEADER, Role.LEGAL_REVIEWER)
"""Who works or reviews the queue: the command center's desk, supervisors, leaders, legal reviewers.
Teams see their own cases on the officer page; a case page is open to them for their team's cases."""

dash.register_page(__name__, path="/cases", name="案件队列", title="案件队列", order=30, text_key="nav.cases",
                   roles=ROLES)

log = logging.getLogger(__name__)

GRID_ID = "cases-grid"
STATUS_ID = "cases-status"
TOWNSHIP_ID = "cases-township"
ITEM_ID = "cases-item"
LIGHT_ID = "cases-light"
TEXT_ID = "cases-text"
COUNT_ID = "cases-count"
POLL_ID = "cases-poll"
VERSION_ID = "cases-version"
PURGED_ID = "cases-purged"
REFRESHED_ID = "cases-refreshed"
BLOCK = 100
POLL_MS = 2000
ALL_STATUSES = "all"
OPEN_STATUSES = "open"
TIME_FORMAT = "%Y-%m-%d %H:%M"
COLUMNS = (  # (field, text key, width) — the field is the sort key of store.case_queue.SORTS, or not sortable
    ("code", "cases.col.code", 250), ("township", "cases.col.township", 120), ("community", "cases.col.community", 130),
    ("item", "cases.col.item", 150), ("channel", "cases.col.channel", 120), ("status", "cases.col.status", 100),
    ("priority", "cases.col.priority", 90), ("opened_at", "cases.col.opened", 150),
    ("deadline_at", "cases.col.deadline", 150), ("light_label", "cases.col.light", 140), ("team", "cases.col.team", 200),
)
_SAFE_CODE = re.compile(r"[^A-Za-z0-9_.-]")


# --------------------------------------------------------------------------------------------- layout


@access.page_roles(*ROLES)
def layout(**_query: Any) -> html.Div:
    actor = access.current_actor()
    scope = actor.township_code if actor else None
    lang = DEFAULT_LANGUAGE
    return html.Div(
        [
            html.Div(
                [
                    html.H2(text("cases.title"), className="cc-cases-title"),
                    _filter("cases.filter.status", dcc.Dropdown(id=STATUS_ID, options=status_options(lang),
                                                               value=OPEN_STATUSES, clearable=False)),
                    _filter("cases.filter.township", dcc.Dropdown(
                        id=TOWNSHIP_ID, options=_township_options(scope, lang), value=scope,
                        placeholder=t("cases.filter.any", lang), disabled=scope is not None)),
                    _filter("cases.filter.item", dcc.Dropdown(id=ITEM_ID, options=_item_options(lang),
                                                             placeholder=t("cases.filter.any", lang))),
                    _filter("cases.filter.light", dcc.Dropdown(id=LIGHT_ID, options=light_options(lang),
                                                              placeholder=t("cases.filter.any", lang))),
                    _filter("cases.filter.search", dcc.Input(
                        id=TEXT_ID, type="search", debounce=0.4, placeholder=t("cases.filter.text", lang),
                        className="cc-cases-search", maxLength=100), className="cc-filter cc-filter-search"),
                    html.Div(id=COUNT_ID, className="cc-cases-count", **{"aria-live": "polite"}),
                ],
                className="cc-cases-filters",
            ),
            html.Div(
                dag.AgGrid(
                    id=GRID_ID,
                    rowModelType="infinite",
                    columnDefs=column_defs(lang),
                    defaultColDef={"sortable": True, "resizable": True, "filter": False},
                    getRowId="params.data.id",
                    dashGridOptions={
                        "cacheBlockSize": BLOCK, "maxBlocksInCache": 20, "maxConcurrentDatasourceRequests": 1,
                        "infiniteInitialRowCount": 1, "rowBuffer": 10, "rowHeight": 34, "headerHeight": 38,
                        "suppressCellFocus": True, "animateRows": False,
                    },
                    style={"height": "100%", "width": "100%"},
                    className="cc-cases-ag",
                ),
                className="cc-cases-grid",
            ),
            dcc.Interval(id=POLL_ID, interval=POLL_MS),
            dcc.Store(id=VERSION_ID),
            dcc.Store(id=PURGED_ID),
            dcc.Store(id=REFRESHED_ID),
        ],
        className="cc-page cc-page-cases",
    )


def _filter(key: str, control: Any, className: str = "cc-filter") -> html.Label:
    return html.Label([html.Span(text(key), className="cc-filter-label"), control], className=className)


def column_defs(lang: str) -> list[dict[str, Any]]:
    """The grid's columns in ``lang``; the light column is coloured by the row's light, never sorted."""
    defs = []
    for field, key, width in COLUMNS:
        column: dict[str, Any] = {"field": field, "headerName": t(key, lang), "minWidth": width, "flex": width,
                                  "sortable": field in SORTS}
        if field == "code":
            column.update(cellRenderer="markdown", pinned="left", width=width, flex=None)
        if field == "deadline_at":
            column["sort"] = "asc"
        if field == "light_label":
            column["cellClassRules"] = {f"cc-light-cell cc-light-{value}": f"params.data && params.data.light === '{value}'"
                                        for value in LIGHTS}
        if field == "status":
            column["cellClassRules"] = {f"cc-status-{s.value}": f"params.data && params.data.status_code === '{s.value}'"
                                        for s in Status}
        defs.append(column)
    return defs


def status_options(lang: str) -> list[dict[str, str]]:
    return [{"value": OPEN_STATUSES, "label": t("cases.filter.open", lang)},
            *({"value": s.value, "label": t(f"status.{s.value}", lang)} for s in Status),
            {"value": ALL_STATUSES, "label": t("cases.filter.all", lang)}]


def light_options(lang: str) -> list[dict[str, str]]:
    return [{"value": value, "label": t(f"light.{value}", lang)} for value in LIGHTS]


def _township_options(scope: str | None, lang: str) -> list[dict[str, str]]:
    store = current().store
    known = names(store)
    return [{"value": code, "label": known.name("townships", code, lang)} for code in township_options(store, scope)]


def _item_options(lang: str) -> list[dict[str, str]]:
    known = names(current().store)
    return [{"value": code, "label": f"{code} {known.name('items', code, lang)}"} for code in sorted(known.items)]


# ------------------------------------------------------------------------------------------ callbacks


def queue_query(actor: Any, status: Any, township: Any, item: Any, light_value: Any, search: Any,
                sort_model: Any = None) -> QueueQuery:
    """The query the filters ask for, within the actor's scope (403 for a township outside it)."""
    scope = actor.township_code
    if township:
        access.check_scope(actor, str(township))
    if status in (None, "", OPEN_STATUSES):
        statuses: tuple[str, ...] | None = OPEN
    elif status == ALL_STATUSES:
        statuses = None
    else:
        statuses = (str(status),)
    sort = tuple((str(s.get("colId")), s.get("sort") == "desc") for s in (sort_model or [])
                 if isinstance(s, dict) and s.get("sort") in ("asc", "desc"))
    return QueueQuery(scope=scope, statuses=statuses, township=str(township) if township else None,
                      item=str(item) if item else None, light=str(light_value) if light_value else None,
                      text=str(search) if search else None, sort=sort)


@callback(
    Output(GRID_ID, "getRowsResponse"),
    Input(GRID_ID, "getRowsRequest"),
    State(STATUS_ID, "value"),
    State(TOWNSHIP_ID, "value"),
    State(ITEM_ID, "value"),
    State(LIGHT_ID, "value"),
    State(TEXT_ID, "value"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
@access.require(*ROLES)
def rows(request: dict | None, status: Any, township: Any, item: Any, light_value: Any, search: Any,
         lang: str | None) -> dict:
    """One block of the queue for the grid, in the viewer's scope and language."""
    if not request:
        return no_update
    actor = access.check(*ROLES)
    lang = normalise(lang)
    start = int(request.get("startRow") or 0)
    end = min(int(request.get("endRow") or start + BLOCK), start + MAX_BLOCK)
    started = time.perf_counter()
    try:
        query = queue_query(actor, status, township, item, light_value, search, request.get("sortModel"))
        block = queue_block(current().store, query, start, end)
    except InvalidData as exc:
        log.warning("case queue: %s", exc)
        return {"rowData": [], "rowCount": 0}
    known = names(current().store)
    data = [grid_row(row, known, lang) for row in block.rows]
    log.debug("case queue rows %d-%d: %d rows in %.0f ms (scanned %d)", start, end, len(data),
              (time.perf_counter() - started) * 1000, block.scanned)
    return {"rowData": data, "rowCount": row_count(block, query, end)}


def row_count(block: Any, query: QueueQuery, end: int) -> int:
    """The queue's length for the grid's scrollbar: where the block found the end, else the capped count,
    else "one more than this block" — the grid then asks for the next block when scrolled there. Never
    "unknown" (-1): dash-ag-grid 35 does not recover from an unknown count after an empty answer."""
    if block.last_row is not None:
        return block.last_row
    counted = queue_count(current().store, query)
    if counted is not None and not counted[1]:
        return counted[0]
    return end + 1


def grid_row(row: dict[str, Any], known: Any, lang: str) -> dict[str, Any]:
    """One case as the grid shows it: names in ``lang``, local times, the code a link to the case page."""
    code = _SAFE_CODE.sub("", row["code"])
    return {
        "id": str(row["id"]),
        "code": f"[{code}](/cases/{int(row['id'])})",
        "township": known.name("townships", row["township_code"], lang),
        "community": known.name("communities", row["community_code"], lang),
        "item": known.name("items", row["item_code"], lang),
        "channel": _label("channel", row["channel"], lang),
        "status": _label("status", row["status"], lang),
        "status_code": row["status"],
        "priority": _label("priority", row["priority"], lang),
        "opened_at": _local(row["opened_at"]),
        "deadline_at": _local(row["deadline_at"]),
        "light": row["light"],
        "light_label": _label("light", row["light"], lang),
        "team": known.name("teams", row["current_team_code"], lang) or (row.get("department") or ""),
    }


@callback(
    Output(COUNT_ID, "children"),
    Input(STATUS_ID, "value"),
    Input(TOWNSHIP_ID, "value"),
    Input(ITEM_ID, "value"),
    Input(LIGHT_ID, "value"),
    Input(TEXT_ID, "value"),
    Input(VERSION_ID, "data"),
    Input(LANG_STORE, "data"),
)
@access.require(*ROLES)
def count(status: Any, township: Any, item: Any, light_value: Any, search: Any, _version: Any,
          lang: str | None) -> str:
    """How many cases the filters select (counting stops at 10,000)."""
    actor = access.check(*ROLES)
    lang = normalise(lang)
    try:
        counted = queue_count(current().store, queue_query(actor, status, township, item, light_value, search))
    except InvalidData as exc:
        return str(exc)
    if counted is None:
        return t("cases.count.scanning", lang)
    n, capped = counted
    return t("cases.count.capped", lang, n=f"{n:,}") if capped else t("cases.count", lang, n=f"{n:,}")


@callback(
    Output(GRID_ID, "columnDefs"),
    Output(STATUS_ID, "options"),
    Output(TOWNSHIP_ID, "options"),
    Output(ITEM_ID, "options"),
    Output(LIGHT_ID, "options"),
    Output(TEXT_ID, "placeholder"),
    Output(TOWNSHIP_ID, "placeholder"),
    Output(ITEM_ID, "placeholder"),
    Output(LIGHT_ID, "placeholder"),
    Input(LANG_STORE, "data"),
    State(GRID_ID, "columnState"),
)
@access.require(*ROLES)
def relabel(lang: str | None, column_state: list | None) -> tuple:
    """Column headers and filter options in the chosen language (the grid keeps its sort)."""
    actor = access.check(*ROLES)
    lang = normalise(lang)
    defs = column_defs(lang)
    sorted_by = {c.get("colId"): c.get("sort") for c in (column_state or []) if isinstance(c, dict)}
    if any(sorted_by.values()):
        for column in defs:
            column["sort"] = sorted_by.get(column["field"])
    return (defs, status_options(lang), _township_options(actor.township_code, lang), _item_options(lang),
            light_options(lang), t("cases.filter.text", lang), *[t("cases.filter.any", lang)] * 3)


@callback(
    Output(VERSION_ID, "data"),
    Input(POLL_ID, "n_intervals"),
    State(VERSION_ID, "data"),
)
@access.require(*ROLES)
def poll(_n: Any, seen: Any) -> Any:
    """The queue's version, only when it moved (a new report or a step anywhere)."""
    version = changes.current_version(current().store).value
    return no_update if version == seen else version


# Filters changed: empty the grid's cache, so it asks the server again (with the new filter values).
clientside_callback(
    f"""function() {{
        if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {{
            window.dash_ag_grid.getApiAsync("{GRID_ID}").then(function (api) {{ api.purgeInfiniteCache(); }});
        }}
        return Date.now();
    }}""",
    Output(PURGED_ID, "data"),
    Input(STATUS_ID, "value"),
    Input(TOWNSHIP_ID, "value"),
    Input(ITEM_ID, "value"),
    Input(LIGHT_ID, "value"),
    Input(TEXT_ID, "value"),
    Input(LANG_STORE, "data"),
    prevent_initial_call=True,
)

# Something moved: re-fetch the blocks on screen, keeping the rows shown meanwhile.
clientside_callback(
    f"""function(version, previous) {{
        if (previous !== undefined && previous !== null && window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {{
            window.dash_ag_grid.getApiAsync("{GRID_ID}").then(function (api) {{ api.refreshInfiniteCache(); }});
        }}
        return version;
    }}""",
    Output(REFRESHED_ID, "data"),
    Input(VERSION_ID, "data"),
    State(REFRESHED_ID, "data"),
    prevent_initial_call=True,
)


def _label(prefix: str, value: Any, lang: str) -> str:
    key = f"{prefix}.{value}"
    return t(key, lang) if has(key) else ("" if value is None else str(value))


def _local(value: Any) -> str:
    return value.astimezone(SHANGHAI).strftime(TIME_FORMAT) if value is not None else ""
