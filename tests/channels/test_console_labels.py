"""The console reads a typed line as a press when it is a shown button's label, typed as a
keyboard types it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.buttons import Button
from bot.basics.lang import Lang
from bot.channels.console import ConsoleChannel, as_typed
from bot.core.events import ReplyCreated
from bot.core.inbound import ButtonPressed
from bot.service import ConversationService

LABEL = "Quels sont les coûts pour l'employeur\u202f?"


@pytest.mark.parametrize(
    "line", ["Quels sont les coûts pour l'employeur ?", LABEL, "QUELS SONT LES COÛTS POUR L'EMPLOYEUR ?"]
)
def test_a_french_label_typed_with_a_plain_space_is_a_press(service: ConversationService, line: str) -> None:
    console = ConsoleChannel(service, "ann")
    console.show(
        [ReplyCreated("Que souhaitez-vous faire ?", Lang.FR, ((Button(LABEL, "f:employer-costs"),),))]
    )
    pressed = console.inbound(line)
    assert isinstance(pressed, ButtonPressed)
    assert pressed.data == "f:employer-costs"


def test_other_text_is_typed(service: ConversationService) -> None:
    console = ConsoleChannel(service, "ann")
    console.show(
        [ReplyCreated("Que souhaitez-vous faire ?", Lang.FR, ((Button(LABEL, "f:employer-costs"),),))]
    )
    assert not isinstance(console.inbound("Quels sont les coûts pour le talent ?"), ButtonPressed)


@given(st.text(max_size=40))
def test_as_typed_is_idempotent_and_never_keeps_a_no_break_space(text: str) -> None:
    once = as_typed(text)
    assert as_typed(once) == once
    assert "\u202f" not in once
    assert "\u00a0" not in once


def test_a_message_only_losing_its_buttons_is_not_shown(service: ConversationService) -> None:
    """Telegram takes the buttons off an answered question; the console has nothing to show
    for it (it printed a bare ``bot*`` before), and still shows the replies around it."""
    console = ConsoleChannel(service, "ann")
    chosen = ReplyCreated("", Lang.EN, (), edits=1)
    restyled = ReplyCreated("", Lang.EN, ((Button("👍 ✓", "fb:1"),),), edits=2)
    new = ReplyCreated("Thanks.", Lang.EN)
    assert console.render([chosen, new]) == "bot> Thanks."
    assert console.render([chosen]) == ""
    assert console.render([restyled]).splitlines() == ["bot*", "     [1] 👍 ✓"]
