"""Resume or fresh: the candidate session of a scope, the recommendation from the task's wording, settled once."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from ccplugin.errors import CCError
from ccplugin.jobs.store import LIVE, TERMINAL, Job, Store
from ccplugin.rescue.request import KIND, Prepared

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
