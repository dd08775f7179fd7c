"""Survey results as a spreadsheet: one row per participant and wave, one column per question
key (the columns of ``DESIGN.md``), as CSV (UTF-8 with a BOM, so spreadsheet programs show
Arabic) or XLSX (written in constant memory, with a second sheet that says what each key asks).

A choice is exported as its id and its English label ("housing (Housing)"), never as the label
the person saw alone; several choices are joined with "; "; a skipped question reads
"(skipped)". A cell never becomes a formula or a link.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from bot.basics.lang import Lang
from dialogs.model import AskType, Dialog

FIXED = ("reference", "role", "cohort", "country", "language", "wave", "completed_at")
SKIPPED = "(skipped)"


@dataclass(frozen=True, slots=True)
class ExportedResponse:
    reference: str
    role: str
    cohort: str | None
    country: str | None
    language: str | None
    wave: int
    completed_at: datetime | None
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (value, category)


def question_keys(dialog: Dialog, responses: Sequence[ExportedResponse]) -> list[str]:
    """The survey's keys in the order it asks them, then keys only older answers have."""
    keys = [node.result for node in dialog.nodes if node.ask is not None and node.result is not None]
    older = sorted({key for r in responses for key in r.answers} - set(keys))
    return keys + older


def _cell(dialog: Dialog, key: str, answer: tuple[str, str] | None) -> str:
    if answer is None:
        return ""
    value, category = answer
    if category == "skipped":
        return SKIPPED
    node = dialog.asking(key)
    if node is None or node.ask is None or node.ask.type not in (AskType.CHOICE, AskType.MULTI):
        return value
    labels = {choice.id: choice.label.get(Lang.EN) for choice in node.ask.choices}
    return "; ".join(
        f"{part} ({labels[part]})" if part in labels else part for part in value.split(",") if part
    )


def table(dialog: Dialog, responses: Sequence[ExportedResponse]) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of the export."""
    keys = question_keys(dialog, responses)
    rows = []
    for r in responses:
        fixed = [
            r.reference,
            r.role,
            r.cohort or "",
            r.country or "",
            r.language or "",
            str(r.wave),
            r.completed_at.isoformat(timespec="seconds") if r.completed_at else "",
        ]
        rows.append(fixed + [_cell(dialog, key, r.answers.get(key)) for key in keys])
    return [*FIXED, *keys], rows


def questions(dialog: Dialog, keys: Iterable[str]) -> list[list[str]]:
    """What each key asks, in English, with its type and its choices."""
    lines = [["key", "type", "question", "choices"]]
    for key in keys:
        node = dialog.asking(key)
        if node is None or node.ask is None:
            lines.append([key, "", "(a question of an earlier version of the survey)", ""])
            continue
        choices = "; ".join(f"{c.id} = {c.label.get(Lang.EN)}" for c in node.ask.choices)
        lines.append([key, node.ask.type.value, node.say.get(Lang.EN), choices])
    return lines


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    """A cell a spreadsheet program shows as text, never runs as a formula: free-text answers
    come from anyone (``=HYPERLINK(...)``), so a leading ``= + - @`` is escaped with ``'``."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([inert(cell) for cell in row] for row in rows)


def write_xlsx(
    target: Path | BinaryIO,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    codebook: Sequence[Sequence[str]],
) -> None:
    """To a file in constant memory, or into ``target`` in memory (an attachment)."""
    import xlsxwriter

    # Strings stay strings: never numbers, formulas or links (free text comes from anyone).
    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    if isinstance(target, Path):
        book = xlsxwriter.Workbook(str(target), {"constant_memory": True, **options})
    else:
        book = xlsxwriter.Workbook(target, {"in_memory": True, **options})
    try:
        bold = book.add_format({"bold": True})
        sheet = book.add_worksheet("answers")
        sheet.write_row(0, 0, header, bold)
        sheet.freeze_panes(1, 1)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, row)
        notes = book.add_worksheet("questions")
        for number, line in enumerate(codebook):
            notes.write_row(number, 0, line, bold if number == 0 else None)
    finally:
        book.close()
