"""What a rescue was asked to do, validated before any job exists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ccplugin import config, paths
from ccplugin.claude import models
from ccplugin.errors import CCError
from ccplugin.jobs.kinds import Kind

KIND = Kind.RESCUE
# how the resume question was settled ("": not yet); fresh-default: a session could have been resumed
Decision = Literal["", "resume", "fresh", "fresh-default"]
CONTINUE_PROMPT = "Continue where you left off."


@dataclass(frozen=True)
class RescueRequest:
    """What the user asked for, plus how the resume question was settled (``decision``)."""

    cwd: str
    task: str = ""
    write: bool = True
    resume: bool = False
    fresh: bool = False
    model: str | None = None
    effort: str | None = None
    timeout: float | None = None
    max_turns: int | None = None
    context: str = ""  # extra evidence for Claude, e.g. the failed command's last output
    # False where no resume is offered (a throwaway worktree, CI): no session transcript is kept
    persist_session: bool = True
    # False: Claude edits but runs none of the project's code (a change under review, beside Claude's key)
    run_tests: bool = True
    decision: Decision = ""  # set by ``settle``
    resume_session: str | None = None
    resume_job: str | None = None
    candidate: dict[str, Any] | None = None  # the session not resumed when fresh by default

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RescueRequest:
        return cls(**dict(d))


@dataclass(frozen=True)
class Prepared:
    request: RescueRequest
    workspace: Path
    settings: config.Settings
    model: str
    effort: str | None

    @property
    def title(self) -> str:
        words = " ".join(self.request.task.split()) or CONTINUE_PROMPT
        verb = "Rescue (resumed)" if self.request.resume_session else "Rescue"
        return f"{verb}: {words[:77] + '…' if len(words) > 78 else words}"


def prepare(req: RescueRequest) -> Prepared:
    """Validate everything that can be checked without the store (bad input → CCError, exit 2)."""
    if req.resume and req.fresh:
        raise CCError("--resume and --fresh contradict each other", "pass one of them, not both")
    if not req.task.strip() and not req.resume:
        raise CCError(
            "empty task: say what Claude Code should do",
            "`ccplugin rescue fix the failing test`, or `--prompt-file task.md`",
        )
    workspace = Path(paths.workspace(str(req.cwd)))
    settings = config.load_settings(workspace).override(
        model=req.model, effort=req.effort, timeout=req.timeout, max_turns=req.max_turns
    )
    model, effort = models.resolve(settings.model, settings.effort)
    return Prepared(req, workspace, settings, model, effort)
