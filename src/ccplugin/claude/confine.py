"""What one Claude run can reach: its tools, the folders it never reads, and the git it runs.

:func:`confinement` decides the command-line side (``ccplugin.claude.argv.Confinement``): the
explicit tool set when the binary's version takes ``--tools``, the private folders (the
ccplugin state folder, Claude's config folder and ``~/.claude.json``, and for a read-only run
the repository's ``.git``, whose config can hold a checkout's token), and the guard hook.

:func:`shielded_env` decides the environment of a read-only run, so that no git Claude starts
(its own start-up ``git status`` included) or its Bash tool runs writes the repository, runs a
program the repository's configuration names, or reaches the network:

- ``git`` first on ``PATH`` is a two-line wrapper around the real one that adds
  ``--no-ext-diff --no-textconv`` to ``diff``, ``log``, ``show`` and ``blame``, because drivers
  from ``.gitattributes`` apply to a plain ``git diff`` (a ``--ext-diff`` deny rule cannot help);
- ``ccplugin.git.git_env`` empties every configured diff/filter program and turns off
  fsmonitor, hooks, pager and signature programs (an empty driver is an error, never a run, so
  a git that misses the wrapper still runs nothing);
- ``GIT_CONFIG_NOSYSTEM=1``, ``protocol.allow=never`` (and per protocol) for no network;
- ``GIT_OPTIONAL_LOCKS=0`` and ``GIT_INDEX_FILE`` on a scratch copy of the index: ``git diff``
  and ``git describe --dirty`` write refreshed stat data back to the index whatever the
  optional-locks setting says.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from ccplugin import git, paths, proc
from ccplugin.claude import version
from ccplugin.claude.argv import Confinement, supports_tools_flag
from ccplugin.claude.types import Mode, RunSpec

READ_ONLY_MODES = frozenset({Mode.REVIEW, Mode.GATE, Mode.RESCUE_READ})
GUARD_SCRIPT = Path(__file__).with_name("guard.py")
NO_NETWORK: tuple[tuple[str, str], ...] = (
    ("protocol.allow", "never"),
    *((f"protocol.{name}.allow", "never") for name in ("file", "git", "ssh", "http", "https", "ext")),
)
_DROPPED = ("GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
_DIFFING = ("diff", "log", "show", "blame")


def confinement(spec: RunSpec, env: Mapping[str, str], binary: str) -> Confinement:
    """The argv side of confinement for ``spec`` run by ``binary``."""
    read_only = spec.mode in READ_ONLY_MODES
    guard = f"{shlex.quote(sys.executable)} -I -S {shlex.quote(str(GUARD_SCRIPT))}" if read_only else None
    return Confinement(
        explicit_tools=supports_tools_flag(version.of(binary, env)),
        private=private_paths(spec, env),
        guard=guard,
    )


def private_paths(spec: RunSpec, env: Mapping[str, str]) -> tuple[str, ...]:
    """Folders and files a run never reads, as given and as realpaths."""
    home = env.get("HOME") or os.path.expanduser("~")
    found = [
        paths.state_root(env),
        env.get("CLAUDE_CONFIG_DIR") or os.path.join(home, ".claude"),
        os.path.join(home, ".claude"),
        os.path.join(home, ".claude.json"),
    ]
    if spec.mode in READ_ONLY_MODES:
        found.append(os.path.join(paths.workspace(spec.cwd), ".git"))
    spelled = (os.path.abspath(os.path.expanduser(p)) for p in found)
    return tuple(dict.fromkeys(q for p in spelled for q in (p, os.path.realpath(p))))


@contextlib.contextmanager
def shielded_env(spec: RunSpec, env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """``env`` for Claude: for a read-only run, with the git described in the module docstring."""
    if spec.mode not in READ_ONLY_MODES or not os.path.isdir(spec.cwd):
        yield dict(env)
        return
    base = {k: v for k, v in env.items() if k not in _DROPPED}
    root = Path(paths.workspace(spec.cwd))
    with git.scratch_index(root, base) as scratch, _wrapper_dir(base) as bin_dir:
        out = git.with_config(git.git_env(scratch, root), NO_NETWORK)
        out["GIT_CONFIG_NOSYSTEM"] = "1"
        if bin_dir:
            out["PATH"] = os.pathsep.join(p for p in (bin_dir, out.get("PATH", "")) if p)
        yield out


@contextlib.contextmanager
def _wrapper_dir(env: Mapping[str, str]) -> Iterator[str | None]:
    """A temporary folder with the ``git`` wrapper (None when there is no git to wrap)."""
    real = proc.which("git", env)
    if real is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="ccplugin-git-") as tmp:
        wrapper = Path(tmp, "git")
        wrapper.write_text(wrapper_script(os.path.realpath(real)), encoding="utf-8")
        wrapper.chmod(0o700)
        yield tmp


def wrapper_script(real_git: str) -> str:
    """The ``git`` of a read-only run: the real one, never running a diff driver or textconv."""
    git_path = shlex.quote(real_git)
    return (
        "#!/bin/sh\n"
        "# ccplugin: git for a read-only Claude run (no external diff driver, no textconv)\n"
        f'case "$1" in {"|".join(_DIFFING)})\n'
        f'  sub=$1; shift; exec {git_path} "$sub" --no-ext-diff --no-textconv "$@";;\n'
        "esac\n"
        f'exec {git_path} "$@"\n'
    )
