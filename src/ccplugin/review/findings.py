"""Structured review output → findings with fingerprints and diff locations.

This is where the reviewer's text enters the findings model: paths are made repo-relative
(:func:`ccplugin.review.paths.repo_path`) and text loses its control characters before the
fingerprint is taken, so every surface, waiver and later push sees the same values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ccplugin import controls
from ccplugin.review import suggestion
from ccplugin.review.hunks import classify
from ccplugin.review.model import Finding, Hunk, ReviewResult
from ccplugin.review.paths import OUTSIDE, repo_path
from ccplugin.review.values import Severity, Verdict

_SPACE = re.compile(r"\s+")


def fingerprint(file: str, title: str, severity: str) -> str:
    """Stable across pushes: line numbers move, the file and the claim do not."""
    norm = _SPACE.sub(" ", title.strip().lower())
    return hashlib.sha256(f"{file}\0{severity}\0{norm}".encode()).hexdigest()[:16]


def parse(
    structured: Mapping[str, Any], hunks: Mapping[str, tuple[Hunk, ...]], root: Path | None = None
) -> ReviewResult:
    """Build the result from schema-valid structured output of a review of the repository at ``root``."""
    findings = tuple(_finding(raw, hunks, root) for raw in structured.get("findings", []))
    return ReviewResult(
        verdict=Verdict(structured["verdict"]),
        summary=str(structured["summary"]).strip(),
        findings=findings,
        next_steps=tuple(str(s) for s in structured.get("next_steps", [])),
    )


def _finding(raw: Mapping[str, Any], hunks: Mapping[str, tuple[Hunk, ...]], root: Path | None) -> Finding:
    file = repo_path(str(raw["file"]), root, hunks)
    start = int(raw["line_start"])
    end = max(start, int(raw["line_end"]))
    severity = Severity(raw["severity"])
    title = controls.clean(str(raw["title"])).strip()
    body = str(raw["body"]).strip()
    past = _past_the_end(root, file, start)
    fix, dropped = suggestion.read(raw.get("replacement"), root, file, start, end)
    notes = "".join(f"\n\n({note})" for note in (past, dropped) if note)
    return Finding(
        severity=severity,
        title=title,
        body=body + notes,
        file=file,
        line_start=start,
        line_end=end,
        confidence=float(raw["confidence"]),
        recommendation=str(raw.get("recommendation", "")).strip(),
        fingerprint=fingerprint(file, title, severity),
        location=classify(file, start, end, hunks),
        suggestion=fix,
    )


def _past_the_end(root: Path | None, file: str, line: int) -> str | None:
    """Said when ``line`` is past the end of ``file`` as the checkout has it (a regular file only)."""
    if root is None or file == OUTSIDE or line <= 1:
        return None
    full = root / file
    try:
        if not full.is_file() or not full.resolve().is_relative_to(root.resolve()):
            return None
        data = full.read_bytes()
    except OSError:
        return None
    count = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if line <= count:
        return None
    return f"line {line} is past the end of {file}, which has {count} line{'' if count == 1 else 's'}"
