"""The conversation core: ``handle(state, inbound, context) -> Turn``.

A pure function: it reads nothing but its arguments, sends nothing and stores nothing. It
matches the kind of input and hands it to the feature that owns it (:mod:`bot.core.features`);
the conversation service persists the returned state and events and the channel delivers the
replies. Bad input never raises: it becomes a reply in the user's language.
"""

from __future__ import annotations

from typing import assert_never, get_args

from bot.basics.buttons import read_in_place
from bot.basics.lang import Lang
from bot.core import commands
from bot.core.context import Context
from bot.core.events import ReachabilityChanged
from bot.core.features import (
    answers,
    consent,
    flood,
    groups,
    handover,
    invitations,
    jobs,
    learning,
    menu,
    modules,
    onboarding,
    privacy,
    staff,
    surveys,
    typed_words,
)
from bot.core.inbound import (
    AddedToGroup,
    ButtonPressed,
    CaseUpdate,
    CommandSent,
    Inbound,
    InvitationOpened,
    MediaSent,
    MemberUpdated,
    StaffChatSent,
    TextSent,
    clean_text,
)
from bot.core.scope import Scope
from bot.core.state import ConversationState, Turn
from dialogs.engine import StepButton

Pressed = (
    onboarding.LanguageButton
    | onboarding.RoleButton
    | menu.MenuButton
    | answers.FaqButton
    | answers.FeedbackButton
    | modules.ModuleButton
    | modules.RestartButton
    | StepButton
    | surveys.SurveyButton
    | surveys.SurveyBackButton
    | consent.ConsentButton
    | staff.PushSurveyButton
    | staff.AudienceButton
    | staff.PushConfirmButton
    | staff.ResultsButton
    | jobs.JobButton
    | privacy.SurveyConsentButton
    | privacy.EraseButton
    | handover.EndCaseButton
    | learning.TeachButton
)
"""Every kind of button the core makes."""


def handle(state: ConversationState, inbound: Inbound, ctx: Context) -> Turn:
    """Turn one input and the stored state into the new state and the events."""
    scope = Scope(inbound, ctx, reply_language(state, inbound, ctx), staff=state.staff)
    if isinstance(inbound, TextSent | CommandSent | MediaSent):
        state, answered = flood.admitted(state, scope)
        if not answered:
            return Turn(state=state, events=tuple(scope.events))
    match inbound:
        case TextSent(text=text):
            state = _on_text(state, scope, clean_text(text))
        case CommandSent(name=name):
            state = menu.run(staff.forget_draft(state), scope, commands.by_name(ctx.commands, name))
        case ButtonPressed(data=data):
            state = _on_press(state, scope, data)
        case MediaSent():
            scope.say(scope._("I can only read text for now. Please type your question in words."))
        case MemberUpdated(blocked=blocked):
            scope.record(ReachabilityChanged(reachable=not blocked))
        case InvitationOpened(outcome=outcome):
            state = invitations.opened(state, scope, outcome)
        case AddedToGroup():
            state = groups.added(state, scope)
        case CaseUpdate() as update:
            state = handover.from_staff(state, scope, update)
        case StaffChatSent():
            pass  # the staff talking among themselves: no case of ours
        case _:
            assert_never(inbound)
    return Turn(state=state, events=tuple(scope.events))


def reply_language(state: ConversationState, inbound: Inbound, ctx: Context) -> Lang:
    """The stored choice first, then the channel's hint, then the deployment default."""
    return state.language or Lang.parse(inbound.language_hint) or ctx.default_language


def _on_text(state: ConversationState, scope: Scope, text: str) -> ConversationState:
    if not text:
        # TRANSLATORS: /help is a command: keep it as it is.
        scope.say(scope._("I did not catch that. Type your question, or send /help."))
        return state
    if state.case is not None:  # talking to the team: it all goes to them
        return handover.relay_to_staff(state, scope, text)
    if (typed := onboarding.typed_answer(state, scope, text)) is not None:
        return typed
    if (audience := staff.audience_typed(state, scope, text)) is not None:
        return audience
    if (commanded := typed_words.run_command(state, scope, text)) is not None:  # "help", "menu" in words
        return commanded
    if state.active_survey and (answered := surveys.answer_text(state, scope, text)) is not None:
        return answered
    if state.active_module and (answered := modules.answer_text(state, scope, text)) is not None:
        return answered
    state = answers.answer(state, scope, text)
    if not surveys.offer_to_continue(state, scope):
        state = modules.offer_to_continue(state, scope)
    return state


def _on_press(state: ConversationState, scope: Scope, data: str) -> ConversationState:
    data, replacing = read_in_place(data)
    if replacing:
        scope.in_place()
    match pressed(data):
        case onboarding.LanguageButton(lang=lang):
            return onboarding.set_language(state, scope, lang)
        case onboarding.RoleButton(role=role):
            return onboarding.role_pressed(state, scope, role)
        case menu.MenuButton(item=item):
            command = commands.by_key(scope.ctx.commands, item)
            return menu.run(state, scope, command) if command is not None else menu.expired(state, scope)
        case answers.FaqButton(faq_id=faq_id, lang=lang):
            if lang is not None:  # the language of the answer it was under (older buttons: none)
                scope.switch(lang)
            return answers.show_chosen(state, scope, faq_id)
        case answers.FeedbackButton(lang=lang) as feedback:
            if lang is not None:
                scope.switch(lang)
            return answers.feedback(state, scope, feedback)
        case modules.ModuleButton(dialog_id=dialog_id):
            return modules.open_module(state, scope, dialog_id)
        case modules.RestartButton(dialog_id=dialog_id):
            return modules.open_module(state, scope, dialog_id, again=True)
        case StepButton() as step:
            if surveys.survey(scope.ctx, step.dialog_id) is not None:
                return surveys.answer_button(state, scope, step)
            return modules.answer_button(state, scope, step)
        case surveys.SurveyButton(survey_id=survey_id, wave=wave):
            return surveys.start(state, scope, survey_id, wave)
        case surveys.SurveyBackButton() as back:
            return surveys.back(state, scope, back)
        case consent.ConsentButton() as given:
            state = consent.answer(state, scope, given)
            if given.agreed or not state.participant:  # a guest hears that surveys are for participants
                return surveys.start(state, scope, given.survey_id, given.wave)
            return state
        case jobs.JobButton() as job:
            return jobs.pressed(state, scope, job)
        case staff.PushSurveyButton() as chosen:
            return staff.survey_chosen(state, scope, chosen)
        case staff.AudienceButton() as audience:
            return staff.audience_pressed(state, scope, audience)
        case staff.PushConfirmButton() as confirm:
            return staff.confirmed(state, scope, confirm)
        case staff.ResultsButton() as results:
            return staff.results_pressed(state, scope, results)
        case privacy.SurveyConsentButton() as consent_change:
            return privacy.change_consent(state, scope, consent_change)
        case privacy.EraseButton() as erasing:
            return privacy.erase(state, scope, erasing)
        case handover.EndCaseButton() as ending:
            return handover.end(state, scope, ending)
        case learning.TeachButton() as teaching:
            return learning.teach(state, scope, teaching)
        case None:
            return menu.expired(state, scope)
        case unknown:
            assert_never(unknown)


def pressed(data: str) -> Pressed | None:
    """The button data read back, or ``None`` for data that means nothing now."""
    for kind in get_args(Pressed):
        button: Pressed | None = kind.unpack(data)
        if button is not None:
            return button
    return None
