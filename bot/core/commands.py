"""The chat command table's shape, and what is derived from the table: the dispatch by name or
menu button, the help lines, the main menu's buttons and Telegram's command menus.

Each command is declared once, in :data:`bot.core.features.COMMANDS`::

    ChatCommand(
        "modules",                                   # /modules, and its menu button's data menu:modules
        modules.list_modules,                        # the handler: (state, scope) -> state
        help=N_("pre-departure orientation modules"),     # its line in /help
        menu_entry=N_("pre-departure orientation modules"),  # Telegram's command menu
        button=N_("Pre-departure modules"), row=1,   # its button in the main menu
        menus=frozenset({Menu.NEUTRAL, Menu.TALENT}),  # the main menus that show the button
    )

The texts are gettext message ids (``N_`` marks them for extraction), translated in
``locales/``. Who may use a command is its ``audience``: anyone, a participant (bound by an
invitation), or staff; everyone else gets the same line as for an unknown command.

What the main menu offers follows the user's role: each command's button is on the
:class:`Menu` of the roles named by its ``menus`` (it stays usable by anyone it is ``allowed``
to: a role changes what is offered, not what may be typed), and each role's menu adds its
:class:`Topic` buttons (:data:`bot.core.features.TOPICS`): an FAQ answer or a guided dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.basics.lang import Lang
from bot.core.state import Role

if TYPE_CHECKING:
    from bot.core.scope import Handler


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translate later"
    """Mark a message id for extraction; it is translated where it is shown."""
    return message


class Audience(StrEnum):
    """Who may use a command."""

    ANYONE = "anyone"
    PARTICIPANT = "participant"
    STAFF = "staff"


class Menu(StrEnum):
    """The main menu a user sees: their role's, or the neutral one while no role is chosen."""

    NEUTRAL = "neutral"
    TALENT = "talent"
    EMPLOYER = "employer"

    @classmethod
    def of(cls, role: Role | None) -> Menu:
        return cls.NEUTRAL if role is None else cls(role.value)


EVERY_MENU: frozenset[Menu] = frozenset(Menu)
ROLE_MENUS: frozenset[Menu] = frozenset({Menu.TALENT, Menu.EMPLOYER})


@dataclass(frozen=True, slots=True)
class ChatCommand:
    name: str
    """``/name``; also the key of its menu button (``menu:<key>``) unless ``key`` says otherwise."""
    handler: Handler
    help: str = ""
    """Its line in ``/help`` (a message id); empty: not listed."""
    menu_entry: str = ""
    """Its description in Telegram's command menu (a message id); empty: not in the menu."""
    button: str = ""
    """Its button's label in the main menu (a message id); empty: no button."""
    row: int = 0
    """The main-menu row its button is on."""
    audience: Audience = Audience.ANYONE
    key: str = ""
    """The menu button's data key when it differs from the name (stable: old buttons keep working)."""
    slash: bool = True
    """Reachable by typing ``/name``; ``False`` for a menu button only."""
    menus: frozenset[Menu] = EVERY_MENU
    """The main menus that show its button (every one unless it says otherwise)."""

    @property
    def button_key(self) -> str:
        return self.key or self.name


@dataclass(frozen=True, slots=True)
class Topic:
    """A button of one role's main menu that opens content directly rather than a command:
    an FAQ entry's answer (``faq_id``, labelled with the entry's first question in the user's
    language) or a guided dialog (``dialog_id``, labelled ``label``, a message id), opened as a
    module is. A topic whose entry or dialog is not loaded is not shown."""

    row: int
    """The main-menu row its button is on (among the commands' rows)."""
    faq_id: str = ""
    dialog_id: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        if bool(self.faq_id) == bool(self.dialog_id):
            raise ValueError("a topic opens either an FAQ entry (faq_id) or a dialog (dialog_id)")
        if self.dialog_id and not self.label:
            raise ValueError(f"topic {self.dialog_id!r}: a dialog's button needs a label")


def allowed(command: ChatCommand, *, staff: bool, participant: bool) -> bool:
    if command.audience is Audience.STAFF:
        return staff
    if command.audience is Audience.PARTICIPANT:
        return participant or staff
    return True


def by_name(table: Iterable[ChatCommand], name: str) -> ChatCommand | None:
    """The command typed as ``/name``."""
    return next((c for c in table if c.slash and c.name == name), None)


def by_key(table: Iterable[ChatCommand], key: str) -> ChatCommand | None:
    """The command a menu button with data ``menu:<key>`` runs."""
    return next((c for c in table if c.button_key == key), None)


def audiences_of(table: Iterable[ChatCommand]) -> set[Audience]:
    return {c.audience for c in table}


def command_menu(
    table: Sequence[ChatCommand], gettext: Callable[[str], str], audiences: Iterable[Audience]
) -> list[tuple[str, str]]:
    """``(command, description)`` pairs for Telegram's ``setMyCommands``: the commands with a
    menu entry for ``audiences``, in table order, described with ``gettext``."""
    wanted = set(audiences)
    return [
        (c.name, gettext(c.menu_entry)) for c in table if c.slash and c.menu_entry and c.audience in wanted
    ]


def command_menus(
    table: Sequence[ChatCommand], for_lang: Callable[[Lang], Callable[[str], str]]
) -> list[tuple[Audience, Lang | None, list[tuple[str, str]]]]:
    """Every command menu to publish: for everyone, then (when the table has staff commands)
    for staff chats, each in English for other languages (``None``) and in each language."""
    menus: list[tuple[Audience, Lang | None, list[tuple[str, str]]]] = []
    scopes = [(Audience.ANYONE, [Audience.ANYONE])]
    if Audience.STAFF in audiences_of(table):
        scopes.append((Audience.STAFF, list(Audience)))
    for audience, shown in scopes:
        for lang in (None, *Lang):
            menus.append((audience, lang, command_menu(table, for_lang(lang or Lang.EN), shown)))
    return menus


DESCRIPTION = N_(
    "I answer questions about Displaced Talent for Europe (DT4E), the IOM programme that connects "
    "displaced talents in Jordan, Lebanon and other countries with employers in Belgium, France "
    "and Slovakia: the visa, the costs, the timeline, the support before and after arrival. "
    "Candidates can follow short pre-departure modules; employers can check their obligations. "
    "In Arabic, English and French. Press Start to begin."
)
"""What Telegram shows in the empty chat before /start (setMyDescription, at most 512)."""

SHORT_DESCRIPTION = N_("Questions and answers about IOM's DT4E programme, in Arabic, English and French.")
"""The bot's profile line and what a shared link shows (setMyShortDescription, at most 120)."""


def descriptions(for_lang: Callable[[Lang], Callable[[str], str]]) -> list[tuple[Lang | None, str, str]]:
    """The bot's description and short description to publish: in English for clients in other
    languages (``None``), then in each language."""
    return [
        (lang, for_lang(lang or Lang.EN)(DESCRIPTION), for_lang(lang or Lang.EN)(SHORT_DESCRIPTION))
        for lang in (None, *Lang)
    ]
