"""The command table: one entry per command, and everything derived from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.basics.lang import Lang
from bot.core.commands import Audience, ChatCommand, Menu, command_menu, command_menus
from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.features import COMMANDS, menu
from bot.core.features.menu import MenuButton
from bot.core.inbound import UserRef
from bot.core.state import ConversationState, Role, Turn
from tests.inputs import inbound

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
GUEST = UserRef("telegram", "7")
STAFF = UserRef("telegram", "4242")
UNKNOWN = "I do not know that command. Send /help to see what I can do."


def run(
    context: Context,
    text: str = "",
    *,
    press: str | None = None,
    user: UserRef = GUEST,
    state: ConversationState | None = None,
) -> Turn:
    """``text`` typed (or the button ``press`` pressed) by ``user``, in English by default."""
    said = inbound(user, AT, text=text, press=press)
    return handle(state or ConversationState(language=Lang.EN), said, context)


def only_text(turn: Turn) -> str:
    [reply] = turn.replies
    return reply.text


def test_help_lists_the_commands_of_the_table_in_order(context: Context) -> None:
    lines = [line for line in only_text(run(context, "/help")).splitlines() if line.startswith("/")]
    assert lines == [f"/{c.name} {c.help}" for c in COMMANDS if c.help and c.audience is Audience.ANYONE]
    assert "/modules pre-departure orientation modules" in lines


def test_the_main_menu_has_the_buttons_of_the_table_on_their_rows(context: Context) -> None:
    [reply] = run(context, "/menu").replies
    rows = [[b.data for b in row] for row in reply.buttons]
    assert rows == [["menu:ask"], ["menu:modules"], ["menu:language", "menu:help"]]


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c.slash and c.audience is Audience.ANYONE], ids=lambda c: c.name
)
def test_every_command_answers_by_name_and_by_its_button(context: Context, command: ChatCommand) -> None:
    typed = run(context, f"/{command.name}")
    pressed = handle(
        ConversationState(language=Lang.EN),
        inbound(GUEST, AT, press=MenuButton(command.button_key).pack()),
        context,
    )
    assert typed.replies
    assert only_text(typed) != UNKNOWN if len(typed.replies) == 1 else True
    assert [r.text for r in pressed.replies] == [r.text for r in typed.replies]


def test_an_unknown_command_says_so(context: Context) -> None:
    assert only_text(run(context, "/nonsense")) == UNKNOWN
    assert only_text(run(context, "/ask")) == UNKNOWN, "the menu's Ask a question is a button only"


STATUS = ChatCommand(
    "review", menu.show_help, help="follow the programme", menu_entry="follow", audience=Audience.STAFF
)
RESULTS = ChatCommand(
    "mine", menu.show_help, help="my results", menu_entry="results", audience=Audience.PARTICIPANT
)


@pytest.fixture
def extended(context: Context) -> Context:
    return replace(context, commands=(*COMMANDS, STATUS, RESULTS), staff=frozenset({STAFF}))


def test_a_staff_command_is_refused_to_others_exactly_as_an_unknown_one(extended: Context) -> None:
    assert only_text(run(extended, "/review")) == UNKNOWN
    assert "/review" not in only_text(run(extended, "/help"))
    assert "/review follow the programme" in only_text(run(extended, "/review", user=STAFF))


def test_staff_are_staff_on_their_channel_only(extended: Context) -> None:
    """A console user named like a staff member's Telegram id is not staff."""
    assert only_text(run(extended, "/review", user=UserRef("console", STAFF.id))) == UNKNOWN


def test_a_participant_command_needs_a_bound_participant(extended: Context) -> None:
    assert only_text(run(extended, "/mine")) == UNKNOWN
    bound = ConversationState(language=Lang.EN, participant="BE-2026-014")
    assert "/mine my results" in only_text(run(extended, "/mine", state=bound))


def test_staff_menus_are_published_only_when_there_are_staff_commands(extended: Context) -> None:
    anyone_only = tuple(c for c in COMMANDS if c.audience is Audience.ANYONE)
    assert {audience for audience, _, _ in command_menus(anyone_only, extended.i18n.for_lang)} == {
        Audience.ANYONE
    }
    menus = command_menus(extended.commands, extended.i18n.for_lang)
    staff = [entries for audience, lang, entries in menus if audience is Audience.STAFF and lang is Lang.EN]
    assert [name for name, _ in staff[0]][-6:] == ["survey", "status", "results", "gaps", "review", "mine"]


def test_old_menu_buttons_keep_working(context: Context) -> None:
    """``menu:main`` has opened the main menu since the first release."""
    assert only_text(run(context, press="menu:main")) == "What would you like to do?"


DEADLINES = ChatCommand(
    "deadlines", menu.show_help, button="Deadlines", row=5, menus=frozenset({Menu.EMPLOYER}), slash=False
)


@pytest.mark.parametrize(
    ("role", "shown"), [(None, False), (Role.TALENT, False), (Role.EMPLOYER, True)], ids=str
)
def test_a_commands_button_is_on_the_menus_it_names(context: Context, role: Role | None, shown: bool) -> None:
    with_deadlines = replace(context, commands=(*COMMANDS, DEADLINES))
    state = ConversationState(language=Lang.EN, role=role)
    [reply] = run(with_deadlines, "/menu", state=state).replies
    assert ("menu:deadlines" in [b.data for row in reply.buttons for b in row]) is shown
    pressed = run(with_deadlines, press="menu:deadlines", state=state)
    assert only_text(pressed) != UNKNOWN, "a menu shows what suits the role; it refuses nothing"


def test_the_role_can_be_changed_by_command_from_every_menu(context: Context) -> None:
    entries = command_menu(COMMANDS, context.i18n.for_lang(Lang.EN), [Audience.ANYONE])
    assert ("role", "change your role: candidate or employer") in entries
    assert "/role change your role: candidate or employer" in only_text(run(context, "/help"))
