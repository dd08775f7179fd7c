"""Interface strings in every language: gettext catalogues kept as Babel ``.po`` files.

The ``.po`` files in ``locales/<lang>/LC_MESSAGES/messages.po`` are the source of truth. They
are compiled in memory when the bot starts, so a compiled ``.mo`` can never drift from them.
``make locales`` re-extracts the template from the code and merges it into each catalogue.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.core.types import Lang

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

Gettext = Callable[[str], str]


class CatalogueError(Exception):
    """A catalogue is missing or cannot be read."""


class Catalogues:
    """The compiled catalogues of every :class:`Lang`."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translations: dict[Lang, gettext.NullTranslations] = {}
        for lang in Lang:
            po_path = locales_dir / lang.value / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not po_path.is_file():
                raise CatalogueError(f"{po_path}: missing catalogue for {lang.value!r}")
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=lang.value)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            self._translations[lang] = gettext.GNUTranslations(buffer)

    def gettext(self, lang: Lang, message: str) -> str:
        return self._translations[lang].gettext(message)

    def ngettext(self, lang: Lang, singular: str, plural: str, n: int) -> str:
        return self._translations[lang].ngettext(singular, plural, n)

    def for_lang(self, lang: Lang) -> Gettext:
        return self._translations[lang].gettext
