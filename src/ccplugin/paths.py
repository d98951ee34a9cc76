"""Where things live: the state root, the workspace of a directory, a safe session id.

Only ``os`` is imported: the Codex prompt hook calls these on every prompt (bench_hook.py), and
every other caller uses them too, so there is one definition of each.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: importing typing costs more than this module
if TYPE_CHECKING:
    from collections.abc import Mapping

_SESSION_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def state_root(env: Mapping[str, str] | None = None) -> str:
    """The store's root: ``$CCPLUGIN_HOME``, else ``$XDG_STATE_HOME/ccplugin`` (``~/.local/state/ccplugin``)."""
    env = os.environ if env is None else env
    if env.get("CCPLUGIN_HOME"):
        return os.path.expanduser(env["CCPLUGIN_HOME"])
    xdg = env.get("XDG_STATE_HOME") or os.path.join(env.get("HOME", "~"), ".local", "state")
    return os.path.join(os.path.expanduser(xdg), "ccplugin")


def workspace(cwd: str) -> str:
    """The realpath of the enclosing work tree (a ``.git`` dir or file), else of ``cwd``.

    A filesystem walk, no git process.
    """
    here = os.path.realpath(cwd)
    candidate = here
    while True:
        if _is_git_marker(os.path.join(candidate, ".git")):
            return candidate
        parent = os.path.dirname(candidate)
        if parent == candidate:
            return here
        candidate = parent


def _is_git_marker(path: str) -> bool:
    """A ``.git`` file (worktree, submodule) or a ``.git`` folder with a ``HEAD``, as git itself
    requires: an empty ``.git`` folder (Codex's sandbox leaves such mount targets in writable
    roots like /tmp) is not a repository."""
    return os.path.isfile(path) or os.path.exists(os.path.join(path, "HEAD"))


def owner_session(env: Mapping[str, str] | None = None) -> str | None:
    """The Codex session that owns new jobs (``CODEX_SESSION_ID``), if it is well formed."""
    env = os.environ if env is None else env
    return valid_session(env.get("CODEX_SESSION_ID", "").strip())


def valid_session(value: object) -> str | None:
    """A well-formed Codex session id (safe in a file name), else None."""
    if not isinstance(value, str) or not 0 < len(value) <= 128:
        return None
    if not value[0].isalnum() or not set(value) <= _SESSION_CHARS:
        return None
    return value
