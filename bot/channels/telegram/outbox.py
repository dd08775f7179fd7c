"""The outbox as the Telegram channel sees it: a turn's replies are sent (split to Telegram's
limits, the keyboard on the last part), those delivered are marked a few at a time, those not
delivered for now are handed back (with how many of their messages went out), and a sweep sends
what nobody holds any more and forgets what is old.

Every outbox entry is held by the turn that wrote it for ``storage.store.OUTBOX_CLAIM`` (a
minute); the sweep takes only entries whose hold has expired, and resends them from the first
message not yet delivered. What was delivered is written down at once in a local journal
(:mod:`bot.channels.telegram.marks`), so that a crash before its mark does not send it again;
nothing is ever left unsent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Protocol

from bot.channels.telegram.delivery import DeliveryFailed, Failure
from bot.channels.telegram.marks import Journal, Marks
from bot.channels.telegram.render import Outgoing, render
from bot.channels.telegram.translate import CHANNEL
from bot.core.events import ReplyCreated
from bot.core.inbound import UserRef
from bot.service import Handled
from bot.service.ports import Undelivered

if TYPE_CHECKING:
    from bot.channels.telegram.bridge import TelegramBridge

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=15)
"""How often the outbox is swept for replies nobody holds any more (one indexed query): a reply
a crash left behind goes out at most this long after its hold expires."""

PREPARE_WITHIN = 2.0
"""Seconds the start waits to read the outbox: longer, every chat waits for the sweep instead."""

NOT_MODIFIED = "message is not modified"
"""Telegram's refusal of an edit that changes nothing: done (python-telegram-bot capitalises it)."""

PRUNE_EVERY = timedelta(hours=1)
OUTBOX_KEPT = timedelta(days=1)
"""Delivered replies are kept this long (to look into a complaint), then deleted."""
PROCESSED_UPDATES_KEPT = timedelta(days=7)
"""Telegram redelivers an unconfirmed update for 24 hours at most; a week leaves a wide margin."""


class OutboxService(Protocol):
    """What the outbox needs from :class:`bot.service.ConversationService`."""

    async def delivered(self, outbox_ids: Sequence[int], at: datetime) -> None: ...

    async def undelivered(self, channel: str, now: datetime, *, held: bool = False) -> list[Undelivered]: ...

    async def claim(self, outbox_id: int, at: datetime) -> bool: ...

    async def release(self, outbox_id: int, parts_sent: int) -> None: ...

    questions_kept: timedelta

    async def prune(
        self, *, sent_before: datetime, processed_before: datetime, questions_before: datetime
    ) -> tuple[int, int, int]: ...


@dataclass(frozen=True, slots=True)
class Sent:
    """How sending a turn's replies went: ``done`` with them (all sent, given up for good, or
    the user unreachable), and how many of their messages are behind us."""

    done: bool
    parts: int

    def __bool__(self) -> bool:
        return self.done


