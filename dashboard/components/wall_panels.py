"""The wall's panels drawn from plain data: KPI tiles, the report ticker, the league table, the trend and
mix charts, and the township colours for a KPI.

Data in, components out: :mod:`dashboard.pages.wall` fetches (scoped, cached), these functions draw, so
they are tested without a server. Charts use plotly's dark template on a transparent background; their
font grows with the screen (``font_px``), since a 4K wall is read from across a room.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html

from cases.calendar import SHANGHAI
from dashboard.i18n import has, t

TILES = ("reports", "accepted", "dispatched", "handled", "closed", "overdue", "on_time_closure_rate")
RAMP_MORE_IS_WORSE = ("#1b3a5b", "#2f6f9f", "#e9a23b", "#e8590c", "#d62839")
RAMP_MORE_IS_BETTER = ("#d62839", "#e8590c", "#e9a23b", "#5fa86b", "#2ca25f")
LEAGUE_COLUMNS = ("handling_rate", "on_time_handling_rate", "rework_rate", "overdue_pending_rate")
SERIES_COLOURS = {"reports": "#3fa9ff", "closed": "#36d399", "last_week": "#8fa3b8"}


def font_px(screen_width: Any) -> int:
    """Chart font size for a screen ``screen_width`` CSS pixels wide (14 on 1920, 28 on 3840).

    >>> font_px(1920), font_px(3840), font_px(None)
    (14, 28, 14)
    """
    try:
        width = float(screen_width)
    except (TypeError, ValueError):
        width = 1920.0
    return max(12, min(40, round(width / 137)))


def channel_label(code: str, lang: str) -> str:
    key = f"channel.{code}"
    if has(key):
        return t(key, lang)
    return t("wall.other", lang) if code == "other" else code


def percent(value: Any) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * float(value):.1f}%"


# -------------------------------------------------------------------------------------------- tiles


def tiles(figures: Mapping[str, Any], lang: str) -> list[html.Div]:
    """One tile per :data:`TILES` figure; the overdue tile turns red when any case is overdue."""
    out = []
    for name in TILES:
        value = figures.get(name)
        classes = f"wall-tile wall-tile-{name}"
        note = None
        if name == "on_time_closure_rate":
            shown = percent(value)
            closed = int(figures.get("closed_cases") or 0)
            note = t("wall.tile.of_closed", lang, n=closed) if closed else t("wall.tile.none_closed", lang)
        else:
            shown = f"{int(value or 0):,}"
        if name == "overdue" and int(value or 0) > 0:
            classes += " wall-alert"
        parts = [html.Div(shown, className="wall-tile-value"), html.Div(t(f"wall.tile.{name}", lang), className="wall-tile-label")]
        if note:
            parts.append(html.Div(note, className="wall-tile-note"))
        out.append(html.Div(parts, className=classes, **{"data-figure": name}))
    return out


# ------------------------------------------------------------------------------------------- ticker


def ticker(rows: Sequence[Mapping[str, Any]], lang: str, seen: int) -> list[html.Li]:
    """The newest reports, newest first; those above ``seen`` (stored since the last refresh) flash.

    Shows time, channel, item, township · community and the masked address — never a name or a phone.
    """
    if not rows:
        return [html.Li(t("wall.ticker.empty", lang), className="wall-ticker-empty")]
    items = []
    for row in rows:
        received: datetime = row["received_at"]
        item = (row.get("item_name_en") if lang == "en" else row.get("item_name")) or row.get("item_code") or "—"
        township = row.get("township_en") if lang == "en" else row.get("township")
        community = row.get("community_en") if lang == "en" else row.get("community")
        where = " · ".join(part for part in (township, community) if part) or t("wall.ticker.unplaced", lang)
        classes = "wall-ticker-item" + (" wall-new" if int(row["id"]) > seen else "")
        items.append(html.Li(
            [
                html.Span(received.astimezone(SHANGHAI).strftime("%H:%M:%S"), className="wall-ticker-time"),
                html.Span(channel_label(str(row.get("channel") or ""), lang), className="wall-ticker-channel"),
                html.Span(item, className="wall-ticker-what"),
                html.Span(where, className="wall-ticker-where"),
                html.Span(row.get("address") or "", className="wall-ticker-address"),
            ],
            className=classes,
            **{"data-report": str(row["id"])},
        ))
    return items


# ------------------------------------------------------------------------------------------- league


def league_table(table: pd.DataFrame, names: Mapping[str, str], lang: str) -> html.Table | html.Div:
    """The league (``store.kpis.league`` output, index township code): rank, township, score, components."""
    if table.empty:
        return html.Div(t("wall.league.empty", lang), className="wall-empty")
    head = html.Tr([html.Th(t("wall.league.rank", lang)), html.Th(t("wall.league.township", lang)),
                    html.Th(t("wall.league.score", lang)),
                    *(html.Th(t(f"wall.league.{name}", lang)) for name in LEAGUE_COLUMNS)])
    last = int(table["rank"].max())
    rows = []
    for code, row in table.iterrows():
        rank = int(row["rank"])
        classes = "wall-rank-top" if rank <= 3 else "wall-rank-last" if rank == last and len(table) > 3 else ""
        rows.append(html.Tr(
            [html.Td(str(rank), className="wall-rank"), html.Td(names.get(str(code), str(code))),
             html.Td(f"{float(row['score']):.1f}", className="wall-score"),
             *(html.Td(percent(row.get(name))) for name in LEAGUE_COLUMNS)],
            className=classes,
            **{"data-township": str(code)},
        ))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="wall-league")


# ------------------------------------------------------------------------------------------- charts


def _layout(figure: go.Figure, font: int) -> go.Figure:
    figure.update_layout(
        template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        font={"size": font, "family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "color": "#cfe0f5"},
        margin={"l": font * 3, "r": font, "t": font // 2, "b": font * 2}, uirevision="wall",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
    )
    return figure


def trend_figure(hours: pd.DataFrame, last_week: pd.DataFrame | None, lang: str, font: int) -> go.Figure:
    """Reports (bars) and closures (line) per hour of the last 24 hours; last week's reports dotted."""
    x = [moment.astimezone(SHANGHAI).strftime("%H:00") for moment in hours.index.to_pydatetime()]
    figure = go.Figure()
    figure.add_bar(x=x, y=hours["reports"].tolist(), name=t("wall.trend.reports", lang),
                   marker_color=SERIES_COLOURS["reports"])
    figure.add_scatter(x=x, y=hours["closed"].tolist(), name=t("wall.trend.closed", lang), mode="lines+markers",
                       line={"color": SERIES_COLOURS["closed"], "width": 3})
    if last_week is not None and len(last_week) == len(hours):
        figure.add_scatter(x=x, y=last_week["reports"].tolist(), name=t("wall.trend.last_week", lang), mode="lines",
                           line={"color": SERIES_COLOURS["last_week"], "width": 2, "dash": "dot"})
    figure.update_xaxes(showgrid=False, nticks=12)
    figure.update_yaxes(gridcolor="rgba(140,170,210,.15)", rangemode="tozero")
    return _layout(figure, font)


