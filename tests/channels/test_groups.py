"""Groups over both frameworks: added to a group, the bot says once what it is, in the language
of who added it, and answers nothing said there; added to the staff chat, it says what it will
post there."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from bot.core.context import Context
from bot.core.inbound import UserRef
from bot.service import ConversationService
from storage.store import SqlStore
from tests.channels.harness import handled, press, running
from tests.fake_telegram import FakeTelegram

GROUP, STAFF_CHAT, RANIA = -100500, -100900, 42


def added_to(chat: int, by: int = RANIA, language_code: str = "fr") -> dict[str, Any]:
    bot = {"id": 1, "is_bot": True, "first_name": "DT4E"}
    person = {"id": by, "is_bot": False, "first_name": "Rania", "language_code": language_code}
    return {
        "my_chat_member": {
            "chat": {"id": chat, "type": "supergroup", "title": "Cohorte 2026"},
            "from": person,
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": bot},
            "new_chat_member": {"status": "member", "user": bot},
        }
    }


def said_in_group(chat: int, text: str) -> dict[str, Any]:
    person = {"id": RANIA, "is_bot": False, "first_name": "Rania", "language_code": "fr"}
    return {
        "message": {
            "chat": {"id": chat, "type": "supergroup", "title": "Cohorte 2026"},
            "from": person,
            "text": text,
        }
    }


async def test_a_group_is_told_once_and_then_nothing_is_answered_there(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    async with running(channel, service, tg) as bot:
        tg.send_update(added_to(GROUP))
        [told] = await tg.wait_for_sent(GROUP, 1)
        tg.send_update(said_in_group(GROUP, "Combien de temps prend le visa ?"))
        tg.send_update(said_in_group(GROUP, "/start"))
        await handled(bot, 1)
        tg.send_text(RANIA, "/start", language_code="fr")  # a private chat still works
        await tg.wait_for_sent(RANIA, 1)
    assert "discussions privées" in (told.text or "") or "privée" in (told.text or ""), told.text
    assert len(tg.sent(GROUP)) == 1, "said once, nothing answered in the group"


async def test_the_staff_chat_is_told_what_the_bot_will_post(
    channel: str, db: Any, context: Context, tg: FakeTelegram
) -> None:
    staffed = replace(context, staff_chat=UserRef("telegram", str(STAFF_CHAT)))
    service = ConversationService(SqlStore(db), staffed)
    async with running(channel, service, tg):
        tg.send_update(added_to(STAFF_CHAT, language_code="en"))
        [told] = await tg.wait_for_sent(STAFF_CHAT, 1)
    assert told.text == "Hello! I will post the programme team's notifications here."


async def test_the_empty_chat_says_what_the_bot_is_in_each_language(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    async with running(channel, service, tg):
        await tg.wait_for_calls("setMyShortDescription", 4)
    described = tg.descriptions
    for code in ("", "ar", "en", "fr"):
        assert described[("description", code)], code
        assert described[("short_description", code)], code
    assert "DT4E" in described[("description", "en")]
    assert described[("description", "")] == described[("description", "en")], "English for other clients"
    assert described[("description", "fr")] != described[("description", "en")]
    assert any("\u0600" <= c <= "\u06ff" for c in described[("short_description", "ar")]), "in Arabic"


async def test_the_language_chosen_sets_the_chats_own_command_menu(
    channel: str, service: ConversationService, tg: FakeTelegram
) -> None:
    async with running(channel, service, tg) as bot:
        tg.send_text(RANIA, "/start", language_code="en")  # an English phone
        await tg.wait_for_sent(RANIA, 1)
        press(tg, RANIA, "العربية")
        await tg.wait_for_calls("setMyCommands", 5)  # 4 at start (everyone, ar, en, fr), then the chat
        await handled(bot, 2)
    chat_menu = dict(tg.commands_for(scope=f"chat:{RANIA}"))
    everyone_ar = dict(tg.commands_for(language_code="ar"))
    assert chat_menu == everyone_ar, "the chat's menu is the Arabic one, whatever the phone's language"
    assert chat_menu["human"] != dict(tg.commands_for(language_code="en"))["human"]
