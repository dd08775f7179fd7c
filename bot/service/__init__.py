"""The conversation service: load a user's state, run the core's turn, store its effects in one
transaction, hand the replies to the channel (:mod:`.conversations`), through the storage ports
(:mod:`.ports`)."""

from bot.service.conversations import ConversationService, Handled

__all__ = ["ConversationService", "Handled"]
