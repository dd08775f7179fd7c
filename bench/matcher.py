"""Matcher benchmark: our matcher against three baselines, on every labelled set, in one run.

Run with ``make bench`` (``python -m bench.matcher``; about 90 s on 2 quiet cores, most of it
rapidfuzz WRatio; three minutes on a busy machine). It prints the tables, writes every figure to
``bench/results/matcher.json`` and rewrites the generated part of the "Matcher" section of
``BENCHMARKS.md`` (``--no-markdown``: print it instead).

Sets (one ``{"q", "lang", "id", "kind"?, "role"?}`` per line, see :class:`faq.evaluate.Labelled`):

- ``eval/unseen10.jsonl``: written from the seeds by a helper who never saw the content, on the
  evening of 2026-12-04 before the fifth matcher round, never used for tuning: **the headline**;
  ``eval/unseen11.jsonl`` (written the same way during that round, measured before and after
  it), ``eval/unseen9.jsonl`` (that morning, before the fourth round, measured around the fourth and
  the fifth), ``eval/unseen8.jsonl`` (written the same way on the evening of 2026-12-03, before
  the third round, measured around the third and the fourth), ``eval/unseen7.jsonl`` (that
  afternoon, after the day's second round, measured around the third and the fourth),
  ``eval/unseen6.jsonl`` (that morning, measured around that day's two rounds),
  ``eval/unseen5.jsonl`` and ``eval/unseen4.jsonl`` (2026-12-02); ``eval/unseen3.jsonl``
  (measured before and after each of 2026-12-02's two tuning rounds), ``eval/unseen2.jsonl``
  and ``eval/unseen.jsonl`` (older, measured more often). Only aggregate figures are ever
  printed or written for them, never a question or a per-question result;
- ``eval/tuning.jsonl``: where our thresholds are chosen, and so the baselines' thresholds too;
  ``eval/tuning2.jsonl`` and ``eval/tuning3.jsonl`` (2026-12-02), ``eval/tuning4.jsonl``,
  ``eval/tuning5_ar.jsonl``, ``eval/tuning5_enfr.jsonl``, ``eval/tuning6_enfr.jsonl``
  (2026-12-03), ``eval/tuning7_en.jsonl`` and ``eval/tuning8.jsonl`` (2026-12-04): written like
  the unseen sets, then read and tuned on;
- ``eval/held_back.jsonl``, ``eval/paraphrases.jsonl``, ``../shared/eval/dev.jsonl`` (when it is
  there) and ``eval/out_of_scope.jsonl``;
- ``unseen10, 1 typo`` and ``tuning, 1 typo``: the same questions with one typo each, as thumbs make
  them (a letter dropped, two neighbours swapped or a letter doubled, in a word of five letters
  or more).

Methods, all built from the knowledge base's own question variants (every language and Arabizi):

- ``dt4e matcher``: :class:`faq.matcher.Matcher`, asked with the asker's role when the line gives
  one; ``dt4e matcher, no role``: the same, never told the role;
- ``char TF-IDF + LR``, the strong baseline: scikit-learn ``TfidfVectorizer(analyzer="char_wb",
  ngram_range=(2, 5), sublinear_tf=True, min_df=1)`` over the variants passed through
  :func:`faq.text.normalize`, and a ``LogisticRegression`` (lbfgs, multinomial) trained to name
  each variant's entry; its score is the best entry's probability. Its ``C`` (1, 10 or 100) is
  chosen on ``eval/tuning.jsonl`` like its threshold. A ``LinearSVC`` with probabilities
  calibrated by ``CalibratedClassifierCV`` (sigmoid and isotonic, C 0.5 and 1) was tried on
  ``eval/tuning.jsonl`` too (2026-12-01) and kept losing: at the best threshold, (top-1 +
  refusal) / 2 of 0.74-0.75 against 0.77-0.78 for the logistic regression, with the same top-1
  before abstaining (86-88 %): the SVM's probabilities set out-of-scope questions apart worse;
- ``BM25 (bm25s)``: every variant a document (normalised, our tokens); an entry's score is its
  best document's; no score when the question shares no token with the base;
- ``rapidfuzz WRatio``: ``WRatio`` with rapidfuzz's own ``default_process`` against every
  variant; an entry's score is its best variant's.

Each baseline abstains below a threshold on its score chosen on ``eval/tuning.jsonl``, the set
our own thresholds are tuned on, as the one maximising (top-1 on in-scope + refusal on out of
scope) / 2 (the middle of the best interval); the thresholds are reported with the figures.

Figures, per set and per language (``ar``, ``en``, ``fr``), for Arabizi (the lines of kind
``arabizi``; in a set whose lines carry no kind, the ``ar`` questions written in Latin letters)
and, for ``unseen`` and ``tuning``, by kind:

- top-1: of the in-scope questions, the share answered with the right id;
- top-3: of the in-scope questions, the share whose id is among the method's three best entries
  (answered or not);
- refused: of the out-of-scope questions (``"id": null``), the share not answered;
- reply language (ours only): of all questions, the share whose ``Match.lang`` is the label's.

A calibration report for ours on ``tuning`` and ``unseen``: questions by best score (bins
0-9, 10-14, ... 50+; small talk apart), the share whose best candidate is right and the share
out of scope; and at the matcher's ``accept`` and ``suggest`` thresholds, the answer rate and
its precision on each set: do the thresholds chosen on tuning hold on unseen?

A verdict per language on ``unseen``: does ours beat every baseline on top-1 and on refusal
(and which does it lose to); and the targets on ``unseen``: top-1 >= 95 % in each language,
Arabizi >= 90 %, out of scope refused >= 95 %, reply language >= 99 %.

Latency: p50 and p99 of one question (wall clock, and the process's CPU time, steadier on a
shared machine), over every question of every set at the real base (and, apart, the typo sets),
and over 300 of them (25 for WRatio, which takes 0.3 to 2 s each there) at a synthetic
5,000-entry base: the real entries plus generated ones made
of words from the real variants, so the real questions still have their answers among many more
distractors (latency only; the TF-IDF classifier is not built there: a 5,000-class linear model
over ~60,000 variants is neither quick to train nor what anyone would deploy). Targets for
ours: p99 < 2 ms at the real base, < 20 ms at 5,000 entries.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import math
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import bm25s
import numpy as np
from rapidfuzz import fuzz, process, utils
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bench.machine import git_state
from bench.report import update_section
from bot.basics.lang import Lang
from faq.evaluate import Labelled, parse_labelled
from faq.knowledge import Entry, KnowledgeBase, Questions, load_knowledge
from faq.matcher import Matcher
from faq.text import is_arabic, normalize, tokens

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "matcher.json"
BENCHMARKS = ROOT / "BENCHMARKS.md"
SYNTHETIC_SIZE = 5000
SYNTHETIC_QUESTIONS = 300  # asked at the synthetic base, for latency
SYNTHETIC_QUESTIONS_WRATIO = 25  # WRatio takes 0.4 s to 2 s a question there
HEADLINE, TUNING = "unseen10", "tuning"

OURS, OURS_NO_ROLE = "dt4e matcher", "dt4e matcher, no role"
TFIDF, BM25, WRATIO = "char TF-IDF + LR", "BM25 (bm25s)", "rapidfuzz WRatio"
BASELINES = (TFIDF, BM25, WRATIO)
SHORT = {OURS: "dt4e", OURS_NO_ROLE: "dt4e no role", TFIDF: "TF-IDF+LR", BM25: "BM25", WRATIO: "WRatio"}

TFIDF_C = (1.0, 10.0, 100.0)  # the logistic regression's regularisation, chosen on the tuning set
LANGS = ("ar", "en", "fr")
ARABIZI = "arabizi"
BINS = ((0, 9), (10, 14), (15, 19), (20, 24), (25, 34), (35, 49), (50, 100))
SMALL_TALK = "small talk"
GOALS = {"top1": 0.95, "arabizi_top1": 0.90, "refused": 0.95, "reply_language": 0.99}  # ours, on unseen
LATENCY_GOALS_MS = {"real": 2.0, "synthetic": 20.0}  # ours' p99


# Sets ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvalSet:
    name: str
    file: str
    items: list[Labelled]
    note: str
    by_kind: bool = False  # figures by kind (unseen and tuning)

    @property
    def labelled_kinds(self) -> bool:
        return any(item.kind for item in self.items)


SET_FILES: tuple[tuple[str, Path, str, bool], ...] = (
    (HEADLINE, ROOT / "eval" / "unseen10.jsonl", "never read; written before the last round", True),
    ("unseen11", ROOT / "eval" / "unseen11.jsonl", "never read; written during the last round", True),
    ("unseen9", ROOT / "eval" / "unseen9.jsonl", "never read; measured around the last two rounds", True),
    ("unseen8", ROOT / "eval" / "unseen8.jsonl", "never read; measured around the 3rd and 4th rounds", True),
    ("unseen7", ROOT / "eval" / "unseen7.jsonl", "never read; measured around the last rounds", True),
    ("unseen6", ROOT / "eval" / "unseen6.jsonl", "never read; measured around 2026-12-03's rounds", True),
    ("unseen5", ROOT / "eval" / "unseen5.jsonl", "never read; written after the tuning of 2026-12-02", True),
    ("unseen4", ROOT / "eval" / "unseen4.jsonl", "never read, first measured after the tuning", True),
    ("unseen3", ROOT / "eval" / "unseen3.jsonl", "never read; measured around each tuning round", True),
    ("unseen2", ROOT / "eval" / "unseen2.jsonl", "never read; measured once before this tuning", True),
    ("unseen", ROOT / "eval" / "unseen.jsonl", "never read, but measured after each tuning step", True),
    (TUNING, ROOT / "eval" / "tuning.jsonl", "our thresholds and the baselines' are chosen here", True),
    ("tuning2", ROOT / "eval" / "tuning2.jsonl", "written like unseen3; read and tuned on", True),
    ("tuning3", ROOT / "eval" / "tuning3.jsonl", "the same, mostly English; read and tuned on", True),
    ("tuning4", ROOT / "eval" / "tuning4.jsonl", "Arabizi, letters, near-misses; read and tuned on", True),
    ("tuning5_ar", ROOT / "eval" / "tuning5_ar.jsonl", "Arabizi, Levantine, long; read and tuned on", True),
    ("tuning5_enfr", ROOT / "eval" / "tuning5_enfr.jsonl", "letters, long; read and tuned on", True),
    ("tuning6_enfr", ROOT / "eval" / "tuning6_enfr.jsonl", "letters, near-misses; tuned on", True),
    ("tuning7_en", ROOT / "eval" / "tuning7_en.jsonl", "English; letters, near-misses; tuned on", True),
    ("tuning8", ROOT / "eval" / "tuning8.jsonl", "Arabizi, near-misses; tuned on", True),
    (
        "held_back",
        ROOT / "eval" / "held_back.jsonl",
        "written blind; measured before and after one change",
        False,
    ),
    ("paraphrases", ROOT / "eval" / "paraphrases.jsonl", "written blind; used to choose the scoring", False),
    ("dev", ROOT.parent / "shared" / "eval" / "dev.jsonl", "the shared development set", False),
    ("out_of_scope", ROOT / "eval" / "out_of_scope.jsonl", "no entry answers these", False),
)
TYPO_SETS = (HEADLINE, TUNING)


def load_sets() -> list[EvalSet]:
    sets: list[EvalSet] = []
    for name, path, note, by_kind in SET_FILES:
        if not path.is_file():
            if name == "dev":
                continue  # the shared set lives outside this repository
            raise SystemExit(f"{path}: missing (every eval/ set is part of the repository)")
        shown = os.path.relpath(path, ROOT)
        items = parse_labelled(path.read_text(encoding="utf-8").splitlines(), shown)
        sets.append(EvalSet(name, shown, items, note, by_kind))
    for name in TYPO_SETS:
        base = next(s for s in sets if s.name == name)
        sets.append(
            EvalSet(f"{name}, 1 typo", base.file, with_typos(base.items), f"{name} with one typo each")
        )
    return sets


def with_typos(questions: Sequence[Labelled], seed: int = 11) -> list[Labelled]:
    """The same questions with one typo each, as thumbs make them: in a word of five letters or
    more, a letter dropped, two neighbours swapped, or a letter typed twice."""
    rng = random.Random(seed)
    out = []
    for item in questions:
        words = item.question.split()
        long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long:
            i = rng.choice(long)
            word, j = words[i], rng.randrange(1, len(words[i]) - 1)
            edit = rng.choice(("drop", "swap", "double"))
            if edit == "drop":
                word = word[:j] + word[j + 1 :]
            elif edit == "swap":
                word = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
            else:
                word = word[:j] + word[j + 1] + word[j + 1 :]  # the next letter typed twice
            words[i] = word
        out.append(dataclasses.replace(item, question=" ".join(words)))
    return out


def is_arabizi(item: Labelled, labelled_kinds: bool) -> bool:
    if labelled_kinds:
        return item.kind == ARABIZI
    return item.lang is Lang.AR and not any(is_arabic(w) for w in item.question.split())


def groups(item: Labelled, evalset: EvalSet, labelled_kinds: bool) -> list[str]:
    """The rows a question counts in: the total, its language, Arabizi, its kind."""
    out = ["total", item.lang.value]
    if is_arabizi(item, labelled_kinds):
        out.append(ARABIZI)
    if evalset.by_kind and item.kind and item.kind != ARABIZI:  # kind arabizi is the Arabizi row
        out.append(f"kind {item.kind}")
    return out


# Methods -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ranking:
    """A method's reply to one question. ``answer`` is the entry it answers with (``None``: it
    abstains); a baseline's is its best entry, before its threshold is applied."""

    answer: str | None
    top3: tuple[str, ...]
    score: float | None
    lang: Lang | None = None
    suggestions: tuple[str, ...] = ()
    social: bool = False


