"""Teaching the bot from /gaps, over the real service and database, on a copy of the content:
➕ adds the question to its closest entry's file and the bot answers it at once; 🚫 adds it to
the questions no entry answers; a duplicate is refused with check's error and nothing changes;
nobody but staff can press them."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.context import Context
from bot.core.events import ReplyCreated
from faq.assistant import FaqAssistant
from faq.knowledge import CONTENT_DIR
from storage.store import SqlStore
from tests.service.test_desk import GUEST, STAFF, UNKNOWN, Desk, button

HOLIDAY = "Can I use my DT4E visa to go to Germany for a holiday?"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "faq" / "content"
    shutil.copytree(CONTENT_DIR, copy)
    return copy


def labels(message: ReplyCreated) -> list[str]:
    return [b.label for row in message.buttons for b in row]


async def test_a_question_taught_from_gaps_is_answered_at_once(
    store: SqlStore, context: Context, content: Path
) -> None:
    desk = Desk(store, replace(context, faq=FaqAssistant.load(content)))
    await desk.send(GUEST, text=HOLIDAY)  # "did you mean", or "I do not know"
    before = (content / "programme.yaml").read_text(encoding="utf-8")
    [gaps] = await desk.send(STAFF, text="/gaps")
    add = next(label for label in labels(gaps) if label.startswith("1 ➕"))
    assert add == "1 ➕ " + desk.service.context.faq.label("visa-type", context.default_language)  # type: ignore[union-attr]
    [refused] = await desk.send(GUEST, press=button(gaps, add))
    assert refused.text == UNKNOWN
    assert (content / "programme.yaml").read_text(encoding="utf-8") == before, "a guest changes nothing"
    [taught] = await desk.send(STAFF, press=button(gaps, add))
    assert taught.text.startswith(f"Added «{HOLIDAY}» as a way of asking"), taught.text
    after = (content / "programme.yaml").read_text(encoding="utf-8")
    assert after.count(HOLIDAY) == 1
    assert len(after.splitlines()) == len(before.splitlines()) + 1, "one line added, nothing else moved"
    [answer, *_] = await desk.send(GUEST, text=HOLIDAY)
    faq = desk.service.context.faq
    assert faq is not None
    assert faq.match(HOLIDAY).faq_id == "visa-type"
    assert answer.text.startswith(faq.answer("visa-type", context.default_language, "")[:40])
    [again] = await desk.send(STAFF, press=button(gaps, add))
    assert again.text.startswith("Not added:"), again.text
    assert "duplicate question" in again.text
    assert (content / "programme.yaml").read_text(encoding="utf-8") == after


async def test_a_question_marked_not_ours_goes_to_not_ours(
    store: SqlStore, context: Context, content: Path
) -> None:
    desk = Desk(store, replace(context, faq=FaqAssistant.load(content)))
    question = "wie lange dauert das Visum für Belgien"
    await desk.send(GUEST, text=question)
    [gaps] = await desk.send(STAFF, text="/gaps")
    [taught] = await desk.send(STAFF, press=button(gaps, "1 🚫 Not for this bot"))
    assert taught.text == f"Added «{question}» to the questions I say I cannot answer. I use it from now on."
    assert f"    - {question}\n" in (content / "not_ours.yaml").read_text(encoding="utf-8")
