"""Conversations as data: load ``tests/transcripts/*.yaml`` and check them against any channel.

A transcript is a list of steps; each step is what the user does (``user: text`` or
``tap: button label``) and what the bot must answer (``bot:``, one item per message: ``says``,
a text or list of texts each contained in the message, and optionally ``buttons``, the exact
labels of its buttons in order). An item with ``kind: edit`` is the tapped message changed (its
text, or with ``says: ''`` only its buttons), one with ``kind: notice`` the acknowledgement shown
over the chat (notices come first). The same files run over the core, the console and Telegram.

After a change of content or wording, record the bot's side again from the user's steps (the
description, the language hint and the steps are kept; each message is written out whole)::

    make transcripts                         # every transcript
    python -m tests.transcript small_talk    # some, by name
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.app import build_context
from bot.basics.lang import Lang
from bot.channels.console import ConsoleChannel, as_typed
from bot.core.audience import Audience
from bot.core.bidi import strip_bidi_controls
from bot.core.events import ReplyCreated
from bot.core.features.surveys import prompt, survey
from bot.core.inbound import UserRef
from bot.core.state import Role
from bot.service import ConversationService
from bot.service.invitations import token_hash
from bot.service.participants import Participant
from bot.settings import load_settings
from storage.store import SqlStore
from tests.inputs import inbound

TRANSCRIPTS = Path(__file__).parent / "transcripts"


@dataclass(frozen=True)
class Expected:
    says: tuple[str, ...]
    buttons: tuple[str, ...] | None
    kind: str = ""  # "" a new message, "edit" a message changed, "notice" a press acknowledged


ACTIONS = ("user", "tap", "tap_earlier")
"""Typing a line; tapping a button of the latest messages; tapping a button of an earlier
message, still there above them (the most recent such message with that label)."""


@dataclass(frozen=True)
class Step:
    action: str  # one of ACTIONS
    value: str
    bot: tuple[Expected, ...]


@dataclass(frozen=True)
class Transcript:
    name: str
    description: str
    language_hint: str | None
    steps: tuple[Step, ...]
    participant: dict[str, str] | None = None
    """Connected before the conversation: ``{reference, role, language}`` of the participant."""
    prompt: dict[str, Any] | None = None
    """A survey pushed to the participant before the first step: ``{survey}``."""


SETUP_TOKEN = "transcript-invitation"
SETUP_AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def connect(service: ConversationService, user: UserRef, transcript: Transcript) -> int | None:
    """The transcript's participant opened their invitation link before the conversation, and,
    with a ``prompt``, the survey was pushed to them; returns the push's id (its wave)."""
    if transcript.participant is None:
        return None
    from storage.participants import SqlParticipants

    store = service.store
    assert isinstance(store, SqlStore)
    person = transcript.participant
    language = Lang(person["language"]) if person.get("language") else None
    participants = SqlParticipants(store)
    await participants.save(
        [Participant(person["reference"], Role(person["role"]), language=language)], SETUP_AT
    )
    await participants.invite(
        person["reference"], token_hash(SETUP_TOKEN), SETUP_AT, SETUP_AT + timedelta(days=30)
    )
    link = f"/start {SETUP_TOKEN}"
    await service.handle(inbound(user, SETUP_AT, text=link, hint=transcript.language_hint))
    if transcript.prompt is None:
        return None
    from storage.pushes import SqlPushes

    dialog = survey(service.context, transcript.prompt["survey"])
    assert dialog is not None
    assert dialog.version is not None
    audience = Audience(references=(person["reference"],))
    push_id, _ = await SqlPushes(store).create(dialog.id, dialog.version, audience, "transcript", SETUP_AT)
    return push_id


def prompt_of(service: ConversationService, transcript: Transcript, wave: int | None) -> ReplyCreated | None:
    """The survey prompt the push sends, in the participant's language."""
    if transcript.prompt is None or wave is None:
        return None
    context = service.context
    dialog = survey(context, transcript.prompt["survey"])
    assert dialog is not None, transcript.prompt
    person = transcript.participant or {}
    lang = (
        Lang.parse(person.get("language")) or Lang.parse(transcript.language_hint) or context.default_language
    )
    return prompt(context, dialog, wave, lang)


@dataclass
class Seen:
    """A message as a channel showed it: its text and button labels, and its kind (see
    :class:`Expected`)."""

    text: str
    buttons: list[str] = field(default_factory=list)
    kind: str = ""


def notices_first(seen: list[Seen]) -> list[Seen]:
    """A step's messages with its notice first: Telegram shows it beside the messages, in no
    order with them."""
    return sorted(seen, key=lambda message: message.kind != "notice")


def seen_reply(reply: ReplyCreated) -> Seen:
    kind = "notice" if reply.notice else "edit" if reply.edits else ""
    return Seen(reply.text, [b.label for row in reply.buttons for b in row], kind)


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
        actions = [k for k in ACTIONS if k in raw]
        if len(actions) != 1 or set(raw) - {*ACTIONS, "bot"}:
            raise ValueError(f"{path.name}: step {number}: needs exactly one of {'/'.join(ACTIONS)}, and bot")
        expected = tuple(
            Expected(
                says=_texts(item.get("says", ())) if item.get("says") is not None else (),
                buttons=tuple(item["buttons"]) if "buttons" in item else None,
                kind=str(item.get("kind", "")),
            )
            for item in raw.get("bot") or []
        )
        steps.append(Step(actions[0], str(raw[actions[0]]), expected))
    return Transcript(
        path.stem,
        data.get("description", ""),
        data.get("language_hint"),
        tuple(steps),
        participant=data.get("participant"),
        prompt=data.get("prompt"),
    )


