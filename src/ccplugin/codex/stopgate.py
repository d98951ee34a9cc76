"""The stop-time review gate: Codex's Stop hook asks Claude to review the turn's net edits.

Off by default (``ccplugin setup --enable-review-gate`` turns it on per workspace). When on:

- UserPromptSubmit records a baseline snapshot of the work tree (:mod:`ccplugin.tree`).
- At Stop, no change since the baseline → allow at once, no Claude call.
- Otherwise the review engine reviews the working tree, limited to the files the turn changed,
  with a small turn budget, as a ``gate`` job owned by the session (marked viewed: its verdict is
  delivered here). The decision comes from the structured findings in code: a finding at or
  above ``fail_on`` (the repository's setting, else ``high``) blocks with
  ``{"decision": "block", "reason": "BLOCK: …"}``; Codex then continues the turn with that reason.
- The policy (settings, waivers) is the one committed at the commit the turn started from: an edit
  the turn makes to a policy file never applies to it, and is itself a ``high`` finding (it blocks).
- It cannot loop: with ``stop_hook_active`` (Codex stopping again after a block) it reviews again
  only when the tree changed since the last block, and never blocks more than 3 times in a row.
- 15-minute cap: Codex kills the hook at 900 s, so Claude gets what is left of 870 s; a review
  that cannot finish (timeout, Claude missing or failing) lets Codex stop with a note that the
  turn was NOT reviewed — blocking could not make Claude available, and a failed review is never
  reported as a pass.
- Every allow after a review attempt says so in ``{"systemMessage": …}`` whose first line starts
  with ``ALLOW:``: ``ALLOW: Claude reviewed N changed file(s); …`` when the review ran, or
  ``ALLOW: not reviewed — <why>`` when it did not. Skips (no net edits, nothing changed since the
  last block, a nested session, the gate off) print nothing.
- Subagent turns and nested Codex sessions are never gated.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccplugin import git, tree
from ccplugin.codex import state
from ccplugin.errors import CCError
from ccplugin.jobs import service
from ccplugin.jobs.kinds import Kind
from ccplugin.jobs.store import Job, Store
from ccplugin.review import engine
from ccplugin.review import job as review_job
from ccplugin.review.gate import GateStatus
from ccplugin.review.outcome import ReviewOutcome
from ccplugin.tree import Snapshot

BUDGET = 870.0  # seconds; Codex's Stop hook timeout is 900
MARGIN = 30.0  # kept back for collecting the diff and writing the answer
MAX_BLOCKS = 3
GATE_TURNS = 12
DEFAULT_FAIL_ON = "high"
_SHOWN = 5  # findings listed in a block reason


@dataclass(frozen=True)
class Decision:
    """Block with ``text`` as the reason, or allow (with ``text`` shown to the user if any)."""

    block: bool = False
    text: str = ""
    log: str = ""

    def output(self) -> str | None:
        """What the hook prints on stdout: Codex's Stop hook JSON, or nothing."""
        if self.block:
            return json.dumps({"decision": "block", "reason": self.text})
        if self.text:
            return json.dumps({"systemMessage": self.text})
        return None


@dataclass
class Memory:
    """The gate's state for one session (``sessions/<id>.gate.json``)."""

    baseline: Snapshot | None = None
    last_block: str | None = None
    blocks: int = 0

    @classmethod
    def load(cls, root: Path, session: str) -> Memory:
        data = state.read_json(state.session_file(root, session, ".gate.json")) or {}
        try:
            base = Snapshot.from_dict(data["baseline"]) if data.get("baseline") else None
            return cls(base, data.get("last_block"), int(data.get("blocks", 0)))
        except (KeyError, TypeError, ValueError, AttributeError):
            return cls()

    def save(self, root: Path, session: str) -> None:
        data: dict[str, Any] = {"baseline": self.baseline.to_dict() if self.baseline else None}
        data |= {"last_block": self.last_block, "blocks": self.blocks}
        state.write_json(state.session_file(root, session, ".gate.json"), data)


@dataclass(frozen=True)
class StopInput:
    root: Path
    session: str
    workspace: str
    stop_hook_active: bool
    env: Mapping[str, str]


def record_baseline(root: Path, session: str, workspace: str, env: Mapping[str, str]) -> None:
    """At prompt submit: remember the tree, and start the block count afresh."""
    Memory(tree.take(workspace, env)).save(root, session)


def decide(stop: StopInput) -> Decision:
    """The gate's answer for one Stop event."""
    deadline = time.monotonic() + BUDGET
    memory = Memory.load(stop.root, stop.session)
    now = tree.take(stop.workspace, stop.env)
    if now is None:
        return Decision(log="skipped: not a git work tree")
    early = _early(stop, memory, now)
    if early is not None:
        memory.save(stop.root, stop.session)
        return early
    paths = _turn_paths(stop, memory, now)
    decision = judge(*_review(stop, paths, deadline, _turn_start(memory)))
    if decision.block:
        memory.blocks += 1
        memory.last_block = now.signature
    memory.save(stop.root, stop.session)
    return decision


def _early(stop: StopInput, memory: Memory, now: Snapshot) -> Decision | None:
    """A decision that needs no review, or None."""
    if memory.baseline is not None and now.signature == memory.baseline.signature:
        memory.blocks = 0
        return Decision(log="skipped: the turn made no net edits")
    if not stop.stop_hook_active:
        memory.blocks = 0
        return None
    if memory.last_block == now.signature:
        return Decision(log="allowed: nothing changed since the last block")
    if memory.blocks >= MAX_BLOCKS:
        note = (
            f"ALLOW: not reviewed — the stop-time review gate blocked {memory.blocks} times in a row\n"
            "Claude Code's review gate is letting Codex stop. "
            "The latest edits were NOT reviewed: run `$cc:review` to check them."
        )
        return Decision(text=note, log="allowed: block limit reached")
    return None


