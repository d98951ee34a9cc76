"""A case as a real git repository: the base commit on ``main``, the change committed on ``change``.

The review then runs on the branch diff ``main...change``, exactly as `ccplugin review --base main`
would. Nothing of the case's labels (case.toml, its id or kind) goes into the repository: the
reviewer sees a change and its commit subject, nothing that names the bug.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ccplugin import git
from ccplugin.errors import CCError
from ccplugin.eval.corpus import PATCH_FILE, Case, CorpusError

BASE_BRANCH = "main"
CHANGE_BRANCH = "change"
_IDENTITY = ("-c", "user.name=ccplugin eval", "-c", "user.email=eval@ccplugin.invalid", "-c", "commit.gpgsign=false")
# fixed dates: a case's commits (and so its diff and review cache key) are the same on every run
_DATES = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}


def materialise(case: Case, dest: Path) -> Path:
    """Build ``case`` as a repository at ``dest`` (which must not exist); returns ``dest``."""
    try:
        _base(case, dest)
        _git(dest, "checkout", "-q", "-b", CHANGE_BRANCH)
        _change(case, dest)
        _git(dest, "add", "-A")
        _git(dest, "commit", "-q", "--allow-empty", "-m", case.subject)
    except CorpusError:
        raise
    except CCError as e:
        raise CorpusError(f"case {case.id}: could not build its repository: {e.message}") from None
    return dest


def _git(repo: Path, *args: str) -> None:
    git.run(repo, [*_IDENTITY, *args], env=_env())


def _env() -> dict[str, str]:
    return {**os.environ, **_DATES}


def _base(case: Case, dest: Path) -> None:
    if case.source is not None:
        git.run(Path.cwd(), ["clone", "-q", "--no-checkout", "--shared", case.source.repo, str(dest)], env=_env())
        _git(dest, "checkout", "-q", "-B", BASE_BRANCH, case.source.commit)
        return
    shutil.copytree(case.root / "base", dest, copy_function=_fresh_copy)
    _git(dest, "init", "-q", "-b", BASE_BRANCH)
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "--allow-empty", "-m", "Initial version")


def _change(case: Case, dest: Path) -> None:
    if case.patch is not None:
        done = git.run(dest, ["apply", "--whitespace=nowarn", str(case.patch)], env=_env(), check=False)
        if done.returncode != 0:
            first = (done.err.strip().splitlines() or ["git apply failed"])[0]
            raise CorpusError(f"case {case.id}: {PATCH_FILE} does not apply to its base: {first}")
        return
    for rel in case.deleted:
        target = dest / rel
        if not target.is_file():
            raise CorpusError(f"case {case.id}: deleted file {rel} is not in base/")
        target.unlink()
    shutil.copytree(case.root / "head", dest, dirs_exist_ok=True, copy_function=_fresh_copy)


def _fresh_copy(src: str, dst: str) -> str:
    """A new file with a new time: git must not take a same-size overlay for the unchanged base file
    (a copy that kept the case file's time and size would look unchanged to git's index)."""
    Path(dst).unlink(missing_ok=True)
    return str(shutil.copyfile(src, dst))
