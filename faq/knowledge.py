"""The knowledge base: FAQ entries, synonyms and small talk, loaded from ``faq/content/*.yaml`` and validated.

File format (``schema: 1``), for content editors; the README has the full guide::

    schema: 1
    entries:
      - id: visa-type                  # stable id, lower-case words joined by "-"
        audience: both                 # talent | employer | both
        source: 001_56efb376055d9746.txt
        review: pending                # pending | approved (by programme staff)
        related: [procedure-duration]  # ids offered as buttons under the answer
        answer: {en: ..., fr: ..., ar: ...}
        questions:                     # how people ask; the first one per language is the button label
          en: [...]
          fr: [...]
          ar: [...]
          arabizi: [...]               # Arabic in Latin letters (optional)

``synonyms.yaml`` holds groups of words and phrases that mean the same for matching::

    schema: 1
    groups:
      - [resign, quit, démissionner, استقال]

``not_ours.yaml`` lists questions no entry answers (asylum, tourist visas, other countries'
programmes...), in the same ``questions`` form as an entry: the matcher abstains when they
match best.

``places.yaml`` lists place names by country code (``nl: [netherlands, leiden, ...]``) and the
programme's countries (``programme: [be, fr, sk]``): the matcher tells by them which country
an entry and a question are about.

``smalltalk.yaml`` lists greetings, thanks, goodbyes and "ok" (see :mod:`faq.smalltalk`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from bot.basics.content import StrictModel, Texts, item_namer, read_yaml, validate
from bot.basics.errors import ContentError, ContentErrors
from bot.basics.lang import Lang
from faq.smalltalk import SMALLTALK_FILE, SmallTalk, SmallTalkFile

CONTENT_DIR = Path(__file__).resolve().parent / "content"
SYNONYMS_FILE = "synonyms.yaml"
SOURCES_FILE = "sources.yaml"
NOT_OURS_FILE = "not_ours.yaml"
PLACES_FILE = "places.yaml"
PLACEHOLDERS = frozenset({"contact"})
MAX_ANSWER_CHARS = 1000
MIN_QUESTIONS = 3

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FRENCH_HIGH_MARK = re.compile(r"(?<=[^\s?!:;\u202f])[ \u00a0]?([?!:;])(?=\s|$)")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Country = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]  # ISO 3166 code, lower case


class Audience(StrEnum):
    TALENT = "talent"
    EMPLOYER = "employer"
    BOTH = "both"


class Questions(StrictModel):
    en: list[Text] = Field(min_length=MIN_QUESTIONS)
    fr: list[Text] = Field(min_length=MIN_QUESTIONS)
    ar: list[Text] = Field(min_length=MIN_QUESTIONS)
    arabizi: list[Text] = Field(default_factory=list)

    def by_language(self) -> Iterable[tuple[str, list[str]]]:
        yield "en", self.en
        yield "fr", self.fr
        yield "ar", self.ar
        yield "arabizi", self.arabizi

    @field_validator("en", "fr", "ar", "arabizi")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        seen: set[str] = set()
        for question in value:
            key = " ".join(question.casefold().split())
            if key in seen:
                raise ValueError(f"duplicate question {question!r}")
            seen.add(key)
        return value


class Entry(StrictModel):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=48)]
    audience: Audience
    source: Text
    review: Literal["pending", "approved"]
    related: list[str] = Field(default_factory=list, max_length=4)
    answer: Texts
    questions: Questions
    offer: Literal["modules"] | None = None  # a button under the answer to start the guided modules

    @field_validator("answer")
    @classmethod
    def _answer_fits(cls, value: Texts) -> Texts:
        for lang in Lang:
            text = value.get(lang)
            if len(text) > MAX_ANSWER_CHARS:
                raise ValueError(
                    f"{lang.value}: {len(text)} characters, at most {MAX_ANSWER_CHARS} fit a phone screen"
                )
            unknown = set(_PLACEHOLDER.findall(text)) - PLACEHOLDERS
            if unknown:
                raise ValueError(
                    f"{lang.value}: unknown placeholder {{{sorted(unknown)[0]}}}; known: {{contact}}"
                )
        return value

    def label(self, lang: Lang) -> str:
        """The button label: the first question variant in that language, kept short (in French
        with a narrow no-break space before ? ! : ;, which variants, typed as people type, lack)."""
        question = str(getattr(self.questions, lang.value)[0])
        if lang is Lang.FR:
            question = _FRENCH_HIGH_MARK.sub("\u202f\\1", question)
        return question if len(question) <= 48 else question[:47].rstrip() + "…"


class FaqFile(StrictModel):
    schema_version: Literal[1] = Field(alias="schema")
    entries: list[Entry] = Field(min_length=1)


class SourcesFile(StrictModel):
    schema_version: Literal[1] = Field(alias="schema")
    sources: dict[str, Texts] = Field(min_length=1)


class NotOursFile(StrictModel):
    """Questions no entry answers (``not_ours.yaml``): the matcher abstains when they win."""

    schema_version: Literal[1] = Field(alias="schema")
    questions: Questions


class PlacesFile(StrictModel):
    """Places by country (``places.yaml``): which country a question or an entry is about."""

    schema_version: Literal[1] = Field(alias="schema")
    programme: list[Country] = Field(min_length=1)
    """The countries the programme places talents in."""
    places: dict[Country, Annotated[list[Text], Field(min_length=1)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _programme_has_places(self) -> PlacesFile:
        unknown = [c for c in self.programme if c not in self.places]
        if unknown:
            raise ValueError(f"programme: {unknown[0]!r} has no places")
        return self


class SynonymsFile(StrictModel):
    schema_version: Literal[1] = Field(alias="schema")
    groups: list[Annotated[list[Text], Field(min_length=2)]]


@dataclass(frozen=True)
class KnowledgeBase:
    entries: dict[str, Entry]
    synonyms: tuple[tuple[str, ...], ...] = ()
    sources: dict[str, Texts] | None = None
    small_talk: SmallTalk | None = None
    not_ours: Questions | None = None
    """Questions the bot must not answer from the FAQ (near-misses), for the matcher."""
    places: dict[str, tuple[str, ...]] | None = None
    """Place names by country code, for the matcher."""
    programme_countries: tuple[str, ...] = ()
    """The countries of ``places`` the programme places talents in."""

    def source_title(self, faq_id: str, lang: Lang = Lang.EN) -> str:
        """The entry's source document as the user sees it, in ``lang``."""
        source = self.entries[faq_id].source
        titles = (self.sources or {}).get(source)
        return titles.get(lang) if titles is not None else source

    def __iter__(self) -> Any:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)


