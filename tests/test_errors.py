"""One error tree: every exception the project defines is under ``AssistantError`` and drawn in
the tree of :mod:`bot.basics.errors`, and the tree names nothing that does not exist."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

import bot
import dialogs
import faq
import storage
from bot.basics import errors
from bot.basics.errors import AssistantError

SKIPPED = ("storage.migrations",)  # Alembic's env.py runs a migration when imported


def project_modules() -> list[ModuleType]:
    modules = []
    for package in (bot, faq, dialogs, storage):
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            if not info.name.startswith(SKIPPED) and not info.name.endswith(".__main__"):
                modules.append(importlib.import_module(info.name))
    return modules


def defined_exceptions() -> dict[str, type[BaseException]]:
    found = {}
    for module in project_modules():
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


def drawn() -> set[str]:
    """The class names in the tree of the errors module's docstring."""
    assert errors.__doc__ is not None
    tree = errors.__doc__.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^[\s│├└─]*([A-Z]\w+)\s", tree, flags=re.MULTILINE))


def test_the_walk_finds_the_projects_exceptions() -> None:
    found = defined_exceptions()
    assert "bot.basics.errors.ContentError" in found
    assert "bot.channels.telegram.delivery.DeliveryFailed" in found
    assert "bot.cli.common.UsageError" in found


@pytest.mark.parametrize("where", sorted(defined_exceptions()))
def test_every_exception_is_in_the_tree(where: str) -> None:
    cls = defined_exceptions()[where]
    assert issubclass(cls, AssistantError), f"{where} is not under AssistantError"
    assert cls.__name__ in drawn(), f"{where} is not drawn in bot/basics/errors.py's docstring"


def test_the_tree_draws_only_what_exists() -> None:
    names = {cls.__name__ for cls in defined_exceptions().values()}
    assert drawn() == names