Ask = Callable[[Labelled], Ranking]
Built = tuple[Ask, dict[str, float]]  # and the parameters chosen on the tuning set, if any
Build = Callable[[KnowledgeBase, Sequence[Labelled]], Built]  # the base, the tuning questions


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    build: Build
    thresholded: bool  # abstains below a threshold chosen on the tuning set


def _untuned(build: Callable[[KnowledgeBase], Ask]) -> Build:
    return lambda knowledge, _tuning: (build(knowledge), {})


def variants(knowledge: KnowledgeBase) -> tuple[list[str], list[str]]:
    """Every question variant (every language and Arabizi), normalised, with its entry's id;
    an entry's variants are contiguous."""
    texts, ids = [], []
    for entry in knowledge:
        for _lang, questions in entry.questions.by_language():
            for question in questions:
                texts.append(normalize(question))
                ids.append(entry.id)
    return texts, ids


def ours(knowledge: KnowledgeBase, *, roles: bool = True) -> Ask:
    matcher = Matcher(knowledge)

    def ask(item: Labelled) -> Ranking:
        match = matcher.match(item.question, audience=item.role if roles else None)
        return Ranking(
            match.faq_id,
            tuple(c.faq_id for c in match.candidates[:3]),
            match.score,
            match.lang,
            match.suggestions,
            match.social is not None,
        )

    return ask


