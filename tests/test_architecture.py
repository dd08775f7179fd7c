"""One core, thin channels: the core, the knowledge base and the dialogs import no Telegram
framework, no database library and no HTTP client."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = ["bot/core", "faq", "dialogs"]
FORBIDDEN = {
    "aiogram",
    "telegram",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "aiohttp",
    "httpx",
    "storage",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


PURE_FILES = sorted(p for folder in PURE for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", PURE_FILES, ids=[str(p.relative_to(ROOT)) for p in PURE_FILES])
def test_pure_module_imports_no_framework_or_database(path: Path) -> None:
    bad = imported_modules(path) & FORBIDDEN
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom sqlalchemy import select\nif True:\n    import aiogram.types\n")
    assert imported_modules(sample) & FORBIDDEN == {"sqlalchemy", "aiogram"}


def test_pure_packages_are_not_empty() -> None:
    assert any(p.parts[-3:-1] == ("bot", "core") for p in PURE_FILES)
