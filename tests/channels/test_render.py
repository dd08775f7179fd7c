"""Replies as Telegram messages, within Telegram's limits."""

from __future__ import annotations

import logging

import pytest

from bot.basics.buttons import Button
from bot.basics.lang import Lang
from bot.channels.telegram.render import BUTTON_DATA_BYTES, Outgoing, render
from bot.core.events import Attachment, ReplyCreated


def test_a_short_reply_is_one_message_with_its_keyboard() -> None:
    buttons = ((Button("English", "lang:en"),),)
    assert render(ReplyCreated("Hello", Lang.EN, buttons)) == [Outgoing("Hello", buttons)]


def test_a_long_reply_is_split_with_the_keyboard_on_the_last_part_then_the_files() -> None:
    text = "\n\n".join(f"paragraph {n} " + "x" * 1500 for n in range(6))
    chart = Attachment("image", "chart.png", b"\x89PNG", "Answers per week")
    buttons = ((Button("Menu", "menu:main"),),)
    messages = render(ReplyCreated(text, Lang.EN, buttons, (chart,)))
    parts, files = messages[:-1], messages[-1:]
    assert len(parts) == 3
    assert all(len(m.text) <= 4096 and m.text.startswith("paragraph") for m in parts)
    assert [m.buttons for m in parts] == [(), (), buttons]
    assert files == [Outgoing(attachment=chart)]


def test_an_empty_text_sends_nothing() -> None:
    assert render(ReplyCreated("  ", Lang.EN)) == []


def test_a_button_whose_data_telegram_would_refuse_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    fits, too_long = Button("Menu", "menu:main"), Button("Long", "faq:" + "ي" * 40)
    assert len(too_long.data.encode()) > BUTTON_DATA_BYTES
    with caplog.at_level(logging.ERROR):
        [message] = render(ReplyCreated("Hello", Lang.EN, ((fits, too_long), (too_long,))))
    assert message.buttons == ((fits,),)
    assert "over 64 bytes" in caplog.text
