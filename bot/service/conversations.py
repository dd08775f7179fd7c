"""The conversation service: load a user's state, run the turn, persist, return the replies.

Updates of one user are handled strictly one after the other (a lock per user in this process,
and the state's version across processes); different users run concurrently. Each delivery with
an ``update_id`` is processed at most once, recorded in the same transaction as its effects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.basics.errors import ConcurrentUpdate
from bot.basics.lang import Lang
from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.events import ReplyCreated, StaffAsked, StaffNotified
from bot.core.features import handover
from bot.core.inbound import CaseUpdate, Inbound, StaffChatSent, UserRef
from bot.core.scope import reply
from bot.core.state import Turn
from bot.service import invitations
from bot.service.locks import KeyedLocks
from bot.service.ports import Store, StoredState, Transaction, Undelivered
from bot.service.pushes import Broadcasting

if TYPE_CHECKING:
    from bot.service.desk import StaffDesk

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0
"""Seconds a health check waits for the database."""


@dataclass(frozen=True, slots=True)
class Handled:
    """The replies of a handled event, and their outbox entries when it was handled durably
    (the turn's, then the staff desk's answers, if any), each with its share of the replies."""

    replies: list[ReplyCreated]
    outbox: tuple[tuple[int, int], ...] = ()
    """(outbox id, how many of ``replies`` it holds), in the order of the replies."""
    user: UserRef | None = None
    """Whose conversation it was, when not the sender's: a staff member's reply to a case is a
    turn of the case's person, and its replies go to them."""
    elsewhere: tuple[tuple[UserRef, int, ReplyCreated], ...] = ()
    """Messages for other chats (the staff chat), each in its outbox entry: (chat, id, message)."""
    language: Lang | None = None
    """The language the person chose in this turn (the channel shows its command menu in it)."""
    staff: bool = False

    @property
    def outbox_ids(self) -> tuple[int, ...]:
        return tuple(outbox_id for outbox_id, _ in self.outbox)

    def entries(self) -> list[tuple[int | None, list[ReplyCreated]]]:
        """The replies grouped by outbox entry (``None``: not in the outbox)."""
        if not self.outbox:
            return [(None, self.replies)] if self.replies else []
        groups: list[tuple[int | None, list[ReplyCreated]]] = []
        start = 0
        for outbox_id, count in self.outbox:
            groups.append((outbox_id, self.replies[start : start + count]))
            start += count
        return groups


