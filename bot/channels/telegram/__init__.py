"""The Telegram channel, split by responsibility; no module here imports the app or the settings.

==============  ====================================================================================
translate       an update of either framework as the core's input
views           the fields of an update the bot reads (the :class:`UpdateView` protocol), both frameworks
render          replies as Telegram messages within Telegram's limits (text, caption, button data)
delivery        the one retry policy every Bot API call goes through, and the :class:`BotApi` port
bridge          the service and the outbox: handle an update, deliver its replies, one chat at a time
webhook         the two ways to receive updates: polling, or a webhook server with ``/healthz``
aiogram, ptb    the two framework adapters: translation only
==============  ====================================================================================

The adapters are imported on demand (``bot.app.create_channel``), so one framework never loads
the other.
"""
