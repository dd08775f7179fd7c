"""The languages every interface string and every content file carries."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    AR = "ar"
    EN = "en"
    FR = "fr"

    @classmethod
    def parse(cls, code: str | None) -> Lang | None:
        """Map a locale code such as ``fr-BE`` or ``ar_JO`` to a language, or ``None``."""
        if not code:
            return None
        base = code.replace("_", "-").split("-", 1)[0].strip().lower()
        try:
            return cls(base)
        except ValueError:
            return None
