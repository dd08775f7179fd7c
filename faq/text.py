"""Text normalisation and tokens for matching, in Arabic, English, French and Arabizi.

Pure functions, no I/O. The same pipeline runs over the knowledge base's question variants and
over the user's question, so both sides meet in the same form:

1. :func:`normalize`: NFKC; Arabic diacritics, tatweel, alef/hamza forms, alef maqsura, ta
   marbuta and Persian letters folded; Eastern Arabic and Persian digits to 0-9; English
   contractions undone ("don't" is "do not"); French elisions dropped; Latin accents folded;
   everything but letters and digits to spaces; lower case.
2. :func:`tokens`: the words, without filler words.
3. :func:`features`: what is compared: Arabic words light-stemmed (Light10), Latin words stemmed
   with both the English and the French Snowball stemmers (a short question rarely says which
   language it is in, and indexing both costs nothing).

Arabizi (Arabic typed in Latin letters and digits: ``shu el visa``) is recognised by
:func:`looks_like_arabizi` and transliterated by :func:`arabizi_to_arabic`, so it can also meet
the Arabic variants.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_AR_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_AR_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
        "ی": "ي", "ي": "ي", "ک": "ك", "ۀ": "ه", "ھ": "ه", "ە": "ه", "گ": "ك", "پ": "ب",
        "چ": "ج", "ژ": "ز", "ڤ": "ف", "ڨ": "ق",
        "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
        "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4", "۵": "5", "۶": "6", "۷": "7", "۸": "8", "۹": "9",
        "’": "'", "‘": "'", "`": "'", "´": "'", "œ": "oe", "æ": "ae", "ß": "ss",
    }
)  # fmt: skip
_ELISION = re.compile(r"\b(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)'(?=\w)")
# English contractions: "don't" is "do not", "I'm" is "I" (am), "we'll" is "we" (will). Split at
# the apostrophe, "don", "isn", "won", "ll", "re" were words of their own, unknown or meeting
# others ("won" is a not-ours "who won the match"), and weighed as a question's topic.
_EN_IRREGULAR_NEGATION = re.compile(r"\b(wo|ca|sha)n't\b")
_EN_NEGATED = {"wo": "will", "ca": "can", "sha": "shall"}
_EN_NEGATION = re.compile(r"(?<=[a-z])n't\b")
_EN_CONTRACTION = re.compile(r"(?<=[a-z])'(?:m|re|ve|ll|d|s)\b")
_NON_WORD = re.compile(r"[^\w]+|_")
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_LATIN_LETTER = re.compile("[a-z]")

# The longest question the matcher reads: enough for any real question, and it bounds the time.
MAX_CHARS = 600


@lru_cache(maxsize=256)
def normalize(text: str) -> str:
    """The comparable form of a text (see the module docstring). Remembered for the last few
    texts: one match normalises the same message about eight times (its readings, its focus,
    small talk, the language), and this was a third of a match's time."""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]).casefold()
    # Format characters (zero-width joiners, bidi marks) are invisible: drop them, do not split.
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = _AR_DIACRITICS.sub("", text).translate(_AR_FOLD)
    text = _EN_IRREGULAR_NEGATION.sub(lambda m: _EN_NEGATED[m.group(1)] + " not", text)
    text = _EN_NEGATION.sub(" not", text)
    text = _EN_CONTRACTION.sub("", text)
    text = _ELISION.sub("", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    # NFKD splits Arabic hamza-on-carrier letters too; fold them again.
    text = unicodedata.normalize("NFKC", text).translate(_AR_FOLD)
    return " ".join(_NON_WORD.sub(" ", text).split())[:MAX_CHARS]


def is_arabic(word: str) -> bool:
    return _ARABIC_LETTER.search(word) is not None


def arabic_share(text: str) -> float:
    """The share of letters in ``text`` that are Arabic (0 for a text without letters)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(re.findall(r"[A-Za-z\u00c0-\u024f]", text))
    return arabic / (arabic + latin) if arabic + latin else 0.0


# Filler words: dropped before comparison. Question words that carry intent ("how much",
# "when", "where", and their Arabic and French forms) are not here; the synonym file maps them.
STOPWORDS: frozenset[str] = frozenset(
    # English
    "a an the of to in on at for from by with and or but is are was were be been being am do does did "
    "i me my we our us you your he she it its they them their this that these those there here "
    "what which who whom whose how why can could would should shall will may might must "
    "have has had having please hi hello hey thanks thank any some about into as so if then than "
    "get got tell know want need just also very really too again still yet ever even only maybe perhaps "
    "explain describe "
    # English discourse words: they carry no topic, and unknown they would weigh the most
    "actually exactly honestly basically simply plain words kindly currently already okay ok sure "
    "someone somebody something anything anyone everything thing things guys dear sir madam "
    "correct right understand understood wondering wonder possible "
    # "whether" asks as "if" does; unknown, it was corrected to "weather", a not-ours question
    "whether "
    # French
    "le la les un une des du de d l au aux et ou mais est sont etre ete suis es sommes etes "
    "je tu il elle on nous vous ils elles me te se moi toi lui leur leurs mon ma mes ton ta tes "
    "son sa ses notre nos votre vos ce cet cette ces ca cela c qu que qui quoi quel quelle quels "
    "quelles comment pourquoi est-ce en y a avez ai as ont peut peux pouvez faire fait dans sur "
    "pour par avec sans ne pas plus svp stp merci bonjour salut s il vous plait si donc alors aussi encore "
    "expliquer explique expliquez decrire decris decrivez "
    "vraiment exactement simplement franchement honnetement deja actuellement quelqu quelque chose "
    "choses mots mot juste bien svp cordialement madame monsieur possible comprendre compris "
    # the words of a letter's sign-off (« Veuillez agréer… », "Yours faithfully"): corrected,
    # « agréer » became "career"
    "veuillez agreer prie salutations distinguees distinguee respectueuses sinceres expression "
    "considerations consideration regards sincerely faithfully "
    # Arabic (normalised forms)
    "في من الي علي عن مع هل ما ماذا لماذا كيف هو هي هم انا انت انتم نحن هذا هذه ذلك تلك "
    "التي الذي الذين او و ثم يا لو ان انه كان كانت يكون تكون اي ايه ايش شو شنو لي لك له لها "
    "لنا لكم عند عندي عندك اذا قد لا لم لن بعض كل ممكن فيني بدي بدنا بدك عم رح راح هيك هاد "
    "هاي هيدا هيدي اللي يلي مش مو منشان عشان علشان لحتي حتى يعني بس كمان طيب مرحبا شكرا "
    "من فضلك لو سمحت الله اخي اشرح اشرحلي اشرحي اشرحولي وضح وضحلي احكيلي "
    "بالزبط بالضبط فعلا فعليا حقا حقيقه شي اشي شيء يا ريت لو سمحتو لو سمحتوا مشكورين "
    # prepositions carrying a pronoun ("with them", "in it", Levantine "to you")
    "معه معها معهم معنا معكم معكن معك معي عليه عليها عليهم علينا عليكم فيه فيها فيهم فينا فيكم "
    "منه منها منهم منا منكم عنه عنها عنهم عنا عنكم لهم لكم لكن الو الها الهم الكم الكن النا "
    "الذين اللذين اللواتي "
    # Arabizi
    "shu sho chou esh eh ya3ne yaane ya3ni badde baddi bade bdi fiye fini fi 3am ra7 ra7 "
    "hayda haida hayde hek heik ma3 w wa b bi el il l al 3al 3a ana enta inta nahna ento "
    "hal ma mesh mish la2 eza iza law lo plz pls merci marhaba mar7aba ahla yalli elli "
    "ma3o ma3a ma3na ma3kon ma3kom ma3on elo ela elna elkon elon li hay hayy ya3neh y3ne y3ni "
    # Arabizi fillers as transliterated (ya3ne -> يعنه)
    "يعنه يعنا يعن".split()
)

_EN = Stemmer.Stemmer("english")
_FR = Stemmer.Stemmer("french")

_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و")
_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يه", "ه", "ي")


@lru_cache(maxsize=65536)
def stem_arabic(word: str) -> str:
    """Light10 (Larkey et al.), as in Lucene's ArabicStemmer, on a normalised word."""
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= (3 if len(prefix) == 1 else 2):
            word = word[len(prefix) :]
            break
    changed = True
    while changed:
        changed = False
        for suffix in _AR_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[: -len(suffix)]
                changed = True
                break
    return word


_AR_IMPERFECT = "يتنا"  # the prefixes of a present-tense verb: he, you/she, we, I


def verb_stem(stem: str) -> str:
    """A light stem without the prefixes of a present-tense verb, Levantine "b" included:
    تنضم, انضم, بتنضم, بينضم all give نضم, so "join" meets "you join" and "we join"; so does
    the Levantine "I join", بنضم (the "b" before انضم, whose alef is not written). Kept only
    when three letters remain, so short words are not cut to nothing."""
    if stem[:1] == "ب" and len(stem) >= 4 and stem[1] in _AR_IMPERFECT:
        stem = stem[1:]
    if stem[:1] in _AR_IMPERFECT and len(stem) >= 4:
        stem = stem[1:]
    if stem.endswith("وا") and len(stem) >= 5:  # Levantine plural: بتختاروا for تختارون
        stem = stem[:-2]
    return stem


@lru_cache(maxsize=65536)
def word_features(word: str) -> tuple[str, ...]:
    """The comparable forms of one normalised word. An Arabic word has its light stem, and
    also the forms Light10 leaves alone: a present-tense verb without its prefix (see
    :func:`verb_stem`), the word without a one-letter preposition (بشركة, كشركة: "in", "as a
    company") or the Levantine contractions عال, هال ("on the", "this"), and without the object
    pronoun "me" (عرفني, ساعدني)."""
    if is_arabic(word):
        stem = stem_arabic(word)
        forms = [stem, verb_stem(stem)]
        if word[:1] in "بكلف" and len(word) >= 5 and not word.startswith(("ال", "لل")):
            forms.append(stem_arabic(word[1:]))
        if word.startswith(("عال", "هال")) and len(word) >= 6:  # Levantine "on the", "this"
            forms.append(stem_arabic(word[1:]))
        if word.endswith("ني") and len(word) >= 5:
            forms.append(stem_arabic(word[:-2]))
        return tuple(dict.fromkeys(forms))
    if word.isdigit():
        return (word,)
    en, fr = _EN.stemWord(word), _FR.stemWord(word)
    return (en,) if en == fr else (en, fr)


def tokens(normalized: str) -> list[str]:
    """The words of a normalised text, filler words dropped."""
    return [w for w in normalized.split() if w not in STOPWORDS]


# Arabizi ------------------------------------------------------------------------------------

_ARABIZI_DIGIT = re.compile(r"[a-z][2356789]|[2356789][a-z]")
ARABIZI_WORDS: frozenset[str] = frozenset(
    "shu sho chou shou esh kif keef keif kifak kifik badde baddi bade bdi baddha baddo fiye fiya "
    "fini fina mumkin momken wen wein wayn aymta emta imta eimta 2addesh adesh addesh 2adesh hayda "
    "haida hayde hek heik ma3 ya3ne ya3ni inno enno 3am ta3 ta3et mar7aba marhaba yalli elli ra7 "
    "bedde lazem lezem kteer ktir 3an 3ala 3al 3a w2t wa2t hala2 halla2 leh lesh laysh ana enta "
    "inta ente bas kamen kaman mish mesh ahl ahle 3ayle 3ele wlede wledi wlad wled mart marti "
    "jawze jawzi jozi el wel bel bil lal lil yom lyom elyom meen min mnin lamma lama kam adde "
    "shahr ashhur sene snin shoghl shogl sha3'el sharike sherke charike barnamej barnameg "
    "tasjil tawzif wazzef mwazzaf muwazzaf ajnabi ajaneb sakan beit bet dowal dawle hollanda "
    "belgica beljika europa urubba mawjoud mawjoude bikun bkoun btekhod btdoum byekhod "
    "nshtrek ishtirak shoraka sharika 7ada 7adan ba3d abel 2abel ba3den tayyeb akid aw walla "
    "lazim mesh msh hon honik hunak ma3i ma3o ma3na".split()
)
"""Common Levantine words in Latin letters. Words that are also French or English ("la",
"ma", "fi"...) are left out: a French "ma femme" must not read as Arabic."""


def arabizi_cues(normalized: str) -> int:
    """How Arabizi a Latin text looks: words mixing letters and the digits 2-9 count twice,
    Levantine words once."""
    words = normalized.split()
    if any(is_arabic(w) for w in words):
        return 0
    return sum(2 if _ARABIZI_DIGIT.search(w) else int(w in ARABIZI_WORDS) for w in words)


def looks_like_arabizi(normalized: str) -> bool:
    """Latin-letter Arabic: a word mixing letters with the digits 2-9, or Levantine words."""
    words = normalized.split()
    cues = arabizi_cues(normalized)
    return cues >= 2 or (cues >= 1 and len(words) <= 3)


_ARABIZI_MULTI = [
    ("sh", "ش"), ("ch", "ش"), ("kh", "خ"), ("gh", "غ"), ("th", "ث"),
    ("3'", "غ"), ("7'", "خ"), ("6'", "ظ"), ("9'", "ض"),
    ("ou", "و"), ("oo", "و"), ("ee", "ي"), ("ei", "ي"), ("ay", "ي"), ("aa", "ا"),
]  # fmt: skip
_ARABIZI_SINGLE = {
    "2": "ا", "3": "ع", "5": "خ", "6": "ط", "7": "ح", "8": "ق", "9": "ق",
    "b": "ب", "p": "ب", "t": "ت", "j": "ج", "g": "ج", "d": "د", "r": "ر", "z": "ز", "s": "س",
    "f": "ف", "v": "ف", "q": "ق", "k": "ك", "c": "ك", "l": "ل", "m": "م", "n": "ن", "h": "ه",
    "w": "و", "y": "ي", "o": "و", "u": "و", "i": "ي", "x": "كس",
}  # fmt: skip


def _arabizi_word(word: str, long_vowels: bool = False) -> str:
    if word in {"el", "il", "l", "al"}:
        return "ال"
    out: list[str] = []
    i = 0
    if word[:2] in {"ou", "oo"}:
        out.append("او")
        i = 2
    elif word[:1] in {"a", "e", "i", "o", "u"}:
        # A word-initial vowel is written with alef (ana, enta, imta, ousal).
        out.append("ا")
        i = 2 if word[:2] in {"ay", "ei", "ee", "aa"} and len(word) > 2 else 1
        if word[:2] in {"ay", "ei", "ee"} and len(word) > 2:
            out.append("ي")
    while i < len(word):
        for latin, arabic in _ARABIZI_MULTI:
            if word.startswith(latin, i):
                out.append(arabic)
                i += len(latin)
                break
        else:
            char = word[i]
            last = i == len(word) - 1
            if long_vowels and char in "oui" and not last and out:
                # The other reading: a vowel inside the word is long (no3 نوع, shi2 شيء).
                mapped = "ي" if char == "i" else "و"
                if out[-1] != mapped:
                    out.append(mapped)
            elif long_vowels and char == "2" and not out:
                out.append("ق")  # Levantine says the qaf as a glottal stop: 2addesh قديش, 2abel قبل
            elif char in "ae" or (char in "ou" and not last):
                # Short vowels are not written; a final a is written ا (visa), a final e ه (3ayle).
                if last:
                    out.append("ا" if char == "a" else "ه")
            elif char in _ARABIZI_SINGLE:
                mapped = _ARABIZI_SINGLE[char]
                if not out or out[-1] != mapped:  # doubled letters are written once
                    out.append(mapped)
            i += 1
    return "".join(out)


def arabizi_to_arabic(
    normalized: str, *, long_vowels: bool = False, keep: frozenset[str] = frozenset()
) -> str:
    """A rough Arabic reading of Arabizi, good enough for fuzzy matching. Short vowels are not
    written; with ``long_vowels``, the other reading: o, u, i inside a word are long vowels
    (و, ي) and a leading 2 is the Levantine qaf. Words in ``keep`` (English or French words
    mixed in: "shu el single permit") stay as they are."""
    words = [w if w in keep else _arabizi_word(w, long_vowels) for w in normalized.split()]
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] == "ال":
            joined[-1] = "ال" + word
        else:
            joined.append(word)
    return " ".join(w for w in joined if w)
