"""One rescue: hand a task to Claude Code (allowed to edit by default), resume it, report what changed.

Decisions (also in the README, "Rescue and failover"):

- Resume scope: the rescue jobs of this workspace, and of this Codex session when there is one
  (``CODEX_SESSION_ID``); outside Codex every rescue of the workspace. The candidate is the newest
  *finished* rescue (completed, failed or cancelled) that recorded a Claude session; live jobs are
  never candidates, and ``--resume`` refuses while a rescue in scope is still live (two Claude
  processes must not write one session). The query and ``--resume`` use the same lookup.
- Neither ``--resume`` nor ``--fresh``: an interactive caller may ask once (the recommendation
  comes from the task's wording); otherwise the rescue starts fresh and the outcome says so and
  carries the candidate (``resume_candidate``), so a host can ask its user and re-run.
- Claude runs at the workspace root with its session persisted (that is what makes it
  resumable). Write mode is ``acceptEdits`` plus the write tools, never ``bypassPermissions``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from ccplugin import changes, config
from ccplugin.claude import models, runner
from ccplugin.claude.types import ClaudeFailure, Mode, RunResult, RunSpec
from ccplugin.errors import CCError, Exit
from ccplugin.jobs.context import JobContext, executor_of, run_claude
from ccplugin.jobs.kinds import Kind
from ccplugin.jobs.runner import Cancel, Executor, JobEnd, Progress
from ccplugin.jobs.store import LIVE, TERMINAL, Job, State, Store
from ccplugin.review.outcome import ReviewError as RunError

KIND = Kind.RESCUE
# how the resume question was settled ("": not yet); fresh-default: a session could have been resumed
Decision = Literal["", "resume", "fresh", "fresh-default"]
CONTINUE_PROMPT = "Continue where you left off."
PARTIAL_NOTE = "the tree is left as the partial edits left it"
_SCAN = 200  # newest jobs of the scope looked at for a candidate (the default keep_jobs)

_FRESH_CUES = re.compile(
    r"\b(start(ing)? (over|again|afresh)|from scratch|fresh|clean slate|new task|forget|re-?investigate)\b"
)
_RESUME_CUES = re.compile(
    r"\b(continue|keep going|resume|carry on|pick up|left off|(last|previous|earlier) (run|task|attempt)"
    r"|apply (the|your) (top |first |proposed |suggested )?(fix|patch|plan|change)|you (proposed|suggested|found)"
    r"|dig deeper|follow[- ]up)\b"
)
# a clean start wins over a follow-up when a task says both
_CUES = (("fresh", _FRESH_CUES), ("resume", _RESUME_CUES))


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
class Candidate:
    """A finished rescue whose Claude session can be continued."""

    job_id: str
    state: str
    title: str
    task: str
    claude_session: str
    finished_at: float | None

    @classmethod
    def of(cls, job: Job) -> Candidate:
        assert job.claude_session is not None
        task = str(job.request.get("task", ""))
        return cls(job.id, job.state.value, job.title, task, job.claude_session, job.finished_at)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


@dataclass(frozen=True)
class Scope:
    """Where resumable sessions are looked for: a workspace, and an owner session if any."""

    workspace: str
    owner: str | None

    def candidate(self, store: Store) -> Candidate | None:
        """The newest finished rescue in scope with a persisted Claude session."""
        for job in store.list(self.workspace, owner=self.owner, limit=_SCAN):
            if job.kind == KIND and job.state in TERMINAL and _resumable(job):
                return Candidate.of(job)
        return None

    def running(self, store: Store) -> Job | None:
        live = store.list(self.workspace, owner=self.owner, states=LIVE)
        return next((j for j in live if j.kind == KIND), None)


def _resumable(job: Job) -> bool:
    return bool(job.claude_session) and bool((job.result or {}).get("session_persisted"))


def prepare(req: RescueRequest) -> Prepared:
    """Validate everything that can be checked without the store (bad input → CCError, exit 2)."""
    if req.resume and req.fresh:
        raise CCError("--resume and --fresh contradict each other", "pass one of them, not both")
    if not req.task.strip() and not req.resume:
        raise CCError(
            "empty task: say what Claude Code should do",
            "`ccplugin rescue fix the failing test`, or `--prompt-file task.md`",
        )
    workspace = Path(config.workspace(req.cwd))
    settings = config.load_settings(workspace).override(
        model=req.model, effort=req.effort, timeout=req.timeout, max_turns=req.max_turns
    )
    model, effort = models.resolve(settings.model, settings.effort)
    return Prepared(req, workspace, settings, model, effort)


Ask = Callable[[Candidate, str, str], bool]  # (candidate, recommendation, reason) → resume?


def settle(prep: Prepared, store: Store, scope: Scope, ask: Ask | None = None) -> Prepared:
    """Decide resume or fresh, once, before the job exists; the decision travels in the request."""
    req = prep.request
    if req.fresh:
        return _with(prep, decision="fresh")
    candidate = scope.candidate(store)
    if req.resume:
        return _resume(prep, _checked_resume(store, scope, candidate))
    if candidate is None:
        return _with(prep, decision="fresh")
    choice, reason = recommend(req.task)
    if ask is not None and ask(candidate, choice, reason):
        return _resume(prep, candidate)
    decision = "fresh" if ask is not None else "fresh-default"
    return _with(prep, decision=decision, candidate=candidate.to_dict() | {"recommendation": choice, "reason": reason})


def _checked_resume(store: Store, scope: Scope, candidate: Candidate | None) -> Candidate:
    running = scope.running(store)
    if running is not None:
        raise CCError(
            f"rescue {running.id} is still {running.state.value}; its session cannot be continued yet",
            f"wait with `ccplugin status {running.id} --wait`, cancel it, or pass `--fresh`",
        )
    if candidate is None:
        raise CCError(
            f"nothing to resume: no earlier rescue with a saved Claude session in {scope.workspace}",
            "start a new one with `--fresh`",
        )
    return candidate


def _resume(prep: Prepared, candidate: Candidate) -> Prepared:
    return _with(prep, decision="resume", resume_session=candidate.claude_session, resume_job=candidate.job_id)


def _with(prep: Prepared, **values: Any) -> Prepared:
    return replace(prep, request=replace(prep.request, **values))


def recommend(task: str) -> tuple[str, str]:
    """``(resume | fresh, why)`` from the task's wording ("continue the last run" vs "start over")."""
    words = " ".join(task.lower().split())
    for choice, pattern in _CUES:
        found = pattern.search(words)
        if found:
            kind = "a follow-up" if choice == "resume" else "a clean start"
            return choice, f'the task reads as {kind} ("{found.group(0)}")'
    return "fresh", "the task does not refer to earlier work"


