"""``--report FORMAT=PATH`` (``--cc-report`` in pytest): which reporter writes where."""

from __future__ import annotations

from dataclasses import dataclass

USAGE = "FORMAT=PATH"


@dataclass(frozen=True)
class Selected:
    """One report a run was asked for: the reporter's format name and the file it writes."""

    fmt: str
    path: str


def parse(text: str) -> Selected:
    """``junit=out/cc.xml`` as a selection; anything else is a ``ValueError`` naming the shape."""
    fmt, sep, path = text.partition("=")
    if not sep or not fmt.strip() or not path.strip():
        raise ValueError(f"expected {USAGE} (e.g. junit=cc-review.xml), got {text!r}")
    return Selected(fmt.strip(), path.strip())
