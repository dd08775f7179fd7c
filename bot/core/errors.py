"""The assistant's exceptions, one root and a small tree::

    AssistantError
    ├── ConfigurationError     a setting is missing or malformed (names the DT4E_ variable)
    ├── ContentError           a content file is invalid (names the file, the entry and the fault)
    └── StorageError           the database failed
        ├── DatabaseUnavailable    it cannot be reached or its schema cannot be upgraded
        └── ConcurrentUpdate       another instance changed the same conversation first (retried)

(The Telegram channels add ``DeliveryFailed`` in :mod:`bot.channels.telegram`, also an
``AssistantError``: a reply that could not be delivered after every retry; it is logged.)

Every message says what is wrong and how to fix it. Bad user input is never an exception: the
core turns it into a reply.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Root of every error the assistant raises on purpose."""


class ConfigurationError(AssistantError):
    """A setting is missing or malformed."""


class ContentError(AssistantError):
    """A content file (FAQ, dialog, survey) is invalid."""

    def __init__(self, file: str, entry: str, fault: str) -> None:
        self.file, self.entry, self.fault = file, entry, fault
        where = f"{file}: {entry}" if entry else file
        super().__init__(f"{where}: {fault}")


class StorageError(AssistantError):
    """The database failed."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached, or its schema cannot be created or upgraded."""


class ConcurrentUpdate(StorageError):
    """Another instance saved the same conversation since it was loaded; the turn is retried."""
