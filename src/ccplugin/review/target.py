"""What a review looks at: the working tree against HEAD, or a branch against its base."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ccplugin import git
from ccplugin.errors import CCError
from ccplugin.review.values import Scope

DEFAULT_BRANCHES = ("main", "master", "trunk")
ORIGIN_HEAD = "refs/remotes/origin/HEAD"


@dataclass(frozen=True)
class BaseHint:
    """The base branch a CI run names (its provider reads it, e.g. GitHub's ``GITHUB_BASE_REF``).

    Used for a branch review given no ``--base``, before the default branch.
    """

    branch: str
    source: str  # where it came from, named when the clone lacks it

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> BaseHint | None:
        return cls(str(d["branch"]), str(d["source"])) if d else None


@dataclass(frozen=True)
class Target:
    """A resolved review target: ``merge_base..head``, or ``head`` → the work tree."""

    repo_root: Path  # realpath of the worktree root
    scope: Scope  # resolved: working-tree or branch, never auto
    base_ref: str | None  # e.g. "main", "origin/main" (branch scope)
    merge_base: str | None  # sha (branch scope); None for working-tree
    head: str | None  # HEAD sha; None in a repository with no commits
    label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "scope", Scope(self.scope))
        if self.scope is Scope.AUTO:
            raise ValueError("a resolved target's scope is working-tree or branch, not auto")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "repo_root": str(self.repo_root)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Target:
        return cls(**{**d, "repo_root": Path(d["repo_root"])})


def resolve_target(
    cwd: Path,
    scope: str = "auto",
    base: str | None = None,
    env: Mapping[str, str] | None = None,
    relevant: Callable[[str], bool] | None = None,
    root: Path | None = None,
    hint: BaseHint | None = None,
) -> Target:
    """Resolve ``scope`` (auto | working-tree | branch) and the base branch for ``cwd``.

    ``auto`` is the working tree when it has staged, unstaged or untracked changes (or the
    repository has no commits yet), else the branch. An explicit ``base`` means a branch
    review; without one, a branch review compares with ``hint`` (the CI's base branch) when
    there is one, else the default branch. ``env`` is passed to git. ``relevant`` (the include/exclude filter) decides
    which changed paths make the working tree count as dirty, so excluded files (reports a test
    run writes, say) never switch ``auto`` to a working-tree review. ``root`` is ``cwd``'s work
    tree root (:func:`git.toplevel`) when the caller has already asked git for it.
    """
    if scope not in tuple(Scope):
        raise CCError(
            f"unknown review scope {scope!r}",
            "use `--scope auto`, `--scope working-tree` or `--scope branch`",
        )
    base = base.strip() if base else None
    if base and scope == "working-tree":
        raise CCError("`--base` only applies to a branch review", "drop `--base`, or use `--scope branch`")
    root = root or git.toplevel(Path(cwd), env)
    head = git.commit_of(root, "HEAD", env)
    if _scope(root, scope, base, head, env, relevant) == "working-tree":
        label = "working tree diff" if head else "working tree diff (no commits yet: every file is new)"
        return Target(root, Scope.WORKING_TREE, None, None, head, label)
    return _branch(root, head, base, env, hint)


def _scope(
    root: Path,
    scope: str,
    base: str | None,
    head: str | None,
    env: Mapping[str, str] | None,
    relevant: Callable[[str], bool] | None,
) -> str:
    if scope != "auto":
        return scope
    if base:
        return "branch"
    return "working-tree" if head is None or git.is_dirty(root, env, relevant) else "branch"


def _branch(
    root: Path, head: str | None, base: str | None, env: Mapping[str, str] | None, hint: BaseHint | None
) -> Target:
    if head is None:
        raise CCError(
            "the repository has no commits yet, so there is no branch to compare",
            "use `--scope working-tree` to review the files as they are, or commit first",
        )
    base_ref, base_sha = _base(root, base, env, hint)
    merge_base = git.merge_base(root, head, base_sha, env)
    if merge_base is None:
        raise _no_merge_base(root, base_ref, env)
    which = "" if git.branch_name(root, env) else "of detached HEAD "
    label = f"branch diff {which}against {base_ref} (merge-base {merge_base[:7]})"
    return Target(root, Scope.BRANCH, base_ref, merge_base, head, label)


def _no_merge_base(root: Path, base_ref: str, env: Mapping[str, str] | None) -> CCError:
    if git.is_shallow(root, env):
        return CCError(
            f"this is a shallow clone and the merge base of HEAD and {base_ref} is not in it",
            "fetch the history with `git fetch --unshallow` (GitHub Actions: `actions/checkout` with `fetch-depth: 0`)",
        )
    return CCError(
        f"HEAD and {base_ref} have no common history",
        "pass a related branch with `--base <ref>`, or use `--scope working-tree`",
    )


def _base(root: Path, base: str | None, env: Mapping[str, str] | None, hint: BaseHint | None) -> tuple[str, str]:
    """The base ref's display name and commit: explicit, then CI hint, then the default branch."""
    if base:
        found = _first_commit(root, (base,) if base.startswith("origin/") else (base, f"origin/{base}"), env)
        if found is None:
            raise _base_not_a_commit(root, base, env)
        return found
    ci_base = hint.branch.strip() if hint else ""
    if hint and ci_base:
        found = _first_commit(root, (f"origin/{ci_base}", ci_base), env)
        if found is None:
            raise CCError(
                f"base branch `{ci_base}` (from {hint.source}) is not in this clone",
                f"fetch it with `git fetch origin {ci_base}`, or check out with `fetch-depth: 0`",
            )
        return found
    found = _default_branch(root, env)
    if found is None:
        raise CCError(
            "cannot detect the default branch to compare against (no origin/HEAD, main, master or trunk)",
            "pass `--base <ref>` or use `--scope working-tree`",
        )
    return found


def _base_not_a_commit(root: Path, base: str, env: Mapping[str, str] | None) -> CCError:
    """Why ``--base`` names no commit: a range, another kind of object, or nothing this clone has."""
    if ".." in base:
        return CCError(
            f"`--base {base}` is a range; `--base` takes one branch, tag or commit",
            f"pass `--base {base.split('..')[0] or 'main'}` (the head is what is checked out)",
        )
    kind = git.object_type(root, base, env)
    if kind is not None:
        return CCError(
            f"base ref `{base}` names a {kind}, not a commit",
            "pass a branch, tag or commit as `--base`",
        )
    return CCError(
        f"base ref `{base}` not found",
        f"fetch it with `git fetch origin {base.removeprefix('origin/')}`, or pass a different `--base`",
    )


def _default_branch(root: Path, env: Mapping[str, str] | None) -> tuple[str, str] | None:
    names = [ORIGIN_HEAD]
    for name in DEFAULT_BRANCHES:
        names += [f"refs/heads/{name}", f"refs/remotes/origin/{name}"]
    found = git.existing_refs(root, names, env)
    ordered = [found[ORIGIN_HEAD]] if found.get(ORIGIN_HEAD) else []
    ordered += [n for n in names[1:] if n in found]
    for ref in ordered:
        sha = git.commit_of(root, ref, env)
        if sha:
            return ref.removeprefix("refs/heads/").removeprefix("refs/remotes/"), sha
    return None


def _first_commit(root: Path, refs: tuple[str, ...], env: Mapping[str, str] | None) -> tuple[str, str] | None:
    for ref in refs:
        sha = git.commit_of(root, ref, env)
        if sha:
            return ref, sha
    return None
