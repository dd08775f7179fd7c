"""Reading content files (FAQ, dialogs, synonyms) strictly.

YAML is parsed with duplicate keys rejected (PyYAML silently keeps the last one), then validated
by a frozen pydantic model with ``extra="forbid"``; every fault becomes a
:class:`~bot.basics.errors.ContentError` naming the file, the entry and what is wrong.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from bot.basics.errors import ContentError, ContentErrors
from bot.basics.lang import Lang

if TYPE_CHECKING:
    import yaml

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Content models are frozen and refuse unknown fields (a typo must not pass silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Texts(StrictModel):
    """One text in every language; a missing or empty translation is a fault."""

    en: str
    fr: str
    ar: str

    @model_validator(mode="before")
    @classmethod
    def _every_language(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for lang in ("en", "fr", "ar"):
                value = data.get(lang)
                if value is None or (isinstance(value, str) and not value.strip()):
                    raise ValueError(f"missing {lang} translation")
        return data

    @field_validator("en", "fr", "ar")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()

    def get(self, lang: Lang) -> str:
        return str(getattr(self, lang.value))

    def items(self) -> Iterator[tuple[Lang, str]]:
        """The translations in file order: English, French, Arabic."""
        for lang in (Lang.EN, Lang.FR, Lang.AR):
            yield lang, self.get(lang)


@functools.cache
def _loaders() -> tuple[type[yaml.SafeLoader], type[yaml.SafeLoader]]:
    """A safe loader on libyaml (ten times faster: the content is read at every start) and the
    pure-Python one, both refusing duplicate keys; a file the first refuses is read again by
    the second, whose messages are the ones we show. Made at the first read: a start that finds
    its content in the cache (:mod:`faq.cache`) never imports PyYAML."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        pass

    class FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (line {key_node.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    for loader in (StrictLoader, FastStrictLoader):
        loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return FastStrictLoader, StrictLoader


def read_yaml(path: Path, display: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(display, "", "not UTF-8 text") from exc
    import yaml

    fast, strict = _loaders()
    try:
        return yaml.load(text, Loader=fast)
    except yaml.YAMLError:
        pass  # read again below, for the message
    try:
        return yaml.load(text, Loader=strict)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(display, "", f"{where}{problem}") from exc


Location = tuple[int | str, ...]


def item_namer(data: Any, key: str, kind: str, outside: str = "") -> Callable[[Location], str]:
    """For :func:`validate`: name the item of the list ``data[key]`` that a fault's location
    points into, ``{kind} 'its-id'`` (``{kind} #n`` when it has no id), else ``outside``."""

    def name(loc: Location) -> str:
        if len(loc) >= 2 and loc[0] == key and isinstance(loc[1], int):
            try:
                return f"{kind} {str(data[key][loc[1]]['id'])!r}"
            except (KeyError, IndexError, TypeError):
                return f"{kind} #{loc[1] + 1}"
        return outside

    return name


def validate(model: type[M], data: Any, display: str, entry_of: Callable[[Location], str] | None = None) -> M:
    """Validate ``data`` against ``model``; each fault names its path in the file (all of them,
    as :class:`~bot.basics.errors.ContentErrors`, when there are several).

    ``entry_of(path)`` may turn the error's location into a readable entry name (an id)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContentErrors.of([_fault(error, display, entry_of) for error in exc.errors()]) from exc


def _fault(error: Any, display: str, entry_of: Callable[[Location], str] | None) -> ContentError:
    location = [str(part) for part in error["loc"]]
    entry = entry_of(error["loc"]) if entry_of is not None else ""
    fault = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        fault = f"unknown field {location[-1]!r}"
    elif error["type"] == "missing":
        fault = f"missing field {location[-1]!r}"
    path = ".".join(location)
    return ContentError(display, entry, f"{path}: {fault}" if path else fault)
