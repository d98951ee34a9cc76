"""``--report FORMAT=PATH`` (``--cc-report`` in pytest): which reporter writes where."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ccplugin.errors import CCError

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


def check_writable(path: Path) -> None:
    """Fail before the review, not after it, when a report cannot be written (nothing is left behind)."""
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as e:
        raise CCError(f"cannot write the report {path}: {e.strerror or e}", "pass a writable path") from None
    if not existed:
        path.unlink()
