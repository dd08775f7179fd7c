"""Words typed instead of a button or a command: "next" in a module, "I don't know" at a quiz,
"help", "menu" or "I want to talk to a person" anywhere.

People often type what a button or a slash command would do. A message is such a request only
when the whole of it is one of the phrases of :data:`PHRASES` (a courtesy word such as "please"
or "ok" may come along, and two phrases of the same kind may follow each other: "yalla next");
a longer message that contains one ("what does the menu of the training look like?") is a
question for the FAQ.

==========  ===================================  ==============================================
intent      where it counts                      what it does
==========  ===================================  ==============================================
next        a module's step                      what the step's "Next" button does; at a
                                                 question, "choose one of the options" again
dont_know   a module's question                  "choose one of the options" again (at a quiz:
                                                 "take a guess")
help, menu, anywhere                             the chat command of the same name (``/help``
language,                                        ...), through the command table
human,
start
==========  ===================================  ==============================================

The table is data, one entry per intent and language (Arabizi is Arabic). A phrase offers
alternatives in braces, an empty alternative making the part optional::

    "{i want to|can i|} {talk|speak} {to|with} {a person|a human}"

Every phrase and every message is compared in one form, :func:`faq.text.normalize` (case,
accents, Arabic diacritics, tatweel and letter variants, Eastern Arabic and Persian digits,
punctuation and emoji folded), with a letter typed three times or more counted once ("nexttt",
"يلااا") and the letters left of an elision without their apostrophe ("j sais pas", "l équipe")
dropped. A message of nothing but arrows (➡️, ▶, 👉) is "next".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.basics.lang import Lang
from bot.core import commands
from bot.core.features import menu, staff
from bot.core.scope import Scope
from bot.core.state import ConversationState
from faq.text import normalize


class Intent(StrEnum):
    """What a typed phrase asks for. A command's intent is named like the command."""

    NEXT = "next"
    DONT_KNOW = "dont_know"
    HELP = "help"
    MENU = "menu"
    LANGUAGE = "language"
    HUMAN = "human"
    START = "start"


COMMAND_INTENTS = frozenset({Intent.HELP, Intent.MENU, Intent.LANGUAGE, Intent.HUMAN, Intent.START})
"""The intents that run the chat command of the same name, wherever they are typed."""

MAX_WORDS = 12
"""A longer message is a question, whatever its words (it bounds the work, too)."""

_PERSON_EN = (
    "{a|an|the|one|some|a real|} {person|human|human being|agent|staff member|advisor|adviser"
    "|someone|somebody|team|dt4e team|member of the team|staff|iom staff}"
)
_PERSON_FR = (
    "{une personne|un humain|un agent|un conseiller|une conseillère|quelqu'un|un membre de l'équipe"
    "|l'équipe|l'équipe dt4e}"
)
_PERSON_AR = (
    "{حدا|حد|شخص|انسان|إنسان|موظف|موظفة|مسؤول|حدا من الفريق|شخص من الفريق|حدا من فريق البرنامج"
    "|الفريق|فريق البرنامج|احد من الفريق|أحد|أحد الموظفين|احد الموظفين|شخص حقيقي|بني ادم}"
)

