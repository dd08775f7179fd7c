"""A survey's results for staff: counts per question, the net promoter score, a chart (PNG) and
the spreadsheet (XLSX), as attachments for ``/results``.

The chart is drawn with matplotlib (no screen needed), in English like the export, one bar chart
per question with choices, scores or yes/no."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.basics.lang import Lang
from bot.core.events import Attachment
from bot.core.requests import QuestionCounts, ResultsReport
from bot.service.exports import ExportedResponse, question_keys, questions, table, write_xlsx
from dialogs.model import AskType, Dialog

CHARTED = (AskType.RATING, AskType.NPS, AskType.CHOICE, AskType.MULTI, AskType.YES_NO)


def _values(dialog: Dialog, key: str) -> tuple[AskType, list[str]] | None:
    """The possible answers of a charted question, in its order."""
    node = dialog.asking(key)
    if node is None or node.ask is None or node.ask.type not in CHARTED:
        return None
    ask = node.ask
    if ask.type is AskType.RATING:
        return ask.type, [str(v) for v in ask.rating_values]
    if ask.type is AskType.NPS:
        return ask.type, [str(v) for v in range(11)]
    if ask.type is AskType.YES_NO:
        return ask.type, ["yes", "no"]
    return ask.type, [c.id for c in ask.choices]


def summarise(dialog: Dialog, responses: Sequence[ExportedResponse], sent: int) -> ResultsReport:
    counts: list[QuestionCounts] = []
    nps_answers: list[int] = []
    for key in question_keys(dialog, responses):
        shape = _values(dialog, key)
        if shape is None:
            continue
        kind, values = shape
        tally = dict.fromkeys(values, 0)
        for response in responses:
            value, category = response.answers.get(key, ("", ""))
            if category == "skipped" or not value:
                continue
            for part in value.split(",") if kind is AskType.MULTI else [value]:
                if part in tally:
                    tally[part] += 1
            if kind is AskType.NPS and value.isdigit():
                nps_answers.append(int(value))
        counts.append(QuestionCounts(key, kind.value, tally))
    nps = None
    if nps_answers:
        promoters = sum(a >= 9 for a in nps_answers)
        detractors = sum(a <= 6 for a in nps_answers)
        nps = round(100 * (promoters - detractors) / len(nps_answers))
    completed = sum(r.completed_at is not None for r in responses)
    return ResultsReport(dialog.id, len(responses), completed, sent, tuple(counts), nps)


def chart_png(dialog: Dialog, report: ResultsReport) -> bytes:
    """The chart, drawn on its own Figure (not pyplot's global state), so it can be drawn in a
    worker thread while the bot goes on answering."""
    from matplotlib.figure import Figure

    charted = [q for q in report.questions if q.counts]
    rows = max(len(charted), 1)
    figure = Figure(figsize=(8, 2.2 * rows))
    axes = figure.subplots(rows, 1, squeeze=False)
    for axis, question in zip(axes[:, 0], charted, strict=False):
        axis.barh(_labels(dialog, question), list(question.counts.values()), color="#1f5fa8")
        axis.invert_yaxis()
        axis.set_title(question.key, loc="left", fontsize=10)
        axis.tick_params(labelsize=8)
        axis.xaxis.get_major_locator().set_params(integer=True)
    title = f"{dialog.title.get(Lang.EN)}: {report.completed} completed, {report.responses} started"
    if report.nps is not None:
        title += f", NPS {report.nps}"
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=110)
    return out.getvalue()


def _labels(dialog: Dialog, question: QuestionCounts) -> list[str]:
    node = dialog.asking(question.key)
    names = {c.id: c.label.get(Lang.EN) for c in node.ask.choices} if node and node.ask else {}
    if (
        question.kind == AskType.RATING.value
        and node is not None
        and node.ask is not None
        and node.ask.choices
    ):
        names = {
            str(v): c.label.get(Lang.EN)
            for v, c in zip(node.ask.rating_values, node.ask.choices, strict=True)
        }
    return [names.get(value, value)[:28] for value in question.counts]


def attachments(
    dialog: Dialog, responses: Sequence[ExportedResponse], report: ResultsReport
) -> tuple[Attachment, ...]:
    header, rows = table(dialog, responses)
    sheet = io.BytesIO()
    write_xlsx(sheet, header, rows, questions(dialog, question_keys(dialog, responses)))
    return (
        Attachment("image", f"{dialog.id}.png", chart_png(dialog, report), dialog.title.get(Lang.EN)),
        Attachment("document", f"{dialog.id}.xlsx", sheet.getvalue(), f"{len(rows)} responses"),
    )
