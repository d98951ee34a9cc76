"""Control characters removed from text ccplugin did not write, before anything renders it.

Reviewer output, file names from a change and error text from Claude can carry terminal escape
sequences: an OSC 52 clipboard write, a screen clear that hides the gate line, a carriage return
that overprints it, bidirectional overrides that make code read differently than it runs. Kept:
newline and tab. Removed: every other C0 control, DEL, every C1 control, the bidirectional
embedding, override, isolate and mark characters, and lone surrogates (which no file can hold).
"""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` without control characters (a CRLF line end becomes a newline)."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n"))


def found(text: str) -> bool:
    """Whether ``text`` holds a character :func:`clean` removes (a carriage return too)."""
    return _CONTROLS.search(text) is not None


def clean_fields(obj: object, *names: str) -> None:
    """Strip the named text fields of a frozen dataclass in place (from its ``__post_init__``); None stays."""
    for name in names:
        value = getattr(obj, name)
        if value is not None:
            object.__setattr__(obj, name, clean(str(value)))
