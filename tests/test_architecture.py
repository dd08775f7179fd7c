"""The shape of the code: the layer contract (run by ``lint-imports`` in ``make test``) covers
every part of ``bot``, and no module grows into several jobs."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import bot

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 320  # "about 300": a module past this is doing more than one job


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


def layered() -> set[str]:
    [layers] = [c for c in contracts() if c["type"] == "layers"]
    return {name.strip() for layer in layers["layers"] for name in layer.split("|")}


def test_every_part_of_bot_is_in_a_layer() -> None:
    parts = {f"bot.{info.name}" for info in pkgutil.iter_modules(bot.__path__)}
    assert parts, "bot has parts"
    assert parts <= layered(), f"not in the layer contract (pyproject.toml): {sorted(parts - layered())}"


def test_the_pure_layers_are_kept_from_frameworks_and_databases() -> None:
    [forbidden] = [c for c in contracts() if c["type"] == "forbidden" and "bot.core" in c["source_modules"]]
    assert {"bot.basics", "bot.core", "bot.service", "faq", "dialogs"} <= set(forbidden["source_modules"])
    assert {"aiogram", "telegram", "sqlalchemy", "sqlmodel", "aiohttp"} <= set(forbidden["forbidden_modules"])


def test_no_module_in_bot_is_over_about_300_lines() -> None:
    sizes = {
        p.relative_to(ROOT): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / "bot").rglob("*.py")
    }
    assert not {str(p): n for p, n in sizes.items() if n > MAX_LINES}
