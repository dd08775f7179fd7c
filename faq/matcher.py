"""The FAQ matcher: a question in, the best entry (or an abstention) out, scored 0-100.

Pure and deterministic: building the index takes milliseconds, a match about one.

How a question is scored against an entry:

- Both sides go through :mod:`faq.text` (normalisation, filler words dropped, Arabic light
  stemming, English and French stems, counted as one word) and the synonym groups, which map
  words and phrases that mean the same ("resign", "quit", "démissionner", "استقال") to one
  concept.
- A question word the knowledge base has never seen is corrected to the closest word it knows
  (rapidfuzz), if one is close enough: typos and unusual inflections still count. From five
  letters, one wrong letter or two swapped neighbours (optimal string alignment) is close enough.
  A real English or French word (:mod:`faq.dictionary`) is meant as written and is not
  corrected ("department" is no "apartment"), unless the correction only adds or drops an
  ending ("year", "years").
- ``coverage``: the share of the question's weight found in the entry's question variants (or,
  at ``ANSWER_WEIGHT``, in its answer), each word weighing its inverse document frequency over
  entries, so a word that names one entry ("Leiden", "Fragomen") counts far more than one
  every entry uses ("DT4E"). Words never seen weigh the most, so off-topic questions score low.
- ``posterior``: Naive Bayes over the known words, trained on the variants (and, lightly, the
  answers): which entry most likely produced these words. Naive Bayes only ranks: it is as sure
  of "visa" in "a student visa for Germany" as in "which visa will I get". So it is discounted
  by the share of the question's weight that is known at all, and by the square root of the
  entry's coverage: a question the entry explains only in part scores lower.
- The word score is ``0.7 * posterior + 0.3 * coverage``. Only a shortlist of entries, the
  best by coverage from the inverted index, is scored in full, which bounds the time.
- ``chars``: the cosine of the question's character 3- to 5-grams (TF-IDF, sublinear counts)
  with all of the entry's variants together, which meets spellings, dialect and inflections the
  word features miss (what a character n-gram classifier does well). The score is
  ``100 * ((1 - CHAR_WEIGHT) * word score + CHAR_WEIGHT * chars)``.
- Arabizi is read as written and transliterated into Arabic (short vowels unwritten; long
  vowels and the Levantine qaf; with its English and French words kept); the best reading wins.
  The knowledge base's Arabizi variants are read in Arabic too (``ARABIC_READING``, apart from
  the Arabic variants): Arabizi has no one spelling, and its Arabic reading is where two meet.
- A long message is scored as a whole (less its greetings, sign-off and signature, whose
  names and titles are no topic) and by its question (:mod:`faq.focus`); for each entry the
  better reading counts, so greetings and personal context do not drown a clear question. The
  whole counts ``WHOLE_SHARE`` of its score: a letter's question leans on its context (the
  plant's languages, the Dutch site) more often than the context misleads it.
  The questions of ``not_ours.yaml`` are scored on the question alone.
- An entry about one country (most of its questions name its places, ``places.yaml``: the
  Expat Centre Leiden entries) scores ``PLACE_ELSEWHERE`` of its score for a question that
  names places of another country and none of its own: a Leiden portal is no answer about
  Wallonia. The other entries are about the programme's countries (``programme`` in
  ``places.yaml``): they score ``ABROAD`` of their score for a question that names places of
  other countries only ("a job offer in Berlin").
- When the asker's role is known, an entry written only for the other role (``audience``)
  scores ``OTHER_AUDIENCE`` of its score: a talent's "how do I apply?" is not the employer's.

The decision: answer when the best score reaches ``accept`` and leads the next entry by
``margin``; offer the close entries as "did you mean" when the best reaches ``suggest``;
otherwise abstain; abstain too when the questions of ``not_ours.yaml`` score at least the best
entry's score plus ``NOT_OURS_MARGIN`` (negative: a near tie is a refusal), and, below
``NOT_OURS_CLOSE``, the question has a word the best entry explains nowhere (neither its
variants nor its answer) and rare enough to name a topic (``UNEXPLAINED_WEIGHT``): "visa
processing time" is procedure-duration's, though "what time is it" comes close on
characters. The weights and thresholds were chosen on ``eval/tuning.jsonl`` (the share of
questions decided right: answered with the right entry, or refused when out of scope),
checked on the older sets; the ``eval/unseen*.jsonl`` sets are only measured.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.basics.lang import Lang
from faq.chargrams import CharIndex
from faq.dictionary import real_words
from faq.focus import body, focus
from faq.knowledge import KnowledgeBase, Questions
from faq.language import detect_language
from faq.smalltalk import Social
from faq.text import (
    ARABIZI_WORDS,
    STOPWORDS,
    arabizi_to_arabic,
    is_arabic,
    looks_like_arabizi,
    normalize,
    word_features,
)

ACCEPT = 12
SUGGEST = 8
MARGIN = 1
SHORTLIST = 40  # entries scored in full for a question: the best by coverage
MAX_FEATURES = 40  # a question longer than this many content words is cut, bounding the time
CORRECTION_CUTOFF = 82
SWAP_MIN_LENGTH = 5  # from this length, one substituted or transposed letter is corrected too
ANSWER_WEIGHT = 0.6
CORRECTION_CACHE = 50_000  # unknown words remembered with their correction
NB_ALPHA = 0.5
NB_ANSWER_WEIGHT = 0.3
W_POSTERIOR = 0.7
W_COVERAGE = 0.3
KNOWN_SHARE_POWER = 1.0
COVERAGE_POWER = 0.5
NOT_OURS = "~not-ours"  # the questions of not_ours.yaml, scored like an entry that is never answered
NOT_OURS_MARGIN = -6  # abstain when the not-ours questions score at least the best entry plus this
NOT_OURS_CLOSE = -3  # below this, only when the question has a word the best entry does not explain
UNEXPLAINED_WEIGHT = 2.5  # ... that weighs at least this (IDF): a common word ("go") is no sign
WHOLE_SHARE = 1.1  # a long message read whole counts this much beside its question (focus)
FOCUS_UNKNOWN = 0.6  # the weight of unknown words in a long message's question, as a share
OTHER_AUDIENCE = 0.65  # an entry written for the other role (talent, employer) scores this much
PLACE_SHARE = 0.5  # an entry is about a country when this share of its questions name it
PLACE_ELSEWHERE = 0.25  # its score for a question that names places of another country only
ABROAD = 0.5  # the score of an entry for every country, for a question about other countries only
ARABIC_READING = "~ar:"  # prefixes the features of an Arabizi variant's Arabic reading
REAL = "~real"  # marks a real English or French word the knowledge base does not know
REAL_UNKNOWN = 1.25  # its weight, as a share of an unknown word's
NO_WORD = "~no-word"  # marks a Latin word that is neither known nor real: a name or a typo
NO_WORD_UNKNOWN = 0.75  # its weight, as a share of an unknown word's
CHAR_WEIGHT = 0.75  # the share of the score from character n-grams (TF-IDF cosine)
MAX_CHARS_FOR_GRAMS = 300  # the part of a message whose character n-grams are compared
INFLECTION_TAIL = 3  # a real word is still corrected to itself with an ending ("year", "years")


Group = tuple[str, ...]  # the comparable forms of one word or phrase


@dataclass(frozen=True, slots=True)
class Candidate:
    faq_id: str
    score: int


@dataclass(frozen=True, slots=True)
class Match:
    """The matcher's verdict. ``faq_id`` is ``None`` when it abstains; ``suggestions`` are the
    entries worth offering as "did you mean" (empty when confident or out of scope)."""

    faq_id: str | None
    score: int
    lang: Lang
    candidates: tuple[Candidate, ...]
    suggestions: tuple[str, ...] = ()
    social: Social | None = None
    """Set when the message is small talk ("hello", "merci"), not a question."""


@dataclass(frozen=True, slots=True)
class _Variant:
    faq_id: str
    features: frozenset[str]


class Matcher:
    def __init__(
        self,
        knowledge: KnowledgeBase,
        *,
        accept: int = ACCEPT,
        suggest: int = SUGGEST,
        margin: int = MARGIN,
    ) -> None:
        self.accept, self.suggest, self.margin = accept, suggest, margin
        self.not_ours_margin = NOT_OURS_MARGIN
        self.focus_unknown = FOCUS_UNKNOWN
        self.other_audience = OTHER_AUDIENCE
        self.place_elsewhere = PLACE_ELSEWHERE
        self.abroad = ABROAD
        self._small_talk = knowledge.small_talk
        self._concept_of_feature: dict[str, str] = {}
        self._concept_of_word: dict[str, str] = {}
        self._phrases: dict[tuple[str, ...], str] = {}
        words_of = _question_words(knowledge)
        for number, group in enumerate(knowledge.synonyms):
            concept = f"~{number}"
            for term in group:
                words = tuple(normalize(term).split())
                if len(words) > 1:
                    self._phrases[words] = concept
                elif words:
                    self._concept_of_word[_bare(words[0])] = concept
                    for feature in _own_stems(words[0], words_of):
                        self._concept_of_feature[feature] = concept
        self._longest_phrase = max((len(p) for p in self._phrases), default=1)

        self._variants: list[_Variant] = []
        known: set[str] = set()
        by_lang: dict[Lang, set[str]] = defaultdict(set)  # the words of each language's questions
        asked_by: list[tuple[str, Questions]] = [(entry.id, entry.questions) for entry in knowledge]
        if knowledge.not_ours is not None:
            asked_by.append((NOT_OURS, knowledge.not_ours))
        normalized_by: dict[str, list[str]] = defaultdict(list)
        for faq_id, asked in asked_by:
            for lang, questions in asked.by_language():
                for question in questions:
                    normalized = normalize(question)
                    normalized_by[faq_id].append(normalized)
                    known.update(w for w in normalized.split() if w not in STOPWORDS)
                    by_lang[Lang.AR if lang == "arabizi" else Lang(lang)].update(normalized.split())
                    groups = self._features(normalized)
                    if lang == "arabizi":
                        # Arabizi has no one spelling (2addesh, adesh, addesh): its Arabic reading
                        # is where a question's spelling meets the variant's (see ``readings``).
                        arabic = arabizi_to_arabic(_without_fillers(normalized))
                        groups = [*groups, *(_read_in_arabic(g) for g in self._features(arabic))]
                    self._variants.append(_Variant(faq_id, frozenset(_flat(groups))))
        self._ids = [faq_id for faq_id, _ in asked_by]
        self._audience = {entry.id: entry.audience.value for entry in knowledge} | {NOT_OURS: "both"}
        self._doc: dict[str, set[str]] = defaultdict(set)
        for variant in self._variants:
            self._doc[variant.faq_id].update(variant.features)
        # The answers' words count too, at a lower weight: they hold the facts people ask about.
        self._answer_doc: dict[str, set[str]] = defaultdict(set)
        for entry in knowledge:
            for lang in Lang:
                groups = self._features(normalize(entry.answer.get(lang).replace("{contact}", "")))
                self._answer_doc[entry.id].update(f for f in _flat(groups) if f not in self._doc[entry.id])
        entries = max(len(self._ids), 1)
        df: dict[str, int] = defaultdict(int)
        for faq_id in self._ids:
            for feature in self._doc[faq_id] | self._answer_doc[faq_id]:
                df[feature] += 1
        self._idf = {f: math.log(1 + entries / n) for f, n in df.items()}
        self._unknown_weight = math.log(1 + entries)
        # Feature counts by entry for the Naive Bayes ranking: a variant counts 1, an answer less.
        self._counts: dict[str, dict[str, float]] = {faq_id: defaultdict(float) for faq_id in self._ids}
        for variant in self._variants:
            for feature in variant.features:
                self._counts[variant.faq_id][feature] += 1.0
        for faq_id in self._ids:
            for feature in self._answer_doc[faq_id]:
                self._counts[faq_id][feature] += NB_ANSWER_WEIGHT
        vocabulary = len(self._idf)
        self._log_norm = {
            faq_id: math.log(sum(counts.values()) + NB_ALPHA * vocabulary)
            for faq_id, counts in self._counts.items()
        }
        # For entries a question shares no word with: sum over entries of exp(-k * (log_norm -
        # min)) for k known words, so scoring a question costs the shortlist, not every entry.
        self._min_log_norm = min(self._log_norm.values(), default=0.0)
        self._norm_sums = [
            math.fsum(math.exp(-k * (v - self._min_log_norm)) for v in self._log_norm.values())
            for k in range(MAX_FEATURES + 1)
        ]
        self._entries_by_variant_feature: dict[str, set[str]] = defaultdict(set)
        self._entries_by_answer_feature: dict[str, set[str]] = defaultdict(set)
        for faq_id in self._ids:
            for feature in self._doc[faq_id]:
                self._entries_by_variant_feature[feature].add(faq_id)
            for feature in self._answer_doc[faq_id]:
                self._entries_by_answer_feature[feature].add(faq_id)
        # Words the questions of only one language use: votes for the reply language.
        self._language_of_word = {
            word: lang
            for lang, words in by_lang.items()
            for word in words
            if not any(word in other for o, other in by_lang.items() if o is not lang)
        }
        self._known_word_set = frozenset(known)
        # Known words by length: a word within CORRECTION_CUTOFF of another has a similar length.
        self._known_by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(known):
            self._known_by_length[len(word)].append(word)
        # English and French filler words are targets too: a misspelt one ("wich", "exactely")
        # is still filler, while left unknown it would weigh the most and sink a short question.
        # Only for a letter missing or added (the ratio), not for one replaced: "plant" is no
        # "plait". Arabizi fillers are left out: they would turn a French "macon" into "ma3on".
        self._fillers_by_length: dict[int, list[str]] = defaultdict(list)
        for word in sorted(STOPWORDS - ARABIZI_WORDS - known):
            if len(word) >= 4 and word.isascii() and word.isalpha():
                self._fillers_by_length[len(word)].append(word)
        self._corrections: dict[str, str] = {}
        self.char_weight = CHAR_WEIGHT
        self._chars = CharIndex(normalized_by)
        self._by_near_length: dict[int, list[str]] = {}
        # Real words of English and French are meant as written: "department" is no typo of
        # "apartment", nor "route" of « coûte ». Read here, when the index is built.
        self._real_words = real_words()
        # The country an entry is about: the one most of its questions name places of.
        self._places = [
            (f" {normalize(name)} ", country)
            for country, names in (knowledge.places or {}).items()
            for name in names
            if normalize(name)
        ]
        # A place is corrected only into a place of its country: "Mons" is no « moins », nor
        # "Lille" « aille », while "belgika" is still "belgian".
        self._country_of_word = {
            name.strip(): country for name, country in self._places if " " not in name.strip()
        }
        self._programme = frozenset(knowledge.programme_countries)
        self._place_of: dict[str, str] = {}
        for entry in knowledge:
            variants = [v for _, texts in entry.questions.by_language() for v in texts]
            naming: dict[str, int] = defaultdict(int)
            for variant in variants:
                for country in self._place_names(normalize(variant)):  # each country once
                    naming[country] += 1
            for country, count in naming.items():
                if count >= PLACE_SHARE * len(variants):
                    self._place_of[entry.id] = country

    def _place_names(self, normalized: str) -> dict[str, int]:
        """How many of each country's place names a normalised text names."""
        padded = f" {normalized} "
        named: dict[str, int] = defaultdict(int)
        for name, country in self._places:
            if name in padded:
                named[country] += 1
        return named

    # Features ------------------------------------------------------------------------------

    def _features(self, normalized: str, asked: bool = False) -> list[Group]:
        """One group of features per word or phrase: a concept, or a word's stems. In a
        question (``asked``), a Latin word the knowledge base does not know is marked ``REAL``
        when it is a real English or French word, else ``NO_WORD``."""
        words = normalized.split()
        out: list[Group] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest_phrase, len(words) - i), 1, -1):
                concept = self._phrases.get(tuple(words[i : i + size]))
                if concept is not None:
                    out.append((concept,))
                    i += size
                    break
            else:
                word = words[i]
                i += 1
                if word in STOPWORDS:
                    continue
                concept = self._concept_of_word.get(_bare(word))
                if concept is not None:
                    out.append((concept,))
                else:
                    group = tuple(
                        dict.fromkeys(self._concept_of_feature.get(f, f) for f in word_features(word))
                    )
                    if asked and word not in self._known_word_set and word.isascii() and word.isalpha():
                        group = (*group, REAL if word in self._real_words else NO_WORD)
                    out.append(group)
        return list(dict.fromkeys(out))

    def _corrected(self, normalized: str) -> str:
        """Replace words the knowledge base never saw by the closest word it knows."""
        return " ".join(self._correct(word) for word in normalized.split())

    def _near_lengths(self, length: int) -> list[str]:
        """The known words (and fillers) long enough and short enough to be within the correction
        cutoff: fuzz.ratio >= c needs len(a) / len(b) >= c / (200 - c)."""
        if (known := self._by_near_length.get(length)) is None:
            ratio = CORRECTION_CUTOFF / (200 - CORRECTION_CUTOFF)
            lengths = range(math.ceil(length * ratio), math.floor(length / ratio) + 1)
            known = [k for n in lengths for k in (*self._known_by_length[n], *self._fillers_by_length[n])]
            self._by_near_length[length] = known
        return known

    def _correct(self, word: str) -> str:
        if word in STOPWORDS or word in self._known_word_set or len(word) < 4 or word.isdigit():
            return word
        if word in self._corrections:
            return self._corrections[word]
        if is_arabic(word) and _bare(word) in self._known_word_set:
            return word  # « الرابط » is « رابط » with its article, no typo of « الراتب »
        found = process.extractOne(
            word, self._near_lengths(len(word)), scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF
        )
        corrected = found[0] if found is not None else word
        if found is None and len(word) >= SWAP_MIN_LENGTH:
            # One wrong or two swapped letters ("suvii", "القوت") cost a short word more than
            # the ratio allows; one such edit from a known word of the same length still counts.
            same_length = self._known_by_length.get(len(word), [])
            edited = process.extractOne(word, same_length, scorer=OSA.distance, score_cutoff=1)
            corrected = edited[0] if edited is not None else word
        if corrected != word and word in self._real_words and not _inflection(word, corrected):
            corrected = word
        if (
            word in self._country_of_word
            and self._country_of_word.get(corrected) != self._country_of_word[word]
        ):
            corrected = word
        if len(self._corrections) < CORRECTION_CACHE:
            self._corrections[word] = corrected
        return corrected

    # Scoring -------------------------------------------------------------------------------

    def _weight(self, group: Group, unknown: float = 1.0) -> float:
        """A word's weight: the IDF of its rarest known form; unknown words weigh the most, real
        words ("capital", "mortgage") more and other Latin words ("Zuzana", "Trnava") less: a
        real word names a topic the knowledge base lacks, a name or a typo does not."""
        known = [self._idf[f] for f in group if f in self._idf]
        if known:
            return max(known)
        share = REAL_UNKNOWN if REAL in group else NO_WORD_UNKNOWN if NO_WORD in group else 1.0
        return self._unknown_weight * unknown * share

    def _score(self, groups: Sequence[Group], unknown: float = 1.0) -> dict[str, float]:
        """Scores by entry, 0-1, for the entries on the shortlist."""
        groups = list(dict.fromkeys(groups))[:MAX_FEATURES]
        known = [g for g in groups if any(f in self._idf for f in g)]
        if not known:
            return {}
        weights = {g: self._weight(g, unknown) for g in groups}
        total = sum(weights.values())
        known_share = sum(weights[g] for g in known) / total
        # Coverage by entry, accumulated over the inverted index: the share of the question's
        # weight found in the entry's variants (fully) or in its answer (partly).
        covered: dict[str, float] = defaultdict(float)
        for group, weight in weights.items():
            in_variants = {e for f in group for e in self._entries_by_variant_feature.get(f, ())}
            in_answers = {e for f in group for e in self._entries_by_answer_feature.get(f, ())} - in_variants
            for faq_id in in_variants:
                covered[faq_id] += weight
            for faq_id in in_answers:
                covered[faq_id] += ANSWER_WEIGHT * weight
        shortlist = heapq.nsmallest(SHORTLIST, covered, key=lambda e: (-covered[e], e))
        # Naive Bayes over the known words: which entry most likely produced them. Entries off
        # the shortlist count with the smoothing term only, which is all but exact for them:
        # k * (log(alpha) - log_norm), summed in closed form from the sums made at build time.
        k = len(known)
        log_likelihood = {
            faq_id: sum(math.log(max(self._counts[faq_id].get(f, 0.0) for f in g) + NB_ALPHA) for g in known)
            - k * self._log_norm[faq_id]
            for faq_id in shortlist
        }
        off_best = k * (math.log(NB_ALPHA) - self._min_log_norm)  # the likeliest entry off the list
        top = max(off_best, *log_likelihood.values())
        off_share = self._norm_sums[k] - sum(
            math.exp(-k * (self._log_norm[faq_id] - self._min_log_norm)) for faq_id in shortlist
        )
        norm = sum(math.exp(value - top) for value in log_likelihood.values())
        norm += math.exp(off_best - top) * max(off_share, 0.0)
        scores: dict[str, float] = {}
        for faq_id in shortlist:
            # Words the knowledge base has never seen ("bitcoin"), and words this entry does not
            # use ("student", "Germany"), make the ranking less sure.
            coverage = covered[faq_id] / total
            posterior = (
                math.exp(log_likelihood[faq_id] - top)
                / norm
                * known_share**KNOWN_SHARE_POWER
                * coverage**COVERAGE_POWER
            )
            scores[faq_id] = W_POSTERIOR * posterior + W_COVERAGE * coverage
        return scores

    def readings(self, question: str) -> Iterable[list[Group]]:
        """The feature lists a question is scored as: as written, and for Arabizi, in Arabic."""
        normalized = self._corrected(normalize(question))
        yield self._features(normalized, asked=True)
        if _is_arabizi(normalized):
            plain = _without_fillers(normalized)
            for arabic in (arabizi_to_arabic(plain), arabizi_to_arabic(plain, long_vowels=True)):
                # Read in Arabic, it meets the Arabic variants and the Arabizi variants' reading.
                groups = self._features(self._corrected(arabic), asked=True)
                yield [(*group, *_read_in_arabic(group)) for group in groups]
            # People mix English or French words in ("shu no3 el visa, single permit?").
            latin = frozenset(
                w for w in normalized.split() if w in self._known_word_set and w not in ARABIZI_WORDS
            )
            if latin:
                yield self._features(self._corrected(arabizi_to_arabic(plain, keep=latin)), asked=True)

    def _unexplained(self, question: str, faq_id: str) -> bool:
        """Whether a word of the question (in any of its readings) is in neither the entry's
        question variants nor its answer, and is rare enough to name a topic (a word most
        entries use, "go", is no sign of another one)."""
        entry = (self._doc[faq_id], self._answer_doc[faq_id])
        return any(
            not any(f in doc for doc in entry for f in group) and self._weight(group) >= UNEXPLAINED_WEIGHT
            for reading in self.readings(question)
            for group in reading
        )

    def _best_reading(self, text: str, unknown: float = 1.0) -> dict[str, float]:
        """Scores by entry, each from the reading of ``text`` that suits the entry best;
        ``unknown`` scales the weight of words the knowledge base has never seen."""
        scores: dict[str, float] = {}
        for reading in self.readings(text):
            for faq_id, score in self._score(reading, unknown).items():
                scores[faq_id] = max(score, scores.get(faq_id, 0.0))
        if self.char_weight and scores:
            normalized = self._corrected(normalize(text)[:MAX_CHARS_FOR_GRAMS])
            chars = self._chars.scores(normalized, scores.keys())
            if _is_arabizi(normalized):
                for arabic in (
                    arabizi_to_arabic(normalized),
                    arabizi_to_arabic(normalized, long_vowels=True),
                ):
                    for faq_id, score in self._chars.scores(arabic, scores.keys()).items():
                        chars[faq_id] = max(score, chars.get(faq_id, 0.0))
            w = self.char_weight
            scores = {e: (1 - w) * s + w * chars.get(e, 0.0) for e, s in scores.items()}
        return scores

    def match(
        self,
        question: str,
        *,
        preferred: Lang | None = None,
        hint: Lang | None = None,
        audience: str | None = None,
    ) -> Match:
        """Match one question. Never raises on any text. ``audience`` is the asker's role
        (``talent``, ``employer``) when known: entries for the other audience rank lower."""
        small_talk = self._small_talk.intent(question, preferred) if self._small_talk else None
        if small_talk is not None:
            return Match(None, 0, small_talk[1], (), social=small_talk[0])
        whole = body(question)
        scores = self._best_reading(whole)
        asked = focus(question)
        if asked is not None:
            asked_scores = self._best_reading(asked, self.focus_unknown)
            scores = _with_focus(scores, asked_scores)
            # Whether the bot may answer is the question's business, not the context's: a
            # letter's company, city and staff words meet the not-ours questions' (tax,
            # salaries, permits) whatever is asked.
            scores[NOT_OURS] = asked_scores.get(NOT_OURS, 0.0)
        named = self._place_names(normalize(question))
        if named:
            for faq_id in scores:
                place = self._place_of.get(faq_id)
                if place is not None and named.get(place, 0) <= max(
                    (n for country, n in named.items() if country != place), default=-1
                ):
                    # "Is there such a portal in Wallonia?": the Leiden entry is not about
                    # Belgium; nor when Belgium is named as often as the Netherlands ("a site
                    # for newcomers in Belgium, like the Dutch one?").
                    scores[faq_id] *= self.place_elsewhere
                elif place is None and faq_id != NOT_OURS and not named.keys() & self._programme:
                    # "Which visa for a job in Berlin?": the programme's entries are about its
                    # own countries.
                    scores[faq_id] *= self.abroad
        if audience in ("talent", "employer"):
            for faq_id in scores:
                if self._audience[faq_id] not in (audience, "both"):
                    scores[faq_id] *= self.other_audience
        not_ours = scores.pop(NOT_OURS, 0.0)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:3]
        candidates = tuple(Candidate(faq_id, round(100 * s)) for faq_id, s in ranked)
        normalized = normalize(question)
        votes: dict[Lang, int] = defaultdict(int)
        for word in normalized.split():
            if word in self._language_of_word and not word.isdigit():
                votes[self._language_of_word[word]] += 1
        lang = detect_language(question, normalized, preferred=preferred, hint=hint, votes=votes)
        if not candidates:
            return Match(None, 0, lang, ())
        best = candidates[0]
        runner_up = candidates[1].score if len(candidates) > 1 else 0
        refused = round(100 * not_ours)
        if refused >= best.score + self.not_ours_margin and (
            refused >= best.score + NOT_OURS_CLOSE
            or self._unexplained(asked if asked is not None else whole, best.faq_id)
        ):
            # Closer to what the bot must not answer than to any entry: abstain, offer nothing.
            # A near miss only when the entry leaves a word of the question unexplained: "visa
            # processing time" is the programme's, however close to "what time is it".
            return Match(None, best.score, lang, candidates)
        if best.score >= self.accept and best.score - runner_up >= self.margin:
            return Match(best.faq_id, best.score, lang, candidates)
        if best.score >= self.suggest:
            close = tuple(
                c.faq_id for c in candidates if c.score >= self.suggest and best.score - c.score < 15
            )
            return Match(None, best.score, lang, candidates, close)
        return Match(None, best.score, lang, candidates)


