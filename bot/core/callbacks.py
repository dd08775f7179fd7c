"""Button data: compact, stable strings (at most 64 bytes, Telegram's limit).

Every button the core creates is built here and read back here, so old buttons keep working
across versions as long as a prefix is never reused for something else. Data that no longer
parses (an old release's button, a tampered payload) becomes :class:`Expired`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.types import Lang, Role

MAX_BYTES = 64


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    lang: Lang


@dataclass(frozen=True, slots=True)
class RoleChoice:
    role: Role


@dataclass(frozen=True, slots=True)
class MenuChoice:
    item: str


@dataclass(frozen=True, slots=True)
class FaqChoice:
    faq_id: str


@dataclass(frozen=True, slots=True)
class FeedbackChoice:
    faq_id: str
    helpful: bool


@dataclass(frozen=True, slots=True)
class ModuleChoice:
    """Open a module: start it, or continue where the user left it."""

    dialog_id: str


@dataclass(frozen=True, slots=True)
class DialogAnswer:
    """A button of a dialog step (see :func:`dialogs.engine.callback_data`)."""

    dialog_id: str
    node_id: str
    value: str


@dataclass(frozen=True, slots=True)
class Expired:
    data: str


Choice = (
    LanguageChoice
    | RoleChoice
    | MenuChoice
    | FaqChoice
    | FeedbackChoice
    | ModuleChoice
    | DialogAnswer
    | Expired
)

MENU_ITEMS = frozenset({"main", "ask", "language", "help", "human", "modules"})


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
    return data


def language(lang: Lang) -> str:
    return _checked(f"lang:{lang.value}")


def role(value: Role) -> str:
    return _checked(f"role:{value.value}")


def menu(item: str) -> str:
    return _checked(f"menu:{item}")


def faq(faq_id: str) -> str:
    return _checked(f"faq:{faq_id}")


def feedback(faq_id: str, helpful: bool) -> str:
    return _checked(f"fb:{faq_id}:{int(helpful)}")


def module(dialog_id: str) -> str:
    return _checked(f"mod:{dialog_id}")


DIALOG_PREFIX = "m"


def dialog_step(dialog_id: str, node_id: str, value: str) -> str:
    """The data of a dialog button, ``m:{dialog_id}:{node_id}:{value}``: the value is a choice id,
    a rating value or ``next``. :class:`ValueError` over 64 bytes; ``dt4e-bot check`` verifies
    every button of every dialog, so a loaded dialog never hits it."""
    data = f"{DIALOG_PREFIX}:{dialog_id}:{node_id}:{value}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data {data!r} is {len(data.encode())} bytes, at most {MAX_BYTES} fit")
    return data


def parse_dialog_step(data: str) -> tuple[str, str, str] | None:
    """``(dialog_id, node_id, value)`` from dialog button data, or ``None`` if it is not one."""
    parts = data.split(":")
    if len(parts) != 4 or parts[0] != DIALOG_PREFIX or not all(parts[1:]):
        return None
    return parts[1], parts[2], parts[3]


def parse(data: str) -> Choice:
    """Read button data back; anything unknown is :class:`Expired`, never an exception."""
    prefix, _, rest = data.partition(":")
    if prefix == "lang" and (lang := Lang.parse(rest)) is not None and lang.value == rest:
        return LanguageChoice(lang)
    if prefix == "role" and rest in {r.value for r in Role}:
        return RoleChoice(Role(rest))
    if prefix == "menu" and rest in MENU_ITEMS:
        return MenuChoice(rest)
    if prefix == "faq" and rest:
        return FaqChoice(rest)
    if prefix == "mod" and rest:
        return ModuleChoice(rest)
    if prefix == DIALOG_PREFIX and (step := parse_dialog_step(data)) is not None:
        return DialogAnswer(*step)
    if prefix == "fb":
        faq_id, _, flag = rest.rpartition(":")
        if faq_id and flag in {"0", "1"}:
            return FeedbackChoice(faq_id, flag == "1")
    return Expired(data)
