"""Guided modules in the conversation: the list with progress, a step at a time, quizzes,
typed answers and typed "next" or "I don't know" (:mod:`~bot.core.features.typed_words`),
leaving for a question and coming back, stale buttons.

The dialog engine (:mod:`dialogs.engine`) decides what a step shows and where an answer leads;
this feature keeps the user's place in :class:`~bot.core.state.ModuleProgress`, words the replies
and passes the engine's :class:`~dialogs.engine.ResultRecorded` events on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.basics.buttons import Button, ButtonData, in_place
from bot.core.context import Context
from bot.core.features import menu, steps, typed_words
from bot.core.features.answers import contact_text
from bot.core.scope import Scope
from bot.core.state import ConversationState, ModuleProgress, Role
from dialogs.engine import (
    NEXT,
    Answer,
    Outcome,
    Position,
    Problem,
    StepButton,
    advance,
    begin,
    is_stale,
    parse_number,
    screen,
)
from dialogs.library import CONTACT
from dialogs.model import Dialog, ModuleAudience


@dataclass(frozen=True, slots=True)
class ModuleButton(ButtonData, prefix="mod"):
    """Open a module: start it, or continue where the user left it (a finished one asks first)."""

    dialog_id: str


@dataclass(frozen=True, slots=True)
class RestartButton(ButtonData, prefix="mr"):
    """Go through a finished module again, from step 1 (its record of completion stays)."""

    dialog_id: str


def _dialog(ctx: Context, dialog_id: str) -> Dialog | None:
    return ctx.dialogs.get(dialog_id) if ctx.dialogs is not None else None


def _progress(state: ConversationState, dialog_id: str) -> ModuleProgress:
    return state.modules.get(dialog_id, ModuleProgress())


def _with_progress(state: ConversationState, dialog_id: str, progress: ModuleProgress) -> ConversationState:
    return state.model_copy(update={"modules": {**state.modules, dialog_id: progress}})


def in_progress(state: ConversationState, ctx: Context) -> tuple[Dialog, Position] | None:
    """The module the user is going through, and where, if any (and if it still exists)."""
    dialog = _dialog(ctx, state.active_module)
    if dialog is None:
        return None
    position = Position(dialog.id, _progress(state, dialog.id).node_id)
    return None if is_stale(dialog, position) else (dialog, position)


def status(state: ConversationState, dialog: Dialog, scope: Scope) -> str:
    _ = scope._
    progress = _progress(state, dialog.id)
    position = Position(dialog.id, progress.node_id)
    done = ""
    if progress.completed:
        # TRANSLATORS: a finished module in the list; {score} is the quiz score, a fraction such as 2/3.
        done = _("done, quiz {score}").format(score=progress.score) if progress.score != "yes" else _("done")
    if progress.node_id and not is_stale(dialog, position):
        step = _("step {step} of {total}").format(
            step=dialog.step_of(progress.node_id), total=dialog.total_steps
        )
        return f"{step} ({done})" if done else step
    return done or _("not started")


def list_modules(state: ConversationState, scope: Scope) -> ConversationState:
    """``/modules``: the modules with the user's progress, as buttons: the talents' (the
    pre-departure orientation), after the employers' own for an employer."""
    _ = scope._
    ctx = scope.ctx
    talents = ctx.dialogs.modules() if ctx.dialogs is not None else ()
    own = (
        ctx.dialogs.modules(ModuleAudience.EMPLOYER)
        if ctx.dialogs is not None and state.role is Role.EMPLOYER
        else ()
    )
    if not talents and not own:
        scope.say(_("There are no modules yet."))
        return state
    buttons = [
        [in_place(ModuleButton(d.id).button(f"{d.title.get(scope.lang)} · {status(state, d, scope)}"))]
        for d in (*own, *talents)
    ]
    intro = (
        _(
            "First, for you as an employer: a short check of what applies to you, ending with your "
            "own checklist. Then the five modules of the talents' pre-departure orientation. Choose one:"
        )
        if own
        else _(
            "The pre-departure orientation has five modules. Go through them at your own pace; "
            "you can stop at any time and continue later. Choose a module:"
        )
    )
    scope.say(intro, buttons)
    return state


def show_step(
    dialog: Dialog, position: Position, scope: Scope, answers: Mapping[str, str] | None = None
) -> None:
    """The step at ``position``; ``answers`` (this run's categories) decide which checklist
    items it shows, and ``{contact}`` becomes the deployment's contact channel."""
    scope.say(*_step(dialog, position, scope, answers))


