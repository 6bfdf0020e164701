"""The situation's tables as an Excel workbook (.xlsx), for leaders who file or re-cut the figures.

One sheet per table of the page: the summary (figures against the same weekdays before), the townships
side by side, the league with each component's value and points, the overdue cases and their owners, and
the trend. Sheet names are fixed (Chinese and English) whatever the language, so a spreadsheet that reads
them keeps working; the headers are in the chosen language. Rates are stored as fractions with a
percentage format, so they stay numbers.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from briefing.brief import FIGURES, local
from briefing.situation import Situation, delta, place_name
from briefing.texts import kpi_label, tr
from cases.calendar import SHANGHAI
from layers.cases import status_label
from store.kpis import DEFAULT_WEIGHTS

SHEETS = ("概况 Summary", "镇街 Townships", "排名 League", "超期 Overdue", "责任 Owners", "趋势 Trend")
"""The workbook's sheets, in order."""
RATE = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="0F2540")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def _cell(value: Any) -> Any:
    """A value Excel can hold: NaN → empty, numpy numbers → Python, aware times → Shanghai local (Excel has
    no time zones)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0) if value.tzinfo else value
    if hasattr(value, "item"):
        return value.item()
    return value


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
           rates: Sequence[int] = (), widths: Sequence[int] | None = None) -> None:
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    for column in rates:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            cell.number_format = RATE
    for i, title_text in enumerate(header):
        width = widths[i] if widths else max(10, min(40, 2 * len(str(title_text)) + 2))
        sheet.column_dimensions[get_column_letter(i + 1)].width = width
    sheet.freeze_panes = "A2"


def workbook_bytes(sit: Situation, lang: str = "zh") -> bytes:
    """The workbook of ``sit`` (sheets :data:`SHEETS`) as .xlsx bytes."""
    book = Workbook()
    book.remove(book.active)
    _summary(book, sit, lang)
    _townships(book, sit, lang)
    _league(book, sit, lang)
    _overdue(book, sit, lang)
    _owners(book, sit, lang)
    _trend(book, sit, lang)
    book.properties.title = f"{tr('brief.situation', lang)} {sit.scope_name(lang)} {sit.days.label()}"
    book.properties.creator = "township-command-center"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary(book: Workbook, sit: Situation, lang: str) -> None:
    rows: list[list[Any]] = [
        [tr("col.scope", lang), sit.scope_name(lang), None, None],
        [tr("col.period", lang), sit.days.label(), None, None],
        [tr("brief.as_of", lang, at=local(sit.as_of)), None, None, None],
        [tr("col.previous", lang), f"{local(sit.previous_window[0])} – {local(sit.previous_window[1])}", None, None],
        [None, None, None, None],
        [tr("col.figure", lang), tr("col.value", lang), tr("col.previous", lang), tr("col.change", lang)],
    ]
    for name in FIGURES:
        now, before = sit.figures.get(name), sit.previous_figures.get(name)
        change = (None if pd.isna(now) or pd.isna(before) else now - before) if name == "on_time_closure_rate" \
            else delta(now, before)
        rows.append([tr(f"fig.{name}", lang), now, before, change])
    _sheet(book, SHEETS[0], [tr("brief.situation", lang), place_name(sit.jurisdiction, lang), "", ""], rows,
           widths=(24, 30, 18, 12))
    sheet = book[SHEETS[0]]
    first = 8  # the figures' first row (1-based: header, six rows above)
    for offset, name in enumerate(FIGURES):
        row = first + offset
        if name == "on_time_closure_rate":
            for column in "BCD":
                sheet[f"{column}{row}"].number_format = RATE
        else:
            sheet[f"D{row}"].number_format = RATE


def _townships(book: Workbook, sit: Situation, lang: str) -> None:
    header = [tr("col.township", lang), "code", *(tr(f"fig.{name}", lang) for name in FIGURES)]
    rows = [[sit.township_name(code, lang), code, *(row.get(name) for name in FIGURES)]
            for code, row in sit.by_township.iterrows()]
    _sheet(book, SHEETS[1], header, rows, rates=[len(header) - 1])


def _league(book: Workbook, sit: Situation, lang: str) -> None:
    components = list(DEFAULT_WEIGHTS)
    header = [tr("col.rank", lang), tr("col.township", lang), "code", tr("col.score", lang)]
    for name in components:
        header += [kpi_label(name, lang), tr("col.points", lang, name=kpi_label(name, lang))]
    header.append(tr("col.of", lang))
    rows = []
    for code, row in sit.league.iterrows():
        values = [int(row["rank"]), sit.township_name(code, lang), code, round(float(row["score"]), 2)]
        for name in components:
            values += [row.get(name), round(float(row.get(f"{name}_points", 0.0)), 2)]
        values.append(int(row["of"]))
        rows.append(values)
    rates = [4 + 2 * i for i in range(len(components))]
    _sheet(book, SHEETS[2], header, rows, rates=rates)
    sheet = book[SHEETS[2]]
    period = f"{sit.league_days.first.isoformat()} – {sit.league_days.last.isoformat()}"
    sheet.cell(row=len(rows) + 3, column=1, value=tr("brief.league", lang, period=period))


def _overdue(book: Workbook, sit: Situation, lang: str) -> None:
    english = lang == "en"
    header = [tr("col.code", lang), tr("col.township", lang), tr("col.community", lang), tr("col.item", lang),
              tr("col.status", lang), tr("col.priority", lang), tr("col.opened", lang), tr("col.deadline", lang),
              tr("col.days_over", lang), tr("col.owner", lang), tr("col.department", lang), tr("col.supervised", lang)]
    rows = [[r.code, r.township_en if english else r.township, r.community_en if english else r.community,
             r.item_en if english else r.item, status_label(r.status, lang), r.priority, r.opened_at, r.deadline_at, r.days_over,
             r.owner_en if english else r.owner, r.department, "✓" if r.supervised else ""]
            for r in sit.overdue.itertuples()]
    _sheet(book, SHEETS[3], header, rows, widths=(24, 14, 16, 22, 12, 8, 17, 17, 10, 30, 12, 8))


def _owners(book: Workbook, sit: Situation, lang: str) -> None:
    english = lang == "en"
    header = [tr("col.owner", lang), tr("col.department", lang), tr("col.township", lang), tr("col.cases", lang),
              tr("col.max_days_over", lang), tr("col.mean_days_over", lang)]
    rows = [[r.owner_en if english else r.owner, r.department, sit.township_name(r.township_code, lang), r.cases,
             r.max_days_over, r.mean_days_over] for r in sit.owners.itertuples()]
    _sheet(book, SHEETS[4], header, rows, widths=(34, 14, 14, 8, 14, 14))


def _trend(book: Workbook, sit: Situation, lang: str) -> None:
    columns = list(sit.trend.columns)
    header = [tr(f"col.{sit.trend_unit}", lang), *(tr(f"col.{c}", lang) for c in columns)]
    rows = [[label, *(int(v) for v in values)] for label, values in zip(sit.trend.index, sit.trend.to_numpy(), strict=True)]
    _sheet(book, SHEETS[5], header, rows)
