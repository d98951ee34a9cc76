"""A repository with a base on `main` and a pull request's head on `feature`, pushed to a bare origin."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import git
from support.fake_github import FakeGitHub, files_from_git
from test_ci_github import PR, PullRequest


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


def commit(root: Path, files: dict[str, str], message: str) -> str:
    write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD").strip()


def init(root: Path, files: dict[str, str]) -> str:
    """A new repository on `main` whose first commit holds ``files``; its sha."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    return commit(root, files, "base")


@contextmanager
def pull_request(
    tmp_path: Path, base: dict[str, str], head: dict[str, str]
) -> Iterator[tuple[PullRequest, FakeGitHub]]:
    """Pull request #PR of `feature` (``head`` over ``base``) into `main`, on a fake GitHub."""
    work, origin, files = tmp_path / "work", tmp_path / "origin.git", tmp_path / "runner"
    base_sha = init(work, base)
    files.mkdir()
    git(work, "checkout", "-qb", "feature")
    head_sha = commit(work, head, "feature")
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main", "feature")
    with FakeGitHub("octo/repo") as gh:
        gh.add_pull(PR, head_sha, base_sha, files_from_git(work, base_sha, head_sha))
        yield PullRequest(work, origin, base_sha, head_sha, files), gh
