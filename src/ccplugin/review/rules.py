"""The repository's own review rules: guidance for the reviewer, never a way to change the gate.

The rule files (``rules`` in the settings, by default ``REVIEW.md``, ``AGENTS.md`` and ``CLAUDE.md``
at the repository root) and the ``path_rules`` whose globs match a changed file are read from the
commit whose policy judges the change (:mod:`ccplugin.review.policy`): the base of a branch or
pull request, so a pull request cannot rewrite the rules it is judged by, and ``HEAD`` (or the
commit a Codex turn started from) for a working tree. Only regular files are read, as stored.

The reviewer gets them inside the prompt's untrusted section (``review_rules`` with the run's
token): the output contract, the schema and the gate stay outside them and are decided in code.
Together they are capped at :data:`MAX_BYTES`; a cut says so in the prompt and in the report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin import config, git
from ccplugin.review.collect import PathFilter
from ccplugin.review.model import FileChange
from ccplugin.review.policy import Origin

MAX_BYTES = 32 * 1024


@dataclass(frozen=True)
class Shown:
    """One rule given to the reviewer: a file, or a path rule (``name`` lists its globs)."""

    name: str
    size: int  # its bytes
    shown: int  # the bytes given to the reviewer
    path_rule: bool = False

    @property
    def truncated(self) -> bool:
        return self.shown < self.size

    def label(self) -> str:
        name = f"path rule {self.name}" if self.path_rule else self.name
        return f"{name} (truncated to {self.shown} of {self.size} bytes)" if self.truncated else name

    def to_dict(self) -> dict[str, Any]:
        kind = "path_rule" if self.path_rule else "file"
        return {"name": self.name, "kind": kind, "bytes": self.size, "shown_bytes": self.shown}


@dataclass(frozen=True)
class Rules:
    """The rules a review was given, and the commit they came from."""

    shown: tuple[Shown, ...]
    text: str  # the rules section's body
    rev: str | None
    role: str

    def label(self) -> str:
        """``REVIEW.md, AGENTS.md at 1a2b3c4 (base)``; ``none at 1a2b3c4 (base)``."""
        what = ", ".join(s.label() for s in self.shown) or "none"
        return f"{what} at {self.rev[:7]} ({self.role})" if self.rev else f"{what} (no commits yet)"

    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.label(),
            "rev": self.rev,
            "role": self.role,
            "max_bytes": MAX_BYTES,
            "used": [s.to_dict() for s in self.shown],
        }


def gather(
    root: Path,
    origin: Origin,
    settings: config.Settings,
    files: Sequence[FileChange],
    env: Mapping[str, str] | None = None,
) -> Rules:
    """The rule files and matching path rules at ``origin``'s commit, within :data:`MAX_BYTES`."""
    changed = [p for f in files for p in (f.path, f.old_path) if p]
    found = [(n, data, False) for n in settings.rules if (data := _read(root, origin.rev, n, env)) is not None]
    found += [(", ".join(r.paths), r.rule.encode(), True) for r in settings.path_rules if _applies(r, changed)]
    shown, sections, left = [], [], MAX_BYTES
    for name, data, path_rule in found:
        body, used = _cut(data, left)
        left -= used
        item = Shown(name, len(data), used, path_rule)
        shown.append(item)
        sections.append(_section(item, body))
    return Rules(tuple(shown), "\n".join(sections), origin.rev, origin.role)


def _read(root: Path, rev: str | None, name: str, env: Mapping[str, str] | None) -> bytes | None:
    return git.file_at(root, rev, name, env) if rev else None


def _applies(rule: config.PathRule, changed: Sequence[str]) -> bool:
    matches = PathFilter(rule.paths, ())
    return any(matches(p) for p in changed)


def _cut(data: bytes, limit: int) -> tuple[str, int]:
    """``data`` as text, cut to at most ``limit`` UTF-8 bytes (never inside a character)."""
    text = data.decode("utf-8", "replace")
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text, len(data)
    kept = encoded[: max(limit, 0)].decode("utf-8", "ignore")
    return kept, len(kept.encode("utf-8"))


def _section(item: Shown, body: str) -> str:
    head = f"### For changed files matching {item.name}" if item.path_rule else f"### {item.name}"
    cut = f"\n(cut here: the first {item.shown} of its {item.size} bytes; the rules are capped at {MAX_BYTES})"
    return f"{head}\n\n{body.rstrip()}{cut if item.truncated else ''}\n"