def query(store: Store, scope: Scope, task: str) -> dict[str, Any]:
    """What ``rescue --resume-candidate`` reports: the candidate, and what to recommend."""
    candidate = scope.candidate(store)
    running = scope.running(store)
    choice, reason = recommend(task) if candidate else ("fresh", "there is no session to continue")
    return {
        "available": candidate is not None,
        "workspace": scope.workspace,
        "owner": scope.owner,
        "candidate": candidate.to_dict() if candidate else None,
        "running": running.id if running else None,
        "recommendation": choice,
        "reason": reason,
        "default": "fresh",
    }


# ---- running


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


def execute(prep: Prepared, ctx: JobContext) -> RescueOutcome:
    """Run Claude on the task; a Claude failure or a cancel is an outcome, never an exception."""
    ctx.on_phase("recording the work tree")
    before = _tree(prep.workspace, ctx.env)
    try:
        run = _run_claude(prep, ctx)
        error = None if run.ok else _error(runner.failure_error(run))
    except ClaudeFailure as e:  # claude missing, or no network inside Codex's sandbox
        run, error = RunResult(exit_code=None), _error(e)
    except KeyboardInterrupt:  # ^C in the foreground: Claude is stopped already; report what it left
        run, error = RunResult(exit_code=None), RunError("cancelled", "interrupted (^C)")
    after = _tree(prep.workspace, ctx.env)
    return _outcome(prep, ctx, run, error, _changed(before, after))