def _inflection(word: str, other: str) -> bool:
    """Whether one word is the other with an ending ("year", "years"; "arrive", "arrives"):
    forms of one word rather than two words."""
    short, long = sorted((word, other), key=len)
    return long.startswith(short) and len(long) - len(short) <= INFLECTION_TAIL


def _question_words(knowledge: KnowledgeBase) -> dict[str, set[str]]:
    """The normalised words of the English and of the French question variants."""
    words: dict[str, set[str]] = {"en": set(), "fr": set()}
    for entry in knowledge:
        for lang, questions in entry.questions.by_language():
            if lang in words:
                for question in questions:
                    words[lang].update(normalize(question).split())
    return words


def _own_stems(word: str, words_of: dict[str, set[str]]) -> tuple[str, ...]:
    """The forms of a synonym word that stand for its concept: a word only English questions
    use keeps its English stem, one only French questions use its French stem. Both stems
    would let the other language's stemmer pull unrelated words in: the French stem of
    "worker" is "work", of "plane" "plan"."""
    features = word_features(word)
    if len(features) < 2 or is_arabic(word) or word.isdigit():
        return features
    english, french = word in words_of["en"], word in words_of["fr"]
    if english != french:
        return (features[0],) if english else (features[1],)
    return features


def _with_focus(whole: dict[str, float], asked: dict[str, float]) -> dict[str, float]:
    """Each entry's better score, of the whole message and of its question."""
    return {e: max(WHOLE_SHARE * whole.get(e, 0.0), asked.get(e, 0.0)) for e in whole.keys() | asked.keys()}


