"""Tests of the fake Telegram Bot API server, driven by the real aiogram and PTB clients."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
import telegram
import telegram.error
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import ClientSession, web
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fake_telegram import FakeTelegram

USER = 42


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row] for row in rows
        ]
    )


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
    aiogram_bot = Bot(tg.token, session=session)
    yield aiogram_bot
    await aiogram_bot.session.close()


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without it PTB 22 warns (PTBDeprecationWarning) while *building* RetryAfter, and the
    # project's filterwarnings=error turns that warning into the exception the test sees.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def start_app(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


# ------------------------------------------------------------------ raw HTTP


async def test_wire_format_tokens_methods_and_encodings(tg: FakeTelegram, http: ClientSession) -> None:
    async with http.get(f"{tg.base_url}/bot{tg.token}/GETME") as resp:
        assert resp.status == 200
        me = await resp.json()
    assert me["ok"] is True
    assert me["result"]["username"] == "dt4e_test_bot"
    assert me["result"]["id"] == 123456

    async with http.post(f"{tg.base_url}/bot123456:WRONG/getMe") as resp:
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    async with http.post(f"{tg.base_url}/bot{tg.token}/sendTelepathy") as resp:
        assert resp.status == 404
        assert await resp.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }

    tg.add_user(USER)
    url = f"{tg.base_url}/bot{tg.token}/sendmessage"
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    async with http.post(url, data={"chat_id": str(USER), "text": "123", "reply_markup": markup}) as resp:
        form_reply = await resp.json()
    async with http.post(url, json={"chat_id": USER, "text": "json body"}) as resp:
        json_reply = await resp.json()
    async with http.get(url, params={"chat_id": str(USER), "text": "query"}) as resp:
        query_reply = await resp.json()
    assert form_reply["result"]["text"] == "123"  # a JSON-looking text stays a string
    assert form_reply["result"]["reply_markup"] == {
        "inline_keyboard": [[{"text": "A", "callback_data": "a"}]]
    }
    assert json_reply["result"]["text"] == "json body"
    assert query_reply["result"]["text"] == "query"
    assert [m.text for m in tg.sent(USER)] == ["123", "json body", "query"]
    first_params = tg.calls_to("sendMessage")[0]
    assert first_params["chat_id"] == USER  # decoded from "42"
    assert first_params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert [method for method, _ in tg.calls][:3] == ["getMe", "getMe", "sendTelepathy"]


# ------------------------------------------------------------------- aiogram


async def test_aiogram_send_edit_and_not_modified(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "dt4e_test_bot")

    tg.send_text(USER, "hello")  # the chat becomes known; message_id 1 is the user's
    sent = await bot.send_message(
        USER, "Pick one", reply_markup=keyboard([("Yes", "q1:yes"), ("No", "q1:no")])
    )
    assert sent.message_id == 2
    assert sent.from_user is not None
    assert sent.from_user.id == me.id
    assert sent.chat.id == USER
    assert sent.chat.type == "private"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "q1:no"

    edited = await bot.edit_message_text(
        "Picked: <b>yes</b>",
        chat_id=USER,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=keyboard([("Undo", "q1:undo")]),
    )
    assert isinstance(edited, Message)
    assert edited.text == "Picked: yes"
    assert edited.edit_date is not None
    [after] = tg.sent(USER)
    assert (after.text, after.raw_text, after.edits) == ("Picked: yes", "Picked: <b>yes</b>", 1)
    assert after.buttons == [[("Undo", "q1:undo")]]
    assert after.history == ["Pick one"]
    assert after.entities == [{"type": "bold", "offset": 8, "length": 3}]
    tg.press_button(USER, sent.message_id, "q1:undo")
    [press] = await bot.get_updates(offset=-1)
    assert press.callback_query is not None
    assert isinstance(press.callback_query.message, Message)
    assert press.callback_query.message.text == "Picked: yes"  # the message as it is now

    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message content"):
        await bot.edit_message_text(
            "Picked: <b>yes</b>",
            chat_id=USER,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard([("Undo", "q1:undo")]),
        )
    # same text without markup is a modification: the keyboard goes away, as on Telegram
    await bot.edit_message_text("Picked: yes", chat_id=USER, message_id=sent.message_id)
    assert tg.sent(USER)[0].buttons == []
    assert tg.sent(USER)[0].entities == []

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=USER, message_id=1)

    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=sent.message_id, reply_markup=keyboard([("Again", "again")])
    )
    assert tg.sent(USER)[0].buttons == [[("Again", "again")]]
    assert await bot.delete_message(USER, sent.message_id) is True
    assert tg.sent(USER)[0].deleted is True
    assert tg.visible(USER) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


async def test_aiogram_validation_errors(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    with pytest.raises(TelegramBadRequest) as too_long:
        await bot.send_message(USER, "x" * 4097)
    assert too_long.value.message == "Bad Request: message is too long"
    assert (await bot.send_message(USER, "é" * 4096)).text == "é" * 4096
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "   \n ")

    with pytest.raises(TelegramBadRequest) as bad_data:
        await bot.send_message(USER, "q", reply_markup=keyboard([("A", "x" * 65)]))
    assert bad_data.value.message == "Bad Request: BUTTON_DATA_INVALID"
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):  # 33 x 2 bytes
        await bot.send_message(USER, "q", reply_markup=keyboard([("A", "é" * 33)]))
    ok = await bot.send_message(USER, "q", reply_markup=keyboard([("A", "é" * 32)]))  # 64 bytes
    assert ok.reply_markup is not None

    with pytest.raises(TelegramBadRequest) as not_found:
        await bot.send_message(777, "hi")
    assert not_found.value.message == "Bad Request: chat not found"

    with pytest.raises(TelegramBadRequest, match='Can\'t find end tag corresponding to start tag "b"'):
        await bot.send_message(USER, "<b>bold", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "value" at byte offset 4'):
        await bot.send_message(USER, "Use <value>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match=r"Character '\.' is reserved"):
        await bot.send_message(USER, "Costs 3.5 EUR", parse_mode="MarkdownV2")
    escaped = await bot.send_message(USER, "Costs 3\\.5 *EUR*", parse_mode="MarkdownV2")
    assert escaped.text == "Costs 3.5 EUR"
    assert [f.kind for f in tg.faults] == ["validation"] * 8
    assert len(tg.sent(USER)) == 3


async def test_aiogram_get_updates_offsets_limit_negative(tg: FakeTelegram, bot: Bot) -> None:
    ids = [tg.send_text(USER, "/start payload", language_code="ar"), tg.send_text(USER, "hi")]
    ids.append(tg.send_text(USER, "/help@dt4e_test_bot"))
    assert ids[0] > 0
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == ids
    first = updates[0].message
    assert first is not None
    assert first.entities is not None
    assert first.from_user is not None
    assert (first.entities[0].type, first.entities[0].offset, first.entities[0].length) == (
        "bot_command",
        0,
        6,
    )
    assert first.from_user.language_code == "ar"
    assert first.chat.id == USER
    assert updates[1].message is not None
    assert updates[1].message.entities is None
    assert updates[2].message is not None
    assert updates[2].message.entities is not None
    assert updates[2].message.entities[0].length == len("/help@dt4e_test_bot")

    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[0] + 1)] == ids[1:]
    # ids[0] is now confirmed and forgotten, even with offset 0
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]

    ids.append(tg.send_text(USER, "four"))
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [ids[3]]
    # the negative offset forgot everything before the last update
    assert [u.update_id for u in await bot.get_updates()] == [ids[3]]
    assert await bot.get_updates(offset=ids[3] + 1) == []
    assert tg.pending_updates == []


async def test_allowed_updates_filter_is_remembered(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    sent = await bot.send_message(USER, "q", reply_markup=keyboard([("A", "a")]))
    text_id = tg.send_text(USER, "text")
    press_id = tg.press_button(USER, sent.message_id, "a")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.update_id for u in updates] == [press_id]
    tg.send_text(USER, "ignored too")
    later = tg.press_button(USER, sent.message_id, "a")
    # omitted allowed_updates: the previous filter still applies
    assert [u.update_id for u in await bot.get_updates()] == [press_id, later]
    assert text_id in tg.updates  # created, but dropped by the filter
    assert text_id not in [u["update_id"] for u in tg.pending_updates]
    query = updates[0].callback_query
    assert query is not None
    assert query.data == "a"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    # an empty list resets to the default set (everything but chat_member and reactions)
    new_text = tg.send_text(USER, "welcome back")
    assert [u.update_id for u in await bot.get_updates(offset=later + 1, allowed_updates=[])] == [new_text]


async def test_long_poll_wakes_on_update_and_times_out(tg: FakeTelegram, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == []
    assert loop.time() - started >= 0.9

    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    assert not poll.done()
    injected_at = loop.time()
    update_id = tg.send_text(USER, "wake up")
    updates = await asyncio.wait_for(poll, 2)
    assert loop.time() - injected_at < 5, "woken by the update, not by the 10 s timeout"
    assert [u.update_id for u in updates] == [update_id]


async def test_second_get_updates_terminates_the_first(tg: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 2)


async def test_aiogram_faults_retry_after_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    tg.fail("sendMessage", chat_id=USER, error_code=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(USER, "hi")
    assert flood.value.retry_after == 7
    # aiogram rewrites the message ("Flood control exceeded ... Original description: ...")
    assert flood.value.message.endswith("Original description: Too Many Requests: retry after 7")
    assert tg.calls[-1][0] == "sendMessage"
    assert tg.requests[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    await bot.send_message(USER, "now it works")  # times=1: only the first call failed

    tg.block(USER)
    with pytest.raises(TelegramForbiddenError) as blocked:
        await bot.send_message(USER, "hi")
    assert blocked.value.message == "Forbidden: bot was blocked by the user"
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(USER, "typing")
    tg.unblock(USER)
    await bot.send_chat_action(USER, "typing")
    assert tg.chat_actions == [(USER, "typing")]

    tg.fail("sendMessage", error_code=400, description="Bad Request: chat not found", times=2)
    for _ in range(2):
        with pytest.raises(TelegramBadRequest, match="chat not found"):
            await bot.send_message(USER, "x")
    assert [(f.kind, f.error_code, f.retry_after) for f in tg.faults] == [
        ("injected", 429, 7),
        ("blocked", 403, None),
        ("blocked", 403, None),
        ("injected", 400, None),
        ("injected", 400, None),
    ]
    assert [m.text for m in tg.sent(USER)] == ["now it works"]


async def test_fault_times_show_whether_the_client_waited(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    tg.fail("sendMessage", error_code=429, retry_after=1)
    try:
        await bot.send_message(USER, "hi")
    except TelegramRetryAfter as exc:
        await asyncio.sleep(exc.retry_after)
        await bot.send_message(USER, "hi")
    [fault] = tg.faults
    retry = [c for c in tg.requests if c.method == "sendMessage"][1]
    assert retry.status == 200
    assert retry.time - fault.time >= 1.0
    assert len(tg.sent(USER)) == 1


async def test_drop_connection(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    tg.drop_connection("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "lost")
    assert tg.sent(USER) == []
    tg.drop_connection("sendMessage", after_processing=True)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "sent but unanswered")
    assert [m.text for m in tg.sent(USER)] == ["sent but unanswered"]
    assert (await bot.send_message(USER, "fine")).message_id == 2
    assert [f.kind for f in tg.faults] == ["dropped", "dropped"]


async def test_pacing_enforcement(tg: FakeTelegram, bot: Bot) -> None:
    for user in range(1, 32):
        tg.add_user(user)
    await bot.send_message(1, "a")
    await bot.send_message(1, "b")  # pacing is off by default
    tg.enforce_pacing(per_chat_per_second=1, overall_per_second=30)
    await bot.send_message(1, "c")
    with pytest.raises(TelegramRetryAfter) as same_chat:
        await bot.send_message(1, "d")
    assert same_chat.value.retry_after == 1
    for user in range(2, 31):
        await bot.send_message(user, "broadcast")
    with pytest.raises(TelegramRetryAfter) as overall:
        await bot.send_message(31, "broadcast")
    assert overall.value.retry_after >= 1
    assert [f.kind for f in tg.faults] == ["pacing", "pacing"]
    await asyncio.sleep(same_chat.value.retry_after)
    await bot.send_message(1, "d")
    await bot.send_message(31, "broadcast")
    assert [m.text for m in tg.sent(1)] == ["a", "b", "c", "d"]


async def test_uploads_downloads_and_commands(tg: FakeTelegram, bot: Bot) -> None:
    pdf = b"%PDF-1.4 fake cv"
    tg.add_user(USER)
    doc = await bot.send_document(
        USER, BufferedInputFile(pdf, filename="cv.pdf"), caption="Your <b>CV</b>", parse_mode="HTML"
    )
    assert doc.document is not None
    assert doc.document.file_name == "cv.pdf"
    assert doc.caption == "Your CV"
    again = await bot.send_document(USER, doc.document.file_id)
    photo = await bot.send_photo(USER, BufferedInputFile(b"\x89PNG" + b"0" * 100, filename="map.png"))
    assert photo.photo is not None
    assert photo.photo[-1].width == 800
    kinds = [(m.kind, m.filename, m.file_size, m.text) for m in tg.sent(USER)]
    assert kinds == [
        ("document", "cv.pdf", len(pdf), "Your CV"),
        ("document", "cv.pdf", len(pdf), None),
        ("photo", "map.png", 104, None),
    ]
    assert again.document is not None
    assert again.document.file_id == doc.document.file_id
    downloaded = await bot.download(doc.document.file_id)
    assert downloaded is not None
    assert downloaded.read() == pdf
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(USER, "no-such-file-id")

    tg.send_photo(USER, caption="my passport", content=b"JPEGDATA")
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.photo is not None
    assert update.message.caption == "my passport"
    user_photo = await bot.download(update.message.photo[-1].file_id)
    assert user_photo is not None
    assert user_photo.read() == b"JPEGDATA"

    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(
        [BotCommand(command="start", description="Démarrer"), BotCommand(command="help", description="Aide")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="fr",
    )
    assert tg.commands == {
        ("default", ""): [("start", "Start")],
        ("all_private_chats", "fr"): [("start", "Démarrer"), ("help", "Aide")],
    }
    fr = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="fr")
    assert [c.command for c in fr] == ["start", "help"]
    assert await bot.get_my_commands(language_code="ar") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_injected_update_shapes_parse_in_both_frameworks(
    tg: FakeTelegram, bot: Bot, ptb_timedelta: None
) -> None:
    text_id = tg.send_text(USER, "I live in Gent")
    tg.edit_user_message(USER, 1, "I live in Ghent")
    tg.send_document(USER, "diploma.pdf", b"%PDF", mime_type="application/pdf")
    tg.send_update(
        {
            "message": {
                "from": {"id": USER, "is_bot": False, "first_name": "Ann"},
                "sticker": {
                    "file_id": "st1",
                    "file_unique_id": "ust1",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                },
            }
        }
    )
    tg.send_update(
        {
            "message": {
                "chat": {"id": USER, "type": "private"},
                "location": {"latitude": 51.05, "longitude": 3.72},
            }
        }
    )
    tg.send_update(
        {
            "message": {
                "from": {"id": USER, "is_bot": False, "first_name": "Ann"},
                "voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 3},
            }
        }
    )
    updates = await bot.get_updates()
    assert [u.event_type for u in updates] == [
        "message",
        "edited_message",
        "message",
        "message",
        "message",
        "message",
    ]
    assert updates[0].update_id == text_id
    assert updates[1].edited_message is not None
    assert updates[1].edited_message.text == "I live in Ghent"
    assert updates[1].edited_message.message_id == 1
    assert updates[2].message is not None
    assert updates[2].message.document is not None
    assert updates[3].message is not None
    assert updates[3].message.sticker is not None
    assert updates[4].message is not None
    assert updates[4].message.location is not None
    assert updates[4].message.from_user is not None
    assert updates[4].message.from_user.id == USER
    assert updates[5].message is not None
    assert updates[5].message.voice is not None
    assert [u.message.message_id for u in updates if u.message] == [1, 2, 3, 4, 5]

    async with telegram.Bot(tg.token, base_url=tg.ptb_base_url) as ptb:
        ptb_updates = await ptb.get_updates()
    assert [u.update_id for u in ptb_updates] == [u.update_id for u in updates]
    assert ptb_updates[3].message is not None
    assert ptb_updates[3].message.sticker is not None
    assert ptb_updates[1].edited_message is not None


# ------------------------------------------------------------------------ PTB


async def test_ptb_bot_send_get_updates_and_errors(tg: FakeTelegram, ptb_timedelta: None) -> None:
    tg.send_text(USER, "/start", language_code="fr")
    async with telegram.Bot(tg.token, base_url=tg.ptb_base_url) as ptb:
        me = await ptb.get_me()
        assert me.username == "dt4e_test_bot"
        markup = telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Oui", callback_data="lang:fr")]]
        )
        message = await ptb.send_message(USER, "Bonjour", reply_markup=markup)
        assert message.message_id == 2
        assert message.reply_markup is not None
        assert message.reply_markup.inline_keyboard[0][0].callback_data == "lang:fr"
        assert tg.sent(USER)[0].buttons == [[("Oui", "lang:fr")]]

        updates = await ptb.get_updates(offset=0, timeout=0)
        assert len(updates) == 1
        assert updates[0].message is not None
        assert updates[0].message.text == "/start"
        assert updates[0].message.entities[0].type == "bot_command"
        assert updates[0].message.from_user is not None
        assert updates[0].message.from_user.language_code == "fr"
        assert await ptb.get_updates(offset=updates[0].update_id + 1) == ()

        tg.fail("sendMessage", error_code=429, retry_after=5)
        with pytest.raises(telegram.error.RetryAfter) as flood:
            await ptb.send_message(USER, "x")
        assert flood.value.retry_after == dt.timedelta(seconds=5)
        tg.block(USER)
        with pytest.raises(telegram.error.Forbidden, match="bot was blocked by the user"):
            await ptb.send_message(USER, "x")
        tg.unblock(USER)
        with pytest.raises(telegram.error.BadRequest, match="Message is too long"):
            await ptb.send_message(USER, "x" * 5000)
        tg.drop_connection("sendMessage")
        with pytest.raises(telegram.error.NetworkError):
            await ptb.send_message(USER, "x")
        photo = await ptb.send_photo(USER, io.BytesIO(b"\x89PNG" + b"1" * 20), caption="Map")
        assert photo.caption == "Map"
    assert [(m.kind, m.text, m.file_size) for m in tg.sent(USER)] == [
        ("text", "Bonjour", None),
        ("photo", "Map", 24),
    ]
    # PTB's Bot.initialize() (async with) calls getMe; get_me() asks again
    assert [c[0] for c in tg.calls][:3] == ["getMe", "getMe", "sendMessage"]


async def test_ptb_application_polling_end_to_end(tg: FakeTelegram, ptb_timedelta: None) -> None:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        args = " ".join(context.args or [])
        markup = telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("Go", callback_data="go")]])
        await update.message.reply_text(f"Welcome {args}".strip(), reply_markup=markup)

    async def on_button(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Done")
        await query.edit_message_text("Gone")

    app = (
        Application.builder()
        .token(tg.token)
        .base_url(tg.ptb_base_url)
        .base_file_url(tg.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        tg.send_text(USER, "/start ref42")
        [welcome] = await tg.wait_for_sent(USER, 1, timeout=5)
        assert welcome.text == "Welcome ref42"
        tg.press_button(USER, welcome.message_id, "go")
        await tg.wait_for_calls("editMessageText", timeout=5)
        await app.updater.stop()
        await app.stop()
    [gone] = tg.sent(USER)
    assert (gone.text, gone.buttons, gone.edits) == ("Gone", [], 1)
    assert [(a.text, a.data, a.user_id) for a in tg.callback_answers] == [("Done", "go", USER)]
    methods = [method for method, _ in tg.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    last_poll = tg.calls_to("getUpdates")[-1]
    assert last_poll["timeout"] == 0  # PTB confirms the last batch on stop
    assert tg.pending_updates == []


# ------------------------------------------------------------ aiogram dispatcher


async def test_aiogram_dispatcher_polling_end_to_end(tg: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            "Choose", reply_markup=keyboard([("English", "lang:en"), ("العربية", "lang:ar")])
        )

    @dp.callback_query(F.data.startswith("lang:"))
    async def choose(query: CallbackQuery) -> None:
        await query.answer("OK")
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"Language: {query.data}")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))
    try:
        tg.send_text(USER, "/start")
        [menu] = await tg.wait_for_sent(USER, 1, timeout=5)
        assert menu.callback_data == ["lang:en", "lang:ar"]
        tg.press_button(USER, menu.message_id, "lang:ar")
        await tg.wait_for_calls("editMessageText", timeout=5)
        with pytest.raises(ValueError, match="no button with callback_data"):
            tg.press_button(USER, menu.message_id, "lang:xx")
    finally:
        await dp.stop_polling()
        await polling
    assert tg.sent(USER)[0].text == "Language: lang:ar"
    assert [(a.text, a.data) for a in tg.callback_answers] == [("OK", "lang:ar")]
    assert [m for m, _ in tg.calls][:2] == ["getMe", "getUpdates"]


async def test_wait_for_sent_times_out_with_details(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    await bot.send_message(USER, "only one")
    with pytest.raises(AssertionError, match=r"expected at least 2 message\(s\).*only one"):
        await tg.wait_for_sent(USER, 2, timeout=0.2)


# -------------------------------------------------------------------- webhooks


async def test_webhook_delivery_secret_failure_and_redelivery(tg: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    status = [200]
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        arrived.set()
        return web.Response(status=status[0])

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner, base = await start_app(app)
    try:
        assert await bot.set_webhook(f"{base}/hook", secret_token="s3cret", allowed_updates=["message"])
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (f"{base}/hook", 0)

        first = tg.send_text(USER, "/start")
        await asyncio.wait_for(arrived.wait(), 2)
        assert received[0][0] == "s3cret"
        assert received[0][1]["update_id"] == first
        assert received[0][1]["message"]["entities"][0]["type"] == "bot_command"
        with pytest.raises(
            TelegramConflictError, match="can't use getUpdates method while webhook is active"
        ):
            await bot.get_updates()

        status[0] = 500
        arrived.clear()
        second = tg.send_text(USER, "are you there?")
        await asyncio.wait_for(arrived.wait(), 2)
        deliveries = await tg.wait_for_deliveries(2, timeout=2)
        assert [d.status for d in deliveries] == [200, 500]
        assert [u["update_id"] for u in tg.pending_updates] == [second]
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 1
        assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"

        status[0] = 200
        assert await tg.deliver_pending() == [200]
        assert [body["update_id"] for _, body in received] == [first, second, second]
        assert tg.pending_updates == []

        tg.redeliver(first)
        await tg.wait_for_deliveries(4, timeout=2)
        assert received[-1][1] == tg.updates[first]
        assert await bot.delete_webhook()
        assert await bot.get_updates() == []
    finally:
        await runner.cleanup()


async def test_webhook_to_aiogram_handler_wrong_secret_and_reply(tg: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"echo: {message.text}")  # "reply into webhook"

    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token="s3cret", handle_in_background=False).register(
        app, path="/wh"
    )
    runner, base = await start_app(app)
    try:
        await bot.set_webhook(f"{base}/wh", secret_token="s3cret")
        tg.add_user(USER)
        update = {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "date": 1760000000,
                "chat": {"id": USER, "type": "private", "first_name": "Ann"},
                "from": {"id": USER, "is_bot": False, "first_name": "Ann"},
                "text": "ping",
            },
        }
        assert await tg.post_webhook(update, secret="wrong") == 401
        assert await tg.post_webhook(update, secret=None) == 401
        assert tg.sent(USER) == []
        assert await tg.post_webhook(update) == 200
        assert [m.text for m in tg.sent(USER)] == ["echo: ping"]
        assert tg.requests[-1].source == "webhook_reply"

        tg.send_text(USER, "via queue")
        await tg.wait_for_sent(USER, 2, timeout=3)
        assert tg.sent(USER)[1].text == "echo: via queue"
    finally:
        await runner.cleanup()


async def test_redeliver_in_polling_mode_ignores_offset_once(tg: FakeTelegram, bot: Bot) -> None:
    update_id = tg.send_text(USER, "once")
    [_update] = await bot.get_updates()
    assert await bot.get_updates(offset=update_id + 1) == []
    tg.redeliver(update_id)
    later = tg.send_text(USER, "later")
    again = await bot.get_updates(offset=update_id + 1)
    assert [u.update_id for u in again] == [update_id, later]
    assert again[0].message is not None
    assert again[0].message.text == "once"
    assert [u.update_id for u in await bot.get_updates(offset=update_id + 1)] == [later]
    tg.send_text(USER, "pending")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert tg.pending_updates == []
    assert await bot.get_updates() == []


# ------------------------------------------------------------------ control API


async def test_control_http_api(tg: FakeTelegram, bot: Bot, http: ClientSession) -> None:
    control = f"{tg.base_url}/_control"
    async with http.post(
        f"{control}/text", json={"user_id": USER, "text": "/start", "language_code": "fr"}
    ) as r:
        assert r.status == 200
        update_id = (await r.json())["update_id"]
    [update] = await bot.get_updates()
    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "fr"

    sent = await bot.send_message(USER, "Menu", reply_markup=keyboard([("A", "a")]))
    async with http.get(f"{control}/sent/{USER}") as r:
        body = await r.json()
    assert [(m["message_id"], m["text"], m["buttons"], m["kind"]) for m in body] == [
        (sent.message_id, "Menu", [[["A", "a"]]], "text")
    ]
    async with http.post(
        f"{control}/button", json={"user_id": USER, "message_id": sent.message_id, "data": "a"}
    ) as r:
        button_id = (await r.json())["update_id"]
    assert button_id == update_id + 1
    [press] = await bot.get_updates(offset=update_id + 1)
    assert press.callback_query is not None
    assert press.callback_query.data == "a"
    async with http.post(f"{control}/button", json={"user_id": USER, "message_id": 99, "data": "a"}) as r:
        assert r.status == 400

    async with http.post(
        f"{control}/fail", json={"method": "sendMessage", "error_code": 429, "retry_after": 3}
    ) as r:
        assert r.status == 200
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(USER, "x")
    assert flood.value.retry_after == 3
    async with http.get(f"{control}/wait_sent/{USER}", params={"count": "2", "timeout": "0.1"}) as r:
        assert r.status == 408
        assert len((await r.json())["sent"]) == 1
    async with http.get(f"{control}/faults") as r:
        assert [(f["error_code"], f["retry_after"]) for f in await r.json()] == [(429, 3)]
    async with http.get(f"{control}/calls") as r:
        calls = await r.json()
    assert [c["method"] for c in calls] == ["getUpdates", "sendMessage", "getUpdates", "sendMessage"]
    assert [c["status"] for c in calls] == [200, 200, 200, 429]
