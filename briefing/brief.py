"""每日简报 — the day on one A4 page, as PDF (to print and file) and PNG (to forward in a chat).

One matplotlib figure, drawn once and saved in both formats, so the two never differ: a header with the
scope and the days, the key figures with their change against the same weekdays a week before, a small
map (the scope's townships, report density, the period's open cases by status, overdue ones ringed in
red), the townships side by side with their league score, the trend, who owns the overdue cases and the
most overdue cases.

Everything is drawn on the server from the store and the jurisdiction's geometry; nothing is fetched.
Chinese text needs a CJK font: Noto Sans CJK (Debian ``fonts-noto-cjk``) is looked for where Debian,
Fedora and Homebrew put it; without one the brief is still produced, its Chinese glyphs missing (logged).
"""

from __future__ import annotations

import io
import logging
import math
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; set before anything imports pyplot

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: E402

from briefing.mapdata import MapData  # noqa: E402
from briefing.situation import Situation, delta, place_name  # noqa: E402
from briefing.texts import tr  # noqa: E402
from cases.calendar import SHANGHAI  # noqa: E402
from layers.cases import COLOURS as CASE_COLOURS  # noqa: E402
from layers.density import PALETTE as DENSITY_PALETTE  # noqa: E402

log = logging.getLogger(__name__)

A4_INCHES = (8.27, 11.69)
PNG_DPI = 130
"""The PNG is the A4 page at this resolution (1075 × 1519 pixels): sharp on a phone, small to forward."""
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/opt/homebrew/share/fonts/NotoSansCJK-Regular.ttc",
)
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei")
NAVY, INK, MUTED, LINE, GOOD, BAD = "#0f2540", "#1f2d3d", "#6b7a8c", "#dfe5ec", "#2f9e44", "#d64545"
LAND, WATER = "#f5f2ea", "#e4edf3"
FIGURES = ("reports", "accepted", "dispatched", "handled", "closed", "overdue", "on_time_closure_rate")
BETTER = {"reports": None, "accepted": "higher", "dispatched": "higher", "handled": "higher", "closed": "higher",
          "overdue": "lower", "on_time_closure_rate": "higher"}
"""Which way a figure should move (None: neither — more reports is not good or bad news)."""
OVERDUE_ROWS = 10
TOWNSHIP_ROWS = 12

_lock = threading.Lock()
_fonts: list[str] = []


def cjk_fonts() -> list[str]:
    """Font families to draw with: an installed CJK family first (registered once), then DejaVu Sans."""
    if _fonts:
        return _fonts
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    if not any(family in names for family in CJK_FAMILIES):
        for path in FONT_FILES:
            if Path(path).exists():
                font_manager.fontManager.addfont(path)
        names = {entry.name for entry in font_manager.fontManager.ttflist}
    found = [family for family in CJK_FAMILIES if family in names]
    if not found:
        log.warning("no CJK font found (install fonts-noto-cjk): the brief's Chinese text will be missing")
    _fonts[:] = [*found[:1], "DejaVu Sans"]
    return _fonts


# ------------------------------------------------------------------------------------------ formatting


