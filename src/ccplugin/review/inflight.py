"""One review per cache key at a time, across every process of one state folder.

The review that computes a key holds an exclusive ``flock`` on ``<cache>/inflight/<key>.lock``
while it runs. The kernel drops the lock with the process that held it, however it ended
(``kill -9`` included), so no lock outlives its holder. A second review of the same key waits,
bounded and visibly, for the lock, then reads the cache again: the entry the first one stored is
its result (a cache hit); a first run that was cancelled or failed stored nothing, and the waiter
runs its own while holding the lock in turn. The lock file's text is the holder's job id, only for
the "waiting for …" line; the lock, not the text, decides.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ccplugin.jobs import private

POLL = 0.2  # seconds between tries while another review holds the key


@dataclass(frozen=True)
class Claim:
    """The held lock of one key; :meth:`release` (or the process ending) lets the next review in."""

    fd: int

    def release(self) -> None:
        os.close(self.fd)  # closing the only descriptor of the open file drops the flock


def try_claim(folder: Path, key: str, job_id: str | None) -> Claim | None:
    """The key's lock if nobody holds it now (it is then ours, labelled with ``job_id``), else None."""
    private.directory(folder)
    fd = private.open_file(folder / f"{key}.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, (job_id or "").encode(), 0)
    return Claim(fd)


def holder(folder: Path, key: str) -> str:
    """The job id the key's lock file names (empty when it names none or cannot be read)."""
    try:
        with os.fdopen(private.open_file(folder / f"{key}.lock", os.O_RDONLY), encoding="utf-8") as f:
            return f.read(200).strip()
    except (OSError, UnicodeDecodeError):
        return ""


def claim(
    folder: Path,
    key: str,
    job_id: str | None,
    *,
    bound: float,
    on_wait: Callable[[str], None],
    cancelled: Callable[[], bool],
) -> Claim | None:
    """The key's lock, waiting up to ``bound`` seconds while another review holds it.

    None when the wait ran out or was cancelled (the caller then decides; it never reads as a hit).
    ``on_wait`` gets the holder's job id once, when the wait starts."""
    deadline = time.monotonic() + bound
    announced = False
    while True:
        got = try_claim(folder, key, job_id)
        if got is not None:
            return got
        if not announced:
            on_wait(holder(folder, key))
            announced = True
        if cancelled() or time.monotonic() >= deadline:
            return None
        time.sleep(POLL)