class Outbox:
    def __init__(self, bridge: TelegramBridge, journal: Journal | None = None) -> None:
        self.bridge = bridge
        self.marks = Marks(lambda ids, at: bridge.service.delivered(ids, at), bridge.clock, journal)
        self.prepared = False
        """Whether the outbox was read since the start (see :meth:`prepare`)."""
        self._preparing = asyncio.Lock()
        self.behind: set[str] = set()
        """Chats with replies handed back to the sweep: their later replies wait their turn there
        too, so that a chat's replies keep the order of its updates."""

    async def send_turn(self, user: UserRef, chat_id: int, handled: Handled) -> None:
        """Send a turn's replies entry by entry; what could not be sent for now is handed back
        (with how many of its messages went out) for the sweep, and so are the entries after;
        in a chat that is behind, they all go to the sweep, after the earlier ones."""
        entries = handled.entries()
        if not self.prepared:
            await self.prepare()
        behind = not self.prepared or user.id in self.behind
        if behind and all(outbox_id is not None for outbox_id, _ in entries):
            for outbox_id, _ in entries:
                await self.give_back(outbox_id or 0, 0)
            return
        for number, (outbox_id, replies) in enumerate(entries):
            sent = await self.send_replies(user, chat_id, replies, entry=outbox_id)
            if outbox_id is None:
                continue
            if sent.done:
                self.marks.delivered(outbox_id)
                continue
            self.behind.add(user.id)
            await self.give_back(outbox_id, sent.parts)
            for later, _ in entries[number + 1 :]:
                if later is not None:
                    await self.give_back(later, 0)
            return

    async def send_replies(
        self,
        user: UserRef,
        chat_id: int,
        replies: Sequence[ReplyCreated],
        *,
        skip: int = 0,
        entry: int | None = None,
    ) -> Sent:
        """Deliver the replies' messages in order, after the first ``skip`` (sent before); each
        but the last is noted as sent for the outbox ``entry`` (the caller notes the whole).

        Done when every message was sent, refused for good (given up once, with a
        logged error) or the user cannot be reached at all; not done when a message failed for
        now (a flood wait too long, the Bot API down): it and those after it are to be sent
        later. Also how many messages are behind us (sent or given up)."""
        count = 0
        messages = [(r, m) for r in replies for m in render(r)]
        for reply, message in messages:
            count += 1
            if count <= skip:
                continue
            try:
                await self.bridge.pacer.reply(chat_id)
                sent = await self._send(user, chat_id, message)
            except DeliveryFailed as exc:
                failure = exc.failure
                if failure.kind is Failure.REJECTED:
                    log.error("gave up one message: %s", exc)  # and went on with the next
                    continue
                if failure.kind is Failure.UNREACHABLE:
                    await self.bridge.mark_unreachable(user, failure.description)
                    return Sent(True, count - 1)
                log.warning("%s; left in the outbox, sent again by the sweep", exc)
                return Sent(False, count - 1)
            if entry is not None and count < len(messages):
                self.marks.sent(entry, count)
            if reply.thread:
                await self._posted(user, sent, reply.thread)
        return Sent(True, count)

    async def _send(self, user: UserRef, chat_id: int, message: Outgoing) -> int:
        """One message sent, or the bot's earlier message changed into it: "not modified"
        (a press repeated) is done too; an edit Telegram refuses (too old, deleted) comes as a
        new message instead, or is left when it only changed the keyboard."""
        bridge = self.bridge
        if message.edits:
            try:
                what = f"editMessage{'Text' if message.text else 'ReplyMarkup'} of {user.key}"
                await bridge.call(partial(bridge.api.edit, chat_id, message), what, chat_id)
                return message.edits
            except DeliveryFailed as exc:
                if exc.failure.kind is not Failure.REJECTED:
                    raise
                if NOT_MODIFIED in exc.failure.description.lower():  # PTB capitalises it
                    return message.edits
                if not message.text:
                    log.info("%s; its keyboard stays", exc)
                    return message.edits
                log.info("%s; sent as a new message", exc)
                message = replace(message, edits=0)
        what = "sendMessage" if message.attachment is None else f"send {message.attachment.kind}"
        return await bridge.call(partial(bridge.api.send, chat_id, message), f"{what} to {user.key}", chat_id)

    async def _posted(self, chat: UserRef, message_id: int, thread: str) -> None:
        """A case's post in the staff chat: its message id is recorded, so that a reply to it
        reaches the case's person (if this fails, such a reply is not passed on: logged)."""
        try:
            await self.bridge.service.posted(chat, message_id, thread, self.bridge.clock())
        except Exception as exc:
            log.error("could not record the staff-chat post %s of a case (%s)", message_id, exc)

    async def give_back(self, outbox_id: int, parts_sent: int) -> None:
        try:
            await self.bridge.service.release(outbox_id, parts_sent)
            self.marks.released(outbox_id)
        except Exception as exc:  # the hold expires by itself; the sweep then sends them
            log.warning("outbox entry %s: could not hand it back now (%s)", outbox_id, exc)

    async def resend(self) -> int:
        """Send the replies nobody holds any more (their turn's hold expired: a crash, an
        outage, a flood wait), from the first message not yet delivered; returns how many
        entries were done with."""
        bridge = self.bridge
        done = 0
        self.marks.open()
        noted = self.marks.half_sent()
        pending = await bridge.service.undelivered(CHANNEL, bridge.clock(), held=True)
        if not self.prepared:
            self._prepared(pending)
        self.marks.unsent_are({entry.outbox_id for entry in pending}, among=noted)
        stuck: set[str] = set()  # chats whose earlier entry is held or failed: the rest waits
        for entry in pending:
            chat = entry.user.id
            if entry.outbox_id in self.marks:
                continue  # delivered, its mark not yet written
            if chat in stuck or entry.held or not await bridge.service.claim(entry.outbox_id, bridge.clock()):
                stuck.add(chat)
                continue
            skip = self.marks.parts(entry.outbox_id, entry.parts_sent)
            async with bridge.chats.hold(chat):
                sent = await self.send_replies(
                    entry.user, int(chat), entry.replies, skip=skip, entry=entry.outbox_id
                )
            if sent.done:
                done += 1
                self.marks.delivered(entry.outbox_id)
            else:
                stuck.add(chat)
                await self.give_back(entry.outbox_id, sent.parts)
        self.behind &= stuck  # a chat whose replies all went out is back to live sending
        if free := sum(not entry.held for entry in pending):
            log.info("outbox: sent %d of %d earlier replies", done, free)
        return done

    async def prepare(self) -> None:
        """At start, before any update: a chat with replies still unsent (a crash left them,
        perhaps held by the dead process for a while yet) is behind, so that its new replies
        go out after those. Until the outbox could be read (the database down at start),
        every chat is behind: its replies go to the sweep, which reads it first."""
        async with self._preparing:
            if self.prepared:
                return
            self.marks.open()
            try:
                reading = self.bridge.service.undelivered(CHANNEL, self.bridge.clock(), held=True)
                pending = await asyncio.wait_for(reading, PREPARE_WITHIN)
            except Exception as exc:
                log.warning("could not read the outbox (%s); replies wait for the sweep", exc)
                return
            self._prepared(pending)

    def _prepared(self, pending: Sequence[Undelivered]) -> None:
        self.behind |= {entry.user.id for entry in pending if entry.outbox_id not in self.marks}
        self.prepared = True

    async def sweep(self) -> None:
        """Every :data:`SWEEP_EVERY` (the first at once): resend, and hourly forget what is old."""
        pruned_at: datetime | None = None
        while True:
            try:
                await self.resend()
                now = self.bridge.clock()
                if pruned_at is None or now - pruned_at >= PRUNE_EVERY:
                    service = self.bridge.service
                    outbox, updates, questions = await service.prune(
                        sent_before=now - OUTBOX_KEPT,
                        processed_before=now - PROCESSED_UPDATES_KEPT,
                        questions_before=now - service.questions_kept,
                    )
                    pruned_at = now
                    if outbox or updates or questions:
                        log.info(
                            "forgot %d delivered replies, %d processed update ids, %d old questions "
                            "and ratings",
                            outbox,
                            updates,
                            questions,
                        )
            except Exception:
                log.exception("outbox sweep failed; trying again later")
            await asyncio.sleep(SWEEP_EVERY.total_seconds())
