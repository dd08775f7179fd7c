"""The main menu, ``/help`` and the buttons that run a command, all derived from the command
table (``scope.ctx.commands``).

The main menu is the user's role's (:class:`~bot.core.commands.Menu`): the commands whose
``menus`` include it, and that role's topics (:data:`bot.core.features.TOPICS`), on their rows.
``/help`` lists every command the user may use, whatever the role."""

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
        # TRANSLATORS: /help is a command: keep it as it is.
        scope.say(scope._("I do not know that command. Send /help to see what I can do."))
        return state
    return command.handler(state, scope)


def show_menu(state: ConversationState, scope: Scope) -> ConversationState:
    """``/menu``: the buttons of the user's role's menu (the neutral one before a role is
    chosen), on their rows."""
    _ = scope._
    shown = commands.Menu.of(state.role)
    rows: dict[int, list[Button]] = {}
    for command in scope.ctx.commands:
        if command.button and shown in command.menus and _may_use(state, scope, command):
            rows.setdefault(command.row, []).append(MenuButton(command.button_key).button(_(command.button)))
    for row, topic_button in _topic_buttons(scope, shown):
        rows.setdefault(row, []).append(topic_button)
    scope.say(_("What would you like to do?"), [rows[row] for row in sorted(rows)])
    return state


def _topic_buttons(scope: Scope, shown: commands.Menu) -> list[tuple[int, Button]]:
    """The menu's topics that are loaded: an FAQ entry's answer, a guided dialog."""
    # Imported here: those features use this one (its buttons, the menu).
    from bot.core.features import TOPICS
    from bot.core.features.answers import FaqButton
    from bot.core.features.modules import ModuleButton

    faq, dialogs = scope.ctx.faq, scope.ctx.dialogs
    found: list[tuple[int, Button]] = []
    for topic in TOPICS.get(shown, ()):
        if topic.faq_id and faq is not None and topic.faq_id in faq:
            found.append((topic.row, FaqButton(topic.faq_id).button(faq.label(topic.faq_id, scope.lang))))
        elif topic.dialog_id and dialogs is not None and topic.dialog_id in dialogs:
            found.append((topic.row, ModuleButton(topic.dialog_id).button(scope._(topic.label))))
    return found


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
    """A button whose data no longer means anything (an old release's, a tampered one): its
    keyboard goes, and the menu comes again."""
    scope.restyle()
    scope.say(scope._("This button has expired. Here is the menu again."))
    return show_menu(state, scope)
