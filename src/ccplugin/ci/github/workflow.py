"""The runner's protocol: workflow commands on stdout, and the step's output and summary files.

Annotations are ``::error|warning|notice file=…,line=…,endLine=…,title=…::message``. GitHub
shows at most ten of each type per step (fifty per job) and silently drops the rest, so the
worst come first and what is left out is counted for the step summary. Free text that may
hold a line starting with ``::`` (the reviewer's prose) is printed between
``::stop-commands::`` markers so it can never act as a command.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ccplugin import output
from ccplugin.redact import redact, redact_json
from ccplugin.review.model import Finding

PER_TYPE_LIMIT = 10
SUMMARY_LIMIT = 1024 * 1024  # bytes GitHub accepts in one step's summary
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: str | int) -> str:
    """One workflow command line, its properties and message escaped."""
    listed = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in ("", None))
    return f"::{kind}{' ' + listed if listed else ''}::{escape_data(message)}"


@dataclass(frozen=True)
class Annotations:
    lines: tuple[str, ...]
    dropped: Mapping[str, int]  # annotation type → findings not shown as annotations

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


def finding_annotations(findings: Sequence[Finding], reserved: Mapping[str, int] | None = None) -> Annotations:
    """Annotations for unsuppressed findings, worst first, at most ``PER_TYPE_LIMIT`` per type.

    ``reserved`` counts annotations of each type already printed in this step.
    """
    used = dict(reserved or {})
    lines: list[str] = []
    dropped: dict[str, int] = {}
    for f in sorted(findings, key=lambda f: (f.rank, f.file, f.line_start)):
        if f.suppressed is not None:
            continue
        kind = LEVELS.get(f.severity, "warning")
        if used.get(kind, 0) >= PER_TYPE_LIMIT:
            dropped[kind] = dropped.get(kind, 0) + 1
            continue
        used[kind] = used.get(kind, 0) + 1
        lines.append(annotation(kind, f))
    return Annotations(tuple(lines), dropped)


def annotation(kind: str, f: Finding) -> str:
    start = max(1, f.line_start)
    end = max(start, f.line_end)
    message = f.body + (f"\n\nRecommendation: {f.recommendation}" if f.recommendation else "")
    if not f.in_repo:  # an annotation of the run, not of a file
        return command(kind, message or f.title, title=f"[{f.severity}] {f.title} ({f.file})")
    return command(
        kind,
        message or f.title,
        file=f.file,
        line=start,
        endLine=end if end > start else "",
        title=f"[{f.severity}] {f.title}",
    )


@contextmanager
def commands_stopped() -> Iterator[None]:
    """Print inside this block without any line being taken as a workflow command."""
    token = secrets.token_hex(16)
    output.line(f"::stop-commands::{token}")
    try:
        yield
    finally:
        output.line(f"::{token}::")


def set_outputs(path: str | None, values: Mapping[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT``, each in the multiline-safe heredoc form."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for name, value in redact_json(dict(values)).items():
            delimiter = _delimiter(value)
            fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def _delimiter(value: str) -> str:
    while True:
        candidate = f"ghadelimiter_{secrets.token_hex(8)}"
        if candidate not in value:
            return candidate


def append_summary(path: str | None, blocks: Sequence[str], note: str) -> bool:
    """Append markdown ``blocks`` to ``$GITHUB_STEP_SUMMARY`` within the step's 1 MiB.

    Whole blocks are kept in order while they fit (so a table or a ``<details>`` is never cut
    in half); when one does not, ``note`` ends the text. Returns False when something was left out.
    """
    if not path:
        return True
    target = Path(path)
    used = target.stat().st_size if target.exists() else 0
    text, complete = fit([redact(b) for b in blocks], SUMMARY_LIMIT - used, note)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(text)
    return complete


def fit(blocks: Sequence[str], limit: int, note: str) -> tuple[str, bool]:
    """The longest run of whole ``blocks`` (each ending a line) within ``limit`` UTF-8 bytes."""
    pieces = [block + "\n" for block in blocks]
    if sum(len(p.encode()) for p in pieces) <= limit:
        return "".join(pieces), True
    tail = f"\n{note}\n"
    budget = limit - len(tail.encode())
    kept: list[str] = []
    for piece in pieces:
        budget -= len(piece.encode())
        if budget < 0:
            break
        kept.append(piece)
    return "".join(kept) + tail if limit >= len(tail.encode()) else "", False
