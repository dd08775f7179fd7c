"""Measuring the matcher on labelled questions (``{"q", "lang", "id"}`` per line).

- top-1: of the questions with an id, the share answered with exactly that id;
- top-3: the share whose id is among the three best candidates (answered or not);
- abstention precision and recall: of the questions the matcher abstained on, the share that
  had no id; of the questions with no id, the share it abstained on;
- reply language: the share answered in the labelled language.

A line may also say what kind of question it is (``"kind": "long"``, ``"arabizi"``, ...) and who
asks (``"role": "talent" | "employer"``); figures are then also given by kind, and the role is
passed to the matcher as the asker's audience.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.basics.lang import Lang
from faq.knowledge import Entry, KnowledgeBase, Questions
from faq.matcher import Match, Matcher


@dataclass(frozen=True, slots=True)
class Labelled:
    question: str
    lang: Lang
    faq_id: str | None
    kind: str = ""
    role: str | None = None


@dataclass
class Tally:
    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    out_of_scope: int = 0
    abstained: int = 0
    abstained_correctly: int = 0
    total: int = 0
    lang_right: int = 0

    def add(self, item: Labelled, match: Match) -> None:
        self.total += 1
        self.lang_right += match.lang is item.lang
        if match.faq_id is None:
            self.abstained += 1
        if item.faq_id is None:
            self.out_of_scope += 1
            self.abstained_correctly += match.faq_id is None
        else:
            self.in_scope += 1
            self.top1 += match.faq_id == item.faq_id
            self.top3 += item.faq_id in {c.faq_id for c in match.candidates[:3]}

    @staticmethod
    def _ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    def figures(self) -> dict[str, float | None]:
        return {
            "top1": self._ratio(self.top1, self.in_scope),
            "top3": self._ratio(self.top3, self.in_scope),
            "abstention_precision": self._ratio(self.abstained_correctly, self.abstained),
            "abstention_recall": self._ratio(self.abstained_correctly, self.out_of_scope),
            "reply_language": self._ratio(self.lang_right, self.total),
        }


@dataclass
class Report:
    by_lang: dict[str, Tally] = field(default_factory=dict)
    by_kind: dict[str, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)
    confusions: list[tuple[Labelled, Match]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "total": {"questions": self.total.total, **self.total.figures()},
            "by_language": {
                lang: {"questions": tally.total, **tally.figures()}
                for lang, tally in sorted(self.by_lang.items())
            },
            "by_kind": {
                kind: {"questions": tally.total, **tally.figures()}
                for kind, tally in sorted(self.by_kind.items())
            },
            "confusions": [
                {
                    "q": item.question,
                    "lang": item.lang.value,
                    "expected": item.faq_id,
                    "got": match.faq_id,
                    "reply_lang": match.lang.value,
                    "candidates": [[c.faq_id, c.score] for c in match.candidates],
                }
                for item, match in self.confusions
            ],
        }


def parse_labelled(lines: Iterable[str], source: str = "<input>") -> list[Labelled]:
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            role = data.get("role")
            if role not in (None, "talent", "employer"):
                raise ValueError(f"role {role!r}: expected talent or employer")
            items.append(
                Labelled(str(data["q"]), Lang(data["lang"]), data.get("id"), str(data.get("kind", "")), role)
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f'{source}: line {number}: expected {{"q", "lang", "id"}}: {exc}') from exc
    return items


def evaluate(matcher: Matcher, items: Iterable[Labelled], *, roles: bool = True) -> Report:
    """Every question matched as its asker would be (with their role, unless ``roles`` is off)."""
    report = Report()
    for item in items:
        match = matcher.match(item.question, audience=item.role if roles else None)
        report.total.add(item, match)
        report.by_lang.setdefault(item.lang.value, Tally()).add(item, match)
        if item.kind:
            report.by_kind.setdefault(item.kind, Tally()).add(item, match)
        if match.faq_id != item.faq_id or match.lang is not item.lang:
            report.confusions.append((item, match))
    return report


def format_report(report: Report, *, confusions: bool = True) -> str:
    """The figures as a table; then, unless ``confusions`` is off, every question got wrong
    (off for a never-tuned set, whose questions must not be read by whoever tunes)."""

    def pct(value: float | None) -> str:
        return "   -  " if value is None else f"{100 * value:5.1f}%"

    rows = [("total", report.total), *sorted(report.by_lang.items())]
    if report.by_kind:
        rows += [("", Tally()), *sorted(report.by_kind.items())]
    lines = [f"{'':13}{'n':>5}  {'top-1':>6}  {'top-3':>6}  {'abst.P':>6}  {'abst.R':>6}  {'lang':>6}"]
    for name, tally in rows:
        if not name:
            lines.append("by kind")
            continue
        f = tally.figures()
        lines.append(
            f"{name:13}{tally.total:5}  {pct(f['top1'])}  {pct(f['top3'])}  "
            f"{pct(f['abstention_precision'])}  {pct(f['abstention_recall'])}  {pct(f['reply_language'])}"
        )
    if confusions and report.confusions:
        lines.append("")
        lines.append(f"confusions ({len(report.confusions)}):")
        for item, match in report.confusions:
            top = ", ".join(f"{c.faq_id} {c.score}" for c in match.candidates)
            lines.append(
                f"  [{item.lang.value}->{match.lang.value}] {item.question!r}: expected {item.faq_id}, "
                f"got {match.faq_id} ({top})"
            )
    return "\n".join(lines)


def held_out_splits(
    knowledge: KnowledgeBase, folds: int = 5
) -> Iterable[tuple[KnowledgeBase, list[Labelled]]]:
    """K-fold splits of the knowledge base's own question variants: in each fold, every
    ``folds``-th variant of each entry and language is taken out of the base and asked instead.
    It shows how the matcher does on wordings it has not seen (the dev set is small)."""
    for fold in range(folds):
        kept: dict[str, Entry] = {}
        items: list[Labelled] = []
        for entry in knowledge:
            questions: dict[str, list[str]] = {}
            for lang, variants in entry.questions.by_language():
                held = [q for i, q in enumerate(variants) if i % folds == fold]
                questions[lang] = [q for i, q in enumerate(variants) if i % folds != fold]
                reply = Lang.AR if lang == "arabizi" else Lang(lang)
                items.extend(Labelled(q, reply, entry.id) for q in held)
            kept[entry.id] = entry.model_copy(update={"questions": Questions.model_validate(questions)})
        yield dataclasses.replace(knowledge, entries=kept), items


def evaluate_held_out(knowledge: KnowledgeBase, folds: int = 5, **matcher_options: int) -> Report:
    report = Report()
    for train, items in held_out_splits(knowledge, folds):
        fold_report = evaluate(Matcher(train, **matcher_options), items)
        for lang, tally in fold_report.by_lang.items():
            _merge(report.by_lang.setdefault(lang, Tally()), tally)
        for kind, tally in fold_report.by_kind.items():
            _merge(report.by_kind.setdefault(kind, Tally()), tally)
        _merge(report.total, fold_report.total)
        report.confusions.extend(fold_report.confusions)
    return report


def _merge(into: Tally, other: Tally) -> None:
    for name in vars(into):
        setattr(into, name, getattr(into, name) + getattr(other, name))
