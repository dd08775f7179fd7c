"""Follow-up surveys in the conversation: the prompt with its Start button, consent before the
first one (:mod:`.consent`), a question at a time (leave for a question or a module, come back,
go back and change an answer), every answer recorded once per participant, survey, wave and key,
and an alert to the staff chat when an answer asks for it.

The dialog engine reads the answers (:mod:`dialogs.engine`); this feature keeps the participant's
place in :class:`~bot.core.state.SurveyRun` and turns the engine's results into survey events.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.buttons import Button, ButtonData, in_place
from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.events import (
    ReplyCreated,
    SurveyAnswered,
    SurveyCompleted,
    SurveyStarted,
)
from bot.core.features import consent, menu, staff, steps
from bot.core.scope import Scope, reply
from bot.core.state import ConversationState, SurveyRun, run_key
from dialogs.engine import (
    COMPLETED,
    NEXT,
    Answer,
    Outcome,
    Position,
    Problem,
    StepButton,
    advance,
    begin,
    is_stale,
    screen,
)
from dialogs.model import AskType, Dialog, DialogKind

ANSWERED_BY_BUTTONS = frozenset({AskType.CHOICE, AskType.MULTI, AskType.RATING, AskType.NPS, AskType.YES_NO})


@dataclass(frozen=True, slots=True)
class SurveyButton(ButtonData, prefix="sv"):
    """Start a wave of a survey, or continue it."""

    survey_id: str
    wave: int


@dataclass(frozen=True, slots=True)
class SurveyBackButton(ButtonData, prefix="sb"):
    survey_id: str
    wave: int


def survey(ctx: Context, survey_id: str) -> Dialog | None:
    dialog = ctx.dialogs.get(survey_id) if ctx.dialogs is not None else None
    return dialog if dialog is not None and dialog.kind is DialogKind.SURVEY else None


def prompt(ctx: Context, dialog: Dialog, wave: int, lang: Lang, *, reminder: bool = False) -> ReplyCreated:
    """The message a push sends: what the survey is, and its Start button; a reminder says so
    (its button opens the same wave, where the participant left it)."""
    _ = ctx.i18n.for_lang(lang)
    title = dialog.title.get(lang)
    if reminder:
        # TRANSLATORS: {title} is the survey's title.
        text = _(
            "A reminder from the DT4E team: “{title}” is still open for you. It takes about two minutes, "
            "and you can stop and come back at any time."
        ).format(title=title)
    else:
        # TRANSLATORS: {title} is the survey's title.
        text = _("The DT4E team would like to hear from you: “{title}”. It takes about two minutes.").format(
            title=title
        )
    # TRANSLATORS: a button; "▶" points forward in reading order, so in Arabic it is written "◀".
    return reply(lang, text, [[in_place(SurveyButton(dialog.id, wave).button(_("Start ▶")))]])


def announcement(ctx: Context, texts: dict[str, str], lang: Lang) -> ReplyCreated | None:
    """An announcement staff wrote in each language, marked as coming from the team; ``None``
    when it has no text in ``lang`` (``dt4e-bot broadcast send`` refuses such a file)."""
    text = texts.get(lang.value, "").strip()
    if not text:
        return None
    _ = ctx.i18n.for_lang(lang)
    return reply(lang, _("Message from the DT4E team:") + "\n\n" + text)


def start(state: ConversationState, scope: Scope, survey_id: str, wave: int) -> ConversationState:
    """The prompt's Start button (or Continue): consent first, then the survey where it was left."""
    _ = scope._
    dialog = survey(scope.ctx, survey_id)
    if dialog is None:
        scope.say(_("This survey is no longer open. Thank you all the same!"))
        return state
    if not state.participant:
        scope.say(
            _(
                "The surveys are for programme participants. If you are one, open the personal link "
                "the DT4E team sent you."
            )
        )
        return state
    if not consent.consented(state):
        return consent.ask(state, scope, survey_id, wave)
    run = state.surveys.get(run_key(survey_id, wave))
    if run is not None and run.completed:
        scope.say(_("You have already answered this survey. Thank you!"))
        return state
    if run is not None and run.node_id and is_stale(dialog, Position(dialog.id, run.node_id)):
        scope.say(_("This survey has changed since you started it, so it starts again from the beginning."))
        run = None
    if run is None or not run.node_id:
        if run is None:
            assert dialog.version is not None
            scope.record(SurveyStarted(dialog.id, dialog.version, wave))
        alerted = run.alerted if run is not None else ()
        run = SurveyRun(survey_id=dialog.id, wave=wave, node_id=begin(dialog).node_id, alerted=alerted)
    state = _with_run(state, run).model_copy(update={"active_survey": run.key})
    _show(dialog, run, scope)
    return state


