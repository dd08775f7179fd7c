"""The assistant's exceptions: one root and a small tree. Every exception the project defines
is in it (``tests/test_errors.py`` walks the packages and fails on a stray one)::

    AssistantError                 the root: what the assistant raises on purpose
    ├── ConfigurationError         a setting is missing or malformed (names the DT4E_ variable)
    │   └── UsageError             the command line asks for something impossible (bot.cli.common)
    ├── ContentError               a content file is invalid (names the file, the entry and the fault)
    │   ├── ContentErrors          several faults at once (dt4e-bot check prints them all)
    │   └── CatalogueError         a translation catalogue is missing or unreadable
    ├── StorageError               the database failed
    │   ├── DatabaseUnavailable    it cannot be reached or its schema cannot be upgraded (retried)
    │   └── ConcurrentUpdate       another instance changed the same conversation first (retried)
    ├── NotFound                   a command names something that does not exist (a participant ...)
    ├── DeliveryFailed             a message could not be delivered after every retry
    │                              (bot.channels.telegram.delivery)
    └── StalePosition              a dialog position names a node the dialog no longer has
                                   (dialogs.engine)

Every message says what is wrong and how to fix it. Bad user input is never an exception: the
core turns it into a reply in the user's language. ``dt4e-bot`` prints one line for any of them
(one per fault for :class:`ContentErrors`; exit status 2 for configuration and usage, 1 for the
rest).
"""

from __future__ import annotations


class AssistantError(Exception):
    """Root of every error the assistant raises on purpose."""


class ConfigurationError(AssistantError):
    """A setting is missing or malformed."""


class ContentError(AssistantError):
    """A content file (FAQ, dialog, survey, catalogue) is invalid."""

    def __init__(self, file: str, entry: str, fault: str) -> None:
        self.file, self.entry, self.fault = file, entry, fault
        where = f"{file}: {entry}" if entry else file
        super().__init__(f"{where}: {fault}")


class ContentErrors(ContentError):
    """Several faults found at once (``dt4e-bot check`` shows them all, one per line); it reads
    as its first fault where one is expected."""

    def __init__(self, faults: list[ContentError]) -> None:
        first = faults[0]
        super().__init__(first.file, first.entry, first.fault)
        self.faults = faults
        self.args = ("\n".join(str(f) for f in faults),)

    @staticmethod
    def of(faults: list[ContentError]) -> ContentError:
        """The one fault, or all of them."""
        return faults[0] if len(faults) == 1 else ContentErrors(faults)


class CatalogueError(ContentError):
    """A translation catalogue (``locales/<lang>/LC_MESSAGES/messages.po``) is missing or unreadable."""


class NotFound(AssistantError):
    """A command names something that does not exist (a participant reference, a survey ...)."""


class StorageError(AssistantError):
    """The database failed."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached, or its schema cannot be created or upgraded."""


class ConcurrentUpdate(StorageError):
    """Another instance saved the same conversation since it was loaded; the turn is retried."""