def _run_claude(prep: Prepared, ctx: JobContext) -> RunResult:
    req = prep.request
    spec = RunSpec(
        prompt=render_prompt(req),
        cwd=str(prep.workspace),
        mode=Mode.RESCUE_WRITE if req.write else Mode.RESCUE_READ,
        model=prep.model,
        effort=prep.effort,
        max_turns=prep.settings.max_turns,
        timeout=prep.settings.timeout,
        resume=req.resume_session,
        persist_session=req.persist_session,
        run_tests=req.run_tests,
    )
    ctx.on_phase("continuing the Claude session" if req.resume_session else "working")
    return run_claude(spec, ctx)


_WRITE_RULES = (
    "You may edit files in this repository to get the task done. Make the smallest change that does it, "
    "check it (run the relevant tests when you can), and do not commit, push or rewrite git history."
)
_EDIT_RULES = (
    "You may edit files in this repository to get the task done. Make the smallest change that does it, and do "
    "not commit, push or rewrite git history. You cannot run commands here: the tests are run after you finish."
)
_READ_RULES = (
    "This run is read-only: do not edit files. Investigate, and put any change you propose in your answer as a diff."
)
_REPORT = (
    "Finish with a short report: what you found, what you changed (file by file) and how you checked it, "
    "and what is left to do."
)


def render_prompt(req: RescueRequest) -> str:
    """The prompt: the task verbatim, any evidence, then the rules of this mode."""
    task = req.task.strip() or CONTINUE_PROMPT
    parts = [f"<task>\n{task}\n</task>"]
    if req.context.strip():
        parts.append(f"<previous_attempt>\n{req.context.strip()}\n</previous_attempt>")
    parts += [_rules(req), _REPORT]
    return "\n\n".join(parts)


def _rules(req: RescueRequest) -> str:
    if not req.write:
        return _READ_RULES
    return _WRITE_RULES if req.run_tests else _EDIT_RULES


def _tree(root: Path, env: Mapping[str, str]) -> changes.TreeState | None:
    try:
        return changes.snapshot(root, env)
    except CCError:  # git broke mid-run: report Claude's own edits rather than lose the run
        return None


def _changed(before: changes.TreeState | None, after: changes.TreeState | None) -> tuple[list[str], bool] | None:
    """The paths that changed between the two states and whether either was capped (None: unknown)."""
    if before is None or after is None:
        return None
    return after.changed_since(before), before.truncated or after.truncated


def _error(e: ClaudeFailure) -> RunError:
    return RunError(e.kind.value, e.message, e.fix)


def _outcome(
    prep: Prepared, ctx: JobContext, run: RunResult, error: RunError | None, changed: tuple[list[str], bool] | None
) -> RescueOutcome:
    req = prep.request
    return RescueOutcome(
        task=req.task,
        write=req.write,
        model=prep.model,
        effort=prep.effort,
        decision=req.decision or "fresh",
        job_id=ctx.job_id,
        resumed_session=req.resume_session,
        resumed_job=req.resume_job,
        resume_candidate=req.candidate,
        text=run.text,
        files_by_claude=run.files_touched if req.write else (),
        files_in_git=tuple(changed[0]) if changed else None,
        git_truncated=bool(changed and changed[1]),
        session_id=run.session_id,
        session_persisted=bool(run.session_id) and prep.request.persist_session,
        error=error,
        usage=run.usage,
        cost_usd=run.cost_usd,
        num_turns=run.num_turns,
        duration_s=run.duration_s,
        denials=run.denials,
    )


# ---- as a tracked job


def create_job(store: Store, prep: Prepared, owner: str | None, *, queued: bool = False) -> Job:
    """Record the settled rescue as a job: ``queued`` for a worker, else running in this process."""
    return store.create(
        kind=KIND,
        workspace=str(prep.workspace),
        owner=owner,
        title=prep.title,
        request=prep.request.to_dict(),
        model=prep.model,
        effort=prep.effort,
        state=State.QUEUED if queued else State.RUNNING,
    )


def execute_job(job: Job, store: Store, cancel: Cancel, progress: Progress, env: Mapping[str, str]) -> JobEnd:
    """The worker's executor: the stored request already carries the resume decision."""
    return executor(prepare(RescueRequest.from_dict(job.request)))(job, store, cancel, progress, env)


def executor(prep: Prepared) -> Executor:
    """The foreground executor for a request prepared (and settled) before the job existed."""
    return executor_of(functools.partial(execute, prep))