_ARTICLES = frozenset({"el", "il", "l", "al"})


def _without_fillers(normalized: str) -> str:
    """Arabizi without its filler words ("eza", "3a", "bel"), which would otherwise come out of
    the transliteration as Arabic words that are no filler ("ازا", "عا", "بل"); the article
    stays, to join its noun."""
    return " ".join(w for w in normalized.split() if w in _ARTICLES or w not in STOPWORDS)


def _read_in_arabic(group: Group) -> Group:
    """The features of an Arabizi variant's Arabic reading, kept apart from those of the Arabic
    variants: only a question's own Arabic reading meets them, so an Arabic question is scored
    as before, and an Arabizi one meets a variant whatever the spelling of either."""
    return tuple(ARABIC_READING + feature for feature in group if feature not in (REAL, NO_WORD))


def _flat(groups: Iterable[Group]) -> list[str]:
    return [feature for group in groups for feature in group]


def _bare(word: str) -> str:
    """An Arabic word without its leading conjunction, preposition or article, for lookups."""
    for prefix in ("وال", "بال", "فال", "كال", "لل", "ال"):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    return word


def _is_arabizi(normalized: str) -> bool:
    """Arabic in Latin letters: Levantine words, or digits standing for letters."""
    return looks_like_arabizi(normalized) or (
        bool(normalized)
        and not any(is_arabic(w) for w in normalized.split())
        and _has_arabizi_digits(normalized)
    )


def _has_arabizi_digits(normalized: str) -> bool:
    return any(c in "2356789" for w in normalized.split() for c in w if not w.isdigit())
