from __future__ import annotations

import pytest

from bot.core import callbacks
from bot.core.types import Lang, Role


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (callbacks.language(Lang.AR), callbacks.LanguageChoice(Lang.AR)),
        (callbacks.role(Role.EMPLOYER), callbacks.RoleChoice(Role.EMPLOYER)),
        (callbacks.menu("help"), callbacks.MenuChoice("help")),
        (callbacks.faq("visa-type"), callbacks.FaqChoice("visa-type")),
        (callbacks.feedback("visa-type", False), callbacks.FeedbackChoice("visa-type", False)),
        (callbacks.feedback("visa-type", True), callbacks.FeedbackChoice("visa-type", True)),
    ],
)
def test_round_trip(data: str, expected: callbacks.Choice) -> None:
    assert callbacks.parse(data) == expected
    assert len(data.encode()) <= callbacks.MAX_BYTES


@pytest.mark.parametrize(
    "data", ["", "lang:de", "lang:AR", "role:boss", "menu:nope", "faq:", "fb:x:2", "x" * 64, "v0:old"]
)
def test_unknown_data_is_expired_not_an_error(data: str) -> None:
    assert callbacks.parse(data) == callbacks.Expired(data)


def test_oversized_data_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.faq("ي" * 40)
