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
from babel.messages.pofile import PoFileError, read_po

from bot.basics.errors import CatalogueError
from bot.basics.lang import Lang

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"

Gettext = Callable[[str], str]


class Catalogues:
    """The compiled catalogues of every :class:`Lang`."""

    def __init__(self, locales_dir: Path | None = None) -> None:
        locales_dir = locales_dir or LOCALES_DIR
        self._translations: dict[Lang, gettext.NullTranslations] = {}
        for lang in Lang:
            po_path = locales_dir / lang.value / "LC_MESSAGES" / f"{DOMAIN}.po"
            self._translations[lang] = _compile(po_path, lang)

    def gettext(self, lang: Lang, message: str) -> str:
        return self._translations[lang].gettext(message)

    def ngettext(self, lang: Lang, singular: str, plural: str, n: int) -> str:
        return self._translations[lang].ngettext(singular, plural, n)

    def for_lang(self, lang: Lang) -> Gettext:
        return self._translations[lang].gettext


def _compile(po_path: Path, lang: Lang) -> gettext.GNUTranslations:
    """A ``.po`` file compiled in memory; :class:`CatalogueError` names the file when it is
    missing or cannot be read."""
    try:
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=lang.value, abort_invalid=True)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    except FileNotFoundError as exc:
        raise CatalogueError(str(po_path), "", f"missing catalogue for {lang.value!r}") from exc
    except (OSError, ValueError, PoFileError) as exc:
        raise CatalogueError(str(po_path), "", f"cannot read the catalogue: {exc}") from exc
