"""Staff commands in Telegram: ``/survey`` (push a survey: which, to whom, confirm), ``/status``
(recent pushes) and ``/results`` (response rate, distributions, a chart and the spreadsheet).

Where the programme's data is needed, a command records a :class:`~bot.core.events.StaffAsked`
and the service answers it after the turn through the renderers at the end of this module."""

from __future__ import annotations

from dataclasses import dataclass

from bot.basics.buttons import ButtonData
from bot.basics.lang import Lang
from bot.core.audience import Audience, parse_audience
from bot.core.context import Context
from bot.core.events import ReplyCreated, StaffAsked, StaffNotified
from bot.core.features import menu
from bot.core.requests import (
    AudienceCount,
    AudienceRequest,
    PushRequest,
    ResultsReport,
    ResultsRequest,
    StaffRequest,
    StatusRequest,
)
from bot.core.scope import Scope, reply
from bot.core.state import Awaiting, ConversationState, PushDraft


@dataclass(frozen=True, slots=True)
class PushSurveyButton(ButtonData, prefix="ps"):
    survey_id: str


@dataclass(frozen=True, slots=True)
class AudienceButton(ButtonData, prefix="pa"):
    """Everyone of a role (the common audiences, one tap)."""

    role: str


@dataclass(frozen=True, slots=True)
class PushConfirmButton(ButtonData, prefix="pc"):
    """Send or cancel the preview numbered ``preview``: an older preview's button counts for nothing."""

    survey_id: str
    preview: int
    send: bool


@dataclass(frozen=True, slots=True)
class ResultsButton(ButtonData, prefix="rs"):
    survey_id: str


def _ask(scope: Scope, request: StaffRequest) -> None:
    scope.record(StaffAsked(request, scope.lang))


def _surveys(scope: Scope) -> list[tuple[str, str]]:
    library = scope.ctx.dialogs
    return [(d.id, d.title.get(scope.lang)) for d in (library.surveys() if library is not None else ())]


def _refused(state: ConversationState, scope: Scope) -> ConversationState:
    """A staff button pressed by someone who is not staff: the same line as an unknown command."""
    return menu.run(state, scope, None)


def status(state: ConversationState, scope: Scope) -> ConversationState:
    """``/status``."""
    _ask(scope, StatusRequest())
    return state


def results(state: ConversationState, scope: Scope) -> ConversationState:
    """``/results [SURVEY]``: the survey named, else a button for each."""
    surveys = dict(_surveys(scope))
    if scope.payload in surveys:
        _ask(scope, ResultsRequest(scope.payload))
        return state
    rows = [[ResultsButton(survey_id).button(title)] for survey_id, title in surveys.items()]
    scope.say(scope._("Results of which survey?"), rows)
    return state


def results_pressed(state: ConversationState, scope: Scope, pressed: ResultsButton) -> ConversationState:
    if not scope.staff:
        return _refused(state, scope)
    _ask(scope, ResultsRequest(pressed.survey_id))
    return state


def push(state: ConversationState, scope: Scope) -> ConversationState:
    """``/survey``: which survey to send."""
    rows = [[PushSurveyButton(survey_id).button(title)] for survey_id, title in _surveys(scope)]
    scope.say(scope._("Which survey do you want to send?"), rows)
    return state


def survey_chosen(state: ConversationState, scope: Scope, pressed: PushSurveyButton) -> ConversationState:
    if not scope.staff:
        return _refused(state, scope)
    _ = scope._
    rows = [
        [
            AudienceButton("talent").button(_("All talents")),
            AudienceButton("employer").button(_("All employers")),
        ],
        [PushConfirmButton(pressed.survey_id, 0, False).button(_("Cancel"))],
    ]
    scope.say(
        # TRANSLATORS: keep "talent cohort 2026-A country BE" and "T-0001 T-0002" as they are:
        # the bot reads an audience in English or French words only.
        _(
            "Who should get it? Choose, or type an audience, for example: talent cohort 2026-A "
            "country BE, or the references T-0001 T-0002."
        ),
        rows,
    )
    draft = PushDraft(survey_id=pressed.survey_id)
    return state.model_copy(update={"push_draft": draft, "awaiting": Awaiting.AUDIENCE})


def audience_pressed(state: ConversationState, scope: Scope, pressed: AudienceButton) -> ConversationState:
    if not scope.staff or state.push_draft is None:
        return _refused(state, scope)
    return _preview(state, scope, Audience(roles=(pressed.role,)))


def forget_draft(state: ConversationState) -> ConversationState:
    """Any command leaves the push being prepared (so a later message is not read as its audience)."""
    if state.push_draft is None and state.awaiting is not Awaiting.AUDIENCE:
        return state
    awaiting = None if state.awaiting is Awaiting.AUDIENCE else state.awaiting
    return state.model_copy(update={"push_draft": None, "awaiting": awaiting})


def audience_typed(state: ConversationState, scope: Scope, text: str) -> ConversationState | None:
    """A typed audience while one was asked for, or ``None`` (then it is an ordinary message)."""
    if state.awaiting is not Awaiting.AUDIENCE or state.push_draft is None or not scope.staff:
        return None
    audience = parse_audience(text)
    if audience is None:
        return None
    return _preview(state, scope, audience)


def _preview(state: ConversationState, scope: Scope, audience: Audience) -> ConversationState:
    assert state.push_draft is not None
    draft = PushDraft(
        survey_id=state.push_draft.survey_id,
        roles=audience.roles,
        cohorts=audience.cohorts,
        countries=audience.countries,
        references=audience.references,
        # A number no earlier preview has: the time of this one, in milliseconds (9 digits).
        preview=int(scope.inbound.at.timestamp() * 1000) % 1_000_000_000,
    )
    _ask(scope, AudienceRequest(draft.survey_id, audience, draft.preview))
    return state.model_copy(update={"push_draft": draft, "awaiting": None})


