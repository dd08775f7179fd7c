"""The sender of survey prompts in the running bot: it takes pending recipients from the push
queue a batch at a time and sends each its prompt at a steady pace, under Telegram's limit of
about 30 messages a second (one prompt per chat per push, so the per-chat limit holds).

Several instances on one PostgreSQL share a push without duplicates (the queue's claims skip
locked rows). A prompt is sent at most once: what a crash left in flight is reported as failed
("interrupted") once its claim is two minutes old, instead of being sent again; a timeout or a
dropped connection while sending is a failure too, since Telegram may have sent it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.channels.telegram.delivery import Failure
from bot.channels.telegram.translate import CHANNEL
from bot.core.features.surveys import prompt, survey
from bot.service.pushes import FAILED, SENT, UNREACHABLE, PushQueue

if TYPE_CHECKING:
    from bot.channels.telegram.bridge import TelegramBridge

log = logging.getLogger(__name__)

BATCH = 25
IDLE = 2.0
"""Seconds between looks at the queue while it is empty."""
RECOVER_EVERY = timedelta(minutes=1)
"""How often prompts cut short by a stopped instance are looked for."""


class PromptSender:
    def __init__(self, bridge: TelegramBridge, queue: PushQueue, *, rate: float = 25.0) -> None:
        self.bridge = bridge
        self.queue = queue
        self.pause = 1.0 / rate

    async def run(self) -> None:
        checked = None
        while True:
            try:
                now = self.bridge.clock()
                if checked is None or now - checked > RECOVER_EVERY:
                    checked = now
                    if interrupted := await self.queue.recover(now):
                        log.warning(
                            "survey prompts: %d were cut short by a stop; reported as failed", interrupted
                        )
                sent = await self.send_batch()
            except Exception:
                log.exception("survey prompts: sending failed; trying again later")
                sent = 0
            await asyncio.sleep(self.pause if sent else IDLE)

    async def send_batch(self) -> int:
        """Send one batch; returns how many prompts were handled."""
        batch = await self.queue.claim(BATCH, self.bridge.clock(), channel=CHANNEL)
        context = self.bridge.service.context
        for item in batch:
            dialog = survey(context, item.survey_id)
            if dialog is None:
                await self.queue.finish(
                    item.recipient_id, FAILED, "the survey no longer exists", self.bridge.clock()
                )
                continue
            message = prompt(context, dialog, item.wave, item.lang or context.default_language)
            try:
                failed = await self.bridge.send_prompt(item.user, message)
            except Exception as exc:  # one recipient's trouble does not stop the others
                log.exception("survey prompts: recipient %s failed", item.recipient_id)
                await self.queue.finish(
                    item.recipient_id, FAILED, f"error: {type(exc).__name__}", self.bridge.clock()
                )
                continue
            if failed is None:
                status, reason = SENT, ""
            elif failed.failure.kind is Failure.UNREACHABLE:
                status, reason = UNREACHABLE, failed.failure.description
            else:
                status, reason = FAILED, failed.failure.description
            await self.queue.finish(item.recipient_id, status, reason, self.bridge.clock())
            await asyncio.sleep(self.pause)
        return len(batch)
