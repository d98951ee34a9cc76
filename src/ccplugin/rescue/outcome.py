"""What one rescue did: the value the job stores and the reporters render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ccplugin.errors import Exit
from ccplugin.rescue.request import Decision
from ccplugin.review.outcome import ReviewError as RunError

PARTIAL_NOTE = "the tree is left as the partial edits left it"


@dataclass(frozen=True)
class RescueOutcome:
    """What one rescue did: the value the job stores and the reporters render."""

    task: str
    write: bool
    model: str
    effort: str | None
    decision: Decision
    job_id: str | None = None
    resumed_session: str | None = None
    resumed_job: str | None = None
    resume_candidate: dict[str, Any] | None = None
    text: str = ""
    files_by_claude: tuple[str, ...] = ()
    files_in_git: tuple[str, ...] | None = None  # None: not a git work tree (or git failed)
    git_truncated: bool = False
    session_id: str | None = None
    session_persisted: bool = False
    error: RunError | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None
    num_turns: int | None = None
    duration_s: float | None = None
    denials: tuple[dict[str, Any], ...] = ()

    @property
    def state(self) -> str:
        if self.error is None:
            return "completed"
        return "cancelled" if self.error.kind == "cancelled" else "failed"

    @property
    def exit_code(self) -> int:
        return {"completed": Exit.OK, "cancelled": Exit.INTERRUPTED}.get(self.state, Exit.NOT_REVIEWED)

    @property
    def files_changed(self) -> list[dict[str, Any]]:
        """Every changed file once, with where the change was seen (Claude's edits, git)."""
        git_paths = set(self.files_in_git or ())
        paths = sorted(set(self.files_by_claude) | git_paths)
        return [{"path": p, "by_claude": p in self.files_by_claude, "in_git": p in git_paths} for p in paths]

    @property
    def partial(self) -> bool:
        """A cancelled write rescue: whatever it edited so far stays in the tree."""
        return self.state == "cancelled" and self.write

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["error"] = vars(self.error) if self.error else None
        hint = f"claude --resume {self.session_id}" if self.session_id and self.session_persisted else None
        extra = {"state": self.state, "exit_code": self.exit_code, "files_changed": self.files_changed}
        return d | extra | {"resume_hint": hint, "partial_note": PARTIAL_NOTE if self.partial else None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RescueOutcome:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in d.items() if k in names}
        values["error"] = RunError(**d["error"]) if d.get("error") else None
        values["files_by_claude"] = tuple(d.get("files_by_claude") or ())
        git_files = d.get("files_in_git")
        values["files_in_git"] = tuple(git_files) if git_files is not None else None
        values["denials"] = tuple(d.get("denials") or ())
        return cls(**values)
