"""A rescue that proposes a patch from a temporary git worktree and never touches the checkout.

Add a detached worktree of HEAD in a temporary folder, run ``ccplugin rescue`` there (a tracked
job; Claude may edit files in the worktree only) with a task text, take the worktree's diff as
``cc-rescue.patch`` and Claude's account as ``cc-rescue.md``, optionally run a check inside the
patched worktree (the pytest plugin re-runs the failed tests), and remove the worktree.

Nothing of the user's checkout changes: every git object written inside the worktree (the
intent-to-add entries of new files, anything Claude's git commands write) goes to a temporary
object directory that borrows the repository's objects as an alternate. The worktree is HEAD:
uncommitted changes in the checkout are not in it (the notes say so when there are some).

Used by ``pytest --cc-rescue-on-failure`` and ``ccplugin ci github --rescue-on-failure``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccplugin import files, git, paths
from ccplugin.errors import CCError
from ccplugin.jobs import service
from ccplugin.review.model import Finding

if TYPE_CHECKING:
    from ccplugin.rescue.outcome import RescueOutcome

PATCH = "cc-rescue.patch"
NOTES = "cc-rescue.md"
_NOISE = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/.pytest_cache/**")


@dataclass(frozen=True)
class Check:
    """Run in the patched worktree before it is removed: ``run(worktree, env)`` says how it went."""

    label: str  # short, for the one-line summary ("re-run")
    title: str  # for the notes ("Re-run of the failed tests in a worktree with the patch")
    run: Callable[[Path, Mapping[str, str]], str]


@dataclass(frozen=True)
class Request:
    """Where and with what the rescue runs; the patch and notes go to ``out_dir``."""

    repo_root: Path
    out_dir: Path
    task: str
    env: Mapping[str, str]
    context: str = ""
    model: str | None = None
    effort: str | None = None
    timeout: float | None = None
    check: Check | None = None
    echo: Callable[[str], None] | None = None  # the job's progress lines


@dataclass(frozen=True)
class Proposal:
    """What one rescue left behind."""

    notes: Path
    patch: Path | None
    files: tuple[str, ...]
    job_id: str | None
    cost_usd: float | None
    error: str | None = None
    check_label: str = ""
    checked: str | None = None  # the check's account; None when it did not run

    @property
    def change(self) -> str:
        return f"patch {self.patch} ({', '.join(self.files)})" if self.patch else "no change proposed"

    @property
    def cost(self) -> str:
        return f"cost ${self.cost_usd:.4f}" if self.cost_usd is not None else "cost unknown"

    def summary(self) -> str:
        if self.error:
            return f"cc-rescue could not run: {self.error} · see {self.notes}"
        check = [f"{self.check_label}: {self.checked}"] if self.checked is not None else []
        return " · ".join([f"cc-rescue: {self.change}", *check, self.cost, f"job {self.job_id}", str(self.notes)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": str(self.notes),
            "patch": str(self.patch) if self.patch else None,
            "files": list(self.files),
            "job_id": self.job_id,
            "cost_usd": self.cost_usd,
            "error": self.error,
            "checked": self.checked,
        }


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
    outcome = _run_rescue(req, tree, env)
    label = req.check.label if req.check else ""
    if outcome.error is not None:
        failed = Proposal(req.out_dir / NOTES, None, (), outcome.job_id, outcome.cost_usd, outcome.error.line(), label)
        files.write_atomic(failed.notes, notes(req, failed, outcome))
        return failed
    patch_text, changed = worktree_diff(tree, env)
    patch = files.write_atomic(req.out_dir / PATCH, patch_text) if patch_text else None
    checked = req.check.run(tree, env) if req.check and patch else None
    done = Proposal(req.out_dir / NOTES, patch, changed, outcome.job_id, outcome.cost_usd, None, label, checked)
    files.write_atomic(done.notes, notes(req, done, outcome))
    return done


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


def _run_rescue(req: Request, tree: Path, env: Mapping[str, str]) -> RescueOutcome:
    from ccplugin.rescue import job  # only a run that rescues pays for the import
    from ccplugin.rescue.request import RescueRequest

    request = RescueRequest(
        cwd=str(tree),
        task=req.task,
        write=True,
        fresh=True,
        model=req.model,
        effort=req.effort,
        timeout=req.timeout,
        context=req.context,
        persist_session=False,  # the worktree is removed: there is nothing to resume
        run_tests=False,  # the change's tests would run beside Claude's key; a Check runs them without secrets
    )
    owner = paths.owner_session(env)
    with service.open_store(env) as store:
        return job.run_tracked(job.settled(store, request, owner), store, owner, env, req.echo)


def worktree_diff(tree: Path, env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """The worktree's changes against HEAD (new files included) and the paths they touch."""
    git.run(tree, ["add", "--intent-to-add", "--", ".", *_NOISE], env)
    patch = git.run(tree, ["diff", "--binary", "--no-ext-diff", "--no-textconv", "HEAD", "--", ".", *_NOISE], env).out
    names = git.run(tree, ["diff", "--name-only", "-z", "HEAD", "--", ".", *_NOISE], env).out
    return patch, tuple(n for n in names.split("\0") if n)


def findings_text(findings: Iterable[Finding]) -> str:
    """Findings for a task or context, worst first: severity, file:line, title, body, recommendation."""
    parts = []
    for f in sorted(findings, key=lambda f: (f.rank, f.file, f.line_start)):
        where = f"{f.file}:{f.line_start}" + (f"-{f.line_end}" if f.line_end > f.line_start else "")
        lines = [f"## [{f.severity}] {where} — {f.title}", f.body.strip()]
        parts.append("\n".join([*lines, f"Recommendation: {f.recommendation}"] if f.recommendation else lines))
    return "\n\n".join(parts)


def dirty(req: Request) -> bool:
    """Uncommitted changes in the checkout, not counting the rescue's own files."""
    outputs = {(req.out_dir / name).resolve() for name in (PATCH, NOTES)}
    try:
        return git.is_dirty(req.repo_root, req.env, lambda path: (req.repo_root / path).resolve() not in outputs)
    except CCError:
        return False


def notes(req: Request, p: Proposal, outcome: RescueOutcome | None) -> str:
    """``cc-rescue.md``: the task, what was proposed and checked, and Claude's own account."""
    lines = ["# Claude Code rescue proposal", "", f"Task: {req.task}", ""]
    if p.error:
        lines += [f"The rescue could not run: {p.error}", ""]
    elif p.patch:
        lines += [f"Patch: `{p.patch.name}` ({', '.join(p.files)}); apply it with `git apply {p.patch}`."]
        if req.check and p.checked is not None:
            lines += [f"{req.check.title}: {p.checked}."]
        lines += [""]
    else:
        lines += ["Claude proposed no change to the files.", ""]
    if dirty(req):
        lines += ["Note: the rescue worked on HEAD; the checkout's uncommitted changes were not in its worktree.", ""]
    if outcome is not None and outcome.text.strip():
        lines += ["## What Claude changed and why", "", outcome.text.strip(), ""]
    if outcome is not None:
        cost = f"${outcome.cost_usd:.4f}" if outcome.cost_usd is not None else "unknown"
        lines += [f"Job: {outcome.job_id} · model {outcome.model} · cost {cost}"]
    return "\n".join(lines).rstrip() + "\n"
