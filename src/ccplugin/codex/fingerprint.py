"""A fingerprint of a git work tree: did the last Codex turn change anything, and which files?

One ``git status --porcelain=v2 -z --branch --untracked-files=all --no-renames`` (with
``--no-optional-locks``, so it never rewrites the index) gives HEAD, every changed or untracked
path and the index's blob ids; the content of each path that differs in the work tree is hashed
here (files over 32 MiB by size and mtime instead). Nothing is written to the repository.

``signature`` changes when HEAD, the index or any changed file's content changes;
:meth:`Fingerprint.changed_since` names the paths that differ between two fingerprints.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ccplugin import proc
from ccplugin.errors import CCError

HASH_LIMIT = 32 << 20
TIMEOUT = 60.0
_FIELDS = {"1": 8, "2": 9, "u": 10}  # space-separated fields before the path, per entry kind


@dataclass(frozen=True)
class Fingerprint:
    signature: str
    head: str
    files: dict[str, str] = field(default_factory=dict)  # path → digest of its entry and content

    def changed_since(self, earlier: Fingerprint) -> list[str]:
        paths = set(self.files) | set(earlier.files)
        return sorted(p for p in paths if self.files.get(p) != earlier.files.get(p))

    def to_dict(self) -> dict[str, Any]:
        return {"signature": self.signature, "head": self.head, "files": self.files}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Fingerprint:
        return cls(str(d["signature"]), str(d.get("head", "")), {str(k): str(v) for k, v in d.get("files", {}).items()})


def take(repo: str, env: Mapping[str, str] | None = None) -> Fingerprint | None:
    """The fingerprint of ``repo``'s work tree; None when it is not a git work tree."""
    argv = ["git", "--no-optional-locks", "status", "--porcelain=v2", "-z", "--branch"]
    argv += ["--untracked-files=all", "--no-renames"]
    try:
        done = proc.run(argv, cwd=repo, env=env, timeout=TIMEOUT)
    except (subprocess.TimeoutExpired, OSError, CCError):  # no git: no fingerprint
        return None
    if done.returncode != 0:
        return None
    head, entries = parse(done.out)
    files = {path: _digest(repo, path, meta) for path, meta in entries}
    summary = hashlib.sha256(head.encode())
    for path in sorted(files):
        summary.update(f"\0{path}\0{files[path]}".encode("utf-8", "surrogateescape"))
    return Fingerprint(summary.hexdigest(), head, files)


def parse(out: str) -> tuple[str, list[tuple[str, str]]]:
    """HEAD and ``(path, status fields)`` pairs from porcelain v2 ``-z`` output."""
    head, entries = "", []
    for record in out.split("\0"):
        if record.startswith("# branch.oid "):
            head = record.removeprefix("# branch.oid ")
        elif record.startswith("? "):
            entries.append((record[2:], "?"))
        elif record[:1] in _FIELDS:
            parts = record.split(" ", _FIELDS[record[0]])
            if len(parts) > _FIELDS[record[0]]:
                entries.append((parts[-1], " ".join(parts[:-1])))
    return head, entries


def _digest(repo: str, path: str, meta: str) -> str:
    """The entry's status fields plus its work-tree content (or what stands in for it)."""
    full = os.path.join(repo, path)
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
    digest = hashlib.sha256()
    try:
        with open(full, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return f"unreadable:{st.st_size}:{st.st_mtime_ns}"
    return digest.hexdigest()
