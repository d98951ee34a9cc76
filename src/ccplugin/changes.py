"""What changed in a work tree between two moments, seen through git.

A :class:`TreeState` is every path ``git status`` reports (tracked changes and untracked files, not
ignored ones) with a hash of its content. Comparing two states names the files that changed in
between, including a file that was already dirty and was edited again, without reading any
file that git sees as clean.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ccplugin import git

MAX_PATHS = 20_000  # beyond this many dirty paths the rest are not tracked (and it says so)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class TreeState:
    """``git status`` paths of a work tree, each with a content id; ``truncated`` when capped."""

    root: str
    paths: Mapping[str, str]
    truncated: bool = False

    def changed_since(self, before: TreeState) -> list[str]:
        """Paths whose status or content differs from ``before``, sorted."""
        names = set(self.paths) | set(before.paths)
        return sorted(p for p in names if self.paths.get(p) != before.paths.get(p))


def snapshot(root: Path, env: Mapping[str, str] | None = None) -> TreeState | None:
    """The state of the work tree at ``root``, or None when it is not a git work tree."""
    if not (root / ".git").exists():
        return None
    args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]
    entries = _entries(git.run(root, args, env).stdout)
    truncated = len(entries) > MAX_PATHS
    paths = {path: f"{code}:{content_id(root / path)}" for code, path in entries[:MAX_PATHS]}
    return TreeState(str(root), paths, truncated)


def _entries(data: bytes) -> list[tuple[str, str]]:
    """``(XY, path)`` pairs of ``git status --porcelain=v1 -z --no-renames``."""
    return [(rec[:2], rec[3:]) for rec in git.split_z(data) if len(rec) > 3]


def content_id(path: Path) -> str:
    """A hash of the file's bytes; ``missing``, ``dir`` or ``link:<target>`` for the rest."""
    try:
        if path.is_symlink():
            return f"link:{os.readlink(path)}"
        if path.is_dir():
            return "dir"
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return f"unreadable:{e.errno}"
