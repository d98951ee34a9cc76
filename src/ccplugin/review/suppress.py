"""Checked-in waivers: path globs or finding fingerprints, each with a required reason.

File format (``.ccplugin-waivers.toml`` at the repository root, path configurable)::

    [[waiver]]
    fingerprint = "3f9c0a1b2c3d4e5f"
    reason = "accepted risk, tracked in #123"

    [[waiver]]
    path = "vendor/**"        # .gitignore-style, like --include/--exclude
    reason = "vendored code is reviewed upstream"

Suppressed findings stay in every report, marked with the waiver's reason; they never gate.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin.errors import CCError
from ccplugin.review.collect import path_matches
from ccplugin.review.model import Finding, ReviewResult


@dataclass(frozen=True)
class Waiver:
    reason: str
    fingerprint: str | None = None
    path: str | None = None

    def matches(self, finding: Finding) -> bool:
        if self.fingerprint is not None:
            return finding.fingerprint == self.fingerprint
        return self.path is not None and path_matches(finding.file, self.path)


def load(path: Path) -> tuple[Waiver, ...]:
    """The waivers of a file on disk; none when it does not exist."""
    if not path.is_file():
        return ()
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CCError(f"cannot read waivers file {path}: {e}", f"check the permissions of {path}") from e
    return parse(data, str(path))


def parse(data: bytes | None, where: str) -> tuple[Waiver, ...]:
    """The waivers of a file's bytes (None: no file); ``where`` names it in errors."""
    if data is None:
        return ()
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise CCError(f"cannot read waivers file {where}: {e}", "fix its TOML") from e
    entries = doc.get("waiver", [])
    if not isinstance(entries, list):
        raise CCError(f"waivers file {where}: `waiver` must be an array of tables", "use [[waiver]]")
    return tuple(_waiver(where, i, e) for i, e in enumerate(entries, 1))


def _waiver(where: str, index: int, entry: Any) -> Waiver:
    where = f"waiver #{index} in {where}"
    if not isinstance(entry, dict):
        raise CCError(f"{where} is not a table", "write it as [[waiver]] with keys")
    reason = str(entry.get("reason", "")).strip()
    if not reason:
        raise CCError(f"{where} has no reason", 'add `reason = "why this is accepted"`')
    fingerprint, glob = entry.get("fingerprint"), entry.get("path")
    if (fingerprint is None) == (glob is None):
        raise CCError(f"{where} needs exactly one of `fingerprint` or `path`", "set one of them")
    return Waiver(reason, fingerprint and str(fingerprint), glob and str(glob))


def apply(result: ReviewResult, waivers: tuple[Waiver, ...]) -> ReviewResult:
    """Mark findings matched by a waiver as suppressed (first matching waiver wins)."""
    if not waivers:
        return result
    marked = tuple(_mark(f, waivers) for f in result.findings)
    return ReviewResult(result.verdict, result.summary, marked, result.next_steps)


def _mark(finding: Finding, waivers: tuple[Waiver, ...]) -> Finding:
    for waiver in waivers:
        if waiver.matches(finding):
            return finding.with_(suppressed=waiver.reason)
    return finding
