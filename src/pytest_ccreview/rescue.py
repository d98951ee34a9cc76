"""``--cc-rescue-on-failure``: a proposed fix, made in a temporary git worktree, never in the checkout.

After a session with failed tests or a failed gate: add a detached worktree of HEAD, run
``ccplugin rescue`` there (a tracked job; Claude may edit files in the worktree only) with the
failure reports and gating findings as context, take the worktree's diff as ``cc-rescue.patch``
and Claude's account as ``cc-rescue.md``, re-run the failed tests inside the worktree with the
patch applied, and remove the worktree.

Nothing of the user's checkout changes: every git object written inside the worktree (the
intent-to-add entries of new files, anything Claude's git commands write) goes to a temporary
object directory that borrows the repository's objects as an alternate. The worktree is HEAD:
uncommitted changes in the checkout are not in it (the report says so when there are some).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ccplugin import git, proc
from ccplugin.cli import common
from ccplugin.errors import CCError
from ccplugin.jobs import runner
from ccplugin.jobs.store import State
from ccplugin.review.outcome import ReviewOutcome

if TYPE_CHECKING:
    from ccplugin import rescue as engine

PATCH = "cc-rescue.patch"
NOTES = "cc-rescue.md"
MAX_REPORT_CHARS = 4000  # of one failure report in the context
MAX_CONTEXT_CHARS = 24000
_NOISE = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/.pytest_cache/**")


@dataclass(frozen=True)
class Failure:
    """A failed test report as the rescue sees it."""

    nodeid: str
    when: str
    text: str


@dataclass(frozen=True)
class Proposal:
    """What one rescue left behind, for the terminal summary."""

    notes: Path
    patch: Path | None
    files: tuple[str, ...]
    rerun: str
    job_id: str | None
    cost_usd: float | None
    error: str | None

    def summary(self) -> str:
        if self.error:
            return f"cc-rescue could not run: {self.error} · see {self.notes}"
        change = f"patch {self.patch} ({', '.join(self.files)})" if self.patch else "no change proposed"
        cost = f"cost ${self.cost_usd:.4f}" if self.cost_usd is not None else "cost unknown"
        return f"cc-rescue: {change} · re-run: {self.rerun} · {cost} · job {self.job_id} · {self.notes}"


@dataclass(frozen=True)
class Request:
    """Where and with what the rescue runs."""

    repo_root: Path
    rootdir: Path
    out_dir: Path
    failures: tuple[Failure, ...]
    review: ReviewOutcome | None
    env: Mapping[str, str]
    model: str | None = None
    effort: str | None = None
    timeout: float | None = None


def propose(req: Request) -> Proposal:
    """Run the rescue in a throwaway worktree and write the patch and notes to ``req.out_dir``."""
    scratch = Path(tempfile.mkdtemp(prefix="cc-rescue-"))
    tree = scratch / "worktree"
    env = _isolated_objects(req.repo_root, scratch, req.env)
    try:
        git.run(req.repo_root, ["worktree", "add", "--detach", str(tree), "HEAD"], env)
        try:
            return _in_worktree(req, tree, env)
        finally:
            git.run(req.repo_root, ["worktree", "remove", "--force", str(tree)], env, check=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _in_worktree(req: Request, tree: Path, env: dict[str, str]) -> Proposal:
    outcome, job_id = _run_rescue(req, tree, env)
    if outcome is None or outcome.error is not None:
        reason = outcome.error.line() if outcome and outcome.error else "the rescue job ended without a result"
        notes = _write(req.out_dir / NOTES, _notes(req, outcome, None, (), "not re-run", reason))
        return Proposal(notes, None, (), "not re-run", job_id, outcome.cost_usd if outcome else None, reason)
    patch_text, files = worktree_diff(tree, env)
    patch = _write(req.out_dir / PATCH, patch_text) if patch_text else None
    rerun = rerun_failed(tree / req.rootdir.relative_to(req.repo_root), req, env) if patch else "nothing to re-run"
    notes = _write(req.out_dir / NOTES, _notes(req, outcome, patch, files, rerun, None))
    return Proposal(notes, patch, files, rerun, job_id, outcome.cost_usd, None)


def _isolated_objects(repo_root: Path, scratch: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Git writes new objects to ``scratch/objects`` and reads the repository's as an alternate."""
    common_dir = git.run(repo_root, ["rev-parse", "--path-format=absolute", "--git-common-dir"], env).out.strip()
    objects = scratch / "objects"
    objects.mkdir()
    return {
        **env,
        "GIT_OBJECT_DIRECTORY": str(objects),
        "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(Path(common_dir) / "objects"),
    }


