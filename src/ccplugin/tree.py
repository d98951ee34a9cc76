"""A snapshot of a git work tree, and the files that changed between two: one for the rescue and the Codex stop gate.

One ``git status --porcelain=v2 -z --branch --untracked-files=all --no-renames`` (through
:func:`ccplugin.git.run`: no optional locks, so it never rewrites the index) gives HEAD, every changed or untracked
path and the index's blob ids; the content of each path git reports is hashed here (files over
32 MiB by size and mtime instead). No file git sees as clean is read, and nothing is written to
the repository.

``signature`` changes when HEAD, the index or any changed file's content changes;
:meth:`Snapshot.changed_since` names the paths that differ between two snapshots, including a
file that was already dirty and was edited again.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccplugin import files, git
from ccplugin.errors import CCError

HASH_LIMIT = 32 << 20
TIMEOUT = 60.0


@dataclass(frozen=True)
class Snapshot:
    """HEAD and the paths ``git status`` reports, each with a digest of its entry and content.

    ``truncated``: more paths were reported than the snapshot was allowed to hash."""

    signature: str
    head: str
    files: dict[str, str] = field(default_factory=dict)
    truncated: bool = False

    def changed_since(self, earlier: Snapshot) -> list[str]:
        """Paths whose status or content differs from ``earlier``, sorted."""
        paths = set(self.files) | set(earlier.files)
        return sorted(p for p in paths if self.files.get(p) != earlier.files.get(p))

    def to_dict(self) -> dict[str, Any]:
        return {"signature": self.signature, "head": self.head, "files": self.files, "truncated": self.truncated}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Snapshot:
        paths = {str(k): str(v) for k, v in d.get("files", {}).items()}
        return cls(str(d["signature"]), str(d.get("head", "")), paths, bool(d.get("truncated", False)))


def take(root: str | Path, env: Mapping[str, str] | None = None, *, limit: int | None = None) -> Snapshot | None:
    """The snapshot of the work tree at ``root`` (at most ``limit`` paths hashed); None when it is not
    the top of a git work tree or git fails."""
    if not os.path.exists(os.path.join(root, ".git")):
        return None
    args = ["status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all", "--no-renames"]
    try:  # git's own safe settings: no optional locks (the index is never rewritten), no repository programs
        done = git.run(Path(root), args, env, check=False, timeout=TIMEOUT)
    except (subprocess.TimeoutExpired, OSError, CCError):  # no git: no snapshot
        return None
    if done.returncode != 0:
        return None
    head, entries = git.parse_status(done.out)
    kept = entries if limit is None else entries[:limit]
    digests = {e.path: _digest(str(root), e.path, e.fields) for e in kept}
    summary = hashlib.sha256(head.encode())
    for path in sorted(digests):
        summary.update(f"\0{path}\0{digests[path]}".encode("utf-8", "surrogateescape"))
    return Snapshot(summary.hexdigest(), head, digests, len(kept) < len(entries))


def _digest(root: str, path: str, meta: str) -> str:
    """The entry's status fields plus its work-tree content (or what stands in for it)."""
    full = os.path.join(root, path)
    try:
        st = os.lstat(full)
    except OSError:
        content = "missing"
    else:
        content = _content(full, st)
    return hashlib.sha256(f"{meta}\0{content}".encode("utf-8", "surrogateescape")).hexdigest()


def _content(full: str, st: os.stat_result) -> str:
    if os.path.islink(full):
        return "link:" + os.readlink(full)
    if not os.path.isfile(full):
        return f"other:{st.st_mode:o}"
    if st.st_size > HASH_LIMIT:
        return f"large:{st.st_size}:{st.st_mtime_ns}"
    try:
        return files.sha256_of(full)
    except OSError:
        return f"unreadable:{st.st_size}:{st.st_mtime_ns}"
