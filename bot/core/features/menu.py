"""The main menu, ``/help`` and the buttons that run a command, all derived from the command
table (``scope.ctx.commands``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.buttons import Button, ButtonData
from bot.core import commands
from bot.core.scope import Scope
from bot.core.state import ConversationState


@dataclass(frozen=True, slots=True)
class MenuButton(ButtonData, prefix="menu"):
    """Runs the command whose button key is ``item`` (``menu:modules``, ``menu:main`` ...)."""

    item: str


def button(scope: Scope, key: str, label: str) -> Button:
    """A button that runs the command ``key`` (such as ``human`` for "Ask a person")."""
    assert commands.by_key(scope.ctx.commands, key) is not None, f"no command with button key {key!r}"
    return MenuButton(key).button(label)


def _may_use(state: ConversationState, scope: Scope, command: commands.ChatCommand) -> bool:
    return commands.allowed(command, staff=scope.staff, participant=bool(state.participant))


def run(state: ConversationState, scope: Scope, command: commands.ChatCommand | None) -> ConversationState:
    """Run a typed or pressed command; unknown and not allowed look the same (nothing revealed)."""
    if command is None or not _may_use(state, scope, command):
        scope.say(scope._("I do not know that command. Send /help to see what I can do."))
        return state
    return command.handler(state, scope)


def show_menu(state: ConversationState, scope: Scope) -> ConversationState:
    """``/menu``: the commands that have a button, on their rows."""
    _ = scope._
    rows: dict[int, list[Button]] = {}
    for command in scope.ctx.commands:
        if command.button and _may_use(state, scope, command):
            rows.setdefault(command.row, []).append(MenuButton(command.button_key).button(_(command.button)))
    scope.say(_("What would you like to do?"), [rows[row] for row in sorted(rows)])
    return state


def show_help(state: ConversationState, scope: Scope) -> ConversationState:
    """``/help``: what the bot does, and a line for each command this user may use."""
    _ = scope._
    lines = [
        f"/{c.name} {_(c.help)}"
        for c in scope.ctx.commands
        if c.slash and c.help and _may_use(state, scope, c)
    ]
    intro = _(
        "I answer questions about the Displaced Talent for Europe (DT4E) programme: the visa, "
        "the procedure and its timeline, costs, housing, family, preparation and support "
        "after arrival. Type your question in your own words, in Arabic, English or French."
    )
    scope.say(intro + "\n\n" + _("Commands:") + "".join("\n" + line for line in lines))
    return state


def invite_question(state: ConversationState, scope: Scope) -> ConversationState:
    """The menu's "Ask a question"."""
    scope.say(scope._("Type your question in your own words, in Arabic, English or French."))
    return state


def expired(state: ConversationState, scope: Scope) -> ConversationState:
    """A button whose data no longer means anything (an old release's, a tampered one)."""
    scope.say(scope._("This button has expired. Here is the menu again."))
    return show_menu(state, scope)