def _step(
    dialog: Dialog, position: Position, scope: Scope, answers: Mapping[str, str] | None = None
) -> tuple[str, list[list[Button]]]:
    _ = scope._
    view = screen(dialog, position, scope.lang, answers=answers)
    header = f"{dialog.title.get(scope.lang)} · " + _("step {step} of {total}").format(
        step=view.step, total=view.total
    )
    body = view.text.replace("{" + CONTACT + "}", contact_text(scope.ctx, scope.lang))
    text = f"{header}\n\n{body}"
    if view.link:
        text += f"\n\n{view.link}"
    if view.kind == "info":
        label = _("Finish ✓") if view.is_last else _("Next ▶")
        return text, [[StepButton(dialog.id, position.node_id, NEXT).button(label)]]
    if hint := steps.typing_hint(view.kind, scope):
        text += "\n\n" + hint
    return text, [[Button(label, data)] for label, data in view.choices]


def open_module(
    state: ConversationState, scope: Scope, dialog_id: str, *, again: bool = False
) -> ConversationState:
    """Start a module, or continue it where the user left it; a finished one is started again
    only once the user says so (``again``), and stays counted as done."""
    _ = scope._
    dialog = _dialog(scope.ctx, dialog_id)
    if dialog is None:
        scope.say(_("This module is no longer available."))
        return list_modules(state, scope)
    progress = _progress(state, dialog_id)
    position = Position(dialog_id, progress.node_id)
    if progress.completed and not progress.node_id and not again:
        scope.say(
            # TRANSLATORS: {title} is the module's title, {status} "done" or "done, quiz 2/3" (translated).
            _("You have finished “{title}” ({status}). Go through it again from the start?").format(
                title=dialog.title.get(scope.lang), status=status(state, dialog, scope)
            ),
            [
                [in_place(RestartButton(dialog_id).button(_("Start again")))],
                [in_place(menu.button(scope, "modules", _("All modules")))],
            ],
        )
        return state
    if not progress.node_id or is_stale(dialog, position):
        position = begin(dialog)
        progress = progress.model_copy(update={"node_id": position.node_id, "categories": {}})
    state = _with_progress(state, dialog_id, progress).model_copy(update={"active_module": dialog_id})
    show_step(dialog, position, scope, progress.categories)
    return state


def answer_button(state: ConversationState, scope: Scope, step: StepButton) -> ConversationState:
    """A dialog button: counted only if it belongs to the step the user is on now."""
    current = in_progress(state, scope.ctx)
    if current is None or current[1] != Position(step.dialog_id, step.node_id):
        scope.restyle()  # its keyboard goes: it no longer looks alive
        scope.say(scope._("That button is from an earlier step, so I did not count it."))
        if current is not None:
            show_step(*current, scope, _progress(state, current[0].id).categories)
            return state
        return list_modules(state, scope)
    dialog, position = current
    outcome = _advance(state, dialog, position, Answer(step.value, True), scope)
    if outcome.problem is None:
        _settle(dialog, position, scope, step.pack(), _progress(state, dialog.id).categories, outcome)
    return _apply(state, dialog, position, outcome, scope)


def _settle(
    dialog: Dialog, position: Position, scope: Scope, data: str, answers: Mapping[str, str], outcome: Outcome
) -> None:
    """Next turns the pressed step into the next one; Finish or an answer (ticked) disarm it."""
    if dialog.node(position.node_id).ask is None:
        if outcome.position is not None:
            scope.in_place()
        else:
            scope.restyle()
        return
    text, rows = _step(dialog, position, scope, answers)
    chosen = next((b.label for row in rows for b in row if b.data == data), "")
    scope.restyle(f"{text}\n\n✓ {chosen}" if chosen else "")


