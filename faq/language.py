"""The reply language of a question: Arabic script, then Arabizi, then French or English cues,
then what the user chose before, then Telegram's hint. Offline and model-free: no detector
recognises Arabizi, and for telling English from French in short questions a few hundred
function words and accents do as well as a 100 MB model."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.basics.lang import Lang
from faq.text import arabic_share, arabizi_cues

ARABIC_LETTERS = re.compile("[\u0621-\u064a]")

_FRENCH_MARKS = re.compile(r"[éèêëàâçùûüôîïœ]|\b(?:[ldjmnstc]|qu)['’]\w", re.IGNORECASE)

FRENCH_WORDS = frozenset(
    "le la les un une des du au aux et ou est sont je tu il elle nous vous ils elles mon ma mes ton "
    "ta tes son sa ses notre nos votre vos leur leurs ce cet cette ces que qui quoi quel quelle "
    "quels quelles comment combien quand pourquoi pour avec sans dans sur sous chez par peut peux "
    "pouvez puis faut dois doit est-ce c'est qu'est-ce y a-t-il avant apres après emploi travail "
    "entreprise employeur employeurs salarie salarié famille enfants logement coute coûte "
    "formation formations cout coût couts coûts frais demarche démarches duree durée delai délai "
    "combien temps arrivee arrivée depart départ partenaire partenaires aide aides suivi recrutement "
    "recruter candidat candidats pays-bas belgique etranger étranger offres personne "
    "deplacee déplacée pourquoi embaucher quitte quitter abandonner prepare préparer svp stp merci "
    "bonjour oui non pas ne rien aussi encore tres très bien".split()
)
ENGLISH_WORDS = frozenset(
    "the a an is are was were be do does did what which who whom whose how when where why can could "
    "would should will shall may might must i me my we our us you your he she it its they them their "
    "this that these those there here of to in on at for from by with and or but about into after "
    "before much many long job jobs work working employer employers company companies family "
    "children housing cost costs fee fees training trainings how's what's who's time arrival "
    "departure partner partners help support follow-up recruitment recruit candidate candidates "
    "netherlands belgium abroad offers person displaced hire hiring quit leave prepare "
    "please thanks hello yes no not any get need want".split()
)


def _has_arabic_word(text: str) -> bool:
    return any(len(ARABIC_LETTERS.findall(word)) >= 2 for word in text.split())


def detect_language(
    text: str,
    normalized: str,
    *,
    preferred: Lang | None = None,
    hint: Lang | None = None,
    votes: Mapping[Lang, int] | None = None,
) -> Lang:
    """Choose the reply language for ``text`` (``normalized`` is :func:`faq.text.normalize` of it).

    Arabic script wins when a real share of the letters is Arabic (a question in Arabic that
    names "Expat Centre Leiden" is still Arabic). Otherwise Arabizi, French and English cues are
    counted: function words, accents and elisions, Levantine words and digits-in-words, plus
    ``votes``: for each word the knowledge base uses in only one language's questions, a vote for
    that language (the matcher supplies them). A tie goes to the user's choice, then Telegram's
    hint, then English."""
    if arabic_share(text) >= 0.3 or (_has_arabic_word(text) and arabic_share(text) >= 0.15):
        return Lang.AR
    votes = votes or {}
    words = re.findall(r"[\w'’-]+", text.casefold())
    scores = {
        Lang.AR: 2 * arabizi_cues(normalized) + votes.get(Lang.AR, 0),
        Lang.FR: sum(1 for w in words if w in FRENCH_WORDS)
        + 2 * len(_FRENCH_MARKS.findall(text))
        + votes.get(Lang.FR, 0),
        Lang.EN: sum(1 for w in words if w in ENGLISH_WORDS) + votes.get(Lang.EN, 0),
    }
    best = max(scores.values())
    leaders = [lang for lang, score in scores.items() if score == best]
    if best > 0 and len(leaders) == 1:
        return leaders[0]
    for choice in (preferred, hint):
        if choice is not None and (choice in leaders or best == 0):
            return choice
    return Lang.EN if Lang.EN in leaders or best == 0 else leaders[0]