def _turn_paths(stop: StopInput, memory: Memory, now: Snapshot) -> list[str]:
    """The files the turn changed: in the work tree, and in any commit it made (their policy edits count)."""
    if memory.baseline is None:
        return []
    paths = set(now.changed_since(memory.baseline))
    start = _turn_start(memory)
    if start and now.head != start:
        committed = git.raw_diff(Path(stop.workspace), (start, "HEAD"), stop.env)
        paths |= {p for e in committed for p in (e.path, e.old_path)}
    return sorted(paths)


def _turn_start(memory: Memory) -> str | None:
    """The commit the turn started from: its policy judges the turn, whatever the turn committed."""
    head = memory.baseline.head if memory.baseline else ""
    return head if head and all(c in "0123456789abcdef" for c in head) else None


def _review(stop: StopInput, paths: list[str], deadline: float, policy_rev: str | None) -> tuple[Job | None, str]:
    """Run the gate review as a job; the finished job, or None and why it could not start."""
    request = engine.ReviewRequest(
        cwd=stop.workspace,
        scope="working-tree",
        include=() if any(c in p for p in paths for c in "*?[!") else tuple(paths),  # globs: review all
        max_turns=GATE_TURNS,
        timeout=max(30.0, deadline - time.monotonic() - MARGIN),
        policy_rev=policy_rev,
    )
    try:
        prep = engine.prepare(request)
    except CCError as e:
        return None, e.line()
    if prep.policy.fail_on in (None, "none"):
        prep = dataclasses.replace(prep, policy=dataclasses.replace(prep.policy, fail_on=DEFAULT_FAIL_ON))
    gate_job = review_job.spec(prep, kind=Kind.GATE, title=f"Stop-time review gate: {prep.target.label}")
    with Store(stop.root) as store:  # viewed: its verdict is delivered by the hook, never announced as unread
        return service.submit(store, gate_job, stop.session, env=stop.env), ""


def judge(job: Job | None, why: str) -> Decision:
    """Block on gating findings; otherwise allow with an ``ALLOW:`` note that says whether Claude reviewed."""
    if job is None or job.result is None:
        reason = why or (job.error if job else "") or "no result"
        return _not_reviewed(reason, "could not start")
    outcome = ReviewOutcome.from_dict(job.result)
    status = outcome.gate.status
    if status is GateStatus.FAIL:
        return Decision(block=True, text=block_reason(outcome, job.id), log=f"blocked: {job.id}")
    if status is GateStatus.ERROR:
        error = outcome.error.line() if outcome.error else outcome.gate.reason
        cap = " (it hit the 15-minute cap)" if outcome.error and outcome.error.kind == "timeout" else ""
        return _not_reviewed(error + cap, f"error: {job.id}")
    if status is GateStatus.NOTHING:
        return _not_reviewed(f"nothing to review ({outcome.gate.reason})", f"nothing: {job.id}")
    return Decision(text=allow_message(outcome, job.id), log=f"allowed ({status.value}): {job.id}")


def allow_message(outcome: ReviewOutcome, job_id: str) -> str:
    """``ALLOW: Claude reviewed …`` for a review that ran and found nothing gating."""
    files = len(outcome.input.changed)
    which = _count(files, "changed file")
    if outcome.coverage and outcome.coverage.partial:
        which = f"{outcome.coverage.count} of {which}"
    threshold = outcome.gate.policy.fail_on or DEFAULT_FAIL_ON
    head = f"ALLOW: Claude reviewed {which}; no finding at or above {threshold}"
    if outcome.findings:
        head += f" ({_count(len(outcome.findings), 'lower-severity finding')})"
    policy = f" (policy: {outcome.policy_source})" if outcome.policy_source else ""
    return f"{head}\nClaude Code's stop-time review of this turn's edits{policy}: `$cc:result {job_id}`."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _not_reviewed(reason: str, log: str) -> Decision:
    note = (
        f"ALLOW: not reviewed — {' '.join(reason.split())}\n"
        "Claude Code's stop-time review gate did not review this turn's edits: they were NOT reviewed. "
        "Run `$cc:setup` to check Claude Code, or `$cc:review` to review by hand."
    )
    return Decision(text=note, log=f"not reviewed ({log})")


def block_reason(outcome: ReviewOutcome, job_id: str) -> str:
    """``BLOCK: …`` with the gating findings, worst first."""
    gating = outcome.gate.gating
    threshold = outcome.gate.policy.fail_on
    lines = [
        f"BLOCK: Claude Code's stop-time review found {len(gating)} issue(s) at or above {threshold} "
        "severity in this turn's edits:"
    ]
    for f in gating[:_SHOWN]:
        where = f"{f.file}:{f.line_start}" if f.file else "no location"
        lines.append(f"- [{f.severity}] {f.title} ({where}): {f.recommendation or f.body}")
    if len(gating) > _SHOWN:
        lines.append(f"- and {len(gating) - _SHOWN} more")
    policy = f" (policy: {outcome.policy_source})" if outcome.policy_source else ""
    lines.append(
        "Fix them before finishing, or tell the user why they are not problems. "
        f"The full review{policy}: `$cc:result {job_id}`."
    )
    return "\n".join(lines)
