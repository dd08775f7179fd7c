"""Conversations as data: load ``tests/transcripts/*.yaml`` and check them against any channel.

A transcript is a list of steps; each step is what the user does (``user: text`` or
``tap: button label``) and what the bot must answer (``bot:``, one item per message: ``says``,
a text or list of texts each contained in the message, and optionally ``buttons``, the exact
labels of its buttons in order). The same files run over the core, the console and Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.core.bidi import strip_bidi_controls

TRANSCRIPTS = Path(__file__).parent / "transcripts"


@dataclass(frozen=True)
class Expected:
    says: tuple[str, ...]
    buttons: tuple[str, ...] | None


@dataclass(frozen=True)
class Step:
    action: str  # "user" | "tap"
    value: str
    bot: tuple[Expected, ...]


@dataclass(frozen=True)
class Transcript:
    name: str
    description: str
    language_hint: str | None
    steps: tuple[Step, ...]


@dataclass
class Seen:
    """A message as a channel showed it: its text and button labels."""

    text: str
    buttons: list[str] = field(default_factory=list)


class Driver(Protocol):
    """Plays one user's side of a conversation over some channel."""

    async def play(self, transcript: Transcript) -> list[list[Seen]]:
        """Perform every step; return what the bot sent after each one."""
        ...


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (str(value),)


def load(path: Path) -> Transcript:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = []
    for number, raw in enumerate(data["steps"], 1):
        actions = [k for k in ("user", "tap") if k in raw]
        if len(actions) != 1 or set(raw) - {"user", "tap", "bot"}:
            raise ValueError(f"{path.name}: step {number}: needs exactly one of user/tap, and bot")
        expected = tuple(
            Expected(
                says=_texts(item.get("says", ())) if item.get("says") is not None else (),
                buttons=tuple(item["buttons"]) if "buttons" in item else None,
            )
            for item in raw.get("bot") or []
        )
        steps.append(Step(actions[0], str(raw[actions[0]]), expected))
    return Transcript(path.stem, data.get("description", ""), data.get("language_hint"), tuple(steps))


def all_transcripts() -> list[Transcript]:
    return [load(p) for p in sorted(TRANSCRIPTS.glob("*.yaml"))]


def compare(transcript: Transcript, seen: list[list[Seen]]) -> None:
    """Raise AssertionError naming the first step where the bot's answer differs."""
    assert len(seen) == len(transcript.steps), f"{len(seen)} answers for {len(transcript.steps)} steps"
    for number, (step, got) in enumerate(zip(transcript.steps, seen, strict=True), 1):
        where = f"{transcript.name}: step {number} ({step.action}: {step.value!r})"
        shown = "\n".join(f"  - {m.text!r} {m.buttons}" for m in got)
        assert len(got) == len(step.bot), f"{where}: expected {len(step.bot)} messages, got:\n{shown}"
        for index, (want, message) in enumerate(zip(step.bot, got, strict=True), 1):
            text = strip_bidi_controls(message.text)
            for fragment in want.says:
                assert fragment in text, f"{where}: message {index} lacks {fragment!r}:\n{shown}"
            if want.buttons is not None:
                labels = [strip_bidi_controls(b) for b in message.buttons]
                assert labels == list(want.buttons), f"{where}: message {index} buttons:\n{shown}"
