"""``--cc-rescue-on-failure``: a proposed fix, made in a temporary git worktree, never in the checkout.

After a session with failed tests or a failed gate, the engine's worktree rescue
(:mod:`ccplugin.rescue.worktree`) runs with the failure reports and gating findings as context;
what is pytest's own is the task text and the check: the failed tests are re-run inside the
patched worktree, before it is removed, to say whether the patch fixes them.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ccplugin import proc
from ccplugin.claude.env import secretless_env
from ccplugin.rescue import worktree
from ccplugin.review.outcome import ReviewOutcome

PATCH = worktree.PATCH
NOTES = worktree.NOTES
MAX_REPORT_CHARS = 4000  # of one failure report in the context
MAX_CONTEXT_CHARS = 24000
RERUN_TITLE = "Re-run of the failed tests in a worktree with the patch"


@dataclass(frozen=True)
class Failure:
    """A failed test report as the rescue sees it."""

    nodeid: str
    when: str
    text: str


@dataclass(frozen=True)
class Request:
    """Where and with what the rescue runs (``rootdir``: pytest's, which the node ids are relative to)."""

    repo_root: Path
    rootdir: Path
    out_dir: Path
    failures: tuple[Failure, ...]
    review: ReviewOutcome | None
    env: Mapping[str, str]
    model: str | None = None
    effort: str | None = None
    timeout: float | None = None


def propose(req: Request) -> worktree.Proposal:
    """Run the rescue in a throwaway worktree and write the patch and notes to ``req.out_dir``."""
    check = worktree.Check("re-run", RERUN_TITLE, functools.partial(rerun_failed, req))
    return worktree.propose(
        worktree.Request(
            repo_root=req.repo_root,
            out_dir=req.out_dir,
            task=task(req),
            env=req.env,
            context=context(req),
            model=req.model,
            effort=req.effort,
            timeout=req.timeout,
            check=check,
        )
    )


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
    if req.review is not None and req.review.gate.gating:
        parts.append("# Blocking code review findings\n\n" + worktree.findings_text(req.review.gate.gating))
    return "\n\n".join(parts)[:MAX_CONTEXT_CHARS]


def rerun_failed(req: Request, tree: Path, env: Mapping[str, str]) -> str:
    """Run the failed tests again in the patched worktree and say how it went."""
    base = req.rootdir if req.rootdir.is_relative_to(req.repo_root) else req.repo_root
    nodeids = sorted({relocate(f.nodeid, req.rootdir, base) for f in req.failures})
    if not nodeids:
        return "no failed tests to re-run"
    rundir = tree / base.relative_to(req.repo_root)
    done = _pytest(rundir, nodeids, _rerun_env(rundir, env), req.timeout)
    if done is None:
        return "not finished within the timeout"
    if done.returncode == 0:
        return f"fixed: {len(nodeids)} failed test(s) pass with the patch"
    if done.returncode == 1:
        return f"not fixed: failed test(s) still fail with the patch ({_last_line(done.out)})"
    return f"could not re-run (pytest exit {done.returncode}: {_last_line(done.out or done.err)})"


def relocate(nodeid: str, rootdir: Path, base: Path) -> str:
    """A node id (its path relative to ``rootdir``) made relative to ``base`` instead."""
    if rootdir == base:
        return nodeid
    path, sep, rest = nodeid.partition("::")
    return Path(os.path.relpath(rootdir / path, base)).as_posix() + sep + rest


def _pytest(
    rootdir: Path, nodeids: Sequence[str], env: Mapping[str, str], timeout: float | None
) -> proc.Completed | None:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "cc_review=false", *nodeids]
    try:
        return proc.run(argv, cwd=rootdir, env=env, timeout=timeout or 600.0)
    except subprocess.TimeoutExpired:
        return None


def _rerun_env(rootdir: Path, env: Mapping[str, str]) -> dict[str, str]:
    """No secret at all (the patched tests are code we did not write), and the worktree's code
    first on the path, even when the project is installed from the checkout."""
    front = [str(rootdir / "src")] if (rootdir / "src").is_dir() else []
    path = os.pathsep.join([*front, str(rootdir), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**secretless_env(env), "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip("= ") if lines else "no output"
