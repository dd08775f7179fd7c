"""``/privacy``: what the bot keeps about the person (the notice, also shown at the first
welcome) and their consent to store survey answers, which they can give or withdraw here at any
time; ``/stop``: nothing more sent unasked, until ``/start``; ``/delete_my_data``: everything kept
about the person erased, once confirmed."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.buttons import ButtonData
from bot.core.events import DataErased, PrivacyNoticeShown, PushesStopped
from bot.core.features.consent import consented, set_consent
from bot.core.scope import Scope
from bot.core.state import ConversationState


@dataclass(frozen=True, slots=True)
class SurveyConsentButton(ButtonData, prefix="pv"):
    agreed: bool


@dataclass(frozen=True, slots=True)
class EraseButton(ButtonData, prefix="er"):
    confirmed: bool


NOTICE_VERSION = "2026-12"
"""The privacy notice's version: change it when :func:`notice` says something new, and everyone
is shown it again at their next welcome. Stored with the language it was shown in (``2026-12/ar``)."""


def notice(scope: Scope) -> str:
    """What is stored, why, for how long, who sees it and how to erase it."""
    # TRANSLATORS: {days} is how many days these are kept (set by the bot's operator); 👍 / 👎 are the buttons
    # that rate an answer; /privacy, /delete_my_data and /stop are commands: keep them as they are.
    return scope._(
        "What I keep about you: your language and role; your participant reference, if you opened "
        "a personal link; questions I could not answer and your 👍 / 👎, for {days} days, so the "
        "team can improve the answers; and your survey answers, if you agreed. Only the DT4E "
        "programme team reads them. /privacy shows this again; to have them erased, send "
        "/delete_my_data; to receive no more surveys or announcements, send /stop."
    ).format(days=scope.ctx.questions_kept_days)


def with_notice(state: ConversationState, scope: Scope, text: str) -> tuple[ConversationState, str]:
    """``text`` with the privacy notice after it, unless this version was shown in this language
    already (a first welcome in the phone's language, then Arabic chosen: it comes in Arabic
    too), recording that it was shown."""
    shown = f"{NOTICE_VERSION}/{scope.lang.value}"
    if state.notice_version == shown:
        return state, text
    scope.record(PrivacyNoticeShown(shown))
    return state.model_copy(update={"notice_version": shown}), f"{text}\n\n🔒 {notice(scope)}"


def show(state: ConversationState, scope: Scope) -> ConversationState:
    _ = scope._
    text = notice(scope)
    if not state.participant:
        scope.say(
            f"{text}\n\n"
            + _("Surveys: they are for programme participants, who join with their personal link.")
        )
        return state
    if consented(state):
        status = _("Surveys: you agreed that your answers are stored.")
        button = SurveyConsentButton(False).button(_("Stop storing my survey answers"))
    elif state.consent == "no":
        status = _("Surveys: you declined; your answers to new surveys are not stored.")
        button = SurveyConsentButton(True).button(_("I agree to surveys"))
    else:
        status = _("Surveys: you have not been asked yet.")
        button = SurveyConsentButton(True).button(_("I agree to surveys"))
    scope.say(f"{text}\n\n{status}", [[button]])
    return state


def change_consent(state: ConversationState, scope: Scope, pressed: SurveyConsentButton) -> ConversationState:
    if not state.participant:
        return show(state, scope)
    state = set_consent(state, scope, pressed.agreed)
    _ = scope._
    if pressed.agreed:
        scope.say(_("Thank you: your survey answers will be stored for the DT4E team."))
    else:
        scope.say(
            _(
                "Done: your answers to new surveys will not be stored, and no more surveys "
                "will be sent to you."
            )
        )
    return state


def stop(state: ConversationState, scope: Scope) -> ConversationState:
    """``/stop``: no more surveys, reminders or announcements; questions are still answered."""
    _ = scope._
    if not state.pushes_stopped:
        scope.record(PushesStopped(True))
    scope.say(
        # TRANSLATORS: /start is a command: keep it as it is.
        _(
            "Done: I will send you no more surveys, reminders or announcements. I still answer "
            "when you write to me. To receive them again, send /start."
        )
    )
    return state.model_copy(update={"pushes_stopped": True})


def ask_to_erase(state: ConversationState, scope: Scope) -> ConversationState:
    """``/delete_my_data``: what goes, and a button to confirm (a typed command alone never erases)."""
    _ = scope._
    scope.say(
        # TRANSLATORS: 👍 / 👎 are the buttons that rate an answer: keep them.
        _(
            "This erases everything I keep about you: your language and role, our conversation, "
            "your survey answers, your 👍 / 👎 and the questions I could not answer. If you joined "
            "with a personal link, this chat is no longer connected to it. It cannot be undone."
        ),
        [
            [
                EraseButton(True).button(_("Erase everything")),
                EraseButton(False).button(_("Keep my data")),
            ]
        ],
    )
    return state


def erase(state: ConversationState, scope: Scope, pressed: EraseButton) -> ConversationState:
    _ = scope._
    if not pressed.confirmed:
        scope.say(_("Nothing was erased."))
        return state
    scope.record(DataErased())
    scope.say(_("Done: everything I kept about you is erased. If you write to me again, we start afresh."))
    return ConversationState()