def mix_figure(counts: pd.DataFrame, lang: str, font: int, by: str) -> go.Figure:
    """Today's reports per channel (a ring) or per enforcement item (horizontal bars, most on top)."""
    if by == "channel":
        labels = [channel_label(code, lang) for code in counts["code"]]
    else:
        labels = [t("wall.other", lang) if code == "other" else (en if lang == "en" else zh)
                  for code, zh, en in zip(counts["code"], counts["name"], counts["name_en"], strict=True)]
    values = counts["count"].astype(int).tolist()
    if by == "channel":
        figure = go.Figure(go.Pie(labels=labels, values=values, hole=0.55, sort=False, textinfo="label+value",
                                  marker={"colors": ["#3fa9ff", "#36d399", "#ffb02e", "#b59cff", "#ff5d5d",
                                                     "#8fa3b8", "#5fd0e0", "#e8c35b"]}))
        figure.update_layout(showlegend=False)
    else:
        figure = go.Figure(go.Bar(x=values[::-1], y=labels[::-1], orientation="h", marker_color="#ffb02e",
                                  text=values[::-1], textposition="outside"))
        figure.update_xaxes(showgrid=False, visible=False)
    figure = _layout(figure, font)
    if by != "channel":
        figure.update_layout(margin={"l": font * 10, "r": font * 2, "t": font // 2, "b": font // 2})
    if not values:
        figure.add_annotation(text=t("wall.mix.empty", lang), showarrow=False, font={"size": font * 1.2})
    return figure


# ------------------------------------------------------------------------------------- choropleth


def township_fills(values: Mapping[str, float | None], *, more_is_better: bool,
                   whole: bool = False) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A colour per township for its KPI value (five equal steps from the lowest to the highest), and
    the legend's (colour, range text) steps; ``whole`` for counts (the steps then name whole numbers).
    Townships without a value get no fill."""
    ramp = RAMP_MORE_IS_BETTER if more_is_better else RAMP_MORE_IS_WORSE
    known = {code: float(v) for code, v in values.items() if v is not None and not math.isnan(float(v))}
    if not known:
        return {}, []
    low, high = min(known.values()), max(known.values())
    span = high - low
    if span == 0:
        middle = ramp[len(ramp) // 2]
        return dict.fromkeys(known, middle), [(middle, f"{low:.0f}" if whole else f"{low:.3g}")]
    steps = len(ramp)
    fills = {code: ramp[min(steps - 1, int((value - low) / span * steps))] for code, value in known.items()}
    edges = [low + span * i / steps for i in range(steps + 1)]
    legend = []
    for i, colour in enumerate(ramp):
        if not whole:
            legend.append((colour, f"{edges[i]:.3g}–{edges[i + 1]:.3g}"))
            continue
        # whole numbers: step i holds the counts from ceil(edge i) to the last one below edge i+1
        first = math.ceil(edges[i])
        last = high if i == steps - 1 else math.ceil(edges[i + 1]) - 1
        if last >= first:
            legend.append((colour, f"{first:.0f}" if last == first else f"{first:.0f}–{last:.0f}"))
    return fills, legend


def kpi_legend(steps: Sequence[tuple[str, str]], rate: bool, lang: str) -> list[html.Div]:
    """The colour ramp of the township KPI (rates shown as percentages)."""
    if not steps:
        return [html.Div(t("wall.kpi.no_data", lang), className="wall-kpi-empty")]
    rows = []
    for colour, label in steps:
        if rate:
            label = "–".join(f"{100 * float(part):.0f}%" for part in label.split("–"))
        rows.append(html.Div([html.Span(className="wall-ramp", style={"background": colour}), label],
                             className="wall-ramp-step"))
    return [html.Div(rows, className="wall-ramp-row")]
