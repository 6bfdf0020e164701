"""The situation page's panels from a :class:`briefing.situation.Situation`: tiles, charts and tables.

Data in, Dash components or Plotly figures out — no store, no request — so the page module holds only the
layout and the callbacks. Figures and changes are formatted as the brief formats them
(:func:`briefing.brief.figure_text`, :func:`briefing.brief.change_text`), so page and brief agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from briefing.brief import BAD, FIGURES, GOOD, change_text, figure_text
from briefing.situation import Situation
from cases.calendar import SHANGHAI
from dashboard.i18n import t
from layers.cases import COLOURS as CASE_COLOURS
from layers.cases import GROUPS
from layers.density import PALETTE as DENSITY_PALETTE
from store.kpis import DEFAULT_WEIGHTS

COMPARE = ("reports", "handled", "closed", "overdue")
"""The figures the township comparison draws as bars."""
BAR_COLOURS = {"reports": "#3fa9ff", "handled": "#36d399", "closed": "#2f9e44", "overdue": "#d64545"}
TREND_HEIGHT = 260
OVERDUE_ROWS = 30
"""Overdue cases listed on the page (the Excel export has them all, up to the brief's limit)."""


def percent(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{100 * float(value):.1f}%"


def tiles(sit: Situation, lang: str) -> list[html.Div]:
    """One tile per figure: the value, and its change against the same weekdays before (green better,
    red worse)."""
    out = []
    for name in FIGURES:
        now, before = sit.figures.get(name), sit.previous_figures.get(name)
        change, colour = change_text(name, now, before)
        tone = "sit-good" if colour == GOOD else "sit-bad" if colour == BAD else "sit-flat"
        alert = " sit-alert" if name == "overdue" and now else ""
        out.append(html.Div(
            [html.Div(t(f"sit.fig.{name}", lang), className="sit-tile-label"),
             html.Div(figure_text(name, now), className="sit-tile-value"),
             html.Div([html.Span(change, className=f"sit-change {tone}"),
                       html.Span(t("sit.vs_previous", lang), className="sit-tile-note")], className="sit-tile-foot")],
            className=f"sit-tile sit-tile-{name}{alert}", **{"data-figure": name},
        ))
    return out


def compare_figure(sit: Situation, lang: str) -> go.Figure:
    """Grouped horizontal bars per township (league order, best on top): reports, handled, closed, overdue."""
    order = [c for c in sit.league.index if c in sit.by_township.index]
    order += [c for c in sit.by_township.index if c not in order]
    names = [sit.township_name(code, lang) for code in order]
    fig = go.Figure()
    for name in COMPARE:
        values = [int(sit.by_township.loc[code, name]) if code in sit.by_township.index else 0 for code in order]
        fig.add_bar(y=names, x=values, orientation="h", name=t(f"sit.fig.{name}", lang),
                    marker_color=BAR_COLOURS[name], hovertemplate="%{y}: %{x}<extra>" + t(f"sit.fig.{name}", lang)
                    + "</extra>")
    fig.update_layout(
        barmode="group", height=max(220, 60 + 46 * len(order)), margin={"l": 8, "r": 8, "t": 8, "b": 8},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}, bargap=0.25, bargroupgap=0.05,
        yaxis={"autorange": "reversed", "automargin": True}, xaxis={"automargin": True, "gridcolor": "#e8edf2"},
        plot_bgcolor="white", paper_bgcolor="white", font={"family": "Noto Sans CJK SC, sans-serif", "size": 12},
    )
    return fig


def trend_figure(sit: Situation, lang: str) -> go.Figure:
    """Reports and closures per hour or day, this period solid, the same weekdays before dashed."""
    trend = sit.trend
    x = list(trend.index)
    fig = go.Figure()
    lines = (("reports", "#3fa9ff", "solid"), ("reports_previous", "#3fa9ff", "dash"),
             ("closed", "#2f9e44", "solid"), ("closed_previous", "#2f9e44", "dash"))
    for column, colour, dash in lines:
        fig.add_scatter(x=x, y=trend[column].tolist(), mode="lines", name=t(f"sit.trend.{column}", lang),
                        line={"color": colour, "dash": dash, "width": 2.4 if dash == "solid" else 1.5})
    fig.update_layout(
        height=TREND_HEIGHT, margin={"l": 8, "r": 8, "t": 8, "b": 8}, hovermode="x unified",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        xaxis={"type": "category", "automargin": True, "nticks": 12},
        yaxis={"rangemode": "tozero", "automargin": True, "gridcolor": "#e8edf2"},
        plot_bgcolor="white", paper_bgcolor="white", font={"family": "Noto Sans CJK SC, sans-serif", "size": 12},
    )
    return fig


def _table(header: Iterable[Any], rows: Iterable[Iterable[Any]], class_name: str = "") -> html.Div:
    """A plain table in a horizontally scrolling box (phones)."""
    return html.Div(html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])),
         html.Tbody([html.Tr([cell if isinstance(cell, html.Td) else html.Td(cell) for cell in row]) for row in rows])],
        className=f"sit-table {class_name}".strip()), className="sit-table-wrap")