PHRASES: dict[Intent, dict[Lang, tuple[str, ...]]] = {
    Intent.NEXT: {
        Lang.EN: (
            "next", "next step", "continue", "go on", "go ahead", "carry on", "move on", "proceed",
            "forward", "next one", "the next one", "let's go", "lets go", "go", "keep going",
        ),
        Lang.FR: (
            "suivant", "suivante", "étape suivante", "continuer", "continue", "continuez", "on continue",
            "la suite", "suite", "allez", "allons-y", "vas-y", "on y va", "la prochaine",
        ),
        Lang.AR: (
            "التالي", "التالية", "الخطوة التالية", "متابعة", "تابع", "تابعي", "كمل", "كملي", "كمّل",
            "يلا", "يللا", "يالا", "يلا كمل", "استمر", "استمرار", "واصل", "بعده", "اللي بعده",
            "يلي بعده", "بعدها", "اكمل", "أكمل", "إكمال", "اكمال", "الاستمرار",
            "yalla", "yallah", "yala", "yalah", "kammel", "kamel", "kammil", "kamil", "kamml",
            "kaml", "kammle", "ba3do", "ba3deh", "elli ba3do", "yalli ba3do", "tabe3", "kamel ya",
        ),
    },
    Intent.DONT_KNOW: {
        Lang.EN: (
            "{i|} {don't|dont|do not} know", "{i|} {don't|dont|do not} know the answer", "idk",
            "dunno", "i dunno", "no idea", "{i have|i've|} no idea", "no clue", "not sure",
            "i'm not sure", "im not sure", "i am not sure", "i have no clue",
        ),
        Lang.FR: (
            "{je|} ne sais pas", "je sais pas", "sais pas", "j'sais pas", "jsp", "chais pas",
            "chai pas", "aucune idée", "je n'en sais rien", "j'en sais rien", "aucune idée de la réponse",
            "pas d'idée", "je ne connais pas la réponse", "je ne suis pas sûr", "je ne suis pas sûre",
            "pas sûr", "pas sûre", "jsais pas",
        ),
        Lang.AR: (
            "لا أعرف", "لا اعرف", "لا أدري", "لا ادري", "ما بعرف", "مابعرف", "ما بعرفش",
            "ما اعرف", "ماعرف", "ما أعرف", "معرفش", "مش عارف", "مش عارفة", "مو عارف", "مدري",
            "ما بدري", "ما عندي فكرة", "ماعندي فكرة", "ليس لدي فكرة", "لا أعرف الإجابة",
            "ما بعرف الجواب", "مش متأكد", "مش متأكدة", "لست متأكدا", "لست متأكدة",
            "ma ba3ref", "ma ba3rif", "ma b3ref", "mab3ref", "maba3ref", "mba3ref", "ma ba3rf",
            "mish 3aref", "mesh 3aref", "msh 3aref", "mish 3arfe", "mesh 3arfe", "mish 3arfeh",
            "ma 3ande fekra", "ma 3indi fikra", "ma baddri", "ma bedre", "madri",
        ),
    },
    Intent.HELP: {
        Lang.EN: ("help", "help me", "i need help", "{can you|} help me", "what can you do"),
        Lang.FR: ("aide", "aidez-moi", "aide-moi", "à l'aide", "j'ai besoin d'aide", "que sais-tu faire"),
        Lang.AR: ("مساعدة", "المساعدة", "ساعدني", "ساعدوني", "بدي مساعدة", "أحتاج مساعدة", "احتاج مساعدة",
                  "musa3ada", "mosa3ade", "mosa3adeh", "sa3edni", "sa3dni"),
    },
    Intent.MENU: {
        Lang.EN: ("menu", "main menu", "the menu", "show {me|} the menu",
                  "{back|go back|back to|go back to|return to} {the|} {main|} menu"),
        Lang.FR: ("menu", "le menu", "menu principal", "le menu principal",
                  "{retour|revenir} au menu {principal|}"),
        Lang.AR: ("القائمة", "القائمة الرئيسية", "قائمة", "المنيو", "منيو", "menu",
                  "{رجوع|ارجع|الرجوع|العودة} {للقائمة|الى القائمة|إلى القائمة|للقائمة الرئيسية}"),
    },
    Intent.LANGUAGE: {
        Lang.EN: ("language", "languages", "change {the|} language", "change my language", "switch language"),
        Lang.FR: ("langue", "la langue", "langues", "changer {de|la} langue", "changer la langue"),
        Lang.AR: ("اللغة", "لغة", "اللغات", "تغيير اللغة", "غير اللغة", "غيّر اللغة", "بدي غير اللغة",
                  "lugha", "el lugha", "ghayer el lugha"),
    },
    Intent.HUMAN: {
        Lang.EN: (
            "human", "agent", "a human", "an agent", "a person", "person", "real person", "a real person",
            "{i want to|i would like to|i'd like to|can i|could i|let me|i need to|}"
            " {talk|speak|chat} {to|with} " + _PERSON_EN,
            "{contact|call} {a|an|the|} {person|human|agent|team}",
            "human please", "operator", "customer service",
        ),
        Lang.FR: (
            "humain", "un humain", "agent", "un agent", "une personne", "conseiller", "un conseiller",
            "{je veux|je voudrais|je souhaite|puis-je|est-ce que je peux|} {parler|discuter} {a|avec} "
            + _PERSON_FR,
            "contacter {une personne|un humain|un agent|l'équipe|quelqu'un}",
        ),
        Lang.AR: (
            "{بدي|بدنا|اريد|أريد|ممكن|بحب|بدي اني|عايز|حابب|} "
            "{احكي|أحكي|نحكي|اتكلم|أتكلم|نتكلم|اتحدث|أتحدث|التحدث|الحديث|الحكي|الكلام|تواصل|اتواصل|أتواصل|التواصل}"
            " {مع|الى|إلى} " + _PERSON_AR,
            "موظف حقيقي", "شخص حقيقي", "انسان حقيقي", "إنسان حقيقي",
            "{badde|baddi|bade|bdi|bede|mumkin|momken|}"
            " {e7ke|e7ki|7ke|ehke|ehki|it7aka|et7aka|etkalam|itkallam}"
            " {ma3|m3} {7ada|7dan|shakhes|shakhs|el fare2|fare2|mwazzaf|muwazzaf}",
        ),
    },
    Intent.START: {
        Lang.EN: ("start", "start over", "start again", "restart", "begin again"),
        Lang.FR: ("commencer", "recommencer", "redémarrer", "démarrer", "tout recommencer"),
        Lang.AR: ("ابدأ", "ابدا", "ابدأ من جديد", "ابدا من جديد", "من جديد",
                  "من الأول", "من الاول", "إعادة البدء", "اعادة البدء"),
    },
}  # fmt: skip
"""The phrases of each intent, by language, as people type them (they are normalised when read)."""