def number(value: Any) -> str:
    """A count with thousands separators, "–" for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{int(round(float(value))):,}"


def percent(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def figure_text(name: str, value: Any) -> str:
    return percent(value) if name == "on_time_closure_rate" else number(value)


def change_text(name: str, now: Any, before: Any) -> tuple[str, str]:
    """The change against the previous period as text, and its colour (green better, red worse, grey)."""
    if name == "on_time_closure_rate":
        if now is None or before is None or pd.isna(now) or pd.isna(before):
            return "–", MUTED
        points = 100 * (float(now) - float(before))
        change, sign = points, f"{points:+.1f} pt"
    else:
        ratio = delta(now, before)
        if ratio is None:
            return ("–" if not now else f"+{number(now)}"), MUTED
        change, sign = ratio, f"{100 * ratio:+.0f}%"
    better = BETTER.get(name)
    if better is None or abs(change) < 1e-9:
        return sign, MUTED
    good = (change > 0) == (better == "higher")
    return sign, GOOD if good else BAD


def clip(text: Any, width: float) -> str:
    """``text`` cut to about ``width`` Latin characters (a CJK character counts two), with "…"."""
    text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    used, out = 0.0, []
    for char in text:
        used += 2 if ord(char) > 0x2E80 else 1.1
        if used > width:
            return "".join(out).rstrip() + "…"
        out.append(char)
    return text


def local(at: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return at.astimezone(SHANGHAI).strftime(fmt)


# ------------------------------------------------------------------------------------------------ page


def brief_figure(sit: Situation, mapped: MapData | None, lang: str = "zh") -> Figure:
    """The page as a matplotlib figure (not yet saved)."""
    fonts = cjk_fonts()
    with matplotlib.rc_context({"font.family": fonts, "axes.unicode_minus": False, "pdf.fonttype": 3,
                                "svg.fonttype": "none"}):
        fig = Figure(figsize=A4_INCHES, facecolor="white")
        _header(fig, sit, lang)
        _tiles(fig, sit, lang)
        _map(fig, sit, mapped, lang)
        _townships(fig, sit, lang)
        _trend(fig, sit, lang)
        _owners(fig, sit, lang)
        _overdue(fig, sit, lang)
        _footer(fig, sit, lang)
    return fig


def render(sit: Situation, mapped: MapData | None, lang: str = "zh") -> tuple[bytes, bytes]:
    """(PDF bytes, PNG bytes) of the brief: one A4 page each."""
    with _lock:  # matplotlib's font caches are shared: one page at a time per process
        fig = brief_figure(sit, mapped, lang)
        title = f"{tr('brief.title', lang)} · {sit.scope_name(lang)} · {sit.days.label()}"
        pdf, png = io.BytesIO(), io.BytesIO()
        with matplotlib.rc_context({"font.family": cjk_fonts(), "pdf.fonttype": 3}):
            fig.savefig(pdf, format="pdf", metadata={"Title": title, "Creator": "township-command-center",
                                                     "Subject": tr("brief.situation", lang)})
            fig.savefig(png, format="png", dpi=PNG_DPI, metadata={"Title": title})
    return pdf.getvalue(), png.getvalue()


def pdf_bytes(sit: Situation, mapped: MapData | None, lang: str = "zh") -> bytes:
    return render(sit, mapped, lang)[0]


def png_bytes(sit: Situation, mapped: MapData | None, lang: str = "zh") -> bytes:
    return render(sit, mapped, lang)[1]


def _header(fig: Figure, sit: Situation, lang: str) -> None:
    fig.patches.append(Rectangle((0, 0.935), 1, 0.065, transform=fig.transFigure, color=NAVY, zorder=0))
    title = (f"{sit.scope_name(lang)} · {tr('brief.title', lang)}" if lang != "en"
             else f"{tr('brief.title', lang)} · {sit.scope_name(lang)}")
    fig.text(0.04, 0.972, title, color="white", fontsize=19, fontweight="bold", va="center")
    fig.text(0.04, 0.948, f"{sit.days.label()}    {tr('brief.as_of', lang, at=local(sit.as_of))}", color="#d6e0ea",
             fontsize=9.5, va="center")
    if sit.jurisdiction and sit.townships:
        fig.text(0.96, 0.972, place_name(sit.jurisdiction, lang), color="#d9a441", fontsize=11, va="center", ha="right")


def _tiles(fig: Figure, sit: Situation, lang: str) -> None:
    left, top, gap = 0.04, 0.922, 0.008
    width = (0.92 - gap * (len(FIGURES) - 1)) / len(FIGURES)
    weeks = sit.days.shift_days() // 7
    fig.text(0.96, 0.928 - 0.0005, tr("brief.vs_previous", lang) if weeks == 1 else
             tr("brief.vs_previous_weeks", lang, weeks=weeks), fontsize=6.5, color=MUTED, ha="right", va="top")
    for i, name in enumerate(FIGURES):
        x = left + i * (width + gap)
        box = FancyBboxPatch((x, top - 0.082), width, 0.07, boxstyle="round,pad=0,rounding_size=0.006",
                             transform=fig.transFigure, facecolor="#f4f7fa", edgecolor=LINE, linewidth=0.8)
        fig.patches.append(box)
        now, before = sit.figures.get(name), sit.previous_figures.get(name)
        colour = BAD if name == "overdue" and now else NAVY
        fig.text(x + width / 2, top - 0.024, tr(f"fig.{name}", lang), fontsize=7.5, color=MUTED, ha="center", va="center")
        fig.text(x + width / 2, top - 0.048, figure_text(name, now), fontsize=15, fontweight="bold", color=colour,
                 ha="center", va="center")
        change, tint = change_text(name, now, before)
        fig.text(x + width / 2, top - 0.071, change, fontsize=7, color=tint, ha="center", va="center")


def _section(fig: Figure, x: float, y: float, text: str) -> None:
    fig.text(x, y, text, fontsize=10, fontweight="bold", color=NAVY, va="bottom")


def _map(fig: Figure, sit: Situation, mapped: MapData | None, lang: str) -> None:
    _section(fig, 0.04, 0.822, tr("brief.map", lang))
    ax = fig.add_axes((0.04, 0.48, 0.50, 0.335))
    ax.set_facecolor(WATER)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor(LINE)
    if mapped is None or mapped.townships.empty:
        return
    min_lon, min_lat, max_lon, max_lat = mapped.bounds
    pad_lon, pad_lat = (max_lon - min_lon) * 0.04, (max_lat - min_lat) * 0.04
    shapes = mapped.townships.geometry.simplify((max_lon - min_lon) / 600)
    for geometry in shapes:
        for polygon in getattr(geometry, "geoms", [geometry]):
            xs, ys = polygon.exterior.xy
            ax.fill(xs, ys, facecolor=LAND, edgecolor="#9aa8b6", linewidth=0.6, zorder=1)
    boxes, colours = [], []
    for feature in mapped.density.get("features", []):
        ring = feature["geometry"]["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        boxes.append(Rectangle((min(xs), min(ys)), max(xs) - min(xs), max(ys) - min(ys)))
        colours.append(feature["properties"].get("fill", "#fd8d3c"))
    if boxes:
        ax.add_collection(PatchCollection(boxes, facecolors=colours, edgecolors="none", alpha=0.7, zorder=2))
    points = [f for f in mapped.cases.get("features", []) if f["geometry"]["type"] == "Point"]
    if points:
        xs = [f["geometry"]["coordinates"][0] for f in points]
        ys = [f["geometry"]["coordinates"][1] for f in points]
        counts = np.array([max(int(f["properties"].get("count", 1)), 1) for f in points])
        colours = [CASE_COLOURS.get(f["properties"].get("group"), "#3fa9ff") for f in points]
        edges = [BAD if int(f["properties"].get("overdue", 0)) else "white" for f in points]
        ax.scatter(xs, ys, s=14 + 10 * np.sqrt(counts), c=colours, edgecolors=edges, linewidths=1.1, zorder=4)
    for row in mapped.townships.itertuples():
        point = row.geometry.representative_point()
        name = (row.name_en or row.name) if lang == "en" else row.name
        ax.text(point.x, point.y, clip(name, 14), fontsize=5.8, color="#33506e", ha="center", va="center", zorder=5,
                alpha=0.9)
    ax.set_xlim(min_lon - pad_lon, max_lon + pad_lon)
    ax.set_ylim(min_lat - pad_lat, max_lat + pad_lat)
    ax.set_aspect(1 / math.cos(math.radians((min_lat + max_lat) / 2)), adjustable="box", anchor="N")
    handles = [Line2D([], [], marker="o", linestyle="", markersize=4.5, markerfacecolor=colour,
                      markeredgecolor="white", label=tr(f"group.{group}", lang))
               for group, colour in CASE_COLOURS.items()]
    handles.append(Line2D([], [], marker="o", linestyle="", markersize=4.5, markerfacecolor="white",
                          markeredgecolor=BAD, markeredgewidth=1.1, label=tr("brief.map.overdue", lang)))
    breaks = mapped.density.get("breaks") or []
    handles += [Rectangle((0, 0), 1, 1, facecolor=colour, alpha=0.7, label=f"≥{low}")
                for colour, low in zip(DENSITY_PALETTE, breaks, strict=False)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.005), ncols=6 if lang != "en" else 4,
              fontsize=5.6, frameon=False, handlelength=1.0, handletextpad=0.4, columnspacing=0.9,
              borderaxespad=0)


def _table(fig: Figure, x: float, y: float, columns: Sequence[tuple[str, float, str]], rows: Sequence[Sequence[Any]],
           row_h: float = 0.0165, size: float = 7.2, colours: Sequence[str | None] | None = None) -> float:
    """Rows of text under a header, columns (title, width in figure fraction, alignment); returns the y below."""
    cx = x
    for title, width, align in columns:
        anchor = cx if align == "left" else cx + width
        fig.text(anchor, y, title, fontsize=size - 0.6, color=MUTED, ha=align, va="top")
        cx += width
    total = sum(width for _, width, _ in columns)
    y -= row_h * 1.05
    fig.lines.append(Line2D([x, x + total], [y + row_h * 0.2] * 2, transform=fig.transFigure,
                                             color=LINE, linewidth=0.8))
    for r, row in enumerate(rows):
        cx = x
        for c, ((_, width, align), value) in enumerate(zip(columns, row, strict=False)):
            anchor = cx if align == "left" else cx + width
            colour = (colours[r] if colours and c == len(columns) - 1 and colours[r] else INK)
            fig.text(anchor, y, str(value), fontsize=size, color=colour, ha=align, va="top")
            cx += width
        y -= row_h
    return y


def _townships(fig: Figure, sit: Situation, lang: str) -> None:
    period = f"{sit.league_days.first.isoformat()} – {sit.league_days.last.isoformat()}"
    _section(fig, 0.57, 0.822, tr("brief.townships", lang))
    fig.text(0.96, 0.8235, tr("brief.league", lang, period=period), fontsize=6.2, color=MUTED, ha="right", va="bottom")
    columns = [(tr("col.township", lang), 0.14, "left"), (tr("fig.reports", lang), 0.055, "right"),
               (tr("fig.closed", lang), 0.05, "right"), (tr("col.overdue", lang), 0.05, "right"),
               (tr("col.score", lang), 0.05, "right"), (tr("col.rank", lang), 0.04, "right")]
    league = sit.league
    order = list(league.index) + [c for c in sit.by_township.index if c not in league.index]
    rows = []
    for code in order[:TOWNSHIP_ROWS]:
        figures = sit.by_township.loc[code] if code in sit.by_township.index else {}
        score = league.loc[code, "score"] if code in league.index else float("nan")
        rank = (tr("brief.rank_of", lang, rank=int(league.loc[code, "rank"]), of=int(league.loc[code, "of"]))
                if code in league.index else "–")
        rows.append([clip(sit.township_name(code, lang), 15 if lang == "en" else 14),
                     number(figures.get("reports")), number(figures.get("closed")), number(figures.get("overdue")),
                     "–" if pd.isna(score) else f"{score:.1f}", rank])
    _table(fig, 0.57, 0.81, columns, rows, row_h=0.0235 if len(rows) <= 6 else 0.0245)


def _trend(fig: Figure, sit: Situation, lang: str) -> None:
    _section(fig, 0.04, 0.425, tr(f"brief.trend.{sit.trend_unit}", lang))
    ax = fig.add_axes((0.08, 0.285, 0.44, 0.13))
    trend = sit.trend
    xs = np.arange(len(trend))
    ax.plot(xs, trend["reports"], color="#3fa9ff", linewidth=1.6, label=tr("col.reports", lang))
    ax.plot(xs, trend["reports_previous"], color="#3fa9ff", linewidth=1, linestyle="--", alpha=0.7,
            label=tr("col.reports_previous", lang))
    ax.plot(xs, trend["closed"], color=GOOD, linewidth=1.4, label=tr("col.closed", lang))
    ax.plot(xs, trend["closed_previous"], color=GOOD, linewidth=0.9, linestyle="--", alpha=0.6,
            label=tr("col.closed_previous", lang))
    step = max(1, math.ceil(len(trend) / 8))
    labels = [str(v)[5:] if sit.trend_unit == "day" else str(v)[:2] for v in trend.index]
    ax.set_xticks(xs[::step], labels[::step], fontsize=6)
    ax.tick_params(axis="y", labelsize=6)
    top = float(trend[["reports", "reports_previous", "closed", "closed_previous"]].to_numpy().max()) if len(trend) else 0
    ax.set_ylim(0, max(top, 1) * 1.4)  # room for the legend above the lines
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color=LINE, linewidth=0.6)
    ax.legend(fontsize=5.6, frameon=False, loc="upper left", ncols=2)


def _owners(fig: Figure, sit: Situation, lang: str) -> None:
    _section(fig, 0.57, 0.425, tr("brief.owners", lang))
    if sit.owners.empty:
        fig.text(0.57, 0.41, tr("brief.overdue.none", lang), fontsize=8, color=GOOD, va="top")
        return
    columns = [(tr("col.owner", lang), 0.19, "left"), (tr("col.township", lang), 0.085, "left"),
               (tr("col.cases", lang), 0.04, "right"), (tr("col.max_days_over", lang), 0.075, "right")]
    rows = [[clip(r.owner_en if lang == "en" else r.owner, 22 if lang == "en" else 21),
             clip(sit.township_name(r.township_code, lang), 10), number(r.cases), f"{r.max_days_over:.1f}"]
            for r in sit.owners.head(7).itertuples()]
    _table(fig, 0.57, 0.41, columns, rows, row_h=0.0165, size=6.8)


def _overdue(fig: Figure, sit: Situation, lang: str) -> None:
    shown = sit.overdue.head(OVERDUE_ROWS)
    title = (tr("brief.overdue", lang, n=len(shown), total=sit.overdue_total) if len(shown)
             else tr("brief.overdue.title", lang))
    _section(fig, 0.04, 0.245, title)
    if shown.empty:
        fig.text(0.04, 0.232, tr("brief.overdue.none", lang), fontsize=8, color=GOOD, va="top")
        return
    columns = [(tr("col.code", lang), 0.2, "left"), (tr("col.township", lang), 0.12, "left"),
               (tr("col.item", lang), 0.2, "left"), (tr("col.owner", lang), 0.3, "left"),
               (tr("col.days_over", lang), 0.1, "right")]
    english = lang == "en"
    rows = [[clip(r.code, 24), clip(r.township_en if english else r.township, 14),
             clip(r.item_en if english else r.item, 24), clip(r.owner_en if english else r.owner, 36),
             f"{r.days_over:.1f}"] for r in shown.itertuples()]
    _table(fig, 0.04, 0.232, columns, rows, row_h=0.0168, size=7, colours=[BAD] * len(rows))


def _footer(fig: Figure, sit: Situation, lang: str) -> None:
    parts = [tr("brief.generated", lang, at=local(sit.generated_at)), tr("brief.footer", lang)]
    if sit.demo_boundaries:
        parts.append(tr("brief.demo_boundaries", lang))
    fig.text(0.04, 0.018, " · ".join(parts), fontsize=5.8, color=MUTED, va="bottom")
    fig.text(0.96, 0.018, " · ".join(p for p in (place_name(sit.jurisdiction, lang), tr("brief.situation", lang)) if p),
             fontsize=5.8, color=MUTED, va="bottom", ha="right")
