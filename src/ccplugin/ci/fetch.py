"""Complete a shallow clone so the review can find the merge base of HEAD and its base.

``actions/checkout`` fetches one commit by default. Then the base commit is fetched from
``origin`` (a sha, or a branch into ``refs/remotes/origin/<branch>``), and HEAD's history is
deepened step by step until the merge base is there, with ``--unshallow`` as the last step.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ccplugin import git, output
from ccplugin.errors import CCError

DEEPEN_STEPS = (16, 64, 256, 1024)
_SHA_CHARS = frozenset("0123456789abcdef")


def ensure_base(root: Path, base: str, env: Mapping[str, str] | None = None) -> None:
    """Fetch what a branch review of HEAD against ``base`` needs: the base commit when it is
    missing, and HEAD's history back to the merge base when the clone is shallow."""
    if _base_commit(root, base, env) is None and git.commit_of(root, "HEAD", env) is not None:
        output.progress(f"fetching the review base {base} from origin")
        _fetch(root, ["--no-tags", "origin", _refspec(base)], env)
    if not git.is_shallow(root, env):
        return
    head = git.commit_of(root, "HEAD", env)
    base_sha = _base_commit(root, base, env)
    if head is None or base_sha is None:
        return  # resolve_target says what is missing
    for depth in DEEPEN_STEPS:
        if git.merge_base(root, head, base_sha, env) is not None or not git.is_shallow(root, env):
            return
        output.progress(f"shallow clone: deepening HEAD's history by {depth} commits")
        _fetch(root, ["--no-tags", f"--deepen={depth}", "origin", head], env)
    if git.merge_base(root, head, base_sha, env) is None and git.is_shallow(root, env):
        output.progress("shallow clone: fetching the full history")
        _fetch(root, ["--no-tags", "--unshallow", "origin", head], env)


def is_sha(ref: str) -> bool:
    return len(ref) in (40, 64) and set(ref) <= _SHA_CHARS


def _refspec(base: str) -> str:
    if is_sha(base):
        return base
    branch = base.removeprefix("origin/").removeprefix("refs/heads/")
    return f"+refs/heads/{branch}:refs/remotes/origin/{branch}"


def _base_commit(root: Path, base: str, env: Mapping[str, str] | None) -> str | None:
    if is_sha(base):
        return git.commit_of(root, base, env)
    branch = base.removeprefix("origin/")
    return git.commit_of(root, f"refs/remotes/origin/{branch}", env) or git.commit_of(root, base, env)


def _fetch(root: Path, args: list[str], env: Mapping[str, str] | None) -> None:
    done = git.run(root, ["fetch", "--quiet", *args], env, check=False)
    if done.returncode != 0:
        first = (done.err.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise CCError(
            f"cannot fetch the review base from origin: {first}",
            "check out with `actions/checkout` and `fetch-depth: 0`, or pass a fetchable `--base`",
        )
