"""Reading exported tables — CSV in UTF-8, UTF-8 with BOM or GBK, and Excel .xlsx — into records.

Work-order exports come from systems and from people with Excel: a title line above the header (``同安区
12345工单导出``), a header that calls a column 工单号 instead of 工单编号, GBK bytes, a blank line at the end,
a row in a UTF-8 file pasted from a GBK one, a comma inside an unquoted field that shifts every column after
it. The readers find the header row by the channel's column names, number rows as the spreadsheet shows
them, and turn every data row into a :class:`~ingest.records.Record` — a row that cannot be read carries its
``problem`` and is quarantined on its own; only a file with no recognisable header at all is refused whole
(:class:`UnreadableFile`).

Notes
-----
Encoding: a byte-order mark decides; otherwise UTF-8 unless most lines with non-ASCII bytes are not UTF-8,
then GB 18030 (a superset of GBK and GB 2312). Undecodable bytes are carried as surrogate escapes, so a bad
row is quarantined with its exact bytes. Fully blank rows carry nothing and are skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.fields import is_blank
from ingest.payload import JSON_CONTENT_TYPE, json_safe, to_bytes
from ingest.records import Record, field_key
from ingest.report import SourceRef

HEADER_SEARCH_ROWS = 10
"""How many rows from the top may hold title lines before the header."""

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other OLE compound files)
_DELIMITERS = (",", "\t", ";", "|")


class UnreadableFile(ValueError):
    """The whole file cannot be read as this channel's table; the message says why."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec used; "utf-8" also for UTF-8 with BOM


