"""Staff's participant list read row by row: every fault named with its line, nothing half-read."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from bot.core.state import Role
from bot.service.participants import COLUMNS, Participant, check_header, read_row, read_rows
from bot.service.tables import read_table

GOOD = {
    "reference": "T-0001",
    "role": "talent",
    "cohort": "2026-A",
    "country": "be",
    "start_date": "2026-03-01",
    "timezone": "Asia/Amman",
    "language": "ar",
    "company": "",
}


def test_a_full_row_is_read_and_normalised() -> None:
    assert read_row(GOOD) == Participant(
        reference="T-0001",
        role=Role.TALENT,
        cohort="2026-A",
        country="BE",
        start_date=date(2026, 3, 1),
        timezone="Asia/Amman",
        language=Lang.AR,
        company=None,
    )


def test_only_reference_and_role_are_required() -> None:
    assert read_row({"reference": " E-7 ", "role": "Employer"}) == Participant("E-7", Role.EMPLOYER)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"reference": ""}, "reference: required"),
        ({"reference": "x" * 65}, "reference: at most 64 characters"),
        ({"role": "boss"}, "role: expected talent or employer, got 'boss'"),
        ({"country": "DE"}, "country: expected one of BE, FR, SK, got 'DE'"),
        ({"start_date": "01/03/2026"}, "start_date: expected YYYY-MM-DD, got '01/03/2026'"),
        ({"timezone": "Amman"}, "timezone: 'Amman' is not an IANA time zone"),
        ({"language": "de"}, "language: expected ar, en or fr, got 'de'"),
        ({"cohort": "c" * 65}, "cohort: at most 64 characters"),
    ],
)
def test_a_bad_cell_names_its_column_and_what_is_expected(change: dict[str, str], reason: str) -> None:
    refused = read_row({**GOOD, **change})
    assert isinstance(refused, str)
    assert refused.startswith(reason)


def test_rows_are_reported_by_line_and_a_repeated_reference_keeps_its_first_row() -> None:
    names = list(COLUMNS)
    rows = [
        (2, ["T-1", "talent", "", "", "", "", "", ""]),
        (3, ["", "", "", "", "", "", "", ""]),  # blank: skipped, not an error
        (4, ["T-2", "boss", "", "", "", "", "", ""]),
        (5, ["T-1", "employer", "", "", "", "", "", ""]),
    ]
    accepted, report = read_rows(rows, names)
    assert accepted == [Participant("T-1", Role.TALENT)]
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "role: expected talent or employer, got 'boss'"),
        (5, "reference: 'T-1' is also on line 2"),
    ]


@pytest.mark.parametrize(
    ("header", "fault"),
    [
        (["reference", "role", "phone"], "unknown column 'phone'"),
        (["reference", "cohort"], "missing column 'role'"),
        (["reference", "role", "Role"], "column 'role' appears twice"),
    ],
)
def test_a_bad_header_refuses_the_file_by_name(header: list[str], fault: str) -> None:
    with pytest.raises(ContentError, match=fault) as refused:
        check_header(header, "people.csv")
    assert str(refused.value).startswith("people.csv: line 1: ")


def test_columns_may_come_in_any_order_and_case() -> None:
    assert check_header([" Role", "REFERENCE"], "f.csv") == ["role", "reference"]


@given(st.dictionaries(st.sampled_from(COLUMNS), st.one_of(st.none(), st.text(), st.integers(), st.floats())))
def test_no_cell_whatsoever_makes_the_reader_fail(cells: dict[str, object]) -> None:
    assert isinstance(read_row(cells), Participant | str)


def test_csv_with_a_bom_and_semicolons_as_excel_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("\ufeffreference;role;company\nE-1;employer;Société « Ré »\n".encode())
    header, rows = read_table(path)
    assert header == ["reference", "role", "company"]
    assert list(rows) == [(2, ["E-1", "employer", "Société « Ré »"])]


def test_a_csv_that_is_not_utf8_says_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("reference,role\nT-1,talent,Société\n".encode("cp1252"))
    with pytest.raises(ContentError, match="CSV UTF-8"):
        read_table(path)


def test_xlsx_cells_keep_their_types(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["reference", "role", "start_date", "language"])
    sheet.append([1042, "talent", date(2026, 3, 1), "fr"])
    path = tmp_path / "people.xlsx"
    book.save(path)
    header, rows = read_table(path)
    names = check_header(header, str(path))
    accepted, report = read_rows(rows, names)
    assert not report.rejected
    assert accepted == [Participant("1042", Role.TALENT, start_date=date(2026, 3, 1), language=Lang.FR)]


def test_other_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"\.csv or \.xlsx"):
        read_table(tmp_path / "people.ods")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ContentError, match="Excel workbook"):
        read_table(broken)
