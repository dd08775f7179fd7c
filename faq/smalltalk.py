"""Greetings, thanks, goodbyes and "ok": messages that are not questions.

"Hello", "merci beaucoup" or "يسلمو" sent on their own deserve a friendly word, not "Sorry, I do
not know the answer", and they are not unanswered questions for staff to review. A message is
small talk when every word in it is a small-talk word (emoji and punctuation do not count) and at
least one of them says which kind; anything more ("hello, which visa will I get?") is a question.

Pure: words are compared in :func:`faq.text.normalize` form.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.types import Lang
from faq.text import normalize


class Social(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    BYE = "bye"
    ACK = "ack"  # "ok", "d'accord", "تمام"


# The words that make a message one kind of small talk, by language (Arabizi counts as Arabic).
# Where a message has several kinds, the first in this order wins: "ok thanks, bye" is a goodbye.
_HEADS: dict[Social, dict[Lang, str]] = {
    Social.BYE: {
        Lang.EN: "bye goodbye byebye cya later farewell goodnight night",
        Lang.FR: "revoir bientot ciao adieu nuit",
        Lang.AR: "باي سلامه وداعا السلامه bye salame salameh ma3 yalla",
    },
    Social.THANKS: {
        Lang.EN: "thanks thank thx ty cheers appreciated",
        Lang.FR: "merci remercie remercions",
        Lang.AR: "شكرا شكر مشكور مشكورين يسلمو تسلم تسلمي يعطيك يسلمك merci shukran shokran choukran "
        "yeslamo ysalmo teslam mashkour mashkoor ya3tik",
    },
    Social.GREETING: {
        Lang.EN: "hi hello hey hiya morning evening afternoon greetings",
        Lang.FR: "bonjour bonsoir salut coucou bjr slt",
        Lang.AR: "مرحبا مرحبتين اهلا اهلين هلا السلام سلام صباح مساء marhaba mar7aba ahlan ahla ahlen "
        "hala salam salamo sabah saba7 masa masa2",
    },
    Social.ACK: {
        Lang.EN: "ok okay okey k alright fine great cool noted understood",
        Lang.FR: "ok okay accord parfait entendu compris",
        Lang.AR: "تمام ماشي طيب اوكي اوك مفهوم فهمت tamam mashi tayeb tayyeb okay ok",
    },
}

# Words that may come along without changing the kind: "thank you very much", "good morning
# everyone", "السلام عليكم ورحمة الله", "merci beaucoup", "ok bot".
_EXTRAS = (
    "you very much many so a lot lots good great have nice day all everyone there dear bot friend again "
    "and for your help the d de la au tres beaucoup bcp bien a bonne journee soiree tout tous monde vous "
    "pour votre aide toi encore et "
    "عليكم عليكن ورحمه الله وبركاته الخير النور الف كتير جزيلا العافيه يا جماعه حبيبي اخي مع و "
    "3alaykom alaykum 3aleikom kteer ktir ktiir el al kheir khair 5eir 5er nour ya w"
)


def _vocabulary() -> tuple[dict[str, list[tuple[Social, Lang]]], frozenset[str]]:
    heads: dict[str, list[tuple[Social, Lang]]] = {}
    for kind, by_lang in _HEADS.items():
        for lang, words in by_lang.items():
            for word in normalize(words).split():
                heads.setdefault(word, []).append((kind, lang))
    return heads, frozenset(normalize(_EXTRAS).split())


_HEAD_WORDS, _EXTRA_WORDS = _vocabulary()
_MAX_WORDS = 8  # longer messages are questions, whatever their words


def social_intent(text: str, preferred: Lang | None = None) -> tuple[Social, Lang] | None:
    """The kind of small talk ``text`` is, and the language to answer in; ``None`` for anything
    else. The language is the one of the small-talk words ("merci" is French, and Lebanese: a
    user who chose Arabic is answered in Arabic), then ``preferred``."""
    words = normalize(text).split()
    if not words or len(words) > _MAX_WORDS:
        return None
    found: list[tuple[Social, Lang]] = []
    for word in words:
        if word in _HEAD_WORDS:
            found.extend(_HEAD_WORDS[word])
        elif word not in _EXTRA_WORDS:
            return None
    if not found:
        return None
    kind = next(k for k in _HEADS if any(f == k for f, _ in found))
    languages = [lang for k, lang in found if k is kind]
    if preferred in languages:
        return kind, preferred
    return kind, max(languages, key=languages.count)