def ours_no_role(knowledge: KnowledgeBase) -> Ask:
    return ours(knowledge, roles=False)


def _best_by_entry(scores: np.ndarray, starts: np.ndarray, ids: Sequence[str]) -> Ranking:
    """The three best entries by their best variant's score (variants grouped by entry)."""
    best = np.maximum.reduceat(scores, starts)
    order = np.argsort(-best, kind="stable")[:3]
    top3 = tuple(ids[i] for i in order)
    return Ranking(top3[0] if top3 else None, top3, float(best[order[0]]) if top3 else None)


def _grouping(ids: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    starts = [i for i in range(len(ids)) if i == 0 or ids[i] != ids[i - 1]]
    return np.array(starts, dtype=np.intp), [ids[i] for i in starts]


def tfidf(knowledge: KnowledgeBase, tuning: Sequence[Labelled]) -> Built:
    """The classifier whose regularisation ``C`` (of :data:`TFIDF_C`) does best on the tuning
    questions, at its best threshold."""
    texts, ids = variants(knowledge)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)
    matrix = vectorizer.fit_transform(texts)
    asked = vectorizer.transform([normalize(item.question) for item in tuning])
    best: tuple[float, float, LogisticRegression] | None = None
    for c in TFIDF_C:
        candidate = LogisticRegression(C=c, max_iter=3000).fit(matrix, ids)
        classes = [str(k) for k in candidate.classes_]
        rankings = [_ranked(p, classes) for p in candidate.predict_proba(asked)]
        value = choose_threshold(tuning, rankings)[1]
        if best is None or value > best[0]:
            best = (value, c, candidate)
    assert best is not None
    _value, chosen, classifier = best
    classes = [str(k) for k in classifier.classes_]

    def ask(item: Labelled) -> Ranking:
        return _ranked(classifier.predict_proba(vectorizer.transform([normalize(item.question)]))[0], classes)

    return ask, {"C": chosen}


def _ranked(probabilities: np.ndarray, classes: Sequence[str]) -> Ranking:
    order = np.argsort(-probabilities, kind="stable")[:3]
    top3 = tuple(classes[i] for i in order)
    return Ranking(top3[0], top3, float(probabilities[order[0]]))


