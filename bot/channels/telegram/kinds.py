"""The kinds of Telegram messages, as the Bot API's Message fields name them: those the bot
answers with its short "I can only read text", and the service messages it never answers."""

from __future__ import annotations

# Kinds of messages that are not text, as named by the Bot API's Message fields, most specific
# first (a venue also carries a location, an animation also a document).
MEDIA_KINDS = (
    "photo", "voice", "video_note", "video", "audio", "sticker", "animation", "document", "venue",
    "location", "contact", "poll", "dice", "story", "live_photo", "paid_media", "checklist", "game",
    "invoice", "giveaway", "giveaway_winners",
)  # fmt: skip

UNKNOWN_KIND = "unknown"
"""The kind of a message that is neither text, nor a kind of :data:`MEDIA_KINDS`, nor a service
message (a kind newer than this code): it still gets the core's short answer."""

# Service messages, as named by the Bot API's Message fields: something happened in the chat,
# nobody wrote anything. Not answered.
SERVICE_FIELDS = (
    "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo", "delete_chat_photo",
    "group_chat_created", "supergroup_chat_created", "channel_chat_created",
    "message_auto_delete_timer_changed", "migrate_to_chat_id", "migrate_from_chat_id",
    "pinned_message", "successful_payment", "refunded_payment", "users_shared", "user_shared",
    "chat_shared", "gift", "unique_gift", "gift_upgrade_sent", "connected_website",
    "write_access_allowed", "passport_data", "proximity_alert_triggered", "boost_added",
    "chat_background_set", "checklist_tasks_done", "checklist_tasks_added",
    "direct_message_price_changed", "paid_message_price_changed", "forum_topic_created",
    "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
    "general_forum_topic_hidden", "general_forum_topic_unhidden", "giveaway_created",
    "giveaway_completed", "video_chat_scheduled", "video_chat_started", "video_chat_ended",
    "video_chat_participants_invited", "web_app_data", "suggested_post_approved",
    "suggested_post_approval_failed", "suggested_post_declined", "suggested_post_paid",
    "suggested_post_refunded",
)  # fmt: skip
