"""What modules and surveys say alike about a step: why an answer was not taken, and how to
type one."""

from __future__ import annotations

from bot.core.scope import Scope
from dialogs.engine import Problem


def problem_text(problem: Problem, scope: Scope) -> str:
    _ = scope._
    texts = {
        Problem.NOT_A_CHOICE: _("Please choose one of the options."),
        Problem.NOT_A_NUMBER: _("Please type a number."),
        Problem.OUT_OF_RANGE: _("Please type a number in the range shown."),
        # TRANSLATORS: the bot reads dates day first: keep the example 31/12/2026 in day/month/year order.
        Problem.NOT_A_DATE: _("Please type a date, for example 31/12/2026."),
        Problem.EMPTY: _("Please type an answer."),
        Problem.STALE: _(
            "This module has changed since you started it, so it starts again from the beginning."
        ),
    }
    return texts[problem]


def typing_hint(kind: str, scope: Scope) -> str:
    """What to type for a question answered in words ("" when buttons do it)."""
    _ = scope._
    if kind == "number":
        return _("Type a number.")
    if kind == "date":
        # TRANSLATORS: the bot reads dates day first: keep the example 31/12/2026 in day/month/year order.
        return _("Type a date, for example 31/12/2026.")
    if kind == "text":
        return _("Type your answer.")
    return ""
