"""Generated, vendored and lock files: left out of what the reviewer is sent, and listed as not reviewed.

A path is left out when the ``.gitattributes`` of the commit whose policy judges the change (the
base of a branch or pull request, ``HEAD`` of a working tree: :mod:`ccplugin.review.policy`) mark
it ``linguist-generated`` or ``linguist-vendored`` (set, or ``=true``; ``-attr``, ``!attr``,
``=false`` and any other value leave it in), or when it is on the default list (:data:`LOCK_FILES`,
:data:`MINIFIED_SUFFIXES`). A change cannot hide its own files by editing ``.gitattributes``:
the attributes are read from that commit's tree, never from the change. ``review_generated``
globs in the settings review such paths anyway (``["**"]``: all of them).

The attributes come from ``git check-attr --cached`` run on a scratch index holding that commit's
tree (``git read-tree``), so they are exactly the commit's on every git version (``check-attr
--source`` needs git 2.40). ``$GIT_DIR/info/attributes`` and the user's ``core.attributesFile``
still apply, as for every git command: they are the machine's, not the change's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from ccplugin import git
from ccplugin.review.collect import PathFilter


class Kind(StrEnum):
    """Why a path is not reviewed."""

    GENERATED = "generated"  # linguist-generated
    VENDORED = "vendored"  # linguist-vendored
    LOCK = "lock"  # a dependency lock file
    MINIFIED = "minified"  # a minified bundle or a source map


# the default list, by file name in any folder: lock files, then minified bundles and source maps
LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "deno.lock",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "pdm.lock",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "go.sum",
        "Podfile.lock",
        "Package.resolved",
        "packages.lock.json",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "gradle.lockfile",
    }
)
MINIFIED_SUFFIXES = (".min.js", ".min.css", ".map")
_ATTRIBUTES = {"linguist-generated": Kind.GENERATED, "linguist-vendored": Kind.VENDORED}
_TRUE = frozenset({"set", "true"})  # what check-attr prints for `attr` and `attr=true`

Classifier = Callable[[Sequence[str]], dict[str, Kind]]


def classifier(
    root: Path, rev: str | None, review: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> Classifier:
    """Which of a change's paths are left out, and why; ``rev`` holds the ``.gitattributes`` (None: none)."""
    reviewed = PathFilter(review, ())

    def left_out(paths: Sequence[str]) -> dict[str, Kind]:
        candidates = [p for p in paths if not (reviewed and reviewed(p))]
        marked = marks(root, rev, candidates, env) if candidates and rev else {}
        return {p: kind for p in candidates if (kind := marked.get(p) or default_kind(p)) is not None}

    return left_out


def default_kind(path: str) -> Kind | None:
    """``LOCK`` or ``MINIFIED`` when the file's name is on the default list."""
    name = path.rsplit("/", 1)[-1]
    if name in LOCK_FILES:
        return Kind.LOCK
    return Kind.MINIFIED if name.endswith(MINIFIED_SUFFIXES) else None


def marks(root: Path, rev: str, paths: Sequence[str], env: Mapping[str, str] | None = None) -> dict[str, Kind]:
    """The paths the ``.gitattributes`` of commit ``rev`` mark generated (first) or vendored."""
    stdin = b"".join(git.encode(p) + b"\0" for p in paths)
    with tempfile.TemporaryDirectory(prefix="ccplugin-attr-") as tmp:
        scratch = {**(os.environ if env is None else env), "GIT_INDEX_FILE": str(Path(tmp, "index"))}
        index = git.with_config(scratch, [("core.splitIndex", "false")])
        git.run(root, ["read-tree", rev], index)
        out = git.run(root, ["check-attr", "--cached", "-z", "--stdin", *_ATTRIBUTES], index, stdin=stdin).stdout
    fields = git.split_z(out)
    found: dict[str, Kind] = {}
    for i in range(0, len(fields) - 2, 3):
        path, attribute, value = fields[i : i + 3]
        if value in _TRUE and path not in found:
            found[path] = _ATTRIBUTES[attribute]
    return found
