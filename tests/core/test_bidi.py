from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.bidi import FSI, LRM, PDI, isolate_ltr_runs, strip_bidi_controls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("برنامج DT4E.", f"برنامج {FSI}DT4E{PDI}."),
        ("مع Fragomen و IOM", f"مع {FSI}Fragomen{PDI} و {FSI}IOM{PDI}"),
        ("أكثر من 120,000 ملف", f"أكثر من {FSI}120,000{PDI} ملف"),
        (
            "برنامج Displaced Talent for Europe (DT4E): نعم",
            f"برنامج {FSI}Displaced Talent for Europe (DT4E){PDI}: نعم",
        ),
        ("أرسل /help الآن", f"أرسل {LRM}/help الآن"),
        ("/start أو /delete_my_data.", f"{LRM}/start أو {LRM}/delete_my_data."),
        ("الرابط https://t.me/dt4e_bot و 2/3", f"الرابط {FSI}https://t.me/dt4e_bot{PDI} و {FSI}2/3{PDI}"),
        ("على www.iom.int/dt4e.", f"على {FSI}www.iom.int/dt4e{PDI}."),
        ("أو dt4e-team@iom.int، شكرًا", f"أو {FSI}dt4e-team@iom.int{PDI}، شكرًا"),
        ("على +32 2 287 70 00.", f"على {FSI}+32 2 287 70 00{PDI}."),
        ("راسلوا @dt4e_team", f"راسلوا {LRM}@dt4e_team"),
        ("اكتب:/help", f"اكتب:{LRM}/help"),
        ("غرفة single/double أو DT4E/IOM", f"غرفة {FSI}single/double{PDI} أو {FSI}DT4E/IOM{PDI}"),
        ("(انظر https://x.org/a)", f"(انظر {FSI}https://x.org/a{PDI})"),
        ("الهجرة IOM (فريق DT4E)", f"الهجرة {FSI}IOM{PDI} (فريق {FSI}DT4E{PDI})"),
        ("نص عربي فقط", "نص عربي فقط"),
    ],
)
def test_latin_runs_are_isolated(text: str, expected: str) -> None:
    assert isolate_ltr_runs(text) == expected


def test_isolation_is_idempotent() -> None:
    once = isolate_ltr_runs("يستخدم DT4E تصريح single permit. أرسل /help")
    assert isolate_ltr_runs(once) == once
    assert strip_bidi_controls(once) == "يستخدم DT4E تصريح single permit. أرسل /help"


# TDLib's rule for a bot command (td/telegram/MessageEntity.cpp, match_bot_commands): a slash
# that follows no letter, digit, "_", "/", "<" or ">" (the mark is neither), then 1-64 of
# [A-Za-z0-9_].
_TDLIB_COMMAND = re.compile(r"(?<![^\W_]|[_/<>])/([A-Za-z0-9_]{1,64})(?![A-Za-z0-9_])")


def test_a_marked_command_is_still_a_command_for_telegram() -> None:
    marked = isolate_ltr_runs("لحذفها، يكفي إرسال /delete_my_data؛ ولإيقافها /stop.")
    assert _TDLIB_COMMAND.findall(marked) == ["delete_my_data", "stop"]


@pytest.mark.parametrize(
    "contact",
    [
        "https://www.iom.int/dt4e-contact?lang=ar",
        "www.belgium.iom.int/dt4e",
        "t.me/dt4e_team",
        "https://en.wikipedia.org/wiki/Leiden_(city)",
        "dt4e.team@iom.int",
    ],
)
def test_a_link_or_an_address_in_arabic_stays_whole(contact: str) -> None:
    """An isolate inside a link or an address would cut it where Telegram looks for one."""
    marked = isolate_ltr_runs(f"للتواصل مع الفريق: {contact}.")
    assert f"{FSI}{contact}{PDI}." in marked


_WHOLE = ["https://t.me/x", "www.iom.int/a", "a@b.org", "/help", "@team", "+32 2", "DT4E", "2/3", "مرحبا"]
_BITS = [" ", ".", ":", "،", "/", "@", "http://", "t.me/", "(", ")", "x", "1", "\u2068", "\u200e"]
_PIECES = st.sampled_from([*_WHOLE, *_BITS])


@given(st.lists(_PIECES, max_size=15).map("".join))
def test_marking_is_idempotent_and_changes_no_character(text: str) -> None:
    once = isolate_ltr_runs(text)
    assert isolate_ltr_runs(once) == once
    assert strip_bidi_controls(once) == strip_bidi_controls(text)