COURTESY: tuple[str, ...] = (
    "please", "pls", "plz", "ok", "okay", "thanks", "thank you", "sorry",
    "s'il vous plaît", "s'il te plaît", "svp", "stp", "merci", "pardon", "désolé", "désolée", "d'accord",
    "من فضلك", "لو سمحت", "لو سمحتي", "بليز", "اوكي", "طيب", "تمام", "ماشي", "شكرا", "آسف", "عفوا",
    "tayeb", "tamam", "law sama7t", "men fadlak", "min fadlak",
)  # fmt: skip
"""Words that may come before or after a phrase without changing it ("next please", "ok next")."""

ARROWS = frozenset("➡▶⏩⏭👉→⇒>")
"""Symbols that mean "next" when a message has nothing else ("➡️", "👉", ">>")."""

_REPEATS = re.compile(r"(.)\1{2,}")
_ELIDED = re.compile(r"(?:^| )[cdjlmnst](?= |$)")
_OPTIONS = re.compile(r"\{([^{}]*)\}")


def fold(text: str) -> str:
    """The form phrases and messages are compared in (see the module docstring)."""
    return " ".join(_ELIDED.sub(" ", _REPEATS.sub(r"\1", normalize(text))).split())


@dataclass(frozen=True, slots=True)
class Reading:
    """What a typed message asks for, and the languages its phrase belongs to."""

    intent: Intent
    languages: tuple[Lang, ...]


def _pattern(phrase: str) -> re.Pattern[str]:
    """A phrase with alternatives as a pattern over folded text followed by one space."""
    parts = _OPTIONS.split(phrase)  # a literal, alternatives, a literal, alternatives ...
    pieces = []
    for index, part in enumerate(parts):
        options = [part] if index % 2 == 0 else part.split("|")
        folded = sorted({fold(option) for option in options}, key=len, reverse=True)
        pieces.append("(?:" + "|".join(re.escape(f"{option} ") if option else "" for option in folded) + ")")
    return re.compile("".join(pieces))


def _tables() -> tuple[dict[str, Reading], list[tuple[re.Pattern[str], Reading]]]:
    """Plain phrases by their folded form, and the phrases with alternatives as patterns."""
    plain: dict[str, tuple[Intent, list[Lang]]] = {}
    patterns: list[tuple[re.Pattern[str], Reading]] = []
    for intent, by_language in PHRASES.items():
        for lang, phrases in by_language.items():
            for phrase in phrases:
                if "{" in phrase:
                    patterns.append((_pattern(phrase), Reading(intent, (lang,))))
                    continue
                known = plain.setdefault(fold(phrase), (intent, []))
                if known[0] is not intent:
                    raise ValueError(f"typed phrase {phrase!r} is both {known[0]} and {intent}")
                if lang not in known[1]:
                    known[1].append(lang)
    return {key: Reading(intent, tuple(langs)) for key, (intent, langs) in plain.items()}, patterns


_PLAIN, _PATTERNS = _tables()
_COURTESY = sorted({tuple(fold(word).split()) for word in COURTESY if fold(word)}, key=len, reverse=True)


def _phrase(words: list[str]) -> Reading | None:
    folded = " ".join(words)
    if (plain := _PLAIN.get(folded)) is not None:
        return plain
    return next((reading for pattern, reading in _PATTERNS if pattern.fullmatch(folded + " ")), None)


def _without_courtesy(words: list[str]) -> list[str]:
    changed = True
    while changed and words:
        changed = False
        for courtesy in _COURTESY:
            size = len(courtesy)
            if len(words) > size and tuple(words[:size]) == courtesy:
                words, changed = words[size:], True
            elif len(words) > size and tuple(words[-size:]) == courtesy:
                words, changed = words[:-size], True
    return words


def read(text: str) -> Reading | None:
    """What a whole typed message asks for, or ``None`` when it is anything else."""
    symbols = "".join(text.split()).replace("\ufe0f", "")
    if symbols and all(symbol in ARROWS for symbol in symbols):
        return Reading(Intent.NEXT, tuple(Lang))
    words = fold(text).split()
    if not words or len(words) > MAX_WORDS:
        return None
    words = _without_courtesy(words)
    if (whole := _phrase(words)) is not None:
        return whole
    for cut in range(1, len(words)):  # two phrases of one kind: "yalla kammel", "ok yalla next"
        first, second = _phrase(words[:cut]), _phrase(words[cut:])
        if first is not None and second is not None and first.intent is second.intent:
            return first
    return None


def intent(text: str) -> Intent | None:
    reading = read(text)
    return None if reading is None else reading.intent


def run_command(state: ConversationState, scope: Scope, text: str) -> ConversationState | None:
    """A command typed in words ("help", "القائمة", "je veux parler à une personne"): the chat
    command runs as if sent with its slash; ``None`` for any other message.

    The reply is in the user's chosen language; before one is chosen, in the language of the
    phrase (a new user who types "مساعدة" gets the help in Arabic)."""
    reading = read(text)
    if reading is None or reading.intent not in COMMAND_INTENTS:
        return None
    command = commands.by_name(scope.ctx.commands, reading.intent.value)
    if command is None:
        return None
    if state.language is None and scope.lang not in reading.languages:
        scope.switch(reading.languages[0])
    return menu.run(staff.forget_draft(state), scope, command)
