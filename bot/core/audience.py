"""Who a survey push reaches, and how staff type it in Telegram."""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = ("talent", "employer")
COUNTRIES = ("BE", "FR", "SK")


@dataclass(frozen=True, slots=True)
class Audience:
    """Every filter given must hold; several values of one filter: any of them."""

    roles: tuple[str, ...] = ()
    cohorts: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    def as_json(self) -> dict[str, list[str]]:
        named = (
            ("role", self.roles),
            ("cohort", self.cohorts),
            ("country", self.countries),
            ("ref", self.references),
        )
        return {name: list(values) for name, values in named if values}

    def describe(self) -> str:
        """The audience as staff typed it: ``talent cohort 2026-A country BE``."""
        parts = [*self.roles]
        parts += [f"cohort {c}" for c in self.cohorts] + [f"country {c}" for c in self.countries]
        return " ".join(parts + list(self.references))


_WORD = {
    "talent": "talent", "talents": "talent", "employer": "employer", "employers": "employer",
    "candidat": "talent", "candidats": "talent", "employeur": "employer", "employeurs": "employer",
}  # fmt: skip


def parse_audience(text: str) -> Audience | None:
    """``talent cohort 2026-A country BE``, ``employers``, ``T-0001, T-0002`` ...; ``None`` when
    the text is not an audience (any other word: then it is an ordinary message).

    A reference is a word with a digit in it (``T-0001``, ``1042``), or any word after ``ref``."""
    roles: list[str] = []
    cohorts: list[str] = []
    countries: list[str] = []
    references: list[str] = []
    words = [w for w in re.split(r"[\s,;]+", text.strip()) if w]
    index, naming = 0, False
    while index < len(words):
        word, folded = words[index], words[index].casefold()
        following = words[index + 1] if index + 1 < len(words) else None
        if folded in _WORD:
            roles.append(_WORD[folded])
        elif folded in ("cohort", "cohorte") and following:
            cohorts.append(following)
            index += 1
        elif folded in ("country", "pays") and following and following.upper() in COUNTRIES:
            countries.append(following.upper())
            index += 1
        elif word.upper() in COUNTRIES and len(word) == 2:
            countries.append(word.upper())
        elif folded in ("ref", "refs", "reference", "references", "référence", "références"):
            naming = True
        elif naming or any(c.isdigit() for c in word):
            references.append(word)
        else:
            return None
        index += 1
    audience = Audience(tuple(dict.fromkeys(roles)), tuple(cohorts), tuple(countries), tuple(references))
    return audience if audience.as_json() else None