def types_a_label(transcript: Transcript) -> bool:
    """Whether a user's line is the label of a button on screen (in any case) or a number,
    which the console reads as pressing it, where Telegram reads typed text; or a step taps
    an earlier message's button, which a line cannot."""
    shown: tuple[str, ...] = ()
    for step in transcript.steps:
        if step.action == "tap_earlier":
            return True  # a line can press only the buttons on screen
        typed_label = step.value.strip().casefold() in {label.casefold() for label in shown}
        if step.action == "user" and (typed_label or step.value.strip().isdigit()):
            return True
        labels = tuple(
            label for message in step.bot if message.kind != "notice" for label in message.buttons or ()
        )
        if labels or any(message.kind != "notice" for message in step.bot):
            shown = labels
    return False


def all_transcripts() -> list[Transcript]:
    return [load(p) for p in sorted(TRANSCRIPTS.glob("*.yaml"))]


def compare(transcript: Transcript, seen: list[list[Seen]]) -> None:
    """Raise AssertionError naming the first step where the bot's answer differs."""
    assert len(seen) == len(transcript.steps), f"{len(seen)} answers for {len(transcript.steps)} steps"
    for number, (step, got) in enumerate(zip(transcript.steps, seen, strict=True), 1):
        where = f"{transcript.name}: step {number} ({step.action}: {step.value!r})"
        shown = "\n".join(f"  - {m.kind or 'message'} {m.text!r} {m.buttons}" for m in got)
        assert len(got) == len(step.bot), f"{where}: expected {len(step.bot)} messages, got:\n{shown}"
        for index, (want, message) in enumerate(zip(step.bot, got, strict=True), 1):
            wanted = want.kind or "message"
            assert want.kind == message.kind, f"{where}: message {index} is not a {wanted}:\n{shown}"
            text = strip_bidi_controls(message.text)
            for fragment in want.says:
                assert fragment in text, f"{where}: message {index} lacks {fragment!r}:\n{shown}"
            if want.buttons is not None:
                labels = [strip_bidi_controls(b) for b in message.buttons]
                assert labels == list(want.buttons), f"{where}: message {index} buttons:\n{shown}"


class CoreDriver:
    """The conversation service called directly, as a channel would (through the console
    channel: a tap presses the shown button of that label, a user's line is typed text)."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service

    async def play(self, transcript: Transcript) -> list[list[Seen]]:
        channel = ConsoleChannel(self.service, "transcript", language_hint=transcript.language_hint)
        wave = await connect(self.service, channel.user, transcript)
        if (pushed := prompt_of(self.service, transcript, wave)) is not None:
            channel.show([pushed])
        seen = []
        for number, step in enumerate(transcript.steps, 1):
            if step.action == "tap":
                labels = [b.label for b in channel.buttons]
                assert as_typed(step.value) in map(as_typed, labels), (
                    f"{transcript.name}: step {number}: no button {step.value!r}: {labels}"
                )
                replies = await channel.send(step.value)
            elif step.action == "tap_earlier":
                replies = await self.press_earlier(channel, step.value, f"{transcript.name}: step {number}")
            else:
                replies = await channel.type(step.value)
            seen.append(notices_first([seen_reply(r) for r in replies]))
        return seen

    async def press_earlier(self, channel: ConsoleChannel, label: str, where: str) -> list[ReplyCreated]:
        on_screen = {message for _, message in channel.shown}
        earlier = [
            (message, button)
            for message, buttons in channel.keyboards.items()
            if message not in on_screen
            for button in buttons
            if button.label == label
        ]
        assert earlier, f"{where}: no earlier message with a button {label!r}"
        message, button = max(earlier, key=lambda found: found[0])
        return await channel.turn(channel.pressed(button, message))


async def record(transcript: Transcript) -> list[list[Seen]]:
    """What the bot says today at each step, on a new embedded database."""
    from storage.engine import create_engine, upgrade
    from storage.store import SqlStore

    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'record.db'}")
        try:
            await upgrade(engine)
            service = ConversationService(SqlStore(engine), build_context(load_settings(env_file=None)))
            return await CoreDriver(service).play(transcript)
        finally:
            await engine.dispose()


class _Dumper(yaml.SafeDumper):
    """Long and multi-line texts as readable blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def rewrite(path: Path, seen: list[list[Seen]]) -> None:
    """Write the bot's side of ``path`` from ``seen``, keeping everything else."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["description"] = " ".join(str(data.get("description", "")).split())
    for raw, messages in zip(data["steps"], seen, strict=True):
        raw["bot"] = [
            {
                **({"kind": m.kind} if m.kind else {}),
                "says": strip_bidi_controls(m.text),
                "buttons": [strip_bidi_controls(b) for b in m.buttons],
            }
            for m in messages
        ]
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def main(names: list[str]) -> int:
    paths = sorted(TRANSCRIPTS.glob("*.yaml"))
    if names:
        paths = [p for p in paths if p.stem in names]
        missing = set(names) - {p.stem for p in paths}
        if missing:
            print(f"no transcript named {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    for path in paths:
        rewrite(path, asyncio.run(record(load(path))))
        print(f"recorded {path.relative_to(TRANSCRIPTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
