"""Consent to store survey answers: asked before the first survey, in plain words; stored with
the version of its text and the time; given or withdrawn again from ``/privacy``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.buttons import ButtonData, in_place
from bot.core.events import ConsentGiven
from bot.core.scope import Scope
from bot.core.state import ConversationState

CONSENT_VERSION = "2026-12"
"""The version of the consent text; a new text (new wording, a new right) asks again."""


@dataclass(frozen=True, slots=True)
class ConsentButton(ButtonData, prefix="cs"):
    """The answer to the consent question; with the survey to start when it is yes."""

    agreed: bool
    survey_id: str
    wave: int


def ask(state: ConversationState, scope: Scope, survey_id: str, wave: int) -> ConversationState:
    _ = scope._
    # TRANSLATORS: /human is a command: keep it as it is.
    text = _(
        "Before the first survey: may the DT4E team store your answers? They are kept with your "
        "participant reference and read only by the DT4E programme team, to follow how the "
        "placements are going. You can have them erased at any time: ask the team with /human."
    )
    buttons = [
        [
            in_place(ConsentButton(True, survey_id, wave).button(_("Yes, I agree"))),
            in_place(ConsentButton(False, survey_id, wave).button(_("No"))),
        ]
    ]
    scope.say(text, buttons)
    return state


def answer(state: ConversationState, scope: Scope, pressed: ConsentButton) -> ConversationState:
    """The answer to the question asked before a survey (the dispatcher then starts the survey
    when it is yes). Only a participant's answer counts."""
    if not state.participant:
        return state
    state = set_consent(state, scope, pressed.agreed)
    if pressed.agreed:
        return state
    scope.say(
        # TRANSLATORS: /privacy is a command: keep it as it is.
        scope._(
            "Understood: your answers will not be stored, and no more surveys will be sent to you. "
            "You can change your mind at any time with /privacy."
        )
    )
    return state


def set_consent(state: ConversationState, scope: Scope, agreed: bool) -> ConversationState:
    """Give or withdraw the consent to store survey answers (here or from /privacy): recorded
    with the text's version; withdrawn, the survey being answered stops at once."""
    scope.record(ConsentGiven(CONSENT_VERSION, agreed))
    update: dict[str, object] = {"consent": "yes" if agreed else "no", "consent_version": CONSENT_VERSION}
    if not agreed:
        update["active_survey"] = ""
    return state.model_copy(update=update)


def consented(state: ConversationState) -> bool:
    return state.consent == "yes" and state.consent_version == CONSENT_VERSION