def answer_text(state: ConversationState, scope: Scope, text: str) -> ConversationState | None:
    """A typed message while in a module: an answer to the current question, a typed "next"
    or "I don't know" (:mod:`~bot.core.features.typed_words`), or ``None`` when it is none of
    these, so it is read as a question.

    At an information step "next" does what its Next (or Finish) button does. At a question,
    an answer is read first (a label, a number); "next", "I don't know" or a number that is
    none of the choices asks again for one of the options, with the question and its buttons
    (at a quiz, "I don't know" is invited to guess)."""
    current = in_progress(state, scope.ctx)
    if current is None:
        return None
    dialog, position = current
    ask = dialog.node(position.node_id).ask
    intent = typed_words.intent(text)
    if ask is None:
        if intent is not typed_words.Intent.NEXT:
            return None
        pressed = _advance(state, dialog, position, Answer(NEXT, True), scope)  # as its button does
        return _apply(state, dialog, position, pressed, scope)
    outcome = _advance(state, dialog, position, Answer(text), scope)
    if outcome.problem is not Problem.NOT_A_CHOICE:
        return _apply(state, dialog, position, outcome, scope)
    if intent is typed_words.Intent.DONT_KNOW and ask.correct is not None:
        scope.say(
            scope._(
                "No problem: take a guess and choose one of the options. The right answer comes just after."
            )
        )
        show_step(dialog, position, scope, _progress(state, dialog.id).categories)
        return state
    if intent in (typed_words.Intent.NEXT, typed_words.Intent.DONT_KNOW) or parse_number(text) is not None:
        return _apply(state, dialog, position, outcome, scope)  # "please choose one of the options"
    return None


def _advance(
    state: ConversationState, dialog: Dialog, position: Position, answer: Answer, scope: Scope
) -> Outcome:
    return advance(
        dialog, position, answer, scope.lang, scope.inbound.at, _progress(state, dialog.id).categories
    )


def _apply(
    state: ConversationState, dialog: Dialog, position: Position, outcome: Outcome, scope: Scope
) -> ConversationState:
    _ = scope._
    progress = _progress(state, dialog.id)
    if outcome.problem is not None:
        scope.say(steps.problem_text(outcome.problem, scope))
        if outcome.position is not None:
            if outcome.problem is Problem.STALE:
                progress = progress.model_copy(update={"node_id": outcome.position.node_id, "categories": {}})
                state = _with_progress(state, dialog.id, progress)
            show_step(dialog, outcome.position, scope)
        return state
    for result in outcome.results:
        scope.record(result)
    categories = {**progress.categories, **{r.key: r.category for r in outcome.results}}
    if outcome.correct is not None:
        verdict = _("Correct!") if outcome.correct else _("Not quite.")
        scope.say(f"{verdict} {outcome.feedback or ''}".strip())
    if outcome.position is not None:
        progress = progress.model_copy(update={"node_id": outcome.position.node_id, "categories": categories})
        show_step(dialog, outcome.position, scope, categories)
        return _with_progress(state, dialog.id, progress)
    completed = next((r.value for r in outcome.results if r.key == "completed"), "yes")
    progress = ModuleProgress(completed=True, score=completed)
    # The module's last step says it is finished: here, the quiz score and where to go next.
    # TRANSLATORS: {score} is the quiz score, a fraction such as 2/3 (right answers / questions).
    text = _("Quiz: {score} correct.").format(score=completed) if completed != "yes" else _("What next?")
    rows = [[menu.button(scope, "modules", _("All modules")), menu.button(scope, "main", _("Main menu"))]]
    if (following := _next_module(scope.ctx, dialog)) is not None:
        # TRANSLATORS: a button; {title} is the title of the next module.
        label = _("Next module: {title}").format(title=following.title.get(scope.lang))
        rows.insert(0, [ModuleButton(following.id).button(label)])
    scope.say(text, rows)
    return _with_progress(state, dialog.id, progress).model_copy(update={"active_module": ""})


def _next_module(ctx: Context, dialog: Dialog) -> Dialog | None:
    """The module after ``dialog`` in the orientation's order, if any."""
    order = list(ctx.dialogs.modules(dialog.audience) if ctx.dialogs is not None else ())
    at = next((n for n, d in enumerate(order) if d.id == dialog.id), None)
    return order[at + 1] if at is not None and at + 1 < len(order) else None


def offer_to_continue(state: ConversationState, scope: Scope) -> ConversationState:
    """After an answer given mid-module: "continue module X at step N?", once for that step
    (the next questions do not repeat it)."""
    current = in_progress(state, scope.ctx)
    if current is None:
        return state
    dialog, position = current
    offered = f"{dialog.id}:{position.node_id}"
    if state.continue_offered == offered:
        return state
    _ = scope._
    scope.say(
        # TRANSLATORS: {title} is the module's title, {step} the number of the step (1, 2 ...).
        _("Continue the module “{title}” at step {step}?").format(
            title=dialog.title.get(scope.lang), step=dialog.step_of(position.node_id)
        ),
        [[in_place(ModuleButton(dialog.id).button(_("Continue ▶")))]],
    )
    return state.model_copy(update={"continue_offered": offered})