def _run_rescue(req: Request, tree: Path, env: Mapping[str, str]) -> tuple[engine.RescueOutcome | None, str | None]:
    from ccplugin import rescue as engine  # only a session that rescues pays for the import

    request = engine.RescueRequest(
        cwd=str(tree),
        task=task(req),
        write=True,
        fresh=True,
        model=req.model,
        effort=req.effort,
        timeout=req.timeout,
        context=context(req),
    )
    prep = engine.prepare(request)
    store = common.open_store()
    try:
        prep = engine.settle(prep, store, engine.Scope(str(prep.workspace), common.owner()))
        job = store.create(
            kind=engine.KIND,
            workspace=str(prep.workspace),
            owner=common.owner(),
            title=prep.title,
            request=prep.request.to_dict(),
            model=prep.model,
            effort=prep.effort,
            state=State.RUNNING,
        )
        job = runner.run(store, job, engine.executor(prep), env, keep=prep.settings.keep_jobs)
        store.mark_viewed(job.id)
    finally:
        store.close()
    return (engine.RescueOutcome.from_dict(job.result) if job.result else None), job.id


def task(req: Request) -> str:
    """What Claude is asked to do."""
    why = []
    if req.failures:
        why.append(f"{len(req.failures)} test(s) failed")
    if req.review is not None and req.review.gate.gating:
        why.append(f"the code review found {len(req.review.gate.gating)} blocking finding(s)")
    names = "\n".join(f"- {f.nodeid}" for f in req.failures[:50])
    return (
        f"The test run of this repository failed: {' and '.join(why) or 'see below'}. "
        "Find the cause and make the smallest change to the code that fixes it; do not weaken or delete tests."
        + (f"\n\nFailed tests:\n{names}" if names else "")
    )


def context(req: Request) -> str:
    """The failure reports and the gating findings, capped."""
    parts = [f"## {f.nodeid} ({f.when})\n{f.text[-MAX_REPORT_CHARS:]}" for f in req.failures]
    if req.review is not None:
        for f in req.review.gate.gating:
            lines = [f"## review finding [{f.severity}] {f.title} ({f.file}:{f.line_start})", f.body]
            parts.append("\n".join([*lines, f"Recommendation: {f.recommendation}"] if f.recommendation else lines))
    return "\n\n".join(parts)[:MAX_CONTEXT_CHARS]


def worktree_diff(tree: Path, env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """The worktree's changes against HEAD (new files included) and the paths they touch."""
    git.run(tree, ["add", "--intent-to-add", "--", ".", *_NOISE], env)
    patch = git.run(tree, ["diff", "--binary", "HEAD", "--", ".", *_NOISE], env).out
    names = git.run(tree, ["diff", "--name-only", "-z", "HEAD", "--", ".", *_NOISE], env).out
    return patch, tuple(n for n in names.split("\0") if n)


def rerun_failed(rootdir: Path, req: Request, env: Mapping[str, str]) -> str:
    """Run the failed tests again in the patched worktree and say how it went."""
    nodeids = sorted({f.nodeid for f in req.failures})
    if not nodeids:
        return "no failed tests to re-run"
    done = _pytest(rootdir, nodeids, _rerun_env(rootdir, env), req.timeout)
    if done is None:
        return "not finished within the timeout"
    if done.returncode == 0:
        return f"fixed: {len(nodeids)} failed test(s) pass with the patch"
    if done.returncode == 1:
        return f"not fixed: failed test(s) still fail with the patch ({_last_line(done.out)})"
    return f"could not re-run (pytest exit {done.returncode}: {_last_line(done.out or done.err)})"


def _pytest(
    rootdir: Path, nodeids: Sequence[str], env: Mapping[str, str], timeout: float | None
) -> proc.Completed | None:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "cc_review=false", *nodeids]
    try:
        return proc.run(argv, cwd=rootdir, env=env, timeout=timeout or 600.0)
    except subprocess.TimeoutExpired:
        return None


def _rerun_env(rootdir: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The worktree's code first on the path, even when the project is installed from the checkout."""
    front = [str(rootdir / "src")] if (rootdir / "src").is_dir() else []
    path = os.pathsep.join([*front, str(rootdir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**env, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def dirty(repo_root: Path, env: Mapping[str, str]) -> bool:
    try:
        return git.is_dirty(repo_root, env)
    except CCError:
        return False


def _notes(
    req: Request,
    outcome: engine.RescueOutcome | None,
    patch: Path | None,
    files: tuple[str, ...],
    rerun: str,
    error: str | None,
) -> str:
    lines = ["# Claude Code rescue proposal", "", f"Task: {task(req)}", ""]
    if error:
        lines += [f"The rescue could not run: {error}", ""]
    elif patch:
        lines += [f"Patch: `{patch.name}` ({', '.join(files)}); apply it with `git apply {patch}`."]
        lines += [f"Re-run of the failed tests in a worktree with the patch: {rerun}.", ""]
    else:
        lines += ["Claude proposed no change to the files.", ""]
    if dirty(req.repo_root, req.env):
        lines += ["Note: the rescue worked on HEAD; the checkout's uncommitted changes were not in its worktree.", ""]
    if outcome is not None and outcome.text.strip():
        lines += ["## What Claude changed and why", "", outcome.text.strip(), ""]
    if outcome is not None:
        cost = f"${outcome.cost_usd:.4f}" if outcome.cost_usd is not None else "unknown"
        lines += [f"Job: {outcome.job_id} · model {outcome.model} · cost {cost}"]
    return "\n".join(lines).rstrip() + "\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip("= ") if lines else "no output"
