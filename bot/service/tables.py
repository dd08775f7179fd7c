"""Reading staff's spreadsheets: CSV (UTF-8, comma, semicolon or tab) and XLSX (the first sheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.basics.errors import ContentError

Row = tuple[int, Sequence[object]]
"""A line number (1 is the header) and its cells."""


def read_table(path: Path) -> tuple[Sequence[object], Iterator[Row]]:
    """The header row and an iterator over the data rows of ``path``; :class:`ContentError` for
    a file that cannot be read as a table."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv(path)
    if suffix == ".xlsx":
        return _xlsx(path)
    raise ContentError(str(path), "", "expected a .csv or .xlsx file")


def _csv(path: Path) -> tuple[Sequence[object], Iterator[Row]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError(
            str(path), "", "not UTF-8 text: save it from your spreadsheet as 'CSV UTF-8'"
        ) from exc
    except OSError as exc:
        raise ContentError(str(path), "", f"cannot read it: {exc.strerror}") from exc
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ContentError(str(path), "", "the file is empty: the first line names the columns")
    # line_num counts physical lines, so a cell with a line break inside keeps the numbers right
    return header, ((reader.line_num, cells) for cells in reader)


def _xlsx(path: Path) -> tuple[Sequence[object], Iterator[Row]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, BadZipFile, KeyError, ValueError) as exc:
        raise ContentError(str(path), "", f"cannot read it as an Excel workbook: {exc}") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        book.close()
        raise ContentError(str(path), "", "the first sheet is empty: its first row names the columns")

    def data() -> Iterator[Row]:
        try:
            for line, cells in enumerate(rows, start=2):
                yield line, list(cells)
        finally:
            book.close()

    return list(header), data()
