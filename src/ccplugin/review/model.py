"""The findings model every reporter renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class Location(StrEnum):
    """Where a finding falls relative to the diff's hunks."""

    ADDED = "added"  # on a line the change added
    CONTEXT = "context"  # inside a hunk, on an unchanged line
    IN_FILE = "in_file"  # in a changed file, outside every hunk
    OUTSIDE = "outside_diff"  # in a file the change did not touch


@dataclass(frozen=True)
class Finding:
    severity: str
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

    @property
    def rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, len(SEVERITY_RANK))

    def with_(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["location"] = self.location.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(**{**d, "location": Location(d.get("location", Location.OUTSIDE.value))})


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
    verdict: str  # approve | needs-attention
    summary: str
    findings: tuple[Finding, ...]
    next_steps: tuple[str, ...] = ()

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