def wratio(knowledge: KnowledgeBase) -> Ask:
    """``process.extractOne(q, variants, scorer=WRatio, processor=default_process)``, computed
    for every variant at once (the same scores) so that the three best entries come out too."""
    texts: list[str] = []
    ids: list[str] = []
    for entry in knowledge:
        for _lang, questions in entry.questions.by_language():
            texts.extend(utils.default_process(q) for q in questions)
            ids.extend(entry.id for _ in questions)
    starts, entry_ids = _grouping(ids)

    def ask(item: Labelled) -> Ranking:
        query = utils.default_process(item.question)
        scores = process.cdist([query], texts, scorer=fuzz.WRatio, dtype=np.float32, workers=1)[0]
        return _best_by_entry(scores, starts, entry_ids)

    return ask


def bm25(knowledge: KnowledgeBase) -> Ask:
    texts, ids = variants(knowledge)
    retriever = bm25s.BM25()
    retriever.index([tokens(t) for t in texts], show_progress=False)
    vocabulary = set(retriever.vocab_dict)
    k = min(60, len(texts))  # enough documents for three distinct entries

    def ask(item: Labelled) -> Ranking:
        query = [t for t in tokens(normalize(item.question)) if t in vocabulary]
        if not query:
            return Ranking(None, (), None)
        documents, scores = retriever.retrieve([query], k=k, show_progress=False, n_threads=1)
        best: dict[str, float] = {}
        for document, score in zip(documents[0], scores[0], strict=True):
            if float(score) > 0:
                best.setdefault(ids[int(document)], float(score))
        top3 = tuple(sorted(best, key=lambda e: -best[e])[:3])
        return Ranking(top3[0], top3, best[top3[0]]) if top3 else Ranking(None, (), None)

    return ask


METHODS = (
    Method(OURS, _untuned(ours), thresholded=False),
    Method(OURS_NO_ROLE, _untuned(ours_no_role), thresholded=False),
    Method(TFIDF, tfidf, thresholded=True),
    Method(BM25, _untuned(bm25), thresholded=True),
    Method(WRATIO, _untuned(wratio), thresholded=True),
)
SYNTHETIC_METHODS = (OURS, BM25, WRATIO)