class ConversationService:
    def __init__(
        self,
        store: Store,
        context: Context,
        *,
        attempts: int = 5,
        broadcasting: Broadcasting | None = None,
        desk: StaffDesk | None = None,
        questions_kept: timedelta = timedelta(days=180),
    ) -> None:
        self.store = store
        self.context = context
        self.attempts = attempts
        self.locks = KeyedLocks()
        self.broadcasting = broadcasting
        """The broadcast queue and its lease, when this service sends them (the running bot)."""
        self.desk = desk
        """Answers staff commands that need the programme's data; without it they get none."""
        self.questions_kept = questions_kept
        """How long unanswered questions and feedback are kept (``DT4E_KEEP_QUESTIONS_DAYS``)."""

    async def handle(self, inbound: Inbound) -> list[ReplyCreated]:
        """Process one inbound event; an already processed delivery returns no replies."""
        return (await self._handle(inbound, durable=False)).replies

    async def handle_durably(self, inbound: Inbound) -> Handled:
        """Like :meth:`handle`, and the replies go into the outbox in the same transaction; the
        channel calls :meth:`delivered` once they are sent, and at start sends what a crash left
        in the outbox (:meth:`undelivered`)."""
        return await self._handle(inbound, durable=True)

    async def delivered(self, outbox_ids: Sequence[int], at: datetime) -> None:
        await self.store.mark_sent(outbox_ids, at)

    async def undelivered(self, channel: str, now: datetime, *, held: bool = False) -> list[Undelivered]:
        return await self.store.undelivered(channel, now, held=held)

    async def prune(
        self, *, sent_before: datetime, processed_before: datetime, questions_before: datetime
    ) -> tuple[int, int, int]:
        """Forget delivered replies, processed update ids, and unanswered questions and feedback
        older than these; how many of each went."""
        return (
            await self.store.prune_outbox(sent_before),
            await self.store.prune_processed_updates(processed_before),
            await self.store.prune_questions(questions_before),
        )

    async def staff_ids(self, channel: str) -> set[str]:
        """Programme staff on ``channel``: configured, and joined through an invitation."""
        configured = {user.id for user in self.context.staff if user.channel == channel}
        return configured | set(await self.store.invited_staff(channel))

    async def claim(self, outbox_id: int, at: datetime) -> bool:
        """Take an outbox entry to send it again; ``False`` if another instance has it."""
        return await self.store.claim(outbox_id, at)

    async def release(self, outbox_id: int, parts_sent: int) -> None:
        await self.store.release(outbox_id, parts_sent)

    async def healthy(self) -> bool:
        """Whether the database answers a read within :data:`HEALTH_TIMEOUT` seconds."""
        try:
            await asyncio.wait_for(self.store.ping(), HEALTH_TIMEOUT)
        except Exception as exc:
            log.warning("health check: the database does not answer (%s)", type(exc).__name__)
            return False
        return True

    async def posted(self, chat: UserRef, message_id: int, thread: str, at: datetime) -> None:
        """The channel posted a case's message to the staff chat as ``message_id``: a reply to
        it goes to the case (see :mod:`bot.core.features.handover`)."""
        case = handover.read_thread(thread)
        if case is not None:
            user, number = case
            await self.store.run(lambda tx: tx.record_post(chat, message_id, user, number, at))

    async def _routed(self, inbound: Inbound) -> Inbound:
        """A staff member's reply or button in the staff chat, as a turn of the case's person;
        anything else as it is."""
        if not isinstance(inbound, StaffChatSent) or self.context.staff_chat is None:
            return inbound
        chat = self.context.staff_chat
        case = handover.case_of_button(inbound.data) if inbound.data else None
        if case is None and inbound.replied_to:
            message_id = inbound.replied_to
            case = await self.store.run(lambda tx: tx.case_of_post(chat, message_id), read_only=True)
        if case is None:
            return inbound
        person, number = case
        return CaseUpdate(
            user=person,
            at=inbound.at,
            update_id=inbound.update_id,
            staff=inbound.user,
            staff_name=inbound.name,
            number=number,
            text=inbound.text,
            data=inbound.data,
        )

    async def _handle(self, inbound: Inbound, *, durable: bool) -> Handled:
        sender = inbound.user
        inbound = await self._routed(inbound)
        async with self.locks.hold(inbound.user.key):
            for attempt in range(1, self.attempts + 1):
                try:
                    handled, asked = await self._handle_once(inbound, durable)
                    break
                except ConcurrentUpdate:
                    if attempt == self.attempts:
                        raise
                    log.info("conversation of %s changed concurrently; retrying", inbound.user.key)
                    await asyncio.sleep(0.01 * attempt)
            else:  # pragma: no cover - the loop returns or raises
                raise AssertionError("unreachable")
            if asked:
                handled = await self._answer_staff(inbound, asked, handled, durable)
            if inbound.user != sender:
                handled = replace(handled, user=inbound.user)
            return handled

    async def _answer_staff(
        self, inbound: Inbound, asked: list[StaffAsked], handled: Handled, durable: bool
    ) -> Handled:
        """After the turn (so that no transaction waits on the data or a chart): the desk's
        answers, stored in the outbox like any reply (without their files: a reply sent again
        after a crash comes without the chart). A request cut short by a crash before this gets
        no answer and is to be asked again; a push is made once per confirmation all the same."""
        answers: list[ReplyCreated] = []
        for event in asked:
            if self.desk is None:
                continue
            try:
                answers.append(
                    await self.desk.answer(event.request, event.lang, inbound.user.key, inbound.at)
                )
            except Exception:
                log.exception("staff request %s of %s failed", type(event.request).__name__, inbound.user.key)
                _ = self.context.i18n.for_lang(event.lang)
                answers.append(
                    reply(event.lang, _("I could not get that just now. Please try again in a minute."))
                )
        outbox = handled.outbox
        if durable and answers:
            entry = await self.store.run(lambda tx: tx.enqueue(inbound.user, answers, inbound.at))
            outbox = (*outbox, (entry, len(answers)))
        return replace(handled, replies=handled.replies + answers, outbox=outbox)

    async def mark_reachable(self, user: UserRef, reachable: bool, at: datetime) -> None:
        """A channel found the user unreachable (Telegram 403: blocked the bot), or reachable
        again (they wrote to us). Broadcasts skip unreachable users."""
        await self.store.run(lambda tx: tx.mark_reachable(user, reachable, at))

    async def _handle_once(self, inbound: Inbound, durable: bool) -> tuple[Handled, list[StaffAsked]]:
        """One transaction records the turn: the update claimed, the state saved over the version
        it was computed from, the events and the replies. Where the database has one writer for
        everyone (SQLite), the turn is read and computed before that transaction, so that no
        lock is held meanwhile; a turn that raced another is computed again. Elsewhere it is
        read and computed inside it, once the update is claimed. Opening an invitation is
        computed inside it in any case, since it reports the redemption."""
        stored: StoredState | None = None
        computed: Turn | None = None
        if self.store.one_writer:
            stored = await self.store.run(lambda tx: tx.load_state(inbound.user), read_only=True)
            if not invitations.carries_token(inbound):
                computed = handle(stored.state, inbound, self.context)

        def write(tx: Transaction) -> _Written | None:
            if inbound.update_id is not None and not tx.claim_update(
                inbound.user.channel, inbound.update_id, inbound.at
            ):
                return None
            loaded = stored if stored is not None else tx.load_state(inbound.user)
            turn = computed
            if turn is None:
                turn = handle(loaded.state, invitations.resolve(tx, inbound), self.context)
            tx.save_state(inbound.user, turn.state, loaded, inbound.at)
            elsewhere: list[tuple[UserRef, int, ReplyCreated]] = []
            for event in turn.events:
                if durable and isinstance(event, StaffNotified):  # sent after the turn, by the channel
                    elsewhere.append(
                        (event.chat, tx.enqueue(event.chat, [event.reply], inbound.at), event.reply)
                    )
                else:
                    tx.record(inbound.user, event, inbound.at)
            entry = tx.enqueue(inbound.user, turn.replies, inbound.at) if durable and turn.replies else None
            return _Written(turn, entry, tuple(elsewhere), loaded.state.language)

        written = await self.store.run(write)
        if written is None:
            log.info("update %s:%s already processed", inbound.user.channel, inbound.update_id)
            return Handled([]), []
        turn, entry = written.turn, written.entry
        outbox = ((entry, len(turn.replies)),) if entry is not None else ()
        asked = [e for e in turn.events if isinstance(e, StaffAsked)]
        chosen = turn.state.language if turn.state.language not in (None, written.language_before) else None
        handled = Handled(
            turn.replies, outbox, elsewhere=written.elsewhere, language=chosen, staff=turn.state.staff
        )
        return handled, asked


@dataclass(frozen=True, slots=True)
class _Written:
    """What a turn's transaction wrote: the turn, its outbox entry, the messages for other chats,
    and the language the conversation had before it."""

    turn: Turn
    entry: int | None
    elsewhere: tuple[tuple[UserRef, int, ReplyCreated], ...]
    language_before: Lang | None
