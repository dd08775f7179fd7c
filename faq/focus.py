"""The question inside a long message.

People write to the bot as they write to a person: a greeting, who they are ("I'm a nurse in
Irbid, married with two kids"), what happened so far, the question, thanks and a sign-off
(« Je vous prie d'agréer… salutations distinguées »). Scored whole, every word of context makes
the matcher less sure, though the question itself is clear. :func:`focus` finds the question:

1. the message is cut into sentences (at ``. ! ? ؟``, line breaks and ``...``);
2. greetings, thanks and sign-offs are dropped (a sentence of such words, perhaps with a name);
3. the sentences that ask something are kept: those ending with a question mark, and those
   with a cue ("I wanted to ask", "please explain", « pourriez-vous », «بدي اسأل»), from the
   cue on;
4. if none asks anything, the message without its greetings and sign-offs is the focus.

The matcher scores both the whole message and its focus and keeps the better reading for each
entry, so a question whose topic is only in the context still meets its entry. Pure; no I/O.
"""

from __future__ import annotations

import re

from faq.text import arabic_share, normalize

# A message shorter than this many words is a question as it stands.
MIN_WORDS = 12
# An asking sentence this short leans on the sentence before it for its topic ("Could you
# provide an overview?", « Pourriez-vous nous le préciser ? »). Arabic joins articles,
# prepositions and pronouns to its words: four of them say as much.
SHORT_ASK = 6
SHORT_ASK_ARABIC = 4

_SENTENCE_END = re.compile(r"(?<=[?؟!.])\s+|\n+|\.{3,}|…")
_ASKS = re.compile(r"[?؟]\s*\W*$")

# Words that greet, thank, sign off or address: a sentence made only of these (and of names,
# which are unknown words of one or two) says nothing about the question. Normalised forms.
_COURTESY = frozenset(
    # English
    "hi hello hey dear good morning afternoon evening sir madam mr mrs ms team dt4e iom "
    "thanks thank you so much very lot in advance kind best warm regards wishes sincerely "
    "yours faithfully truly cheers please help me with respect greetings all to whom it may concern "
    "look forward forwarding hearing from reply your response god bless "
    # "Many thanks,", "Kindest regards,": else the signature after it ("HR Business Partner") is read
    "many kindest warmest respectfully "
    # French
    "bonjour bonsoir salut cher chere chers madame monsieur messieurs mesdames equipe "
    "merci beaucoup par avance d avance bien a vous cordialement salutations distinguees "
    "sinceres respectueuses je vous prie agreer l expression de mes meilleures considération "
    "consideration distinguee veuillez recevoir dans attente votre retour reponse en "
    "vous remercie remerciant belle journee bonne soiree cordiales meilleurs sentiments "
    # Arabic (normalised: hamza and ta marbuta folded)
    "السلام عليكم ورحمه الله وبركاته مرحبا مرحبتين اهلا اهلين هلا صباح مساء الخير النور "
    "شكرا جزيلا كتير كثيرا يعطيكم العافيه الله يخليكم يجزيكم يسلمو يسلموا ايديكم تحياتي "
    "مع خالص التحيه والتقدير الاحترام فريق عزيزي عزيزتي السيد السيده حضره المحترمين "
    "وشكرا مسبقا سلفا بانتظار ردكم"
    # Arabizi
    " marhaba salam 3alaykom alaykom ahlan ya3tikon ya3tikom el 3afye 3afyeh shukran shokran "
    "ktir kteer".split()
)

# Phrases after which the question follows: the focus starts at the phrase.
_CUES = tuple(
    normalize(cue)
    for cue in (
        # English
        "i wanted to ask", "i want to ask", "i would like to ask", "i'd like to ask", "my question is",
        "i need to know", "i want to know", "i would like to know", "i'd like to know",
        "we would like to know", "we would like to understand", "i would like to understand",
        "could you", "can you", "would you", "please tell me", "please explain", "i wonder",
        "i was wondering", "let me know", "asked whether", "asked if", "asks whether", "asks if",
        "wants to know", "wanted to know", "wondering whether", "wondering if",
        # French
        "je voulais savoir", "je voudrais savoir", "je souhaiterais savoir", "je souhaite savoir",
        "souhaite connaitre", "souhaiterait connaitre", "souhaiterais connaitre", "voudrais connaitre",
        "aimerais savoir", "aimerions savoir", "aimerions connaitre", "pourriez-vous", "pouvez-vous",
        "pourriez vous", "pouvez vous", "ma question est", "ma question", "je me demande",
        "merci de m'indiquer", "merci de nous indiquer", "je vous serais reconnaissant",
        "demande si", "demandent si", "demandons si", "savoir si",
        # Arabic
        "بدي اسال", "حابب اسال", "حابه اسال", "سؤالي", "اود ان اسال", "اريد ان اسال", "اريد ان اعرف",
        "بدي اعرف", "حابب اعرف", "ممكن تقولولي", "ممكن تخبروني", "يرجى اخباري", "هل يمكنكم",
        # Arabizi
        "baddi es2al", "badde es2al", "bidi es2al", "baddi a3ref", "badde a3ref", "su2ali", "so2ali",
    )
)  # fmt: skip


