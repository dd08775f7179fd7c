"""``/privacy``: what the bot keeps about the person, and their consent to store survey answers,
which they can give or withdraw here at any time; ``/stop``: nothing more sent unasked, until
``/start``; ``/delete_my_data``: everything kept about the person erased, once confirmed. (The
privacy notice on first contact will live here too.)"""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.buttons import ButtonData
from bot.core.events import DataErased, PushesStopped
from bot.core.features import onboarding
from bot.core.features.consent import consented, set_consent
from bot.core.scope import Scope
from bot.core.state import ConversationState


@dataclass(frozen=True, slots=True)
class SurveyConsentButton(ButtonData, prefix="pv"):
    agreed: bool


@dataclass(frozen=True, slots=True)
class EraseButton(ButtonData, prefix="er"):
    confirmed: bool


def show(state: ConversationState, scope: Scope) -> ConversationState:
    _ = scope._
    text = _(
        "What I keep about you: your language and role; your participant reference, if you opened "
        "a personal link; questions I could not answer and your 👍 / 👎, so the team can improve "
        "the answers; and your survey answers, if you agreed. Only the DT4E programme team reads "
        "them. To have them erased, send /delete_my_data; to receive no more surveys or "
        "announcements, send /stop."
    )
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
        _(
            "Done: I will send you no more surveys, reminders or announcements. I still answer "
            "when you write to me. To receive them again, send /start."
        )
    )
    return state.model_copy(update={"pushes_stopped": True})


def start(state: ConversationState, scope: Scope) -> ConversationState:
    """``/start``: after ``/stop``, messages from the programme are on again; then the welcome."""
    if state.pushes_stopped:
        scope.record(PushesStopped(False))
        scope.say(scope._("Welcome back: surveys and announcements from the programme are on again."))
        state = state.model_copy(update={"pushes_stopped": False})
    return onboarding.start(state, scope)


def ask_to_erase(state: ConversationState, scope: Scope) -> ConversationState:
    """``/delete_my_data``: what goes, and a button to confirm (a typed command alone never erases)."""
    _ = scope._
    scope.say(
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