def synthetic(knowledge: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """The real entries plus generated ones of real words, ``size`` entries in all."""
    rng = random.Random(seed)
    words = {
        lang: sorted({w for e in knowledge for q in getattr(e.questions, lang) for w in q.split()})
        for lang in ("en", "fr", "ar")
    }
    entries = dict(knowledge.entries)
    template = next(iter(knowledge))
    for number in range(size - len(entries)):

        def sentence(lang: str) -> str:
            return " ".join(rng.sample(words[lang], rng.randint(3, 8)))

        questions = Questions(
            en=[sentence("en") for _ in range(4)],
            fr=[sentence("fr") for _ in range(4)],
            ar=[sentence("ar") for _ in range(4)],
        )
        entries[f"synthetic-{number}"] = Entry.model_construct(
            **{**dict(template), "id": f"synthetic-{number}", "questions": questions, "related": []}
        )
    return dataclasses.replace(knowledge, entries=entries)


# Measuring -----------------------------------------------------------------------------------


@dataclass
class Asked:
    """Every reply of one method to one set, in the set's order, and how long each took."""

    rankings: list[Ranking] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # the process's CPU: less noisy when shared


def ask_all(ask: Ask, items: Sequence[Labelled]) -> Asked:
    asked = Asked()
    for item in items:
        started, cpu = time.perf_counter(), time.process_time()
        ranking = ask(item)
        asked.latencies_ms.append(1000 * (time.perf_counter() - started))
        asked.cpu_ms.append(1000 * (time.process_time() - cpu))
        asked.rankings.append(ranking)
    return asked


def decide(ranking: Ranking, threshold: float | None) -> str | None:
    if threshold is None:
        return ranking.answer
    return ranking.answer if ranking.score is not None and ranking.score >= threshold else None


def objective(items: Sequence[Labelled], answers: Sequence[str | None]) -> float:
    """(top-1 on the in-scope questions + refusal on the out-of-scope ones) / 2."""
    in_scope = [(i, a) for i, a in zip(items, answers, strict=True) if i.faq_id is not None]
    out = [a for i, a in zip(items, answers, strict=True) if i.faq_id is None]
    top1 = sum(a == i.faq_id for i, a in in_scope) / max(len(in_scope), 1)
    refused = sum(a is None for a in out) / max(len(out), 1)
    return (top1 + refused) / 2


def choose_threshold(items: Sequence[Labelled], rankings: Sequence[Ranking]) -> tuple[float, float]:
    """The threshold maximising :func:`objective` (answer when score >= threshold): the lowest
    best score seen, moved down to the middle of the gap below it. Returns it and the objective."""
    scores = sorted({r.score for r in rankings if r.score is not None})
    if not scores:
        return 0.0, objective(items, [None] * len(items))
    best_value, best_index = -1.0, 0
    for index, threshold in enumerate([*scores, math.inf]):
        value = objective(items, [decide(r, threshold) for r in rankings])
        if value > best_value:
            best_value, best_index = value, index
    if best_index == len(scores):
        return math.nextafter(scores[-1], math.inf), best_value
    if best_index == 0:
        return scores[0], best_value
    return (scores[best_index - 1] + scores[best_index]) / 2, best_value


@dataclass
class Tally:
    questions: int = 0
    in_scope: int = 0
    top1: int = 0
    best: int = 0
    top3: int = 0
    out_of_scope: int = 0
    refused: int = 0
    lang_right: int = 0

    def add(self, item: Labelled, ranking: Ranking, answer: str | None) -> None:
        self.questions += 1
        if ranking.lang is not None:
            self.lang_right += ranking.lang is item.lang
        if item.faq_id is None:
            self.out_of_scope += 1
            self.refused += answer is None
        else:
            self.in_scope += 1
            self.top1 += answer == item.faq_id
            self.best += ranking.top3[:1] == (item.faq_id,)
            self.top3 += item.faq_id in ranking.top3


@dataclass(frozen=True, slots=True)
class Figure:
    """One method's figures on one group of questions (shares 0-1; ``None``: no such question)."""

    questions: int
    in_scope: int
    out_of_scope: int
    top1: float | None
    best_candidate: float | None  # top-1 if it never abstained: the best entry is the right one
    top3: float | None
    refused: float | None
    reply_language: float | None  # ours only

    @classmethod
    def of(cls, tally: Tally, reply_language: bool) -> Figure:
        return cls(
            tally.questions,
            tally.in_scope,
            tally.out_of_scope,
            _ratio(tally.top1, tally.in_scope),
            _ratio(tally.best, tally.in_scope),
            _ratio(tally.top3, tally.in_scope),
            _ratio(tally.refused, tally.out_of_scope),
            _ratio(tally.lang_right, tally.questions) if reply_language else None,
        )

    @property
    def balanced(self) -> float | None:
        """(top-1 + refused) / 2, when the group has both kinds of question."""
        if self.top1 is None or self.refused is None:
            return None
        return (self.top1 + self.refused) / 2


Figures = dict[str, Figure]  # by group: total, ar, en, fr, arabizi, kind ...


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def tally(evalset: EvalSet, asked: Asked, threshold: float | None, reply_language: bool) -> Figures:
    tallies: dict[str, Tally] = {}
    labelled_kinds = evalset.labelled_kinds
    for item, ranking in zip(evalset.items, asked.rankings, strict=True):
        answer = decide(ranking, threshold)
        for group in groups(item, evalset, labelled_kinds):
            tallies.setdefault(group, Tally()).add(item, ranking, answer)
    order = ["total", *LANGS, ARABIZI]
    names = [g for g in order if g in tallies] + sorted(g for g in tallies if g not in order)
    return {name: Figure.of(tallies[name], reply_language) for name in names}


@dataclass(frozen=True, slots=True)
class Bin:
    scores: str
    questions: int
    best_right: float | None  # the best candidate is the labelled entry
    out_of_scope: float | None  # the question has no entry


@dataclass(frozen=True, slots=True)
class Calibration:
    bins: list[Bin]
    accept: int
    answer_rate: float | None  # answered (score >= accept, and the margin)
    answer_precision: float | None  # of the answered, the right entry
    suggest: int
    offer_rate: float | None  # answered, or "did you mean" offered (score >= suggest)
    offer_precision: float | None  # of those, the right entry answered or among the offers


def _bin(score: int) -> str:
    lo, hi = next(((lo, hi) for lo, hi in BINS if score <= hi), BINS[-1])
    return f"{lo}-{hi}" if (lo, hi) != BINS[-1] else f"{lo}+"


def calibration(evalset: EvalSet, asked: Asked, accept: int, suggest: int) -> Calibration:
    """Our best scores in bins: how many questions, the share whose best candidate is right and
    the share out of scope; and the answer rate and its precision at ``accept`` and ``suggest``."""
    rows: dict[str, list[int]] = {_bin(lo): [0, 0, 0] for lo, _hi in BINS}
    rows[SMALL_TALK] = [0, 0, 0]
    answered = answered_right = offered = offered_right = 0
    for item, ranking in zip(evalset.items, asked.rankings, strict=True):
        row = rows[SMALL_TALK if ranking.social else _bin(int(ranking.score or 0))]
        row[0] += 1
        row[1] += item.faq_id is not None and ranking.top3[:1] == (item.faq_id,)
        row[2] += item.faq_id is None
        if ranking.answer is not None:
            answered += 1
            answered_right += ranking.answer == item.faq_id
        if ranking.answer is not None or ranking.suggestions:
            offered += 1
            offered_right += item.faq_id is not None and item.faq_id in {ranking.answer, *ranking.suggestions}
    total = len(evalset.items)
    return Calibration(
        bins=[Bin(label, n, _ratio(right, n), _ratio(out, n)) for label, (n, right, out) in rows.items()],
        accept=accept,
        answer_rate=_ratio(answered, total),
        answer_precision=_ratio(answered_right, answered),
        suggest=suggest,
        offer_rate=_ratio(offered, total),
        offer_precision=_ratio(offered_right, offered),
    )


@dataclass(frozen=True, slots=True)
class Latency:
    method: str
    base: str
    entries: int
    questions: int
    p50_ms: float
    p99_ms: float
    cpu_p50_ms: float  # the process's CPU time: less noisy than the wall clock on a shared machine
    cpu_p99_ms: float
    build_ms: float


def latency(method: str, base: str, entries: int, asked: Sequence[Asked], build_ms: float) -> Latency:
    wall = sorted(ms for a in asked for ms in a.latencies_ms)
    cpu = sorted(ms for a in asked for ms in a.cpu_ms)
    return Latency(
        method,
        base,
        entries,
        len(wall),
        _quantile(wall, 0.5),
        _quantile(wall, 0.99),
        _quantile(cpu, 0.5),
        _quantile(cpu, 0.99),
        build_ms,
    )


def _quantile(ordered: Sequence[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# Verdicts ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    target: str
    goal: float
    value: float | None
    met: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    set: str
    by_language: dict[str, str]  # ar, en, fr, arabizi: ours against every baseline
    balanced: dict[str, float | None]  # (top-1 + refused) / 2 on the whole set, by method
    targets: list[Target]


def _compare(ours_value: float | None, others: dict[str, float | None], what: str) -> str:
    if ours_value is None:
        return f"{what}: no such questions"
    known = {n: v for n, v in others.items() if v is not None}
    lose = [f"{SHORT[n]} {_pct(v)}" for n, v in known.items() if v > ours_value]
    tie = [SHORT[n] for n, v in known.items() if v == ours_value]
    beat = [SHORT[n] for n, v in known.items() if v < ours_value]
    text = f"{what} {_pct(ours_value)}: "
    if len(beat) == len(others):
        return text + "beats every baseline"
    parts = (("loses to", lose), ("ties", tie), ("beats", beat))
    return text + "; ".join(f"{verb} {', '.join(names)}" for verb, names in parts if names)


def verdict(figures: dict[str, dict[str, Figures]]) -> Verdict:
    headline = figures[HEADLINE]
    mine = headline[OURS]
    lines: dict[str, str] = {}
    for group in (*LANGS, ARABIZI):
        if group not in mine:
            lines[group] = "no questions"
            continue
        top1 = {b: _field(headline[b], group, "top1") for b in BASELINES}
        refused = {b: _field(headline[b], group, "refused") for b in BASELINES}
        first = _compare(mine[group].top1, top1, "top-1")
        lines[group] = f"{first} | {_compare(mine[group].refused, refused, 'refused')}"
    targets = [
        *(Target(f"top-1 {lang}", GOALS["top1"], _field(mine, lang, "top1"), False) for lang in LANGS),
        Target("top-1 Arabizi", GOALS["arabizi_top1"], _field(mine, ARABIZI, "top1"), False),
        Target("out of scope refused", GOALS["refused"], _field(mine, "total", "refused"), False),
        Target("reply language", GOALS["reply_language"], _field(mine, "total", "reply_language"), False),
    ]
    targets = [dataclasses.replace(t, met=t.value is not None and t.value >= t.goal) for t in targets]
    balanced = {m: headline[m]["total"].balanced for m in (OURS, *BASELINES)}
    return Verdict(HEADLINE, lines, balanced, targets)


def _field(figures: Figures, group: str, name: str) -> float | None:
    figure = figures.get(group)
    value = None if figure is None else getattr(figure, name)
    return None if value is None else float(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


# Running -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetInfo:
    file: str
    note: str
    questions: int
    in_scope: int
    out_of_scope: int


@dataclass(frozen=True, slots=True)
class MethodInfo:
    threshold: float | None  # a baseline's, chosen on the tuning set; ours decide for themselves
    tuning_objective: float  # (top-1 + refused) / 2 on the tuning set
    build_ms: float  # for TF-IDF, with the choice of C
    parameters: dict[str, float]  # chosen on the tuning set


@dataclass(frozen=True, slots=True)
class Results:
    run: dict[str, str | int | float | bool | list[float] | None]
    sets: dict[str, SetInfo]
    methods: dict[str, MethodInfo]
    matcher_thresholds: dict[str, int]
    figures: dict[str, dict[str, Figures]]  # by set, method, group
    calibration: dict[str, Calibration]  # ours, by set
    latency: list[Latency]
    verdict: Verdict
    goals: dict[str, float] = field(default_factory=lambda: dict(GOALS))
    latency_goals_ms: dict[str, float] = field(default_factory=lambda: dict(LATENCY_GOALS_MS))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False) + "\n"


def run(synthetic_size: int = SYNTHETIC_SIZE) -> Results:
    started = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    sets = load_sets()
    knowledge = load_knowledge()
    tuning = next(s for s in sets if s.name == TUNING)
    warm = tuning.items[:20]
    build_ms: dict[str, float] = {}
    parameters: dict[str, dict[str, float]] = {}
    asked: dict[str, dict[str, Asked]] = {}
    for method in METHODS:
        t0 = time.perf_counter()
        ask, parameters[method.name] = method.build(knowledge, tuning.items)
        build_ms[method.name] = 1000 * (time.perf_counter() - t0)
        for item in warm:  # warm caches and lazy imports before timing
            ask(item)
        asked[method.name] = {s.name: ask_all(ask, s.items) for s in sets}
        progress(f"{method.name}: built and asked at the real base", started)
    probe = Matcher(knowledge)

    methods: dict[str, MethodInfo] = {}
    for method in METHODS:
        rankings = asked[method.name][TUNING].rankings
        threshold: float | None = None
        if method.thresholded:
            threshold, value = choose_threshold(tuning.items, rankings)
        else:
            value = objective(tuning.items, [r.answer for r in rankings])
        methods[method.name] = MethodInfo(threshold, value, build_ms[method.name], parameters[method.name])
    figures = {
        s.name: {
            m.name: tally(
                s, asked[m.name][s.name], methods[m.name].threshold, reply_language=not m.thresholded
            )
            for m in METHODS
        }
        for s in sets
    }
    calibrations = {
        s.name: calibration(s, asked[OURS][s.name], probe.accept, probe.suggest)
        for s in sets
        if s.name in (TUNING, HEADLINE)
    }

    latencies = []
    typo_sets = {f"{name}, 1 typo" for name in TYPO_SETS}
    for method in METHODS:
        clean = [asked[method.name][s.name] for s in sets if s.name not in typo_sets]
        typos = [asked[method.name][s.name] for s in sets if s.name in typo_sets]
        latencies.append(latency(method.name, "real", len(knowledge), clean, build_ms[method.name]))
        latencies.append(latency(method.name, "real, 1 typo", len(knowledge), typos, build_ms[method.name]))
    everything = [item for s in sets if s.name not in typo_sets for item in s.items]
    sample = everything[:: max(1, len(everything) // SYNTHETIC_QUESTIONS)][:SYNTHETIC_QUESTIONS]
    big = synthetic(knowledge, synthetic_size)
    for method in METHODS:
        if method.name not in SYNTHETIC_METHODS:
            continue
        t0 = time.perf_counter()
        ask, _parameters = method.build(big, tuning.items)
        ms = 1000 * (time.perf_counter() - t0)
        for item in warm:
            ask(item)
        few = SYNTHETIC_QUESTIONS_WRATIO if method.name == WRATIO else len(sample)
        timed = ask_all(ask, sample[:: max(1, len(sample) // few)][:few])
        latencies.append(latency(method.name, f"synthetic-{synthetic_size}", len(big), [timed], ms))
        progress(f"{method.name}: built and asked at the synthetic base", started)

    return Results(
        run=machine()
        | {
            "seconds": round(time.perf_counter() - started, 1),
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        sets={
            s.name: SetInfo(
                s.file,
                s.note,
                len(s.items),
                sum(i.faq_id is not None for i in s.items),
                sum(i.faq_id is None for i in s.items),
            )
            for s in sets
        },
        methods=methods,
        matcher_thresholds={"accept": probe.accept, "suggest": probe.suggest, "margin": probe.margin},
        figures=figures,
        calibration=calibrations,
        latency=latencies,
        verdict=verdict(figures),
    )


def progress(what: str, since: float) -> None:
    print(f"[{time.perf_counter() - since:6.1f} s] {what}", file=sys.stderr, flush=True)


def machine() -> dict[str, str | int | float | bool | list[float] | None]:
    commit, dirty = git_state(short=True)
    return {
        "date": datetime.date.today().isoformat(),
        "git_commit": commit,
        "git_dirty": dirty,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "scikit-learn": metadata.version("scikit-learn"),
        "rapidfuzz": metadata.version("rapidfuzz"),
        "bm25s": metadata.version("bm25s"),
    }


# Output --------------------------------------------------------------------------------------


def _cell(value: float | None, width: int = 6) -> str:
    return f"{'-':>{width}}" if value is None else f"{100 * value:{width - 1}.1f}%"


def _parameters(info: MethodInfo) -> str:
    return "".join(f", {name} {value:g}" for name, value in info.parameters.items())


def _ours(method: str) -> bool:
    return method in (OURS, OURS_NO_ROLE)


def format_tables(results: Results) -> str:
    """Every figure as plain-text tables, for the terminal."""
    out = [
        f"baselines' thresholds, chosen on {TUNING}, and (top-1 + refused) / 2 there: "
        + ", ".join(
            f"{SHORT[name]} {info.threshold:.4g} ({info.tuning_objective:.3f}{_parameters(info)})"
            for name, info in results.methods.items()
            if info.threshold is not None
        ),
        f"ours on {TUNING}, (top-1 + refused) / 2: "
        + ", ".join(
            f"{SHORT[name]} {info.tuning_objective:.3f}"
            for name, info in results.methods.items()
            if info.threshold is None
        ),
    ]
    names = list(results.methods)
    header = f"{'':18}{'in':>4}{'out':>4} |" + "".join(
        f" {SHORT[m]:^{27 if _ours(m) else 20}}|" for m in names
    )
    sub = f"{'':26} |" + "".join(
        f" {'top1':>6}{'top3':>6}{'refu':>6}{'lang':>6}   |"
        if _ours(m)
        else f" {'top1':>6}{'top3':>6}{'refu':>6}  |"
        for m in names
    )
    for name, by_method in results.figures.items():
        info = results.sets[name]
        out += ["", f"{name} ({info.file}: {info.note}): {info.questions} questions", header, sub]
        for group, first in by_method[OURS].items():
            row = f"{group[:18]:18}{first.in_scope:>4}{first.out_of_scope:>4} |"
            for method in names:
                f = by_method[method][group]
                row += f" {_cell(f.top1)}{_cell(f.top3)}{_cell(f.refused)}"
                row += f"{_cell(f.reply_language)}   |" if _ours(method) else "  |"
            out.append(row)
        out.append(
            "best candidate right (top-1 if it never abstained): "
            + ", ".join(f"{SHORT[m]} {_pct(by_method[m]['total'].best_candidate)}" for m in names)
        )
    out += [
        "",
        "calibration of ours: questions by best score; the share whose best candidate is right,",
        "and the share out of scope",
        f"{'score':>10} | " + " | ".join(f"{name:^22}" for name in results.calibration),
        f"{'':>10} | " + " | ".join(f"{'n':>5} {'right':>7} {'oos':>7} " for _ in results.calibration),
    ]
    reports = list(results.calibration.values())
    for index, first_bin in enumerate(reports[0].bins):
        cells = [
            f"{r.bins[index].questions:>5} {_cell(r.bins[index].best_right, 7)} "
            f"{_cell(r.bins[index].out_of_scope, 7)} "
            for r in reports
        ]
        out.append(f"{first_bin.scores:>10} | " + " | ".join(cells))
    for name, r in results.calibration.items():
        out.append(
            f"{name}: accept >= {r.accept}: answers {_pct(r.answer_rate)}, precision "
            f"{_pct(r.answer_precision)}; suggest >= {r.suggest}: answers or suggests "
            f"{_pct(r.offer_rate)}, the right entry among them {_pct(r.offer_precision)}"
        )
    machine_info = results.run
    out += [
        "",
        f"latency of one question: wall clock and the process's CPU; load average "
        f"{machine_info['load_average_before']} before, {machine_info['load_average_after']} after, "
        f"{machine_info['cpus']} CPUs",
        f"{'method':22} {'base':16} {'entries':>7} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'cpu p50':>8} {'cpu p99':>8} {'build s':>8}",
    ]
    for lat in results.latency:
        out.append(
            f"{lat.method:22} {lat.base:16} {lat.entries:7} {lat.questions:5} {lat.p50_ms:8.3f} "
            f"{lat.p99_ms:8.3f} {lat.cpu_p50_ms:8.3f} {lat.cpu_p99_ms:8.3f} {lat.build_ms / 1000:8.2f}"
        )
    return "\n".join([*out, "", *verdict_lines(results)])


def verdict_lines(results: Results) -> list[str]:
    v = results.verdict
    out = [f"verdict on {v.set} (ours, with the role, against {', '.join(SHORT[b] for b in BASELINES)}):"]
    out += [f"  {group:8} {line}" for group, line in v.by_language.items()]
    out.append(
        "  (top-1 + refused) / 2 on the whole set: "
        + ", ".join(f"{SHORT[m]} {'-' if b is None else f'{b:.3f}'}" for m, b in v.balanced.items())
    )
    for t in v.targets:
        out.append(
            f"  target {t.target} >= {100 * t.goal:.0f}%: {_pct(t.value)}, {'met' if t.met else 'NOT met'}"
        )
    ours_rows = [row for row in results.latency if row.method == OURS]
    real = next(row.p99_ms for row in ours_rows if row.base == "real")
    big = next(row.p99_ms for row in ours_rows if row.base.startswith("synthetic"))
    goal_real, goal_big = LATENCY_GOALS_MS["real"], LATENCY_GOALS_MS["synthetic"]
    state = "met" if real < goal_real and big < goal_big else "NOT met"
    out.append(
        f"  latency targets {state}: p99 {real:.2f} ms (< {goal_real:g}) at the real base, "
        f"{big:.2f} ms (< {goal_big:g}) at the synthetic one"
    )
    return out


def markdown(results: Results) -> str:
    """The generated part of BENCHMARKS.md's Matcher section."""
    info = results.run
    names = list(results.methods)
    dirty = " plus uncommitted changes" if info["git_dirty"] else ""
    out = [
        f"{info['date']}, commit {info['git_commit']}{dirty}, {info['cpus']} CPUs, {info['seconds']} s "
        f"(`.venv/bin/python -m bench.matcher`); every figure in `bench/results/matcher.json`. "
        "Cells: top-1 / out of scope refused.",
        "",
        "| set | in / out of scope | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for name, by_method in results.figures.items():
        total = by_method[OURS]["total"]
        cells = [f"{_pct(by_method[m]['total'].top1)} / {_pct(by_method[m]['total'].refused)}" for m in names]
        shown = f"**{name}**" if name == HEADLINE else name
        out.append(f"| {shown} | {total.in_scope} / {total.out_of_scope} | " + " | ".join(cells) + " |")
    headline = results.figures[HEADLINE]
    out += [
        "",
        f"On `{HEADLINE}`, the best candidate is the right entry (top-1 if it never abstained) for: "
        + "; ".join(f"{m} {_pct(headline[m]['total'].best_candidate)}" for m in names)
        + ".",
    ]
    for name in (HEADLINE, TUNING):
        by_method = results.figures[name]
        out += [
            "",
            f"`{name}` ({results.sets[name].note}) by language and kind. Cells: top-1 / top-3 / refused, "
            "and ours' reply language:",
            "",
            "| group | in / out | " + " | ".join(names) + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for group, first in by_method[OURS].items():
            cells = []
            for m in names:
                f = by_method[m][group]
                lang = "" if f.reply_language is None else f"; {_pct(f.reply_language)}"
                cells.append(f"{_pct(f.top1)} / {_pct(f.top3)} / {_pct(f.refused)}{lang}")
            out.append(f"| {group} | {first.in_scope} / {first.out_of_scope} | " + " | ".join(cells) + " |")
    thresholds = "; ".join(
        f"{name} {m.threshold:.4g} ({m.tuning_objective:.3f}{_parameters(m)})"
        for name, m in results.methods.items()
        if m.threshold is not None
    )
    ours_objective = "; ".join(
        f"{name} {m.tuning_objective:.3f}" for name, m in results.methods.items() if m.threshold is None
    )
    out += [
        "",
        f"Baselines' abstention thresholds, chosen on `{TUNING}`, and (top-1 + refused) / 2 there: "
        f"{thresholds}; ours there: {ours_objective}.",
        "",
        "Calibration of ours: questions by best score, the share whose best candidate is right, the "
        "share out of scope.",
        "",
        "| best score | "
        + " | ".join(f"`{n}`: questions / right / out of scope" for n in results.calibration)
        + " |",
        "|---|" + "---|" * len(results.calibration),
    ]
    reports = list(results.calibration.values())
    for index, first_bin in enumerate(reports[0].bins):
        bins = [r.bins[index] for r in reports]
        cells = [f"{b.questions} / {_pct(b.best_right)} / {_pct(b.out_of_scope)}" for b in bins]
        out.append(f"| {first_bin.scores} | " + " | ".join(cells) + " |")
    out.append("")
    for name, r in results.calibration.items():
        out.append(
            f"- `{name}`: at accept {r.accept} it answers {_pct(r.answer_rate)} of the questions, "
            f"{_pct(r.answer_precision)} of them rightly; at suggest {r.suggest} it answers or suggests "
            f"for {_pct(r.offer_rate)}, the right entry among them for {_pct(r.offer_precision)}."
        )
    out += [
        "",
        "Latency of one question (wall clock; the process's CPU); load average "
        f"{info['load_average_before']} before, {info['load_average_after']} after:",
        "",
        "| method | base | entries | questions | p50 / p99 ms | CPU p50 / p99 ms | build s |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results.latency:
        out.append(
            f"| {row.method} | {row.base} | {row.entries} | {row.questions} | {row.p50_ms:.2f} / "
            f"{row.p99_ms:.2f} | {row.cpu_p50_ms:.2f} / {row.cpu_p99_ms:.2f} | {row.build_ms / 1000:.2f} |"
        )
    return "\n".join([*out, "", "```", *verdict_lines(results), "```"])


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--no-markdown", action="store_true", help="print the BENCHMARKS.md block instead of writing it"
    )
    parser.add_argument("--synthetic-size", type=int, default=SYNTHETIC_SIZE, help="entries at the big base")
    args = parser.parse_args(argv)
    results = run(args.synthetic_size)
    print(format_tables(results))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(results.to_json(), encoding="utf-8")
    print(f"\nwritten: {RESULTS.relative_to(ROOT)}")
    block = markdown(results)
    if args.no_markdown:
        print("\n" + block)
    else:
        update_section("Matcher", "bench.matcher", block)
        print(f"updated: the Matcher section of {BENCHMARKS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
