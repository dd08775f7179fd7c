"""Tests of the fake Telegram Bot API server, driven by the real aiogram and PTB clients: one per
behaviour the channel and transcript tests rely on."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
import telegram
import telegram.error
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from aiohttp import ClientSession, web

from tests.fake_telegram import FakeTelegram

USER = 42
OTHER = 43


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    buttons = [[InlineKeyboardButton(text=text, callback_data=data) for text, data in row] for row in rows]
    return InlineKeyboardMarkup(inline_keyboard=buttons)


async def refusal(request: Awaitable[object]) -> str:
    """The description of the error the fake answers ``request`` with."""
    with pytest.raises(TelegramAPIError) as error:
        await request
    return error.value.message


async def update_ids(bot: Bot, **params: Any) -> list[int]:
    return [update.update_id for update in await bot.get_updates(**params)]


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    aiogram_bot = Bot(tg.token, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
    yield aiogram_bot
    await aiogram_bot.session.close()


@pytest.fixture
async def ptb(tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[telegram.Bot]:
    # Without it PTB 22 warns (PTBDeprecationWarning) while *building* RetryAfter, and the
    # project's filterwarnings=error turns that warning into the exception the test sees.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with telegram.Bot(tg.token, base_url=tg.base_url + "/bot") as ptb_bot:
        yield ptb_bot


async def test_tokens_method_names_and_request_bodies(tg: FakeTelegram) -> None:
    tg.add_user(USER)
    api = f"{tg.base_url}/bot{tg.token}"
    async with ClientSession() as http:
        async with http.post(f"{tg.base_url}/bot123456:WRONG/getMe") as resp:
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.post(f"{api}/sendTelepathy") as resp:
            assert (await resp.json())["description"] == "Not Found: method not found"
        async with http.post(f"{api}/sendmessage", data={"chat_id": str(USER), "text": "123"}) as resp:
            assert (await resp.json())["result"]["text"] == "123"  # a text stays a string
        async with http.post(f"{api}/sendMessage", json={"chat_id": USER, "text": "json"}) as resp:
            assert (await resp.json())["result"]["chat"]["id"] == USER
    assert [(call.method, call.status) for call in tg.requests] == [
        ("getMe", 401),
        ("sendTelepathy", 404),
        ("sendMessage", 200),  # the documented name, whatever the case of the request
        ("sendMessage", 200),
    ]
    assert tg.calls_to("SENDMESSAGE")[0] == {"chat_id": USER, "text": "123"}  # chat_id decoded
    assert [fault.kind for fault in tg.faults] == ["auth", "validation"]


async def test_messages_buttons_and_edits_in_place(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username) == (123456, "dt4e_test_bot")
    tg.send_text(USER, "hello")  # message 1 is the user's: ids are shared in a chat
    sent = await bot.send_message(USER, " Pick one\n", reply_markup=keyboard([("Yes", "q:y"), ("No", "q:n")]))
    assert (sent.message_id, sent.text, sent.chat.id, sent.from_user) == (2, "Pick one", USER, me)
    [shown] = tg.sent(USER)
    assert (shown.kind, shown.text, shown.buttons) == ("text", "Pick one", [[("Yes", "q:y"), ("No", "q:n")]])
    assert shown.callback_data == ["q:y", "q:n"]

    undo = keyboard([("Undo", "q:undo")])
    edited = await bot.edit_message_text("Picked yes", chat_id=USER, message_id=2, reply_markup=undo)
    assert not isinstance(edited, bool)
    assert edited.edit_date
    [after] = tg.visible(USER)
    assert (after.text, after.buttons, after.edits) == ("Picked yes", [[("Undo", "q:undo")]], 1)
    tg.press_button(USER, 2, "q:undo")
    [_, press] = await bot.get_updates()
    assert press.callback_query is not None
    assert getattr(press.callback_query.message, "text", None) == "Picked yes", "the message as it is now"
    with pytest.raises(ValueError, match="no button with callback_data 'q:y'"):
        tg.press_button(USER, 2, "q:y")
    tg.press_button(USER, 2, "q:retired", strict=False)

    same = bot.edit_message_text("Picked yes", chat_id=USER, message_id=2, reply_markup=undo)
    assert (await refusal(same)).startswith("Bad Request: message is not modified")
    await bot.edit_message_reply_markup(chat_id=USER, message_id=2, reply_markup=keyboard([("Re", "q:re")]))
    assert tg.sent(USER)[0].buttons == [[("Re", "q:re")]]
    await bot.edit_message_text("Picked yes", chat_id=USER, message_id=2)  # no markup: the keyboard goes
    [last] = tg.sent(USER)
    assert (last.buttons, last.edits, last.message["text"], "reply_markup" in last.message) == (
        [],
        3,
        "Picked yes",
        False,
    )
    gone = bot.edit_message_text("x", chat_id=USER, message_id=99)
    assert await refusal(gone) == "Bad Request: message to edit not found"
    theirs = bot.edit_message_text("x", chat_id=USER, message_id=1)
    assert await refusal(theirs) == "Bad Request: message can't be edited"


async def test_validation_like_telegram(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    assert await refusal(bot.send_message(USER, "x" * 4097)) == "Bad Request: message is too long"
    assert (await bot.send_message(USER, "é" * 4096)).text == "é" * 4096  # characters, not bytes
    assert await refusal(bot.send_message(USER, "  \n ")) == "Bad Request: message text is empty"
    too_much = keyboard([("A", "x" * 65)])
    assert (
        await refusal(bot.send_message(USER, "q", reply_markup=too_much))
        == "Bad Request: BUTTON_DATA_INVALID"
    )
    wide = keyboard([("A", "é" * 33)])  # 66 bytes
    assert await refusal(bot.send_message(USER, "q", reply_markup=wide)) == "Bad Request: BUTTON_DATA_INVALID"
    await bot.send_message(USER, "q", reply_markup=keyboard([("A", "é" * 32)]))  # 64 bytes
    assert await refusal(bot.send_message(777, "hi")) == "Bad Request: chat not found"
    assert "renders no formatting" in await refusal(bot.send_message(USER, "<b>hi</b>", parse_mode="HTML"))
    assert [fault.kind for fault in tg.faults] == ["validation"] * 6
    assert len(tg.sent(USER)) == 2


async def test_get_updates_offsets_limit_and_commands(tg: FakeTelegram, bot: Bot) -> None:
    ids = [tg.send_text(USER, "/start payload", language_code="ar"), tg.send_text(USER, "hi")]
    ids.append(tg.send_text(USER, "/help@dt4e_test_bot"))
    assert ids == [1001, 1002, 1003]
    messages = [update.message for update in await bot.get_updates()]
    assert [m and m.entities and (m.entities[0].type, m.entities[0].length) for m in messages] == [
        ("bot_command", 6),
        None,
        ("bot_command", len("/help@dt4e_test_bot")),
    ]
    first = messages[0]
    assert first is not None
    assert first.from_user is not None
    assert (first.from_user.language_code, first.chat.id, first.chat.type) == ("ar", USER, "private")

    assert await update_ids(bot, limit=2) == ids[:2]
    assert await update_ids(bot, offset=ids[1]) == ids[1:]
    assert await update_ids(bot) == ids[1:], "ids[0] is confirmed, gone"
    ids.append(tg.send_text(USER, "four"))
    assert await update_ids(bot, offset=-1) == [ids[3]]
    assert await update_ids(bot) == [ids[3]], "offset -1 forgot the others"
    assert await update_ids(bot, offset=ids[3] + 1) == []


async def test_allowed_updates_are_remembered_until_given_again(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    sent = await bot.send_message(USER, "q", reply_markup=keyboard([("A", "a")]))
    tg.send_text(USER, "dropped by the filter")
    press = tg.press_button(USER, sent.message_id, "a")
    assert await update_ids(bot, allowed_updates=["callback_query"]) == [press]
    tg.send_text(USER, "dropped too")
    later = tg.press_button(USER, sent.message_id, "a")
    assert await update_ids(bot) == [press, later]
    tg.send_update({"chat_member": {"chat": {"id": USER, "type": "private"}}})  # not in the default set
    text = tg.send_text(USER, "back to the default set")
    assert await update_ids(bot, offset=later + 1, allowed_updates=[]) == [text]
    assert await update_ids(bot, allowed_updates=["chat_member"]) == []


async def test_a_long_poll_waits_for_an_update_or_its_timeout(tg: FakeTelegram, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == []
    assert loop.time() - started >= 0.9
    poll = asyncio.create_task(update_ids(bot, timeout=10))
    await asyncio.sleep(0.1)
    assert not poll.done()
    update_id = tg.send_text(USER, "wake up")
    assert await asyncio.wait_for(poll, 2) == [update_id]


async def test_redeliver_ignores_the_offset_once(tg: FakeTelegram, bot: Bot) -> None:
    update_id = tg.send_text(USER, "once")
    assert await update_ids(bot) == [update_id]
    assert await update_ids(bot, offset=update_id + 1) == []
    assert tg.redeliver(update_id) == update_id
    later = tg.send_text(USER, "later")
    again = await bot.get_updates(offset=update_id + 1)
    assert [(u.update_id, u.message and u.message.text) for u in again] == [
        (update_id, "once"),
        (later, "later"),
    ]
    assert await update_ids(bot, offset=update_id + 1) == [later]
    with pytest.raises(LookupError):
        tg.redeliver(999)


async def test_injected_updates_parse_in_both_frameworks(
    tg: FakeTelegram, bot: Bot, ptb: telegram.Bot
) -> None:
    me = {"id": USER, "is_bot": False, "first_name": "Ann"}
    sticker = {"file_id": "s", "file_unique_id": "us", "type": "regular", "width": 9, "height": 9}
    tg.send_text(USER, "/start")
    tg.edit_user_message(USER, 1, "/help")
    tg.send_photo(USER, caption="my passport")
    tg.send_document(USER, "cv.pdf", b"%PDF-1.4", mime_type="application/pdf")
    tg.send_update({"message": {"from": me, "sticker": {**sticker, "is_animated": False, "is_video": False}}})
    tg.send_update(
        {"message": {"chat": {"id": USER, "type": "private"}, "location": {"latitude": 1, "longitude": 2}}}
    )
    tg.send_update(
        {"message": {"from": me, "chat": {"id": -1001, "type": "supergroup", "title": "G"}, "text": "hi"}}
    )
    kicked = {"status": "kicked", "user": tg.bot_user, "until_date": 0}
    member = {"status": "member", "user": tg.bot_user}
    chat = {"id": OTHER, "type": "private", "first_name": "Bo"}
    change = {"chat": chat, "from": {**me, "id": OTHER}, "date": 1, "old_chat_member": member}
    tg.send_update({"my_chat_member": {**change, "new_chat_member": kicked}})
    updates = await bot.get_updates()
    messages = [update.message or update.edited_message for update in updates]
    assert [
        (m.message_id, m.chat.id, m.from_user and m.from_user.id, m.content_type) for m in messages if m
    ] == [
        (1, USER, USER, "text"),
        (1, USER, USER, "text"),
        (2, USER, USER, "photo"),
        (3, USER, USER, "document"),
        (4, USER, USER, "sticker"),
        (5, USER, USER, "location"),  # "from" is the user of the private chat
        (1, -1001, USER, "text"),
    ]
    edited, photo, document = messages[1:4]
    assert edited is not None
    assert (edited.text, bool(edited.edit_date)) == ("/help", True)
    assert photo is not None
    assert photo.caption == "my passport"
    assert document is not None
    assert document.document is not None
    assert document.document.file_name == "cv.pdf"
    assert updates[7].my_chat_member is not None
    assert updates[7].my_chat_member.new_chat_member.status == "kicked"
    await bot.send_message(OTHER, "the chat of any update is known")
    await bot.send_message(-1001, "a group's too")
    ptb_updates = await ptb.get_updates()
    assert [update.update_id for update in ptb_updates] == [update.update_id for update in updates]
    assert ptb_updates[4].message is not None
    assert ptb_updates[4].message.sticker is not None


async def test_injected_errors_blocking_and_dropped_connections(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    tg.add_user(OTHER)
    tg.fail("sendMessage", chat_id=USER, error_code=429, retry_after=7)
    await bot.send_message(OTHER, "another chat is not affected")
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(USER, "hi")
    assert flood.value.retry_after == 7
    assert flood.value.message.endswith("Original description: Too Many Requests: retry after 7")
    await bot.send_message(USER, "now it works")  # times=1
    tg.fail("sendMessage", error_code=500, times=2)
    tg.fail("sendMessage", error_code=502, description="Bad Gateway")
    for expected in ("Internal Server Error", "Internal Server Error", "Bad Gateway"):
        assert await refusal(bot.send_message(USER, "x")) == expected

    tg.block(USER)
    assert await refusal(bot.send_message(USER, "hi")) == "Forbidden: bot was blocked by the user"
    assert "blocked" in await refusal(bot.edit_message_text("edited", chat_id=USER, message_id=2))
    tg.unblock(USER)
    tg.drop_connection("sendMessage", chat_id=USER)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "lost")
    await bot.send_message(USER, "fine")
    assert [m.text for m in tg.sent(USER)] == ["now it works", "fine"]
    assert [(f.kind, f.method, f.chat_id, f.error_code, f.retry_after) for f in tg.faults] == [
        ("injected", "sendMessage", USER, 429, 7),
        ("injected", "sendMessage", USER, 500, None),
        ("injected", "sendMessage", USER, 500, None),
        ("injected", "sendMessage", USER, 502, None),
        ("blocked", "sendMessage", USER, 403, None),
        ("blocked", "editMessageText", USER, 403, None),
        ("dropped", "sendMessage", USER, 0, None),
    ]
    statuses = [call.status for call in tg.requests if call.method == "sendMessage"]
    assert statuses == [200, 429, 200, 500, 500, 502, 403, 0, 200]


async def test_pacing_answers_429_until_the_window_frees_up(tg: FakeTelegram, bot: Bot) -> None:
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
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(31, "one too many in this second")
    assert [fault.kind for fault in tg.faults] == ["pacing", "pacing"]
    await asyncio.sleep(same_chat.value.retry_after)
    await bot.send_message(1, "d")
    refused, retried = [call for call in tg.requests if call.params.get("text") == "d"]
    assert refused.time <= tg.faults[0].time <= retried.time - 1.0, "times show how long the client waited"
    await bot.send_message(31, "broadcast")
    assert [m.text for m in tg.sent(1)] == ["a", "b", "c", "d"]


async def test_waits_time_out_with_what_happened(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    await bot.send_message(USER, "only one")
    with pytest.raises(AssertionError, match=r"expected at least 2 message\(s\).*only one"):
        await tg.wait_for_sent(USER, 2, timeout=0.2)
    with pytest.raises(AssertionError, match=r"expected 1 call\(s\) of setWebhook.*sendMessage"):
        await tg.wait_for_calls("setWebhook", timeout=0.1)


async def test_photo_and_document_uploads_from_both_clients(
    tg: FakeTelegram, bot: Bot, ptb: telegram.Bot
) -> None:
    pdf = b"%PDF-1.4 fake cv"
    tg.add_user(USER)
    doc = await bot.send_document(USER, BufferedInputFile(pdf, filename="cv.pdf"), caption=" Your CV ")
    assert doc.document is not None
    assert (doc.document.file_name, doc.document.file_size, doc.caption) == ("cv.pdf", len(pdf), "Your CV")
    await bot.send_document(USER, doc.document.file_id)  # again, by file_id
    photo = await bot.send_photo(USER, BufferedInputFile(b"\x89PNG" + b"0" * 100, filename="map.png"))
    assert photo.photo
    await ptb.send_photo(USER, b"\x89PNG1234", caption="Map", filename="map2.png")
    await ptb.send_document(USER, b"plain", filename="notes.txt")
    long_caption = bot.send_photo(USER, BufferedInputFile(b"x", filename="x.png"), caption="c" * 1025)
    assert await refusal(long_caption) == "Bad Request: message caption is too long"
    assert "wrong file identifier" in await refusal(bot.send_document(USER, "no-such-file-id"))
    assert [(m.kind, m.filename, m.file_size, m.text) for m in tg.sent(USER)] == [
        ("document", "cv.pdf", len(pdf), "Your CV"),
        ("document", "cv.pdf", len(pdf), None),
        ("photo", "map.png", 104, None),
        ("photo", "map2.png", 8, "Map"),
        ("document", "notes.txt", 5, None),
    ]


async def test_a_button_press_is_answered_once(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_user(USER)
    sent = await bot.send_message(USER, "q", reply_markup=keyboard([("A", "a")]))
    tg.press_button(USER, sent.message_id, "a")
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    query_id = update.callback_query.id
    assert await bot.answer_callback_query(query_id, text="Saved", show_alert=True)
    assert "query is too old" in await refusal(bot.answer_callback_query(query_id))
    assert "query is too old" in await refusal(bot.answer_callback_query("12345"))
    [answer] = tg.callback_answers
    assert (answer.callback_query_id, answer.text, answer.show_alert) == (query_id, "Saved", True)
    assert (answer.data, answer.user_id, answer.message_id) == ("a", USER, sent.message_id)


async def test_command_menus_by_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    private, chat = BotCommandScopeAllPrivateChats(), BotCommandScopeChat(chat_id=USER)
    french = [
        BotCommand(command="start", description="Démarrer"),
        BotCommand(command="help", description="Aide"),
    ]
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(french, scope=private, language_code="fr")
    await bot.set_my_commands(french[:1], scope=chat, language_code="fr")
    assert tg.commands == {
        ("default", ""): [("start", "Start")],
        ("all_private_chats", "fr"): [("start", "Démarrer"), ("help", "Aide")],
        (f"chat:{USER}", "fr"): [("start", "Démarrer")],
    }
    assert tg.commands_for() == [("start", "Start")]
    assert tg.commands_for(scope=f"chat:{USER}", language_code="fr") == [("start", "Démarrer")]
    fr = await bot.get_my_commands(scope=private, language_code="fr")
    assert [(c.command, c.description) for c in fr] == tg.commands_for(
        scope="all_private_chats", language_code="fr"
    )
    assert await bot.get_my_commands(language_code="ar") == []
    assert await bot.delete_my_commands(scope=chat, language_code="fr")
    await bot.set_my_commands([], scope=private, language_code="fr")
    assert list(tg.commands) == [("default", "")]
    bad = [BotCommand(command="Bad Command", description="x")]
    assert await refusal(bot.set_my_commands(bad)) == "Bad Request: BOT_COMMAND_INVALID"
    assert await bot.set_my_description("A bot", language_code="fr")
    assert await bot.set_my_short_description("Short")


async def test_the_ptb_client_sends_polls_and_sees_errors(tg: FakeTelegram, ptb: telegram.Bot) -> None:
    tg.send_text(USER, "/start", language_code="fr")
    markup = telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("Oui", callback_data="lang:fr")]])
    assert (await ptb.send_message(USER, "Bonjour", reply_markup=markup)).message_id == 2
    [update] = await ptb.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.entities[0].type == "bot_command"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "fr"
    tg.press_button(USER, 2, "lang:fr")
    [press] = await ptb.get_updates(offset=update.update_id + 1)
    assert press.callback_query is not None
    await ptb.answer_callback_query(press.callback_query.id)
    await ptb.edit_message_text("Choisi", chat_id=USER, message_id=2)
    tg.fail("sendMessage", error_code=429, retry_after=5)
    with pytest.raises(telegram.error.RetryAfter) as flood:
        await ptb.send_message(USER, "x")
    assert flood.value.retry_after == dt.timedelta(seconds=5)
    tg.drop_connection("sendMessage")
    with pytest.raises(telegram.error.NetworkError):
        await ptb.send_message(USER, "x")
    assert [(m.text, m.buttons, m.edits) for m in tg.sent(USER)] == [("Choisi", [], 1)]
    assert [answer.data for answer in tg.callback_answers] == ["lang:fr"]
    assert [call.method for call in tg.requests][:3] == ["getMe", "sendMessage", "getUpdates"]


async def test_webhook_delivery_secret_failures_and_redelivery(tg: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    status = [200]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=status[0])

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.sleep(0.1)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret", allowed_updates=["message"])
        assert "can't use getUpdates method while webhook is active" in await refusal(poll)
        first = tg.send_text(USER, "/start")
        await tg.wait_for_deliveries(1)
        [(secret, body)] = received
        assert (secret, body["update_id"], body["message"]["text"]) == ("s3cret", first, "/start")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()

        status[0] = 500
        second = tg.send_text(USER, "are you there?")
        deliveries = await tg.wait_for_deliveries(2)
        assert [(d.update_id, d.status) for d in deliveries] == [(first, 200), (second, 500)]
        assert deliveries[1].error == "Wrong response from the webhook: 500 Internal Server Error"
        status[0] = 200
        assert await tg.deliver_pending() == [200], "the failed update was kept"
        assert await tg.deliver_pending() == []
        tg.redeliver(first)
        await tg.wait_for_deliveries(4)
        assert [body["update_id"] for _, body in received] == [first, second, second, first]

        forged = {
            "message": {"message_id": 9, "date": 1, "chat": {"id": USER, "type": "private"}, "text": "x"}
        }
        assert [await tg.post_webhook(forged, secret=s) for s in ("wrong", None)] == [200, 200]
        assert await tg.post_webhook(forged) == 200
        assert [secret for secret, _ in received[4:]] == ["wrong", None, "s3cret"]
        assert len(tg.webhook_deliveries) == 4, "post_webhook is not a delivery"
        status[0] = 500
        tg.send_text(USER, "left behind")
        await tg.wait_for_deliveries(5)
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates() == []
    finally:
        await runner.cleanup()
