"""The township board's panels from a :class:`briefing.board.Board`: the funnel, the loop table, the step
times and the league. Data in, components or figures out; the page module holds the callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html

from briefing.board import STAGES, STEPS, Board
from dashboard.i18n import t
from store.kpis import DEFAULT_WEIGHTS

PICK = "tw-pick"
"""Pattern-matching id type of the buttons that drill down into a township."""
FUNNEL_HEIGHT = 280
STAGE_COLOURS = ("#3fa9ff", "#5b8def", "#7a6ff0", "#36d399", "#2f9e44")


def percent(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def hours(value: Any) -> str:
    """Hours as ``5.2 h`` (≥ 48 h as days: ``3.1 d``), "–" for none."""
    if value is None or pd.isna(value):
        return "–"
    value = float(value)
    return f"{value / 24:.1f} d" if value >= 48 else f"{value:.1f} h"


def funnel_figure(totals: pd.Series, lang: str) -> go.Figure:
    """The loop's funnel: how many of the period's cases reached each stage, with the share of reported."""
    fig = go.Figure(go.Funnel(
        y=[t(f"tw.stage.{stage}", lang) for stage in STAGES], x=[int(totals.get(stage, 0)) for stage in STAGES],
        textinfo="value+percent initial", marker={"color": list(STAGE_COLOURS)},
        connector={"line": {"color": "#dfe5ec"}},
    ))
    fig.update_layout(height=FUNNEL_HEIGHT, margin={"l": 8, "r": 8, "t": 8, "b": 8}, plot_bgcolor="white",
                      paper_bgcolor="white", font={"family": "Noto Sans CJK SC, sans-serif", "size": 12},
                      yaxis={"automargin": True})
    return fig


def _table(header: Iterable[Any], rows: Iterable[Iterable[Any]], class_name: str) -> html.Div:
    return html.Div(html.Table(
        [html.Thead(html.Tr([h if isinstance(h, html.Th) else html.Th(h) for h in header])),
         html.Tbody([html.Tr([c if isinstance(c, html.Td) else html.Td(c) for c in row]) for row in rows])],
        className=f"sit-table {class_name}"), className="sit-table-wrap")


def _stage_cell(row: pd.Series, stage: str) -> html.Td:
    share = row.get(f"{stage}_share")
    width = 0 if share is None or pd.isna(share) else max(0.0, min(1.0, float(share))) * 100
    return html.Td([html.Span(f"{int(row[stage]):,}", className="tw-count"),
                    html.Span(percent(share) if stage != "reported" else "", className="tw-share"),
                    html.Span(html.Span(style={"width": f"{width:.0f}%"}), className="tw-bar")],
                   className="sit-num tw-stage", **{"data-stage": stage})


def loop_table(board: Board, name: Callable[[str], str], lang: str, pick: bool = False,
               selected: str | None = None) -> html.Div:
    """One row per group: the funnel (count, share of reported, a bar), rework, transfers, extensions,
    overdue. With ``pick`` the group's name is a button that drills down into it."""
    header = [t(f"tw.col.{board.level}", lang), *(t(f"tw.stage.{s}", lang) for s in STAGES),
              t("tw.col.rework_rate", lang), t("tw.col.cases_transferred", lang), t("tw.col.extension_rate", lang),
              t("tw.col.overdue_open", lang)]
    rows = []
    for code, row in board.table.iterrows():
        label: Any = name(code)
        if pick:
            label = html.Button(label, id={"type": PICK, "code": code}, n_clicks=0,
                                className="tw-pick" + (" tw-picked" if code == selected else ""))
        rows.append([html.Td(label, className="tw-name"), *(_stage_cell(row, s) for s in STAGES),
                     html.Td(percent(row.get("rework_rate")), className="sit-num"),
                     html.Td(f"{int(row.get('cases_transferred', 0)):,}", className="sit-num"),
                     html.Td(percent(row.get("extension_rate")), className="sit-num"),
                     html.Td(f"{int(row.get('overdue_open', 0)):,}",
                             className="sit-num" + (" sit-bad" if row.get("overdue_open", 0) else ""))])
    if not rows:
        return html.Div(html.P(t("tw.empty", lang), className="sit-note"))
    return _table(header, rows, f"tw-loop-table tw-level-{board.level}")


def steps_table(board: Board, name: Callable[[str], str], lang: str) -> html.Div:
    """Median and p90 of each step per group; the slowest median of each step is marked."""
    header = [t(f"tw.col.{board.level}", lang),
              *(html.Th([t(f"tw.step.{step}", lang), html.Small(t("tw.median_p90", lang))]) for step in STEPS)]
    slowest = {step: board.table[f"{step}_median_h"].max() for step in STEPS if f"{step}_median_h" in board.table}
    rows = []
    for code, row in board.table.iterrows():
        cells: list[Any] = [html.Td(name(code), className="tw-name")]
        for step in STEPS:
            median, p90 = row.get(f"{step}_median_h"), row.get(f"{step}_p90_h")
            worst = len(board.table) > 1 and pd.notna(median) and median == slowest.get(step)
            cells.append(html.Td([html.Span(hours(median)), html.Small(hours(p90))],
                                 className="sit-num tw-step" + (" sit-bad" if worst else "")))
        rows.append(cells)
    if not rows:
        return html.Div()
    return _table(header, rows, "tw-steps-table")


def league_table(board: Board, name: Callable[[str], str], lang: str) -> html.Div:
    """The league with each component: its weight, the township's value and the points it earned."""
    components = list(DEFAULT_WEIGHTS)
    header = [t("sit.col.rank", lang), t("sit.col.township", lang), t("sit.col.score", lang),
              *(html.Th([t(f"sit.kpi.{c}", lang), html.Small(t("tw.weight", lang, w=f"{DEFAULT_WEIGHTS[c]:g}"))])
                for c in components)]
    rows = []
    for code, row in board.league.iterrows():
        rows.append([html.Td(f"{int(row['rank'])}/{int(row['of'])}", className="sit-num"),
                     html.Td(name(code), className="tw-name"), html.Td(f"{row['score']:.1f}", className="sit-num sit-score"),
                     *(html.Td([html.Span(percent(row.get(c))), html.Small(f"{row.get(f'{c}_points', 0):.1f}")],
                               className="sit-num sit-part") for c in components)])
    return _table(header, rows, "tw-league-table")