def league_table(sit: Situation, lang: str) -> html.Div:
    """The league: rank (of how many), township, score, then each component's value and its points."""
    components = list(DEFAULT_WEIGHTS)
    header = [t("sit.col.rank", lang), t("sit.col.township", lang), t("sit.col.score", lang),
              *(html.Span([t(f"sit.kpi.{name}", lang), html.Small(t("sit.col.points", lang))]) for name in components)]
    rows = []
    for code, row in sit.league.iterrows():
        cells: list[Any] = [html.Td(f"{int(row['rank'])}/{int(row['of'])}", className="sit-num"),
                            html.Td(sit.township_name(code, lang)),
                            html.Td(f"{row['score']:.1f}", className="sit-num sit-score")]
        for name in components:
            cells.append(html.Td([html.Span(percent(row.get(name))),
                                  html.Small(f"{row.get(f'{name}_points', 0):.1f}")], className="sit-num sit-part"))
        rows.append(cells)
    period = f"{sit.league_days.first.isoformat()} – {sit.league_days.last.isoformat()}"
    return html.Div([_table(header, rows, "sit-league-table"),
                     html.P(t("sit.league.note", lang, period=period), className="sit-note")])


def overdue_panel(sit: Situation, lang: str, case_links: bool) -> html.Div:
    """Who owns the overdue cases (totals per owner), then the most overdue cases themselves."""
    if sit.overdue_total == 0:
        return html.Div(html.P(t("sit.overdue.none", lang), className="sit-ok"))
    english = lang == "en"
    owners = _table(
        [t("sit.col.owner", lang), t("sit.col.township", lang), t("sit.col.cases", lang), t("sit.col.max_days", lang),
         t("sit.col.mean_days", lang)],
        [[html.Td([html.Span(r.owner_en if english else r.owner),
                   html.Small(t(f"sit.owner.{r.owner_kind}", lang), className="sit-owner-kind")]),
          sit.township_name(r.township_code, lang), html.Td(f"{int(r.cases):,}", className="sit-num"),
          html.Td(f"{r.max_days_over:.1f}", className="sit-num sit-bad"),
          html.Td(f"{r.mean_days_over:.1f}", className="sit-num")] for r in sit.owners.itertuples()],
        "sit-owners-table")
    shown = sit.overdue.head(OVERDUE_ROWS)
    cases = _table(
        [t("sit.col.case", lang), t("sit.col.township", lang), t("sit.col.item", lang), t("sit.col.owner", lang),
         t("sit.col.deadline", lang), t("sit.col.days_over", lang)],
        [[html.Td(dcc.Link(r.code, href=f"/cases/{int(r.case_id)}") if case_links else r.code, className="sit-code"),
          r.township_en if english else r.township, (r.item_en if english else r.item) or "",
          r.owner_en if english else r.owner, r.deadline_at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"),
          html.Td(f"{r.days_over:.1f}", className="sit-num sit-bad")] for r in shown.itertuples()],
        "sit-overdue-table")
    return html.Div([
        html.H3(t("sit.overdue.owners", lang, total=f"{sit.overdue_total:,}"), className="sit-h3"), owners,
        html.H3(t("sit.overdue.cases", lang, n=len(shown), total=f"{sit.overdue_total:,}"), className="sit-h3"), cases,
    ])


def map_legend(lang: str, breaks: list[int] | None = None, block_m: float | None = None) -> list[Any]:
    """Case status colours, the overdue ring and the density ramp (with its steps once known)."""
    groups = [html.Span([html.Span(className="sit-dot", style={"background": CASE_COLOURS[g]}),
                         t(f"sit.group.{g}", lang)], className="sit-legend-item") for g in GROUPS]
    groups.append(html.Span([html.Span(className="sit-dot sit-dot-overdue"), t("sit.group.overdue", lang)],
                            className="sit-legend-item"))
    ramp = [html.Span([html.Span(className="sit-ramp", style={"background": colour}),
                       f"≥{low}" if breaks else ""], className="sit-legend-item")
            for colour, low in zip(DENSITY_PALETTE, breaks or [0] * len(DENSITY_PALETTE), strict=False)]
    title = t("sit.density", lang, m=f"{block_m:,.0f}") if block_m else t("sit.density.plain", lang)
    return [html.Div(groups, className="sit-legend-row"),
            html.Div([html.Span(title, className="sit-legend-title"), *ramp], className="sit-legend-row")]


def township_options(names: Mapping[str, tuple[str, str]], scope: str | None, lang: str) -> list[dict[str, str]]:
    """The township filter's options: every township for district users, their own for a township user."""
    codes = sorted(names) if scope is None else [scope]
    return [{"value": code, "label": names.get(code, (code, code))[1 if lang == "en" else 0]} for code in codes]