def load_knowledge(content_dir: Path = CONTENT_DIR, display_root: Path | None = None) -> KnowledgeBase:
    """Load and validate every FAQ file and the synonyms; raise :class:`ContentError` on a fault."""
    root = display_root or content_dir.parent.parent
    entries: dict[str, Entry] = {}
    where: dict[str, str] = {}
    synonyms: tuple[tuple[str, ...], ...] = ()
    sources: dict[str, Texts] = {}
    small_talk: SmallTalk | None = None
    not_ours: Questions | None = None
    places: dict[str, tuple[str, ...]] | None = None
    programme: tuple[str, ...] = ()
    faults: list[ContentError] = []
    files = sorted(content_dir.glob("*.yaml"))
    for path in files:
        display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        try:
            data = read_yaml(path, display)
            if path.name == SYNONYMS_FILE:
                synonyms = tuple(tuple(g) for g in validate(SynonymsFile, data, display).groups)
                continue
            if path.name == SOURCES_FILE:
                sources = dict(validate(SourcesFile, data, display).sources)
                continue
            if path.name == NOT_OURS_FILE:
                not_ours = validate(NotOursFile, data, display).questions
                continue
            if path.name == PLACES_FILE:
                places_file = validate(PlacesFile, data, display)
                places = {c: tuple(n) for c, n in places_file.places.items()}
                programme = tuple(places_file.programme)
                continue
            if path.name == SMALLTALK_FILE:
                small_talk = SmallTalk(validate(SmallTalkFile, data, display))
                continue
            faq_file = validate(FaqFile, data, display, item_namer(data, "entries", "entry"))
        except ContentError as fault:  # the other files are read all the same, to report it all
            faults.extend(fault.faults if isinstance(fault, ContentErrors) else [fault])
            continue
        for entry in faq_file.entries:
            if entry.id in entries:
                faults.append(
                    ContentError(
                        display, f"entry {entry.id!r}", f"duplicate id (first defined in {where[entry.id]})"
                    )
                )
                continue
            entries[entry.id] = entry
            where[entry.id] = display
    if not entries and not faults:
        raise ContentError(str(content_dir), "", "no FAQ entries found")
    for entry in entries.values():
        if sources and entry.source not in sources:
            faults.append(
                ContentError(
                    where[entry.id],
                    f"entry {entry.id!r}",
                    f"source: {entry.source!r} is not listed in {SOURCES_FILE}",
                )
            )
        for related in entry.related:
            if related not in entries:
                faults.append(
                    ContentError(where[entry.id], f"entry {entry.id!r}", f"related: unknown id {related!r}")
                )
            elif related == entry.id:
                faults.append(
                    ContentError(
                        where[entry.id], f"entry {entry.id!r}", "related: an entry cannot relate to itself"
                    )
                )
    if faults:
        raise ContentErrors.of(faults)
    return KnowledgeBase(
        entries=entries,
        synonyms=synonyms,
        sources=sources,
        small_talk=small_talk,
        not_ours=not_ours,
        places=places,
        programme_countries=programme,
    )
