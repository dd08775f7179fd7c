"""The features of the conversation, one module each, and the chat command table that joins them.

==============  ================================================================================
onboarding      ``/start``, the language and the role; ``/role`` changes the role
menu            the main menu, ``/help``, buttons that run a command
answers         FAQ replies: answer, "did you mean", "I do not know", small talk, 👍 / 👎
modules         the guided pre-departure modules, a step at a time
handover        ``/human``: a person from the programme team
invitations     personal links: a participant connected, staff joined
surveys         follow-up surveys: prompt, a question at a time, alerts
consent         the consent to store survey answers
staff           staff commands: ``/survey`` (push), ``/status``, ``/results``
learning        ``/gaps``: what the bot could not answer, and teaching it from there
jobs            ``/status``'s broadcast jobs and their Pause, Resume and Cancel buttons
privacy         ``/privacy``: what is kept, and the consent to store survey answers
==============  ================================================================================

A feature reads the state it needs and returns the new state; it says things and records events
through its :class:`~bot.core.scope.Scope`, and uses other features only through their public
functions.

Adding a chat command is one entry in :data:`COMMANDS` and one handler in its feature; the help
text, the main menu, Telegram's command menus and the dispatch follow from the entry. Which
roles' main menus show its button is the entry's ``menus``; the buttons a role's menu has
besides the commands (an FAQ answer, a guided dialog) are :data:`TOPICS`.
"""

from __future__ import annotations

from bot.core.commands import N_, ROLE_MENUS, Audience, ChatCommand, Menu, Topic
from bot.core.features import answers, handover, learning, menu, modules, onboarding, privacy, staff, surveys

__all__ = [
    "COMMANDS",
    "TOPICS",
    "Audience",
    "answers",
    "handover",
    "learning",
    "menu",
    "modules",
    "onboarding",
    "privacy",
    "staff",
    "surveys",
]

COMMANDS: tuple[ChatCommand, ...] = (
    ChatCommand("start", onboarding.start, menu_entry=N_("start again: language, role, menu")),
    ChatCommand("menu", menu.show_menu, help=N_("main menu"), menu_entry=N_("main menu"), key="main"),
    ChatCommand("ask", menu.invite_question, button=N_("Ask a question"), row=0, slash=False),
    ChatCommand(
        "language",
        onboarding.choose_language,
        help=N_("change the language"),
        menu_entry=N_("change the language"),
        button=N_("Language"),
        row=9,
    ),
    ChatCommand(
        "role",
        onboarding.change_role,
        help=N_("change your role: candidate or employer"),
        menu_entry=N_("change your role: candidate or employer"),
        button=N_("Change role"),
        row=9,
        menus=ROLE_MENUS,
    ),
    ChatCommand(
        "help", menu.show_help, help=N_("this help"), menu_entry=N_("what I can do"), button=N_("Help"), row=9
    ),
    ChatCommand(
        "modules",
        modules.list_modules,
        help=N_("pre-departure orientation modules"),
        menu_entry=N_("pre-departure orientation modules"),
        button=N_("Pre-departure modules"),
        row=1,
        menus=frozenset({Menu.NEUTRAL, Menu.TALENT}),
    ),
    ChatCommand("human", handover.ask_a_person, help=N_("ask a person"), menu_entry=N_("ask a person")),
    ChatCommand(
        "privacy",
        privacy.show,
        help=N_("what I keep about you, and your consent to surveys"),
        menu_entry=N_("what I keep about you"),
    ),
    ChatCommand(
        "stop",
        privacy.stop,
        # TRANSLATORS: /start is a command: keep it as it is.
        help=N_("no more surveys or announcements (/start to receive them again)"),
        menu_entry=N_("no more surveys or announcements"),
    ),
    ChatCommand(
        "delete_my_data",
        privacy.ask_to_erase,
        help=N_("erase everything I keep about you"),
        menu_entry=N_("erase everything I keep about you"),
    ),
    ChatCommand(
        "survey",
        staff.push,
        help=N_("send a survey to participants"),
        menu_entry=N_("send a survey"),
        audience=Audience.STAFF,
    ),
    ChatCommand(
        "status",
        staff.status,
        help=N_("the recent survey pushes"),
        menu_entry=N_("recent pushes"),
        audience=Audience.STAFF,
    ),
    ChatCommand(
        "results",
        staff.results,
        help=N_("a survey's results, with a chart and the spreadsheet"),
        menu_entry=N_("survey results"),
        audience=Audience.STAFF,
    ),
    ChatCommand(
        "gaps",
        learning.gaps,
        # TRANSLATORS: "/gaps 7" is a command with its number of days: keep it as it is.
        help=N_("what I could not answer lately, grouped (/gaps 7: the last 7 days)"),
        menu_entry=N_("what I could not answer"),
        audience=Audience.STAFF,
    ),
)
"""Every chat command, in the order of the help text and of Telegram's command menu."""

TOPICS: dict[Menu, tuple[Topic, ...]] = {
    Menu.TALENT: (
        Topic(2, faq_id="procedure-duration"),
        Topic(3, faq_id="fees"),
        Topic(4, faq_id="family-reunification"),
    ),
    Menu.EMPLOYER: (
        Topic(1, dialog_id="employer-obligations-check", label=N_("Check my obligations")),
        Topic(2, faq_id="employer-costs"),
        Topic(3, faq_id="employer-obligations"),
        Topic(4, faq_id="procedure-duration"),
        Topic(5, faq_id="employer-support"),
        Topic(6, faq_id="employer-trainings"),
    ),
}
"""The buttons of each role's main menu besides the commands, on the commands' rows (``Ask a
question`` is row 0, ``Language`` and ``Help`` row 9): a few questions people of that role
ask first, and the employers' guided check of their obligations once that dialog exists."""
