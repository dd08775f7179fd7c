"""``/privacy``: what the bot keeps about the person, and their consent to store survey answers,
which they can give or withdraw here at any time. (The full privacy notice, ``/stop`` and
``/delete_my_data`` will live here too.)"""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.buttons import ButtonData
from bot.core.features.consent import consented, set_consent
from bot.core.scope import Scope
from bot.core.state import ConversationState


@dataclass(frozen=True, slots=True)
class SurveyConsentButton(ButtonData, prefix="pv"):
    agreed: bool


def show(state: ConversationState, scope: Scope) -> ConversationState:
    _ = scope._
    text = _(
        "What I keep about you: your language and role; your participant reference, if you opened "
        "a personal link; questions I could not answer and your 👍 / 👎, so the team can improve "
        "the answers; and your survey answers, if you agreed. Only the DT4E programme team reads "
        "them. To have them erased, ask the team with /human."
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
