"""Button data: declared once per kind, read back exactly, and never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.buttons import ButtonData
from bot.basics.lang import Lang
from bot.core.dispatch import Pressed, pressed
from bot.core.features.answers import FaqButton, FeedbackButton
from bot.core.features.handover import CaseAction, CaseButton
from bot.core.features.menu import MenuButton
from bot.core.features.modules import ModuleButton
from bot.core.features.onboarding import LanguageButton, RoleButton
from bot.core.state import Role
from dialogs.engine import StepButton


@pytest.mark.parametrize(
    ("button", "data"),
    [
        (LanguageButton(Lang.AR), "lang:ar"),
        (RoleButton(Role.EMPLOYER), "role:employer"),
        (MenuButton("help"), "menu:help"),
        (FaqButton("visa-type"), "faq:visa-type"),
        (FaqButton("visa-type", Lang.EN), "faq:visa-type:en"),
        (FeedbackButton("visa-type", False), "fb:visa-type:0"),
        (FeedbackButton("visa-type", True), "fb:visa-type:1"),
        (FeedbackButton("visa-type", True, Lang.FR), "fb:visa-type:1:fr"),
        (ModuleButton("living-in-belgium"), "mod:living-in-belgium"),
        (StepButton("living-in-belgium", "quiz_waste", "next"), "m:living-in-belgium:quiz_waste:next"),
    ],
)
def test_data_is_stable_and_reads_back(button: Pressed, data: str) -> None:
    """The data of buttons already in people's chats must keep its meaning across versions."""
    assert button.pack() == data
    assert pressed(data) == button


@pytest.mark.parametrize(
    "data",
    [
        *("", "lang:de", "lang:AR", "role:boss", "faq:", "faq:x:de", "faq:x:en:1", "faq:x:", "fb:x:2"),
        *("fb:x", "fb:x:1:", "fb:x:1:EN", "x" * 64, "v0:old", "m:a:b"),
    ],
)
def test_unknown_data_reads_as_nothing_not_an_error(data: str) -> None:
    assert pressed(data) is None


@given(st.text(max_size=80))
def test_any_data_whatsoever_is_read_without_raising(data: str) -> None:
    button = pressed(data)
    assert button is None or button.pack() == data


@pytest.mark.parametrize("number", ["²", "--5", "٣", "1e3", "99999999999", " 7", "+4"])
@given(prefix=st.sampled_from(["sv:talent-follow-up:", "sb:talent-follow-up:", "cs:1:talent-follow-up:"]))
def test_an_integer_field_takes_ascii_digits_of_a_sane_size_only(prefix: str, number: str) -> None:
    assert pressed(prefix + number) is None


def test_a_field_that_could_not_be_read_back_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="cannot be button data"):
        FaqButton("a:b").pack()
    with pytest.raises(ValueError, match="cannot be button data"):
        FaqButton("").pack()


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True, slots=True)
class Sample(ButtonData, prefix="smp"):
    count: int
    colour: Colour
    flag: bool


def test_every_field_type_round_trips() -> None:
    sample = Sample(-3, Colour.RED, True)
    assert sample.pack() == "smp:-3:red:1"
    assert Sample.unpack("smp:-3:red:1") == sample
    assert Sample.unpack("smp:x:red:1") is None
    assert Sample.unpack("smp:1:blue:1") is None


@dataclass(frozen=True, slots=True)
class Later(ButtonData, prefix="ltr"):
    name: str
    colour: Colour | None = None
    count: int | None = None


def test_optional_fields_at_the_end_are_left_off_and_read_back_as_none() -> None:
    """A field added to a kind later: the buttons sent before it read back without it."""
    assert Later("a").pack() == "ltr:a"
    assert Later("a", Colour.RED).pack() == "ltr:a:red"
    assert Later("a", Colour.RED, 2).pack() == "ltr:a:red:2"
    for data in ("ltr:a", "ltr:a:red", "ltr:a:red:2"):
        assert Later.unpack(data) is not None
        assert Later.unpack(data).pack() == data  # type: ignore[union-attr]
    assert Later.unpack("ltr:a") == Later("a")
    assert Later.unpack("ltr") is None  # the required field is still required
    assert Later.unpack("ltr:a:red:2:3") is None
    assert Later.unpack("ltr:a::2") is None
    with pytest.raises(ValueError, match="cannot be button data"):
        Later("a", None, 2).pack()  # only the last ones may be left off


def test_a_kind_without_a_prefix_is_refused() -> None:
    with pytest.raises(TypeError, match="prefix"):

        class NoPrefix(ButtonData):
            pass


def test_every_kind_of_button_the_core_makes_is_read_back() -> None:
    """A new button kind left out of ``Pressed`` would answer "this button has expired"."""
    import importlib
    import pkgutil
    from typing import get_args

    import bot.core.features

    for module in pkgutil.iter_modules(bot.core.features.__path__):
        importlib.import_module(f"bot.core.features.{module.name}")

    def kinds(base: type) -> set[type]:
        found: set[type] = set()
        subclasses: list[type] = base.__subclasses__()
        for sub in subclasses:
            found |= {sub} | kinds(sub)
        return found

    def name(kind: type) -> str:  # dataclass(slots=True) leaves the class it replaced behind
        return f"{kind.__module__}.{kind.__qualname__}"

    made = {name(k) for k in kinds(ButtonData) if k.__module__.startswith(("bot.", "dialogs."))}
    # A case's Take / Close counts only in the staff chat, where the service routes it to the
    # case: pressed anywhere else it must mean nothing (it names another person's case).
    staff_chat_only = {name(CaseButton)}
    assert made - {name(kind) for kind in get_args(Pressed)} == staff_chat_only
    assert pressed(CaseButton("telegram", "42", 1, CaseAction.CLOSE).pack()) is None
    assert pressed("jb:7:pause").pack() == "jb:7:pause"  # type: ignore[union-attr]