def _with_run(state: ConversationState, run: SurveyRun) -> ConversationState:
    return state.model_copy(update={"surveys": {**state.surveys, run.key: run}})


def _active(state: ConversationState, ctx: Context) -> tuple[Dialog, SurveyRun] | None:
    """The survey being answered, where; ``None`` when there is none, or when it cannot go on
    (the consent withdrawn, the survey gone or changed under the participant's feet)."""
    run = state.surveys.get(state.active_survey)
    if run is None or run.completed or not consent.consented(state) or not state.participant:
        return None
    dialog = survey(ctx, run.survey_id)
    if dialog is None or is_stale(dialog, Position(dialog.id, run.node_id)):
        return None
    return dialog, run


def _show(dialog: Dialog, run: SurveyRun, scope: Scope) -> None:
    _ = scope._
    labels = scope.ctx.dialogs.labels if scope.ctx.dialogs is not None else None
    view = screen(
        dialog,
        Position(dialog.id, run.node_id),
        scope.lang,
        selection=run.selection,
        now=scope.inbound.at,
        labels=labels,
    )
    # TRANSLATORS: {step} is the number of the step shown, {total} how many steps the survey or module has.
    header = f"{dialog.title.get(scope.lang)} · " + _("step {step} of {total}").format(
        step=view.step, total=view.total
    )
    text = f"{header}\n\n{view.text}"
    if view.kind == "info":
        # TRANSLATORS: buttons: "Finish ✓" (last step; keep the tick) or "Next ▶": "▶" points forward in
        # reading order, so in Arabic it is written "◀".
        label = _("Finish ✓") if view.is_last else _("Next ▶")
        rows = [[StepButton(dialog.id, run.node_id, "next").button(label)]]
    else:
        rows = [[Button(label, data) for label, data in row] for row in view.rows]
        if view.picker is None and (hint := steps.typing_hint(view.kind, scope)):
            text += "\n\n" + hint
    if run.history:
        # TRANSLATORS: a button; "◀" points back in reading order, so in Arabic it is written "▶".
        rows.append([SurveyBackButton(dialog.id, run.wave).button(_("◀ Back"))])
    scope.say(text, rows)


def answer_button(state: ConversationState, scope: Scope, step: StepButton) -> ConversationState:
    """A survey step's button: counted only if it belongs to the step the participant is on now."""
    current = _active(state, scope.ctx)
    if (
        current is None
        and (stale := state.surveys.get(state.active_survey)) is not None
        and not stale.completed
    ):
        return start(state, scope, stale.survey_id, stale.wave)  # it changed, or consent is needed
    if current is None or (current[0].id, current[1].node_id) != (step.dialog_id, step.node_id):
        scope.restyle()  # its keyboard goes: it no longer looks alive
        scope.say(scope._("That button is from an earlier step, so I did not count it."))
        if current is not None:
            _show(*current, scope)
        return state
    dialog, run = current
    scope.in_place()  # a survey is one message: each answer turns it into what comes next
    return _apply(state, dialog, run, _advance(dialog, run, Answer(step.value, True), scope), scope)


def answer_text(state: ConversationState, scope: Scope, text: str) -> ConversationState | None:
    """A typed answer to the current question, or ``None`` when it is not one (so it is read as
    a question to the FAQ)."""
    current = _active(state, scope.ctx)
    if current is None:
        return None
    dialog, run = current
    ask = dialog.node(run.node_id).ask
    if ask is None:
        return None
    outcome = _advance(dialog, run, Answer(text), scope)
    if outcome.problem is not None and (
        ask.type in ANSWERED_BY_BUTTONS or outcome.problem is Problem.NOT_A_CHOICE
    ):
        return None  # not an answer to a question with buttons: a question of its own
    return _apply(state, dialog, run, outcome, scope)


