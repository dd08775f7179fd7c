"""The export stays data: an answer typed as a formula or a link is text in CSV and XLSX."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from bot.service.exports import inert, write_csv, write_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "@SUM(A1)", "-2+3", "https://example.org"]


def test_a_csv_cell_that_looks_like_a_formula_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    write_csv(path, ["challenges"], [[cell] for cell in HOSTILE])
    with path.open(encoding="utf-8-sig") as fh:
        cells = [row[0] for row in list(csv.reader(fh))[1:]]
    assert cells == [f"'{c}" for c in HOSTILE[:4]] + ["https://example.org"]
    assert inert("الطقس بارد") == "الطقس بارد"


def test_an_xlsx_cell_is_never_a_formula_or_a_link(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    write_xlsx(path, ["challenges"], [[cell] for cell in HOSTILE], [["key"]])
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        names = book.namelist()
    assert "<f>" not in sheet
    assert not any("hyperlink" in name.lower() or "_rels/sheet1" in name for name in names)