def decode(data: bytes) -> Decoded:
    """The text of ``data``, undecodable bytes kept as surrogate escapes (see module Notes)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            body = data[len(bom):]
            if encoding == "utf-8":
                return Decoded(body.decode("utf-8", "surrogateescape"), "utf-8")
            return Decoded(body.decode(encoding, "replace"), encoding)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    foreign = [line for line in data.splitlines() if not line.isascii()]
    bad_utf8 = sum(1 for line in foreign if not _decodes(line, "utf-8"))
    encoding = "utf-8" if bad_utf8 * 2 < len(foreign) else "gb18030"
    return Decoded(data.decode(encoding, "surrogateescape"), encoding)


def read_csv(data: bytes, filename: str, fields: Mapping[str, Sequence[str]],
             required: Sequence[str]) -> Iterator[Record]:
    """The data rows of a CSV export (any of ``, \\t ; |`` as delimiter, sniffed from the header)."""
    decoded = decode(data)
    raw_encoding = "utf-8" if decoded.encoding.startswith("utf-16") else decoded.encoding
    content_type = f"text/csv; charset={raw_encoding}"
    delimiter = _delimiter(decoded.text)
    rows = _csv_rows(decoded.text, delimiter)
    head = _take(rows, HEADER_SEARCH_ROWS)
    header_at, headers = find_header([(n, cells) for n, cells, _, _ in head], fields, required, filename)
    header_cells = next(cells for n, cells, _, _ in head if n == header_at)
    for number, cells, span, error in _chain(head, rows):
        if number <= header_at or (error is None and all(is_blank(c) for c in cells)):
            continue
        values = _values(headers, cells)
        raw_bytes = _csv_bytes([header_cells, cells], delimiter, raw_encoding)
        problem = error or _csv_problem(headers, cells, span, delimiter, decoded.encoding)
        yield Record(SourceRef(filename, number), values, json_safe(values), raw_bytes, content_type, problem)


def read_xlsx(data: bytes, filename: str, fields: Mapping[str, Sequence[str]],
              required: Sequence[str]) -> Iterator[Record]:
    """The data rows of every sheet of an .xlsx workbook that has a header row of this channel."""
    if data.startswith(_OLE_MAGIC):
        raise UnreadableFile("a legacy .xls workbook (or another OLE file): save it as .xlsx or CSV")
    import openpyxl  # noqa: PLC0415 - only Excel files need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about styles and data validation it drops
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "not a workbook"
            raise UnreadableFile(f"not a readable .xlsx workbook ({type(exc).__name__}: {_short(exc)})") from None
        found = False
        first_problem: UnreadableFile | None = None
        try:
            for sheet in book.worksheets:
                rows = ((n, list(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1))
                head = _take(rows, HEADER_SEARCH_ROWS)
                try:
                    header_at, headers = find_header(head, fields, required, f"{filename} sheet {sheet.title}")
                except UnreadableFile as problem:
                    first_problem = first_problem or problem
                    continue
                found = True
                for number, cells in _chain(head, rows):
                    if number <= header_at or all(is_blank(c) for c in cells):
                        continue
                    values = _values(headers, cells)
                    problem = _shift_problem(headers, cells)
                    yield Record(SourceRef(filename, number, sheet=sheet.title), values, json_safe(values),
                                 to_bytes(values), JSON_CONTENT_TYPE, problem)
        except Exception as exc:  # noqa: BLE001 - a corrupt sheet part surfaces only while streaming rows
            raise UnreadableFile(f"stopped reading the workbook ({type(exc).__name__}: {_short(exc)})") from None
        finally:
            book.close()
    if not found:
        raise first_problem or UnreadableFile("the workbook has no sheets")


def find_header(rows: Sequence[tuple[int, Sequence[Any]]], fields: Mapping[str, Sequence[str]],
                required: Sequence[str], where: str) -> tuple[int, list[str]]:
    """(row number, header names) of the row that names most of the channel's columns.

    Raises
    ------
    UnreadableFile
        No row names any column of the channel, or the best row lacks a required column.
    """
    keys = {field_key(alias): name for name, aliases in fields.items() for alias in aliases}
    best: tuple[int, int, Sequence[Any]] | None = None
    for number, cells in rows:
        matched = {keys[field_key(c)] for c in cells if not is_blank(c) and field_key(c) in keys}
        if best is None or len(matched) > best[1]:
            best = (number, len(matched), cells)
    if best is None or best[1] == 0:
        expected = "、".join(fields[name][0] for name in required) or "、".join(a[0] for a in fields.values())
        raise UnreadableFile(f"no header row: none of the first {HEADER_SEARCH_ROWS} rows of {where} names this "
                             f"channel's columns ({expected})")
    number, _, cells = best
    present = {keys[field_key(c)] for c in cells if not is_blank(c) and field_key(c) in keys}
    missing = [fields[name][0] for name in required if name not in present]
    if missing:
        raise UnreadableFile(f"missing required column {'、'.join(missing)}: the header row ({where} row {number}) "
                             f"has {'、'.join(str(c) for c in cells if not is_blank(c))}")
    return number, _header_names(cells)


def _header_names(cells: Sequence[Any]) -> list[str]:
    names: list[str] = []
    for i, cell in enumerate(cells, start=1):
        name = " ".join(str(cell).split()) if not is_blank(cell) else f"列{i}"
        while name in names:  # a second 备注 column must not overwrite the first
            name += "'"
        names.append(name)
    return names


def _values(headers: list[str], cells: Sequence[Any]) -> dict[str, Any]:
    values = {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(headers)}
    for i in range(len(headers), len(cells)):
        if not is_blank(cells[i]):
            values[f"列{i + 1}"] = cells[i]
    return values


def _shift_problem(headers: list[str], cells: Sequence[Any]) -> str | None:
    extra = [i + 1 for i in range(len(headers), len(cells)) if not is_blank(cells[i])]
    if extra:
        return (f"row has values in {len(headers) + len(extra)} columns but the header has {len(headers)} "
                f"(column {extra[0]} has no header: an unquoted delimiter inside a field?)")
    return None


def _csv_problem(headers: list[str], cells: list[str], span: int, delimiter: str, encoding: str) -> str | None:
    for name, cell in zip(headers, cells, strict=False):
        if any("\udc80" <= ch <= "\udcff" for ch in cell):
            return f"undecodable bytes in {name} (not valid {encoding.upper()}: a row pasted from another encoding?)"
    if span > 1:
        for name, cell in zip(headers, cells, strict=False):
            if any(line.count(delimiter) >= len(headers) - 1 > 0 for line in cell.splitlines()[1:]):
                return (f"an unclosed quote in {name} swallows the next {span - 1} line(s) of the file "
                        "(rows that follow it are inside this one)")
    return _shift_problem(headers, cells)


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str], int, str | None]]:
    """(record number, cells, physical lines spanned, read error) for every CSV record, blank ones included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number, line = 0, 0
    while True:
        try:
            cells = next(reader)
            error = None
        except StopIteration:
            return
        except csv.Error as exc:
            cells, error = [], f"unreadable CSV row: {exc}"
        number += 1
        span, line = reader.line_num - line, reader.line_num
        yield number, cells, max(span, 1), error


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(_DELIMITERS, key=lambda d: (first.count(d), -_DELIMITERS.index(d)))


def _csv_bytes(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode(encoding, "surrogateescape")


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _take(rows: Iterator[Any], n: int) -> list[Any]:
    head = []
    for row in rows:
        head.append(row)
        if len(head) == n:
            break
    return head


def _chain(head: list[Any], rows: Iterator[Any]) -> Iterator[Any]:
    yield from head
    yield from rows


def _short(exc: Exception, limit: int = 120) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
