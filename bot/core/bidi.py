"""Right-to-left safety for Arabic replies.

In an Arabic message, a run of Latin letters or digits ("DT4E", "Fragomen", "120,000", "94%")
is wrapped in Unicode first-strong isolates (U+2068 ... U+2069) so that neutral characters next
to it (brackets, full stops, colons) keep their place when Telegram lays the line out right to
left. Commands such as ``/help`` are left alone so that they stay clickable.
"""

from __future__ import annotations

import re

FSI = "\u2068"
PDI = "\u2069"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# A run starts with a Latin letter or digit that does not follow "/" or "@" or another word
# character, may contain spaces and light punctuation between Latin words, a slash between digits
# (a score "2/3", a date "31/12/2026") and brackets ("Europe (DT4E) and its FAQ"), and ends on a
# letter, digit, "%" or ")".
_LTR_RUN = re.compile(
    r"(?<![/@\w\u2068])"
    r"[A-Za-z0-9\u00c0-\u024f]"
    r"(?:[A-Za-z0-9\u00c0-\u024f.,:%'’&+\-]"
    r"|(?<=\d)/(?=\d)"
    r"|\([A-Za-z0-9\u00c0-\u024f .,'’&+\-]*\)"
    r"|\s(?=[A-Za-z0-9(]))*"
)


def isolate_ltr_runs(text: str) -> str:
    """Wrap each left-to-right run of ``text`` in isolates (idempotent)."""

    def wrap(match: re.Match[str]) -> str:
        run = match.group(0).rstrip(".,: ")
        tail = match.group(0)[len(run) :]
        return f"{FSI}{run}{PDI}{tail}" if run else match.group(0)

    return _LTR_RUN.sub(wrap, strip_bidi_controls(text))


def strip_bidi_controls(text: str) -> str:
    """Remove every bidi control character (used on input and when comparing text)."""
    return BIDI_CONTROLS.sub("", text)
