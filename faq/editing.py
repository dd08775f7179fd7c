"""Staff teaching the bot from what it could not answer: a question added as one more way of
asking an entry, or as a question no entry answers (``not_ours.yaml``), written into the
content file where an editor would write it.

The file is changed line by line (its comments, order and wrapping stay as they are), and only
if the whole knowledge base still loads with the change, by the rules of ``dt4e-bot check``: a
duplicate, an unknown entry or a file that no longer reads is refused with the same error, and
the file is left untouched. A question that is in an evaluation set (``eval/*.jsonl`` beside
the content, in a checkout) is refused too: the sets measure the bot on questions it was not
taught. The write is atomic (a new file renamed over the old one).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.basics.errors import ContentError
from bot.basics.lang import Lang
from faq.knowledge import CONTENT_DIR, NOT_OURS_FILE, load_knowledge
from faq.text import looks_like_arabizi, normalize

KEYS = ("en", "fr", "ar", "arabizi")
"""Where a question goes in an entry's ``questions``: a language, or ``arabizi``."""


@dataclass(frozen=True, slots=True)
class Added:
    """Where the question went: the file (as ``check`` names it), the entry (``None``: out of
    scope) and the list (``en``, ``fr``, ``ar``, ``arabizi``)."""

    file: str
    faq_id: str | None
    key: str
    question: str


def question_key(question: str, lang: str) -> str:
    """The list a question of language ``lang`` goes in: Arabic in Latin letters is ``arabizi``."""
    if lang == Lang.AR.value and looks_like_arabizi(normalize(question)):
        return "arabizi"
    return lang


def add_question(question: str, key: str, faq_id: str | None, content_dir: Path = CONTENT_DIR) -> Added:
    """Add ``question`` to the ``key`` list of entry ``faq_id`` (``None``: to the questions no
    entry answers); :class:`ContentError` if it cannot be (the file is then unchanged)."""
    question = " ".join(question.split())
    root = content_dir.parent.parent
    if key not in KEYS:
        raise ContentError("", f"list {key!r}", f"not one of {', '.join(KEYS)}")
    if not question:
        raise ContentError("", "question", "empty")
    path = content_dir / NOT_OURS_FILE if faq_id is None else _file_of(content_dir, faq_id)
    display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = _with_question(lines, question, key, faq_id, display)
    inside = content_dir.relative_to(root) if content_dir.is_relative_to(root) else Path(content_dir.name)
    with tempfile.TemporaryDirectory() as scratch:  # the whole base, with the change, must load
        trial = Path(scratch) / inside  # named as in the checkout, so errors name the real file
        shutil.copytree(content_dir, trial)
        (trial / path.name).write_text("".join(changed), encoding="utf-8")
        load_knowledge(trial, display_root=Path(scratch))
    _not_in_an_evaluation_set(question, root / "eval")
    try:
        _write_atomically(path, "".join(changed))
    except OSError as exc:
        raise ContentError(display, "", f"cannot write it ({exc.strerror or exc})") from exc
    return Added(display, faq_id, key, question)


def _file_of(content_dir: Path, faq_id: str) -> Path:
    line = re.compile(rf"^  - id: {re.escape(faq_id)}\s*$", re.MULTILINE)
    for path in sorted(content_dir.glob("*.yaml")):
        if line.search(path.read_text(encoding="utf-8")):
            return path
    raise ContentError(content_dir.name, f"entry {faq_id!r}", "no such entry")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index after the block that starts at ``start``: the next line (not blank, not a
    comment) indented at most ``indent``."""
    for index in range(start + 1, len(lines)):
        text = lines[index].strip()
        if text and not text.startswith("#") and _indent(lines[index]) <= indent:
            return index
    return len(lines)


def _find(lines: list[str], start: int, end: int, text: str) -> int | None:
    for index in range(start, end):
        if lines[index].rstrip("\n").rstrip() == text:
            return index
    return None


def _with_question(lines: list[str], question: str, key: str, faq_id: str | None, display: str) -> list[str]:
    """``lines`` with ``question`` appended to the block list ``key`` of the entry's (or the
    file's) ``questions``, or a new list ``key`` at the end of ``questions``."""
    where = f"entry {faq_id!r}" if faq_id else "questions"
    if faq_id is None:
        start, end, base = 0, len(lines), 0
    else:
        found = _find(lines, 0, len(lines), f"  - id: {faq_id}")
        if found is None:
            raise ContentError(display, where, "no such entry")
        start, end, base = found, _block_end(lines, found, 2), 4
    questions = _find(lines, start, end, " " * base + "questions:")
    if questions is None:
        raise ContentError(display, where, "no questions: block to add to (edit the file by hand)")
    block_end = _block_end(lines, questions, base)
    item = " " * (base + 4) + "- " + _scalar(question) + "\n"
    listed = _find(lines, questions + 1, block_end, " " * (base + 2) + f"{key}:")
    if listed is None:
        at = block_end
        while at > questions + 1 and not lines[at - 1].strip():
            at -= 1  # before the blank lines that end the block
        return [*lines[:at], " " * (base + 2) + f"{key}:\n", item, *lines[at:]]
    list_end = _block_end(lines, listed, base + 2)
    while list_end > listed + 1 and not lines[list_end - 1].strip():
        list_end -= 1
    if list_end == listed + 1 or not lines[list_end - 1].lstrip().startswith("- "):
        raise ContentError(display, f"{where}, {key}", "not a list of '- ' lines (edit the file by hand)")
    last = lines[list_end - 1]
    if not last.endswith("\n"):
        lines = [*lines[: list_end - 1], last + "\n", *lines[list_end:]]
    return [*lines[:list_end], item, *lines[list_end:]]


def _scalar(question: str) -> str:
    """The question as YAML writes it: plain where it reads back the same, else quoted."""
    try:
        plain = yaml.safe_load(question) == question and "\n" not in question
    except yaml.YAMLError:
        plain = False
    return question if plain else json.dumps(question, ensure_ascii=False)


def _not_in_an_evaluation_set(question: str, eval_dir: Path) -> None:
    if not eval_dir.is_dir():
        return
    wanted = normalize(question)
    for path in sorted(eval_dir.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                asked = json.loads(line).get("q", "")
            except (ValueError, AttributeError):
                continue
            if isinstance(asked, str) and normalize(asked) == wanted:
                raise ContentError(
                    f"eval/{path.name}",
                    f"line {number}",
                    "this question is in an evaluation set: teaching it would spoil the measure",
                )


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
