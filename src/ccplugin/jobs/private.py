"""The state folder's folders and files: this user's own, private, never reached through a link.

Every folder ccplugin keeps state in (the state root, ``logs``, ``cache``) is checked when it is
opened: a symbolic link or another user's folder is refused with one line and the fix, and our
own folder with group or other permissions is made ``0700`` (a state root made world-writable
before stays so otherwise, and anyone could plant logs, cache entries or a database in it).
Files in it are opened with ``O_NOFOLLOW`` and checked the same way (``0600``).
"""

from __future__ import annotations

import errno
import os
import shlex
import stat
from pathlib import Path

from ccplugin.errors import CCError

_FIX_ROOT = "point `CCPLUGIN_HOME` at a folder of your own (`export CCPLUGIN_HOME=~/.local/state/ccplugin`)"


def directory(path: Path) -> None:
    """Create ``path`` (mode 0700) or check the one there; make our own one private."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        q = shlex.quote(str(path))
        raise CCError(
            f"the ccplugin state folder {path} is a symbolic link, which ccplugin does not follow",
            f"replace it with a folder of your own (`rm {q} && mkdir -m 700 {q}`), or {_FIX_ROOT}",
        )
    _check_owner(path, st)
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)


def open_file(path: Path, flags: int) -> int:
    """``os.open`` of a state file (created 0600 with ``os.O_CREAT``), never through a link."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise _link(path) from e
        raise
    try:
        st = os.fstat(fd)
        _check_owner(path, st)
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_existing(path: Path) -> None:
    """Refuse a file at ``path`` that is a link or another user's (no file there is fine)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise _link(path)
    _check_owner(path, st)


def _link(path: Path) -> CCError:
    return CCError(
        f"{path} is a symbolic link, which ccplugin does not follow in its state folder",
        f"remove it: `rm {shlex.quote(str(path))}`",
    )


def _check_owner(path: Path, st: os.stat_result) -> None:
    if st.st_uid != os.geteuid():
        raise CCError(f"{path} in the ccplugin state folder belongs to another user (uid {st.st_uid})", _FIX_ROOT)
