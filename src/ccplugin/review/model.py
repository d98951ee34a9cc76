"""The findings model every reporter renders.

Its values are safe to render whatever made them (a parse of the reviewer's output, a stored
record, a shard file, a plugin): text holds no control characters (:mod:`ccplugin.controls`),
a path is repo-relative or :data:`~ccplugin.review.paths.OUTSIDE`, a confidence is a finite
number in [0, 1] (anything else is a ``ValueError``: not JSON, so no report could hold it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from ccplugin import controls
from ccplugin.review import paths
from ccplugin.review.values import SEVERITY_RANK, Baseline, Severity, Verdict

__all__ = ["SEVERITY_RANK", "FileChange", "Finding", "Hunk", "Location", "ReviewResult", "Severity", "Verdict"]


class Location(StrEnum):
    """Where a finding falls relative to the diff's hunks."""

    ADDED = "added"  # on a line the change added
    CONTEXT = "context"  # inside a hunk, on an unchanged line
    IN_FILE = "in_file"  # in a changed file, outside every hunk
    OUTSIDE = "outside_diff"  # in a file the change did not touch


MAX_CHARS = 8000  # of a suggestion's text: the schema's maxLength too
MAX_LINES = 200


@dataclass(frozen=True)
class Suggestion:
    """``replacement`` for the lines whose text (line ends included) was ``original``."""

    replacement: str
    original: str

    def __post_init__(self) -> None:
        for name in ("replacement", "original"):
            check(getattr(self, name), name)

    def patch(self, file: str, start: int) -> str:
        """The suggestion as a zero-context unified diff of ``file`` at line ``start``
        (``git apply --unidiff-zero`` applies it)."""
        old_n, new_n = len(self.original.splitlines()), len(self.replacement.splitlines())
        old_start, new_start = (start if old_n else start - 1), (start if new_n else start - 1)
        head = f"--- a/{file}\n+++ b/{file}\n@@ -{old_start},{old_n} +{new_start},{new_n} @@\n"
        return head + _side(self.original, "-") + _side(self.replacement, "+")


def check(text: object, what: str = "replacement") -> None:
    """A ValueError naming what is wrong with ``text`` as a suggestion's text."""
    if not isinstance(text, str):
        raise ValueError(f"the {what} is not text")
    if len(text) > MAX_CHARS or text.count("\n") > MAX_LINES:
        raise ValueError(f"the {what} is over {MAX_CHARS} characters or {MAX_LINES} lines")
    if controls.found(text):
        raise ValueError(f"the {what} holds a control character")


def _side(text: str, mark: str) -> str:
    if not text:
        return ""
    out = "".join(f"{mark}{line}\n" for line in text.splitlines())
    return out if text.endswith("\n") else out + "\\ No newline at end of file\n"


@dataclass(frozen=True)
class Finding:
    severity: Severity  # a ValueError for any other value
    title: str
    body: str
    file: str
    line_start: int
    line_end: int
    confidence: float
    recommendation: str
    fingerprint: str = ""
    location: Location = Location.OUTSIDE
    suppressed: str | None = None  # the waiver's reason when suppressed
    suggestion: Suggestion | None = None  # the reviewer's replacement for lines line_start..line_end

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))
        controls.clean_fields(self, "title", "body", "recommendation", "suppressed")
        object.__setattr__(self, "file", paths.repo_path(self.file))
        confidence = float(self.confidence)
        if not 0 <= confidence <= 1:  # NaN fails this too
            raise ValueError(f"finding confidence must be a number from 0 to 1, not {self.confidence!r}")
        object.__setattr__(self, "confidence", confidence)

    @property
    def in_repo(self) -> bool:
        """Whether the finding names a path of the repository (else :data:`paths.OUTSIDE`)."""
        return self.file != paths.OUTSIDE

    @property
    def where(self) -> str:
        """``file:start`` or ``file:start-end``; just :data:`paths.OUTSIDE` outside the repository."""
        if not self.in_repo:
            return self.file
        return f"{self.file}:{self.line_start}" + (f"-{self.line_end}" if self.line_end > self.line_start else "")

    @property
    def rank(self) -> int:
        return self.severity.rank

    @property
    def baseline(self) -> Baseline:
        """NEW on a line the change added or changed; PRE_EXISTING anywhere else."""
        return Baseline.NEW if self.location is Location.ADDED else Baseline.PRE_EXISTING

    def with_(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["location"] = self.location.value
        d["baseline"] = self.baseline.value  # derived from the location: read back from it
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        fields = {k: v for k, v in d.items() if k != "baseline"}
        fix = d.get("suggestion")
        return cls(
            **{
                **fields,
                "location": Location(d.get("location", Location.OUTSIDE.value)),
                "suggestion": Suggestion(**fix) if fix is not None else None,
            }
        )


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # A, M, D, R, C, T, U, ? (untracked)
    old_path: str | None = None
    binary: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileChange:
        return cls(**d)


@dataclass(frozen=True)
class ReviewResult:
    verdict: Verdict  # a ValueError for any other value
    summary: str
    findings: tuple[Finding, ...]
    next_steps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        controls.clean_fields(self, "summary")
        object.__setattr__(self, "next_steps", tuple(controls.clean(str(s)) for s in self.next_steps))

    def worst_first(self) -> tuple[Finding, ...]:
        return tuple(sorted(self.findings, key=lambda f: (f.rank, f.file, f.line_start)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
            "next_steps": list(self.next_steps),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReviewResult:
        return cls(
            verdict=d["verdict"],
            summary=d["summary"],
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", [])),
            next_steps=tuple(d.get("next_steps", [])),
        )


@dataclass(frozen=True)
class Hunk:
    """Line ranges of one hunk on the new side: all lines, and the added ones."""

    start: int
    end: int
    added: frozenset[int] = field(default_factory=frozenset)