def confirmed(state: ConversationState, scope: Scope, pressed: PushConfirmButton) -> ConversationState:
    """Send, or not: only the draft this staff member previewed, once."""
    draft = state.push_draft
    current = draft is not None and (draft.survey_id, draft.preview) == (pressed.survey_id, pressed.preview)
    if not scope.staff or draft is None or not current:
        scope.say(scope._("That button is from an earlier step, so I did not count it."))
        return state
    state = state.model_copy(update={"push_draft": None, "awaiting": None})
    if not pressed.send:
        scope.say(scope._("Nothing was sent."))
        return state
    audience = Audience(draft.roles, draft.cohorts, draft.countries, draft.references)
    if not audience.as_json():  # pragma: no cover - a preview always has an audience
        scope.say(scope._("Nothing was sent."))
        return state
    key = f"{scope.inbound.user.key}:{scope.inbound.update_id or scope.inbound.at.isoformat()}"
    _ask(scope, PushRequest(draft.survey_id, audience, key))
    return state


def alert(scope: Scope, reference: str, survey_title: str, wave: int, key: str) -> None:
    """Tell the staff chat, in the deployment's language, who needs attention: the participant's
    reference and the question, never what they wrote. Nothing without a staff chat."""
    chat = scope.ctx.staff_chat
    if chat is None:
        return
    lang = scope.ctx.default_language
    _ = scope.ctx.i18n.for_lang(lang)
    # TRANSLATORS: to the staff chat; {reference} is the participant's reference, {survey} the survey's title,
    # {wave} the wave's number, {key} the question's identifier in the survey file.
    text = _(
        "Survey alert: participant {reference} gave an answer to follow up in “{survey}” (wave "
        "{wave}), question {key}."
    ).format(reference=reference, survey=survey_title, wave=wave, key=key)
    scope.record(StaffNotified(chat, reply(lang, text)))


# Renderers: the service calls them with the data of a request.


def _title(ctx: Context, survey_id: str, lang: Lang) -> str:
    dialog = ctx.dialogs.get(survey_id) if ctx.dialogs is not None else None
    return dialog.title.get(lang) if dialog is not None else survey_id


def preview_reply(ctx: Context, lang: Lang, request: AudienceRequest, count: AudienceCount) -> ReplyCreated:
    _ = ctx.i18n.for_lang(lang)
    title = _title(ctx, request.survey_id, lang)
    if count.total == 0:
        # TRANSLATORS: {audience} is the audience, written like "talent cohort 2026-A country BE".
        return reply(lang, _("No participant matches “{audience}”. Nothing was sent.").format(
            audience=request.audience.describe()))  # fmt: skip
    # TRANSLATORS: {title} is the survey's title, {audience} the audience (like "talent cohort 2026-A"),
    # {total} how many participants match, {reachable} how many of them can get it now.
    text = _(
        "“{title}”. Participants matching ({audience}): {total}. Can get it now: {reachable} "
        "(connected to the bot, and not declined surveys). Send it?"
    ).format(title=title, total=count.total, audience=request.audience.describe(), reachable=count.reachable)
    buttons = [
        [
            PushConfirmButton(request.survey_id, request.preview, True).button(_("Send")),
            PushConfirmButton(request.survey_id, request.preview, False).button(_("Cancel")),
        ]
    ]
    return reply(lang, text, buttons)


def no_survey_reply(ctx: Context, lang: Lang, survey_id: str) -> ReplyCreated:
    _ = ctx.i18n.for_lang(lang)
    # TRANSLATORS: {survey} is the survey's identifier (not its title).
    return reply(lang, _("There is no survey {survey} any more.").format(survey=survey_id))


def pushed_reply(ctx: Context, lang: Lang, request: PushRequest, push_id: int, total: int) -> ReplyCreated:
    _ = ctx.i18n.for_lang(lang)
    # TRANSLATORS: {push} is the job's number, {title} the survey's title, {total} how many get it;
    # /status is a command: keep it as it is.
    text = _(
        "Push {push}: “{title}”, participants: {total}. The prompts are being sent; /status follows them."
    )
    return reply(lang, text.format(push=push_id, title=_title(ctx, request.survey_id, lang), total=total))


def results_reply(ctx: Context, lang: Lang, report: ResultsReport) -> ReplyCreated:
    _ = ctx.i18n.for_lang(lang)
    title = _title(ctx, report.survey_id, lang)
    rate = f"{100 * report.completed / report.recipients:.0f}%" if report.recipients else "-"
    lines = [
        # TRANSLATORS: {title} is the survey's title; {completed}, {started} and {sent} are numbers of people;
        # {rate} is a percentage like "40%" (or "-").
        _(
            "“{title}”: {completed} completed and {started} started, of {sent} sent ({rate} completed)."
        ).format(
            title=title,
            completed=report.completed,
            started=report.responses,
            sent=report.recipients,
            rate=rate,
        )
    ]
    if report.nps is not None:
        # TRANSLATORS: {nps} is a whole number from -100 to 100.
        lines.append(_("Net promoter score: {nps}").format(nps=report.nps))
    for question in report.questions:
        shown = ", ".join(f"{value}: {n}" for value, n in question.counts.items())
        lines.append(f"{question.key}: {shown}")
    if report.files:
        lines.append(_("The chart and the spreadsheet of every answer follow."))
    return ReplyCreated(reply(lang, "\n".join(lines)).text, lang, attachments=report.files)
