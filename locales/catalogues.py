"""``make locales`` after Babel: keep the catalogues still when nothing changed, and give them
real headers.

``pybabel extract`` stamps the template with the time of every run, and ``pybabel update``
copies that stamp into each language's file: four changed files for nothing. Run as::

    python locales/catalogues.py keep NEW.pot   # before ``pybabel update``
    python locales/catalogues.py headers        # after it

``keep`` replaces ``locales/messages.pot`` with ``NEW.pot`` only if its messages differ (ids,
plural ids, flags, comments for translators), and deletes ``NEW.pot`` either way; ``headers``
writes the project's name, version and language team into every ``messages.po``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent
TEMPLATE = LOCALES / "messages.pot"
PROJECT, VERSION = "dt4e-bot", "0.1"
TEAMS = {"ar": "Arabic", "en": "English", "fr": "French"}
WIDTH = 100


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _messages(catalog: Catalog) -> list[tuple[object, ...]]:
    return sorted(
        (str(m.id), tuple(sorted(m.flags)), tuple(m.auto_comments), str(m.context or ""))
        for m in catalog
        if m.id
    )


def keep(new: Path) -> None:
    if not TEMPLATE.exists() or _messages(_read(TEMPLATE)) != _messages(_read(new)):
        new.replace(TEMPLATE)
        print(f"{TEMPLATE.name}: updated")
    else:
        new.unlink()
        print(f"{TEMPLATE.name}: no message changed, left as it was")


def headers() -> None:
    for po in sorted(LOCALES.glob("*/LC_MESSAGES/messages.po")):
        lang = po.parent.parent.name
        catalog = _read(po)
        catalog.project, catalog.version = PROJECT, VERSION
        catalog.copyright_holder = "dt4e-bot contributors"
        catalog.language_team = f"{TEAMS.get(lang, lang)} translators of {PROJECT}"
        catalog.last_translator = f"{TEAMS.get(lang, lang)} translators of {PROJECT}"
        catalog.msgid_bugs_address = ""
        catalog.header_comment = (
            f"# {TEAMS.get(lang, lang)} translations for {PROJECT}.\n"
            f"# Copyright (C) 2026 dt4e-bot contributors\n"
            f"# This file is distributed under the same license as the {PROJECT} project.\n"
            "#"
        )
        before = po.read_bytes()
        with po.open("wb") as file:
            write_po(file, catalog, width=WIDTH, omit_header=False)
        if po.read_bytes() != before:
            print(f"{po.relative_to(LOCALES)}: headers written")


if __name__ == "__main__":
    match sys.argv[1:]:
        case ["keep", new]:
            keep(Path(new))
        case ["headers"]:
            headers()
        case _:
            raise SystemExit(__doc__)