def sentences(message: str) -> list[str]:
    """The message cut into sentences (question marks kept); a greeting or a sign-off that
    runs into a sentence with a comma ("Dear DT4E team, we are ...", « Madame, Monsieur,
    pourriez-vous ... », "Best regards, Talent Acquisition Lead") is cut off as its own."""
    cut: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(message) if s and s.strip()):
        while "," in sentence or "،" in sentence:
            head, _, rest = sentence.replace("،", ",").partition(",")
            if not rest.strip() or not _only_courtesy(head):
                break
            cut.append(head.strip() + ",")
            sentence = rest.strip()
        cut.append(sentence)
    return cut


def _only_courtesy(text: str) -> bool:
    words = normalize(text).split()
    return bool(words) and all(w in _COURTESY for w in words)


def is_courtesy(sentence: str) -> bool:
    """A greeting, thanks or sign-off, perhaps with a name ("Best, Sophie"): nothing of the
    question."""
    words = normalize(sentence).split()
    unknown = sum(w not in _COURTESY for w in words)
    return unknown == 0 or (unknown <= 2 and len(words) - unknown >= 1 and len(words) <= 8)


def body(message: str) -> str:
    """The message without its greetings, thanks, sign-off and signature, when it is long
    enough to have them; else the message as it is."""
    if len(normalize(message).split()) < MIN_WORDS:
        return message
    parts = sentences(message)
    kept = [s for s in parts if not is_courtesy(s) and not _signature(parts, s)]
    return " ".join(kept) or message


def focus(message: str) -> str | None:
    """The question inside a long message, or ``None`` when the message is short enough, or
    when nothing in it can be told apart from the rest."""
    if len(normalize(message).split()) < MIN_WORDS:
        return None
    parts = sentences(message)
    kept = [s for s in parts if not is_courtesy(s) and not _signature(parts, s)]
    asking = [s for s in kept if _ASKS.search(s)]
    if len(asking) == 1 and (_short(asking[0]) or _points_back(asking[0])):
        # "Could you please advise?", « Comment ça se passe ? », "Is there a rule on this?":
        # the question is the sentence before.
        at = kept.index(asking[0])
        asking = kept[max(0, at - 1) : at + 1]
    if not asking:
        asking = [cued for s in kept if (cued := _from_cue(s)) is not None]
    else:
        # "Is it a job agency or what? Please explain me what this programme is.": a request
        # without a question mark asks too.
        asked = set(asking)
        asking = [a for s in kept if (a := s if s in asked else _from_cue(s)) is not None]
    chosen = " ".join(asking or kept)
    if not chosen or normalize(chosen) == normalize(message):
        return None
    return chosen


SIGNATURE_LINES = 4
"""Lines after a sign-off that may be a signature (a name, a title, a company, a telephone)."""


# Words by which an asking sentence points back to the one before for its topic ("Is there a
# rule on this under DT4E, or is it left to us?", « Que prévoit le programme à ce sujet ? »),
# however long it is. Normalised forms, padded with spaces.
_BACK = tuple(
    f" {normalize(phrase)} "
    for phrase in (
        "on this", "about this", "on that", "about that", "this point", "that point",
        "in this case", "in that case", "regarding this", "on this point", "this matter",
        "a ce sujet", "sur ce point", "a cet egard", "dans ce cas", "en la matiere",
        "بهذا الخصوص", "بهذا الشأن", "في هذه الحالة", "بهالموضوع", "بهالشي",
    )
)  # fmt: skip


def _points_back(sentence: str) -> bool:
    padded = f" {normalize(sentence)} "
    return any(phrase in padded for phrase in _BACK)


def _short(sentence: str) -> bool:
    limit = SHORT_ASK_ARABIC if arabic_share(sentence) > 0.5 else SHORT_ASK
    return len(normalize(sentence).split()) <= limit


def _signature(parts: list[str], sentence: str) -> bool:
    """The last lines after a sign-off ("Best regards," then "Tom De Smet", "People &
    Culture"): a name, a title or a company, not the question."""
    at = parts.index(sentence)
    for sign_off in range(max(0, len(parts) - 1 - SIGNATURE_LINES), at):
        after = parts[sign_off + 1 :]
        if (
            parts[sign_off].endswith(",")
            and _only_courtesy(parts[sign_off])
            and all(len(line.split()) <= 6 and not _ASKS.search(line) for line in after)
        ):
            return True
    return False


# French conjugates its cues: « nous souhaiterions savoir », « je voudrais comprendre ».
_FRENCH_CUE = re.compile(
    r"\b(?:souhait|voudr|aimer|desir)\w* (?:savoir|connaitre|comprendre)\b|\b(?:pourr|pouv)\w* vous\b"
)


def _from_cue(sentence: str) -> str | None:
    normalized = normalize(sentence)
    padded = f" {normalized} "
    starts = [padded.find(f" {cue} ") for cue in _CUES if f" {cue} " in padded]
    if (french := _FRENCH_CUE.search(normalized)) is not None:
        starts.append(french.start())
    if not starts:
        return None
    return normalized[min(starts) :].strip()
