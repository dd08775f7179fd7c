"""Hand-over to a person over both frameworks and both databases, against the fake Bot API
server: a person asks for a person, the staff chat gets the case with its context, a staff
member's reply (Telegram's reply-to) reaches the person, what the person writes reaches the
staff chat, Close hands them back to the bot; a restart in the middle loses nothing."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.bidi import strip_bidi_controls
from bot.core.context import Context
from bot.core.inbound import UserRef
from bot.service import ConversationService
from storage.store import SqlStore
from tests.channels.harness import button, handled, running
from tests.fake_telegram import FakeTelegram

STAFF_CHAT, AMAL, SAMI, RANIA = -100900, 900, 901, 42


def shown(text: str | None) -> str:
    return strip_bidi_controls(text or "")


async def test_a_person_talks_to_the_team_through_the_staff_chat_and_back(
    channel: str, engine: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    staffed = replace(context, staff_chat=UserRef("telegram", str(STAFF_CHAT)))
    tg.add_group(STAFF_CHAT)

    def service() -> ConversationService:  # a new one for each start, as after a restart
        return ConversationService(SqlStore(engine), staffed)

    async with running(channel, service(), tg) as bot:
        tg.send_text(RANIA, "كم من الوقت تستغرق إجراءات التأشيرة؟", language_code="ar")
        await handled(bot, 1)
        before = len(tg.sent(RANIA))
        tg.send_text(RANIA, "/human", language_code="ar")
        [case_post] = await tg.wait_for_sent(STAFF_CHAT, 1)
        await handled(bot, 2)
        confirmed = tg.sent(RANIA)[before:]
        tg.send_text(RANIA, "هل يمكن أن يسافر أطفالي معي؟", language_code="ar")
        relayed = (await tg.wait_for_sent(STAFF_CHAT, 2))[1]
        await handled(bot, 3)
    # The bot restarts: the case and its posts are in the database.
    async with running(channel, service(), tg) as bot:
        at_person = len(tg.sent(RANIA))
        tg.reply_in_group(STAFF_CHAT, AMAL, relayed.message_id, "Hello Rania, we will check this for you.")
        answer = (await tg.wait_for_sent(RANIA, at_person + 1))[-1]
        tg.reply_in_group(STAFF_CHAT, SAMI, case_post.message_id, "Thank you, this is all for today.")
        await tg.wait_for_sent(RANIA, at_person + 2)
        tg.send_update(  # the staff among themselves: not a reply to the bot, not passed on
            {
                "message": {
                    "chat": {"id": STAFF_CHAT, "type": "supergroup"},
                    "from": {"id": AMAL},
                    "text": "ok",
                }
            }
        )
        tg.press_in_group(STAFF_CHAT, AMAL, case_post.message_id, button(case_post, "✅ Close"))
        closed = (await tg.wait_for_sent(RANIA, at_person + 3))[-1]
        await tg.wait_for_sent(STAFF_CHAT, 3)
        await handled(bot, 3)  # the staff's own "ok" is not even an update for the bot to handle
        tg.send_text(RANIA, "كم من الوقت تستغرق إجراءات التأشيرة؟", language_code="ar")
        await handled(bot, 4)

    post = case_post.text or ""
    assert "case 1" in post, post
    assert "A guest (not a participant)" in post
    assert "Language: ar." in post
    assert "كم من الوقت تستغرق إجراءات التأشيرة؟ → procedure-duration" in post
    assert [label for row in case_post.buttons for label, _ in row] == ["✋ Take", "✅ Close"]
    assert any(label for m in confirmed for row in m.buttons for label, _ in row), "the person can end it"
    assert "هل يمكن أن يسافر أطفالي معي؟" in (relayed.text or "")
    assert shown(answer.text).startswith("💬"), answer.text
    assert shown(answer.text).endswith("Hello Rania, we will check this for you.")
    assert "Thank you, this is all for today." in shown(tg.sent(RANIA)[at_person + 1].text)
    assert "/human" in shown(closed.text)
    staff_chat = [shown(m.text) for m in tg.sent(STAFF_CHAT)]
    assert staff_chat[2] == "✅ Amal closed case 1 of A guest (not a participant).", staff_chat
    assert len(staff_chat) == 3, "after the close, the person's question went to the bot, not the staff"
    assert tg.sent(RANIA)[-1].text != closed.text, "the bot answered the question after the close"
    async with engine.connect() as conn:
        case = (await conn.execute(sa.text("SELECT number, lang, taken_by, closed_by FROM cases"))).one()
        posts = (await conn.execute(sa.text("SELECT count(*) FROM case_posts"))).scalar_one()
    assert tuple(case) == (1, "ar", "Amal", "Amal")  # the first to reply took it
    assert posts == 2  # the case's post and the relayed message; not the closing notice


async def test_take_is_told_to_the_person_and_to_the_staff_once(
    channel: str, engine: AsyncEngine, context: Context, tg: FakeTelegram
) -> None:
    staffed = replace(context, staff_chat=UserRef("telegram", str(STAFF_CHAT)))
    tg.add_group(STAFF_CHAT)
    async with running(channel, ConversationService(SqlStore(engine), staffed), tg) as bot:
        tg.send_text(RANIA, "/human", language_code="fr")
        [case_post] = await tg.wait_for_sent(STAFF_CHAT, 1)
        await handled(bot, 1)
        before = len(tg.sent(RANIA))
        take = button(case_post, "✋ Take")
        tg.press_in_group(STAFF_CHAT, AMAL, case_post.message_id, take)
        await tg.wait_for_sent(STAFF_CHAT, 2)
        tg.press_in_group(STAFF_CHAT, SAMI, case_post.message_id, take)
        await tg.wait_for_sent(STAFF_CHAT, 3)
        await handled(bot, 3)
        await tg.wait_for_calls("answerCallbackQuery", 2)
    staff_chat = [m.text for m in tg.sent(STAFF_CHAT)]
    assert staff_chat[1:] == [
        "✋ Amal took case 1 of A guest (not a participant).",
        "Case 1 of A guest (not a participant) is already taken by Amal.",
    ]
    told = tg.sent(RANIA)[before:]
    assert len(told) == 1, [m.text for m in told]
    assert "DT4E" in (told[0].text or "")
