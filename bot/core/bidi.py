"""Right-to-left safety for Arabic replies.

In an Arabic message, a run of Latin letters or digits ("DT4E", "Fragomen", "120,000", "94%")
is wrapped in Unicode first-strong isolates (U+2068 ... U+2069) so that neutral characters next
to it (brackets, full stops, colons) keep their place when Telegram lays the line out right to
left. A link or an email address is isolated whole: an isolate inside one would cut it where
Telegram looks for a link. A command such as ``/help`` (or a mention) is not isolated (Telegram
would no longer see a command in it) but gets a left-to-right mark (U+200E) before its slash:
without one, the slash sits between right-to-left text and Latin letters and is shown at the
wrong end ("help/"). The mark is not a word character, so Telegram still finds the command
after it (TDLib's ``match_bot_commands`` only refuses a slash after a letter, a digit, ``_``,
``/``, ``<`` or ``>``).
"""

from __future__ import annotations

import re

FSI = "\u2068"
PDI = "\u2069"
LRM = "\u200e"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# A run starts with a Latin letter or digit (or the "+" of a phone number) that does not follow
# "/" or "@" or another word character, may contain spaces and light punctuation between Latin
# words, a slash between Latin letters or digits (a score "2/3", a date "31/12/2026",
# "single/double") and brackets ("Europe (DT4E) and its FAQ"), and ends on a letter, digit, "%"
# or ")".
_LTR_RUN = re.compile(
    r"(?<![/@\w\u2068])"
    r"(?:\+(?=\d)|[A-Za-z0-9\u00c0-\u024f])"
    r"(?:[A-Za-z0-9\u00c0-\u024f.,:%'’&+\-]"
    r"|(?<=[A-Za-z0-9])/(?=[A-Za-z0-9])"
    r"|\([A-Za-z0-9\u00c0-\u024f .,'’&+\-]*\)"
    r"|\s(?=[A-Za-z0-9(]))*"
)


# What is isolated or marked whole, never cut by a run's isolates (Telegram would no longer find
# a link, an address or a command in it): a link ("https://...", "www...", "t.me/..."), an email
# address, a command ("/help": a slash after no word character or slash) and a mention
# ("@dt4e_team"). A link ends before the punctuation that ends its sentence, and keeps the
# brackets it opens ("https://en.wikipedia.org/wiki/Leiden_(city)").
_LINK = (
    r"(?:https?://|www\.|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/)"
    r"(?:\([^\s()]*\)|[^\s(])*?(?=[.,;:!?)\]»؛،]*(?:\s|$))"
)
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_MARKED = r"(?<![\w/])/[A-Za-z][A-Za-z0-9_]*|(?<![\w@])@[A-Za-z0-9_]{2,}"
_WHOLE = re.compile(f"(?P<whole>{_LINK}|{_EMAIL})|(?P<marked>{_MARKED})")


def isolate_ltr_runs(text: str) -> str:
    """Wrap each left-to-right run of ``text`` in isolates, links and addresses whole, and put
    a left-to-right mark before each command and mention (idempotent)."""

    def wrap(match: re.Match[str]) -> str:
        run = match.group(0).rstrip(".,: ")
        tail = match.group(0)[len(run) :]
        return f"{FSI}{run}{PDI}{tail}" if run else match.group(0)

    text = strip_bidi_controls(text)
    out: list[str] = []
    done = 0
    for found in _WHOLE.finditer(text):
        out.append(_LTR_RUN.sub(wrap, text[done : found.start()]))
        out.append(f"{FSI}{found['whole']}{PDI}" if found["whole"] else f"{LRM}{found['marked']}")
        done = found.end()
    out.append(_LTR_RUN.sub(wrap, text[done:]))
    return "".join(out)


def strip_bidi_controls(text: str) -> str:
    """Remove every bidi control character (used on input and when comparing text)."""
    return BIDI_CONTROLS.sub("", text)
