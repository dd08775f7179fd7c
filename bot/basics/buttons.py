"""Button data, declared once per kind of button (as aiogram's ``CallbackData`` does).

A kind of button is a frozen dataclass with a prefix that is never reused for anything else::

    @dataclass(frozen=True, slots=True)
    class FeedbackButton(ButtonData, prefix="fb"):
        faq_id: str
        helpful: bool

    FeedbackButton("visa-type", True).pack()      # "fb:visa-type:1"
    FeedbackButton.unpack("fb:visa-type:1")       # FeedbackButton("visa-type", True)
    FeedbackButton.unpack("fb:visa-type:2")       # None: not this kind's data

Fields are ``str`` (not empty, no ``:``), ``int``, ``bool`` (``1`` / ``0``) or a ``StrEnum``;
the last ones may be optional (``X | None = None``): left off the data when ``None``, so a field
added to a kind later reads the older buttons, which lack it, as ``None``.
Data that does not read back (an old release's button, a tampered payload) is ``None``, never an
exception, so old buttons keep working as long as their kind keeps its prefix and fields. How
many bytes of data a channel carries is the channel's business (Telegram: 64).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Self

SEP = ":"
IN_PLACE = "~"
"""Before a button's data: pressing it changes the message it is under into the reply (a menu
that leads to a menu) instead of adding one; see :func:`in_place`."""
_INT = re.compile(r"-?[0-9]{1,9}")
"""An int field: ASCII digits only, small enough for any database's integer column."""


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a reply: what it says and the data it sends back when pressed."""

    label: str
    data: str


def in_place(button: Button) -> Button:
    """The same button, whose reply replaces the message it is under (its data marked with
    :data:`IN_PLACE`, one byte more)."""
    return Button(button.label, IN_PLACE + button.data)


def read_in_place(data: str) -> tuple[str, bool]:
    """Pressed data without its :data:`IN_PLACE` mark, and whether it had one."""
    return (data[1:], True) if data.startswith(IN_PLACE) else (data, False)


class ButtonData:
    """The base of every kind of button data (see the module docstring)."""

    __slots__ = ()
    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is None:
            # dataclass(slots=True) builds the class again, without the class keywords.
            if "prefix" not in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__}: declare its prefix, class {cls.__name__}(ButtonData, prefix=...)"
                )
            return
        if not prefix or SEP in prefix:
            raise TypeError(f"{cls.__name__}: a prefix is a short word without {SEP!r}")
        cls.prefix = prefix

    def pack(self) -> str:
        """The data as sent with the button; :class:`ValueError` for a field that cannot be read
        back (empty, or containing ``:``)."""
        values = [getattr(self, item.name) for item in fields(self)]  # type: ignore[arg-type]
        while values and values[-1] is None:  # optional fields at the end: left off
            values.pop()
        parts = [self.prefix]
        for item, value in zip(fields(self), values, strict=False):  # type: ignore[arg-type]
            text = "" if value is None else _encode(value)
            if not text or SEP in text:
                raise ValueError(f"{type(self).__name__}.{item.name}: {text!r} cannot be button data")
            parts.append(text)
        return SEP.join(parts)

    def button(self, label: str) -> Button:
        return Button(label, self.pack())

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        """This kind's data read back, or ``None`` when ``data`` is not (or no longer) one."""
        prefix, *values = data.split(SEP)
        declared = fields(cls)  # type: ignore[arg-type]
        required = sum(1 for item in declared if item.default is not None)
        if prefix != cls.prefix or not required <= len(values) <= len(declared):
            return None
        hints = typing.get_type_hints(cls)
        parsed: dict[str, object] = {}
        for item, text in zip(declared, values, strict=False):
            value = _decode(_not_none(hints[item.name]), text)
            if value is None:
                return None
            parsed[item.name] = value
        return cls(**parsed)


def _not_none(kind: Any) -> Any:
    """``X`` of an optional field's ``X | None``."""
    args = [arg for arg in typing.get_args(kind) if arg is not type(None)]
    return args[0] if len(args) == 1 and type(None) in typing.get_args(kind) else kind


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


def _decode(kind: Any, text: str) -> object | None:
    if not text:
        return None
    if kind is bool:
        return {"1": True, "0": False}.get(text)
    if kind is int:
        return int(text) if _INT.fullmatch(text) else None
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        try:
            return kind(text)
        except ValueError:
            return None
    if kind is str:
        return text
    raise TypeError(f"button data fields are str, int, bool or StrEnum, not {kind!r}")
