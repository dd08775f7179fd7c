"""Every interface string is translated in every language, and the template matches the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.basics.i18n import LOCALES_DIR, Catalogues
from bot.basics.lang import Lang

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def catalogue(lang: str) -> Catalog:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def extracted_ids(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id and isinstance(m.id, str)}


def test_the_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as fh:
        committed = {m.id for m in read_po(fh) if m.id}
    assert extracted_ids(tmp_path) == committed, "run `make locales` and translate the new strings"


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_every_string_is_translated(lang: str) -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    messages = {m.id: m for m in catalogue(lang) if m.id}
    missing = sorted(str(i) for i in wanted if i not in messages or not messages[i].string)
    fuzzy = sorted(str(m.id) for m in messages.values() if m.fuzzy)
    assert not missing, f"{lang}: untranslated: {missing}"
    assert not fuzzy, f"{lang}: fuzzy (needs review): {fuzzy}"


@pytest.mark.parametrize("lang", ["ar", "en", "fr"])
def test_translations_keep_the_placeholders_and_commands(lang: str) -> None:
    for message in catalogue(lang):
        if not message.id or not message.string:
            continue
        source, target = str(message.id), str(message.string)
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), message.id
        assert sorted(re.findall(r"/[a-z_]+", source)) == sorted(re.findall(r"/[a-z_]+", target)), message.id


def test_catalogues_translate_at_run_time() -> None:
    catalogues = Catalogues()
    assert catalogues.gettext(Lang.FR, "Help") == "Aide"
    assert catalogues.gettext(Lang.AR, "Help") == "مساعدة"
    assert catalogues.gettext(Lang.EN, "Help") == "Help"


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_every_translation_passes_babel_s_checks(lang: str) -> None:
    """What `pybabel compile` checks (placeholders of the same kinds in msgid and msgstr): a
    "%" read as a printf placeholder in one and not the other fails the compilation."""
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale=lang)
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert problems == []