def back(state: ConversationState, scope: Scope, pressed: SurveyBackButton) -> ConversationState:
    """One step back, to change an answer: the new answer replaces it (a change, not a second one)."""
    current = _active(state, scope.ctx)
    if current is None or (current[0].id, current[1].wave) != (pressed.survey_id, pressed.wave):
        scope.restyle()
        scope.say(scope._("That button is from an earlier step, so I did not count it."))
        return state
    dialog, run = current
    scope.in_place()
    history = tuple(node_id for node_id in run.history if node_id in dialog)  # the survey may have changed
    if not history:
        _show(dialog, run, scope)
        return state
    run = run.model_copy(update={"node_id": history[-1], "history": history[:-1], "selection": ()})
    _show(dialog, run, scope)
    return _with_run(state, run)


def _advance(dialog: Dialog, run: SurveyRun, answer: Answer, scope: Scope) -> Outcome:
    labels = scope.ctx.dialogs.labels if scope.ctx.dialogs is not None else None
    position = Position(dialog.id, run.node_id)
    return advance(
        dialog, position, answer, scope.lang, scope.inbound.at, selection=run.selection, labels=labels
    )


def _apply(
    state: ConversationState, dialog: Dialog, run: SurveyRun, outcome: Outcome, scope: Scope
) -> ConversationState:
    _ = scope._
    if outcome.problem is not None:
        scope.say(steps.problem_text(outcome.problem, scope))
        if outcome.problem is Problem.STALE and outcome.position is not None:
            run = run.model_copy(update={"node_id": outcome.position.node_id, "history": (), "selection": ()})
        _show(dialog, run, scope)
        return _with_run(state, run)
    assert dialog.version is not None
    for result in outcome.results:
        if result.key == COMPLETED:
            scope.record(SurveyCompleted(dialog.id, run.wave))
        else:
            scope.record(
                SurveyAnswered(dialog.id, dialog.version, run.wave, result.key, result.value, result.category)
            )
    key = dialog.node(run.node_id).result or run.node_id
    if outcome.alert and key not in run.alerted:  # once per question, however often it is changed
        staff.alert(scope, state.participant, dialog.title.get(scope.ctx.default_language), run.wave, key)
        run = run.model_copy(update={"alerted": (*run.alerted, key)})
    if outcome.position is None:  # a survey without closing words
        scope.say(_("Thank you! Your answers have reached the DT4E team."), [[_main_menu(scope)]])
        return _completed(state, run)
    if outcome.position.node_id == run.node_id and not outcome.results:
        run = run.model_copy(update={"selection": outcome.selection})  # a choice ticked, a month picked
        _show(dialog, run, scope)
        return _with_run(state, run)
    history = (*run.history, run.node_id)
    run = run.model_copy(update={"node_id": outcome.position.node_id, "selection": (), "history": history})
    closing = dialog.node(run.node_id)
    if closing.ask is None and next(closing.exits(), None) is None:
        # The closing words end the survey: shown with the menu, no "Finish" to press.
        for result in _advance(dialog, run, Answer(NEXT, True), scope).results:
            if result.key == COMPLETED:
                scope.record(SurveyCompleted(dialog.id, run.wave))
        scope.say(closing.say.get(scope.lang), [[_main_menu(scope)]])
        return _completed(state, run)
    _show(dialog, run, scope)
    return _with_run(state, run)


def _main_menu(scope: Scope) -> Button:
    return menu.button(scope, "main", scope._("Main menu"))


def _completed(state: ConversationState, run: SurveyRun) -> ConversationState:
    run = run.model_copy(update={"node_id": "", "selection": (), "completed": True})
    return _with_run(state, run).model_copy(update={"active_survey": ""})


def offer_to_continue(state: ConversationState, scope: Scope) -> bool:
    """After an answer given mid-survey: "continue the survey?"; ``True`` if offered."""
    current = _active(state, scope.ctx)
    if current is None:
        return False
    dialog, run = current
    _ = scope._
    scope.say(
        # TRANSLATORS: {title} is the survey's title.
        _("Continue the survey “{title}”?").format(title=dialog.title.get(scope.lang)),
        # TRANSLATORS: a button; "▶" points forward in reading order, so in Arabic it is written "◀".
        [[in_place(SurveyButton(dialog.id, run.wave).button(_("Continue ▶")))]],
    )
    return True
