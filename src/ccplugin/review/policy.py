"""The policy that judges a change: the settings and waivers committed before it.

A change never sets its own gate. The settings (``.ccplugin.toml``, else ``[tool.ccplugin]`` of
``pyproject.toml``) and the waivers file are read from a commit with git — the base (merge-base)
of a branch review, ``HEAD`` (or the commit a Codex turn started from) for a working-tree review
— never from the files under review. Command-line flags and the Action's inputs still override
them. A change that edits a policy file gets an engine-made finding saying so (:func:`findings`),
so a human looks at it: severity ``high``, located on an added line, so it gates wherever a
``high`` finding would (the Codex stop gate and the Action's default ``fail-on: high`` included)
unless a waiver in the trusted policy accepts it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ccplugin import config, git
from ccplugin.review import findings as review_findings
from ccplugin.review import suppress
from ccplugin.review.model import Finding, Hunk, Location
from ccplugin.review.target import Target
from ccplugin.review.values import Scope, Severity

Role = Literal["base", "HEAD"]
SEVERITY = Severity.HIGH
_UNREADABLE = b"\0unreadable"  # a work-tree policy file that cannot be read differs from every commit


@dataclass(frozen=True)
class Origin:
    """Where a policy came from: the commit, its role, the settings file (None: defaults), the waivers."""

    rev: str | None
    role: Role
    file: str | None = None
    waivers: int = 0
    edited: tuple[str, ...] = ()

    def label(self) -> str:
        """``.ccplugin.toml at 1a2b3c4 (base)``, ``defaults at 1a2b3c4 (HEAD)``, ``defaults (no commits yet)``."""
        what = self.file or "defaults"
        if self.waivers:
            what += f" + {self.waivers} waiver(s)"
        return f"{what} at {self.rev[:7]} ({self.role})" if self.rev else f"{what} (no commits yet)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.label(),
            "rev": self.rev,
            "role": self.role,
            "file": self.file,
            "waivers": self.waivers,
            "edited": list(self.edited),
        }


@dataclass(frozen=True)
class Policy:
    settings: config.Settings
    waivers: tuple[suppress.Waiver, ...]
    origin: Origin


def at(root: Path, rev: str | None, role: Role, env: Mapping[str, str] | None = None) -> Policy:
    """The settings and waivers committed in ``rev`` (None: a repository with no commits → defaults)."""
    if rev is None:
        return Policy(config.Settings(), (), Origin(None, role))
    where = f" at {rev[:7]} ({role})"
    read = _commit_reader(root, rev, env)
    settings, file = config.read_settings(read, where)
    waivers = suppress.parse(read(settings.waivers), settings.waivers + where)
    return Policy(settings, waivers, Origin(rev, role, file, len(waivers)))


def edited(
    target: Target, policy: Policy, asked: Callable[[str], bool], env: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The policy files whose content differs between the policy's commit and what the review judges.

    ``asked`` is the review's own path filter (flags, inputs, the files a Codex turn changed): a
    policy file it leaves out is not part of the change asked about. The policy's own excludes do
    not hide a policy edit."""
    before = _commit_reader(target.repo_root, policy.origin.rev, env)
    after = _reviewed_reader(target, env)
    names = [n for n in dict.fromkeys((config.SETTINGS_FILE, config.PYPROJECT, policy.settings.waivers)) if asked(n)]
    return tuple(name for name in names if _content(name, before(name)) != _content(name, after(name)))


def findings(names: tuple[str, ...], hunks: Mapping[str, tuple[Hunk, ...]]) -> tuple[Finding, ...]:
    """One engine-made finding per edited policy file."""
    return tuple(_finding(name, hunks) for name in names)


def _finding(name: str, hunks: Mapping[str, tuple[Hunk, ...]]) -> Finding:
    title = f"This change edits the review policy: {name}"
    added = sorted(line for h in hunks.get(name, ()) for line in h.added)
    line = added[0] if added else 1
    return Finding(
        severity=SEVERITY,
        title=title,
        body=(
            f"{name} sets how changes are reviewed and gated. Edits to it never apply to the change that "
            "makes them: this review used the policy committed before the change. Once merged, the edit "
            "judges every later change, so a person should check it (an agent asked to make the check "
            "pass may loosen the policy instead of fixing the code)."
        ),
        file=name,
        line_start=line,
        line_end=line,
        confidence=1.0,
        recommendation="Have a maintainer review the policy edit; keep it in its own pull request.",
        fingerprint=review_findings.fingerprint(name, title, SEVERITY),
        location=Location.ADDED,  # the edit is the change itself: it gates under every filter mode
    )


def _commit_reader(root: Path, rev: str | None, env: Mapping[str, str] | None) -> config.Reader:
    def read(name: str) -> bytes | None:
        return git.file_at(root, rev, name, env) if rev else None

    return read


def _reviewed_reader(target: Target, env: Mapping[str, str] | None) -> config.Reader:
    """The files as the review judges them: the head commit of a branch, else the work tree."""
    if target.scope is Scope.BRANCH:
        return _commit_reader(target.repo_root, target.head, env)
    root = target.repo_root

    def read(name: str) -> bytes | None:
        path = root / name
        if not path.is_file():
            return None
        try:
            return path.read_bytes()
        except OSError:
            return _UNREADABLE

    return read


def _content(name: str, data: bytes | None) -> object:
    """What matters of a policy file: its bytes, or of ``pyproject.toml`` only its ``[tool.ccplugin]``."""
    if name != config.PYPROJECT or data is None or data == _UNREADABLE:
        return data
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return data  # cannot tell what changed: any edit counts
    return config.ccplugin_table(doc)
