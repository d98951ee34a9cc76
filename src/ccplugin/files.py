"""Files written whole or not at all, and the one hash of a file's content. Standard library only."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

_CHUNK = 1 << 20


def write_atomic(path: Path, text: str | bytes, *, mode: int | None = None, dir_mode: int = 0o777) -> Path:
    """Replace ``path`` with ``text``: a reader sees the old file or the whole new one, never a part.

    The folders are created as needed (``dir_mode``). The file gets ``mode``; without one it keeps
    the permissions of the file it replaces, and a new file is ``0644``. The temporary file is
    removed if anything fails."""
    path.parent.mkdir(mode=dir_mode, parents=True, exist_ok=True)
    if mode is None:
        with contextlib.suppress(FileNotFoundError):
            mode = path.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.chmod(tmp, 0o644 if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of the file's bytes (an ``OSError`` when it cannot be read)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
