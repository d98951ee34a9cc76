"""Coverage: which changed files the reviewer was shown, and of how many.

Inline, the whole diff is in the prompt: every changed file is covered. Self-collected, a
file counts only when a SUCCESSFUL tool result showed it: a ``Read`` of the file (its path
made repository-relative), or a plain ``git`` command (``git diff``/``show``/``log -p``, no
shell operators but ``2>&1`` and a pipe into ``head``/``tail``) whose output has the file's
``diff --git`` header. Anything else — a
failed call, a denied one, ``echo``, a ``Glob``/``Grep``, a ``--stat`` listing, a file
outside the change — shows no changed file. The allowlist is the two tools below.

A review that covered none of the change saw nothing and is an ERROR (``saw-nothing``).
Partial coverage (at least one changed file) is a review: it is reported in every surface
("3 of 10 changed files"), not an error — a self-collected change is over the prompt budget
by definition, and a reviewer that looked at part of it found what it found there.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ccplugin.claude.types import ToolCall
from ccplugin.git import unquote
from ccplugin.review.hunks import MARK
from ccplugin.review.model import FileChange

_SHELL = frozenset(";&<>`$()\n")  # anything that could run another command or read a file
_STDERR_TO_STDOUT = "2>&1"
_FILTERS = frozenset({"head", "tail"})  # may only cut git's output: options and counts, no file


class Basis(StrEnum):
    PROMPT = "prompt"  # inline: the diff was in the prompt
    TOOLS = "tools"  # self-collect: what the reviewer's successful reads and git diffs showed


@dataclass(frozen=True)
class Coverage:
    """The changed files a review saw: ``covered`` (paths) of ``total``."""

    basis: Basis
    covered: tuple[str, ...]
    total: int

    @property
    def saw_nothing(self) -> bool:
        return self.total > 0 and self.count == 0

    @property
    def count(self) -> int:
        """How many changed files were covered."""
        return self.total if self.basis is Basis.PROMPT else len(self.covered)

    @property
    def partial(self) -> bool:
        return 0 < self.count < self.total

    def line(self) -> str:
        """``2 of 10 changed files (read or diffed by the reviewer; partial)``."""
        if self.basis is Basis.PROMPT:
            return f"all {_files(self.total)} (the diff was in the prompt)"
        how = "read or diffed by the reviewer" + ("; partial" if self.partial else "")
        return f"{len(self.covered)} of {_files(self.total)} ({how})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "basis": self.basis.value,
            "covered_files": self.count,
            "changed_files": self.total,
            "paths": list(self.covered) if self.basis is Basis.TOOLS else [],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Coverage:
        basis = Basis(d["basis"])
        total = int(d["changed_files"])
        if basis is Basis.PROMPT:
            return cls(basis, (), total)
        return cls(basis, tuple(str(p) for p in d.get("paths") or ()), total)


def of_prompt(files: Sequence[FileChange]) -> Coverage:
    return Coverage(Basis.PROMPT, (), len(files))


def of_tools(files: Sequence[FileChange], calls: Iterable[ToolCall], root: Path) -> Coverage:
    """The changed files the successful calls showed, in the change's order."""
    changed = {f.path for f in files}
    seen: set[str] = set()
    for call in calls:
        if call.ok:
            seen |= _shown(call, changed, root)
    return Coverage(Basis.TOOLS, tuple(f.path for f in files if f.path in seen), len(files))


def _shown(call: ToolCall, changed: set[str], root: Path) -> set[str]:
    if call.name == "Read":
        path = _relative(call.target, root)
        return {path} & changed if path else set()
    if call.name == "Bash" and _plain_git(call.target):
        return {p for header in call.diff_headers for p in _header_paths(header)} & changed
    return set()


def _relative(path: str, root: Path) -> str | None:
    """``path`` relative to the repository root, or None when it is outside."""
    if not path:
        return None
    if os.path.isabs(path):
        for base in dict.fromkeys((str(root), os.path.realpath(root))):
            rel = os.path.relpath(os.path.normpath(path), base).replace(os.sep, "/")
            if not _above(rel):
                return rel
        return None
    rel = posixpath.normpath(path)
    return None if _above(rel) else rel


def _above(rel: str) -> bool:
    return rel == ".." or rel.startswith("../")


def _plain_git(command: str) -> bool:
    """One git command whose output only ``head``/``tail`` may cut: nothing else can add to it."""
    text = command.replace(_STDERR_TO_STDOUT, " ")
    if _SHELL & set(text):
        return False
    first, *filters = text.split("|")
    words = first.split()
    return bool(words) and words[0] == "git" and all(_cuts_only(f) for f in filters)


def _cuts_only(segment: str) -> bool:
    words = segment.split()
    return bool(words) and words[0] in _FILTERS and all(w.startswith("-") or w.isdigit() for w in words[1:])


def _header_paths(header: str) -> set[str]:
    """The names a ``diff --git`` line may be about (its new side, with any one-letter prefix)."""
    rest = header[len(MARK) :] if header.startswith(MARK) else ""
    if rest.endswith('"'):
        start = rest.rfind(' "')
        names = [unquote(rest[start + 1 :])] if start != -1 else []
    else:
        names = [rest[i + 1 :] for i, c in enumerate(rest) if c == " "]
    return {n for name in names for n in (name, name[2:] if name[1:2] == "/" else name)}


def _files(n: int) -> str:
    return f"{n} changed file" + ("" if n == 1 else "s")
