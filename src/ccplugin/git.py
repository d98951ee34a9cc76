"""Plain git through ``proc.run``: small functions named for what they return.

Every call pins the settings that change output we parse (``core.quotepath=off``, explicit
``a/`` ``b/`` prefixes, no external diff or textconv, no colour). Output with paths is read
with ``-z``; paths are decoded with ``surrogateescape`` so they round-trip to the file system
and back to git.

A repository's own configuration never runs a program through us (:func:`git_env`): no
fsmonitor, no hooks, no pager, no signature program, and every ``diff.<driver>.command``,
``diff.<driver>.textconv`` and ``filter.<driver>.clean|smudge|process`` the configuration
declares (the ``.gitattributes`` of a change picks which one applies) is overridden with an
empty value through ``GIT_CONFIG_COUNT`` (command-line precedence). An empty filter is a no-op;
an empty diff command or textconv is an error, never a run, and ``--no-ext-diff
--no-textconv`` keep git from looking at them at all.

Reading never rewrites the user's index: ``GIT_OPTIONAL_LOCKS=0`` covers ``git status``, but
``git diff`` against the work tree refreshes the stat data of a file that was only touched
and writes ``.git/index`` back whatever that says; those diffs run on a scratch copy of the
index (:func:`scratch_index`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from ccplugin import proc
from ccplugin.errors import CCError

# every setting that changes what ccplugin parses from git's output, pinned to git's default
# (the user's ~/.gitconfig may set any of them: hunk shapes, prefixes, paths, rename pairs, colour)
_PINNED = (
    ("core.quotePath", "off"),
    ("color.ui", "never"),
    ("color.diff", "never"),
    ("diff.suppressBlankEmpty", "false"),
    ("diff.context", "3"),
    ("diff.interHunkContext", "0"),
    ("diff.algorithm", "myers"),
    ("diff.indentHeuristic", "true"),
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("diff.relative", "false"),
    ("diff.renames", "true"),
    ("diff.renameLimit", "1000"),
    ("diff.colorMoved", "no"),
    ("diff.wsErrorHighlight", "none"),
    ("diff.ignoreSubmodules", "none"),
    ("diff.submodule", "short"),
)
CONFIG = tuple(arg for key, value in _PINNED for arg in ("-c", f"{key}={value}"))
DIFF_OPTIONS = (
    "--diff-algorithm=myers",
    "--indent-heuristic",
    "-O/dev/null",  # no diff.orderFile: git's own order
    "--ignore-submodules=none",
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    "--no-relative",
    "--find-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--submodule=short",
)
NULL_OID = frozenset({"0" * 40, "0" * 64})
_ESCAPES = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\"}
_UNESCAPES = {v: k for k, v in _ESCAPES.items()}
_NEEDS_QUOTE = re.compile(r'[\x00-\x1f"\\\x7f]')


class RawEntry(NamedTuple):
    """One record of ``git diff --raw``: status letter, paths, and the ``:mode mode oid oid``
    text. A NamedTuple that parses its ids on demand: a big change builds thousands."""

    status: str  # first letter: A C D M R T U X
    path: str
    old_path: str
    meta: str  # ":<old mode> <new mode> <old oid> <new oid> <status>"

    @property
    def old_oid(self) -> str:
        return self.meta.split(" ")[2]

    @property
    def new_oid(self) -> str:
        return self.meta.split(" ")[3]


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


# settings whose value is a program git would run for a read command
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.pager", "cat"),
    ("log.showSignature", "false"),
    ("gpg.program", "false"),
    ("gpg.openpgp.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.ssh.program", "false"),
)
_DRIVER_KEY = re.compile(r"^(diff\..+\.(command|textconv)|filter\..+\.(clean|smudge|process|required))$", re.DOTALL)
_ENV_DROPPED = ("GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_CONFIG_PARAMETERS")


def git_env(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> dict[str, str]:
    """The environment for git: the caller's, with no prompts, no optional index writes and no
    program from the configuration of the repository at ``cwd`` (see the module docstring)."""
    base = {k: v for k, v in (os.environ if env is None else env).items() if k not in _ENV_DROPPED}
    base.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat")
    overrides = [*SAFE_CONFIG, *(driver_overrides(cwd, config_scope(base)) if cwd is not None else ())]
    return with_config(base, overrides)


def with_config(env: Mapping[str, str], pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """``env`` plus ``pairs`` as ``GIT_CONFIG_KEY_<n>``/``VALUE_<n>``, after any it already had."""
    out = dict(env)
    try:
        start = int(out.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        start = 0
    for i, (key, value) in enumerate(pairs, start):
        out[f"GIT_CONFIG_KEY_{i}"] = key
        out[f"GIT_CONFIG_VALUE_{i}"] = value
    out["GIT_CONFIG_COUNT"] = str(start + len(pairs))
    return out


def config_scope(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The variables that decide which configuration files git reads (a cache key)."""
    names = ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_DIR")
    return tuple((n, env.get(n, "")) for n in names)


def driver_overrides(cwd: Path, scope: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """An empty value for every diff/filter program the configuration seen from ``cwd`` declares."""
    return _driver_overrides(os.path.realpath(cwd), scope)


@functools.lru_cache(maxsize=32)
def _driver_overrides(cwd: str, scope: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    names = {name for name, _ in scope}
    env = {k: v for k, v in os.environ.items() if k not in names} | {k: v for k, v in scope if v}
    env["GIT_OPTIONAL_LOCKS"] = "0"
    try:
        done = proc.run(["git", "config", "-z", "--get-regexp", r"^(diff|filter)\."], cwd=Path(cwd), env=env)
    except CCError:
        return ()
    keys = {entry.split("\n", 1)[0] for entry in done.out.split("\0") if entry}
    return tuple((k, "false" if k.endswith(".required") else "") for k in sorted(keys) if _DRIVER_KEY.match(k))


@contextlib.contextmanager
def scratch_index(root: Path, env: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """``env`` with ``GIT_INDEX_FILE`` on a copy of the index, removed afterwards (none: ``env``)."""
    base = dict(os.environ if env is None else env)
    done = run(root, ["rev-parse", "--path-format=absolute", "--git-path", "index"], base, check=False)
    index = Path(done.out.strip()) if done.returncode == 0 else None
    if index is None or not index.is_file():
        yield base
        return
    with tempfile.TemporaryDirectory(prefix="ccplugin-index-") as tmp:
        copy = Path(tmp, "index")
        shutil.copy2(index, copy)  # its mtime too: git trusts the stat data of entries older than it
        # a split index would have git freshen (or expire) the shared index files in .git
        yield with_config({**base, "GIT_INDEX_FILE": str(copy)}, [("core.splitIndex", "false")])


def run(
    cwd: Path,
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    check: bool = True,
    stdin: bytes | None = None,
    timeout: float | None = None,
) -> proc.Completed:
    """Run ``git <args>`` in ``cwd``; a non-zero exit is a CCError unless ``check`` is off."""
    try:
        done = proc.run(["git", *CONFIG, *args], cwd=cwd, env=git_env(env, cwd), stdin=stdin, timeout=timeout)
    except CCError as e:
        raise _git_missing() from e
    return _checked(done, args) if check else done


def _checked(done: proc.Completed, args: Sequence[str]) -> proc.Completed:
    if done.returncode != 0:
        first = (done.err.strip().splitlines() or [f"exit status {done.returncode}"])[0]
        raise CCError(f"`git {' '.join(args[:3])}` failed: {first}", "check the repository with `git status`")
    return done


def _git_missing() -> CCError:
    return CCError("git is not installed or not on PATH", "install Git and check that `git --version` runs")


def toplevel(cwd: Path, env: Mapping[str, str] | None = None) -> Path:
    """The realpath of the work tree that holds ``cwd``."""
    if not cwd.is_dir():
        raise CCError(f"directory {cwd} does not exist", "run from inside a git checkout")
    done = run(cwd, ["rev-parse", "--show-toplevel"], env, check=False)
    root = done.out.strip()
    if done.returncode == 0 and root:
        return Path(os.path.realpath(root))
    if "safe.directory" in done.err:  # git's hint names the setting in every language
        hint = next((ln.strip() for ln in done.err.splitlines() if "safe.directory" in ln), "")
        raise CCError(
            f"git refuses to read the repository at {cwd}: it belongs to another user",
            f"if you trust it, run `{hint}`" if hint else "add it to git's `safe.directory` setting",
        )
    if run(cwd, ["rev-parse", "--git-dir"], env, check=False).returncode != 0:  # exit codes, not messages
        raise CCError(f"{cwd} is not inside a git repository", "run from a git checkout, or create one with `git init`")
    raise CCError(
        f"{cwd} is not inside a git work tree",
        "run from the checked-out files of a repository, not from `.git` or a bare repository",
    )


def commit_of(root: Path, ref: str, env: Mapping[str, str] | None = None) -> str | None:
    """The commit sha ``ref`` names, or None (a ref never starts with ``-``)."""
    if not ref or ref.startswith("-"):
        return None
    done = run(root, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], env, check=False)
    return (done.out.strip() or None) if done.returncode == 0 else None


def object_type(root: Path, ref: str, env: Mapping[str, str] | None = None) -> str | None:
    """``commit``, ``tree``, ``blob`` or ``tag`` for what ``ref`` names, None when it names nothing."""
    if not ref or ref.startswith("-"):
        return None
    done = run(root, ["rev-parse", "--verify", "--quiet", f"{ref}^{{object}}"], env, check=False)
    if done.returncode != 0 or not done.out.strip():
        return None
    kind = run(root, ["cat-file", "-t", done.out.strip()], env, check=False)
    return kind.out.strip() or None


def branch_name(root: Path, env: Mapping[str, str] | None = None) -> str | None:
    """The checked-out branch's short name, None on a detached HEAD."""
    done = run(root, ["symbolic-ref", "--quiet", "--short", "HEAD"], env, check=False)
    return (done.out.strip() or None) if done.returncode == 0 else None


def existing_refs(root: Path, names: Sequence[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Of the full ref names given, those that exist, each mapped to its symref target or ``""``."""
    done = run(root, ["for-each-ref", "--format=%(refname)%00%(symref)", "--", *names], env)
    found: dict[str, str] = {}
    for line in done.out.splitlines():
        name, _, symref = line.partition("\0")
        if name in names:
            found[name] = symref
    return found


def merge_base(root: Path, a: str, b: str, env: Mapping[str, str] | None = None) -> str | None:
    done = run(root, ["merge-base", a, b], env, check=False)
    return (done.out.strip() or None) if done.returncode == 0 else None


def is_shallow(root: Path, env: Mapping[str, str] | None = None) -> bool:
    return run(root, ["rev-parse", "--is-shallow-repository"], env).out.strip() == "true"


def is_dirty(root: Path, env: Mapping[str, str] | None = None, relevant: Callable[[str], bool] | None = None) -> bool:
    """Any staged, unstaged or untracked (not ignored) change; only of ``relevant`` paths if given."""
    untracked = "--untracked-files=all" if relevant else "--untracked-files=normal"
    done = run(root, ["status", "--porcelain=v2", "-z", untracked], env)
    if relevant is None:
        return bool(done.stdout)
    return any(relevant(entry.path) for entry in parse_status(done.out)[1])


class StatusEntry(NamedTuple):
    path: str  # a rename's new path
    fields: str  # the status fields before the path (XY, modes, blob ids); ``?`` for an untracked file


_STATUS_FIELDS = {"1": 8, "2": 9, "u": 10}  # space-separated fields before the path, per entry kind


def parse_status(out: str) -> tuple[str, list[StatusEntry]]:
    """HEAD (with ``--branch``) and the entries of ``git status --porcelain=v2 -z``.

    A rename's original path (the record after it) is skipped; ignored files are not listed."""
    head, entries = "", []
    records = iter(out.split("\0"))
    for record in records:
        if record.startswith("# branch.oid "):
            head = record.removeprefix("# branch.oid ")
        elif record.startswith("? "):
            entries.append(StatusEntry(record[2:], "?"))
        elif record[:1] in _STATUS_FIELDS:
            parts = record.split(" ", _STATUS_FIELDS[record[0]])
            if len(parts) > _STATUS_FIELDS[record[0]]:
                entries.append(StatusEntry(parts[-1], " ".join(parts[:-1])))
            if record[0] == "2":
                next(records, None)
    return head, entries


_REGULAR_FILE = (b"100644", b"100755")


def file_at(root: Path, rev: str, path: str, env: Mapping[str, str] | None = None) -> bytes | None:
    """The bytes of the regular file ``path`` (from the top) in commit ``rev``; None when there is none.

    Read as the stored blob: no textconv, no filters, nothing from the work tree."""
    listed = run(root, ["ls-tree", "-z", "--full-tree", rev, "--", path], env).stdout
    for entry in listed.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        mode, _, rest = meta.partition(b" ")
        if decode(name) == path and mode in _REGULAR_FILE:
            return run(root, ["cat-file", "blob", rest.split(b" ")[-1].decode()], env).stdout
    return None


def empty_tree(root: Path, env: Mapping[str, str] | None = None) -> str:
    """The id of the empty tree in this repository's hash (sha1 or sha256)."""
    return run(root, ["hash-object", "-t", "tree", "--stdin"], env, stdin=b"").out.strip()


class Pending:
    """A git command left running while the caller does other work; ``result()`` waits for it.

    Its output goes to unlinked temporary files, so git never waits on a full pipe and a
    huge diff is never held twice in memory while it is produced.
    """

    def __init__(self, cwd: Path, args: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        self._args = tuple(args)
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by result() or __exit__
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._proc = proc.spawn(
                ["git", *CONFIG, *args],
                cwd=cwd,
                env=git_env(env, cwd),
                stdout=self._out.fileno(),
                stderr=self._err.fileno(),
            )
        except CCError as e:
            self._close()
            raise _git_missing() from e

    def result(self) -> proc.Completed:
        """Wait for git; a non-zero exit is a CCError."""
        returncode = self._proc.wait()
        try:
            out, err = (_read_all(f) for f in (self._out, self._err))
        finally:
            self._close()
        return _checked(proc.Completed(("git", *self._args), returncode, out, err), self._args)

    def raw_and_patch(self) -> tuple[list[RawEntry], bytes]:
        """Wait for a ``--patch-with-raw -z`` diff (:func:`patch_with_raw`): its file pairs, and its patch,
        read once; a non-zero exit is a CCError."""
        returncode = self._proc.wait()
        try:
            raw = _read_until(self._out, b"\0\0")  # the raw records end with an empty one
            out, err = self._out.read(), _read_all(self._err)
        finally:
            self._close()
        _checked(proc.Completed(("git", *self._args), returncode, b"", err), self._args)
        return parse_raw(decode(raw + b"\0")), out

    def __enter__(self) -> Pending:
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop git if its result was never asked for (the caller failed first)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._close()

    def _close(self) -> None:
        self._out.close()
        self._err.close()


def _read_all(f: IO[bytes]) -> bytes:
    f.seek(0)
    return f.read()


def _read_until(f: IO[bytes], marker: bytes) -> bytes:
    """What ``f`` holds before the first ``marker`` (all of it when there is none); ``f`` is left after it."""
    f.seek(0)
    head = bytearray()
    while chunk := f.read(1 << 16):
        head += chunk
        at = head.find(marker, max(0, len(head) - len(chunk) - len(marker) + 1))
        if at != -1:
            f.seek(at + len(marker))
            return bytes(head[:at])
    return bytes(head)


def commit_subjects(root: Path, rev_range: str, limit: int, env: Mapping[str, str] | None = None) -> list[str]:
    """``<short sha> <subject>`` lines of ``rev_range``, newest first."""
    args = ["log", "--no-decorate", "--format=%h %s", f"--max-count={limit}", rev_range, "--"]
    return run(root, args, env).out.splitlines()


def raw_diff(root: Path, revs: Sequence[str], env: Mapping[str, str] | None = None) -> list[RawEntry]:
    """The file pairs of ``revs`` (one rev: against the work tree; two: tree to tree)."""
    return parse_raw(run(root, ["diff", "--raw", "-z", "--no-abbrev", *DIFF_OPTIONS, *revs, "--"], env).out)


def patch(root: Path, revs: Sequence[str], env: Mapping[str, str] | None = None) -> Pending:
    """``git diff --patch`` of ``revs``, started now; decode ``.result().stdout`` with :func:`decode`."""
    return Pending(root, ["diff", "--patch", "--unified=3", *DIFF_OPTIONS, *revs, "--"], env)


def worktree_renames(
    root: Path, rev: str, untracked: Sequence[str], env: Mapping[str, str] | None = None
) -> tuple[list[RawEntry], bytes]:
    """The renames ``git add -A`` would record from ``rev``'s files to the ``untracked`` paths, and their patch.

    Found by git's own rename detection on a scratch copy of the index with the untracked paths
    added as intent-to-add (no object is written; the repository's index is never touched)."""
    with scratch_index(root, env) as scratch:
        literal = {**scratch, "GIT_LITERAL_PATHSPECS": "1"}
        stdin = b"".join(encode(p) + b"\0" for p in untracked)
        add = ["add", "--intent-to-add", "--pathspec-from-file=-", "--pathspec-file-nul"]
        added = run(root, add, literal, check=False, stdin=stdin)
        if added.returncode != 0:  # a path gone meanwhile, say: no renames found, never a failed review
            return [], b""
        raw = parse_raw(run(root, ["diff", "--raw", "-z", "--no-abbrev", *DIFF_OPTIONS, rev, "--"], literal).out)
        renames = [e for e in raw if e.status == "R"]
        if not renames:
            return [], b""
        paths = [p for e in renames for p in (e.old_path, e.path)]
        return renames, run(root, ["diff", "--patch", "--unified=3", *DIFF_OPTIONS, rev, "--", *paths], literal).stdout


def patch_with_raw(root: Path, revs: Sequence[str], env: Mapping[str, str] | None = None) -> Pending:
    """The file pairs and the patch of ``revs`` from one ``git diff`` (one tree walk, one rename detection),
    started now; :meth:`Pending.raw_and_patch` gives them."""
    args = ["diff", "--patch-with-raw", "-z", "--no-abbrev", "--unified=3", *DIFF_OPTIONS, *revs, "--"]
    return Pending(root, args, env)


def untracked(root: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """Untracked, not ignored paths; a nested repository shows as ``dir/``."""
    done = run(root, ["ls-files", "-z", "--others", "--exclude-standard", "--"], env)
    return split_z(done.stdout)


def diff_unset(root: Path, paths: Sequence[str], env: Mapping[str, str] | None = None) -> set[str]:
    """Of ``paths``, those whose ``diff`` attribute is unset (``-diff``, ``binary``): git shows them as binary."""
    if not paths:
        return set()
    stdin = b"".join(encode(p) + b"\0" for p in paths)
    fields = split_z(run(root, ["check-attr", "-z", "--stdin", "diff"], env, stdin=stdin).stdout)
    return {fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] == "unset"}


def split_z(data: bytes) -> list[str]:
    return [decode(part) for part in data.split(b"\0") if part]


def parse_raw(text: str) -> list[RawEntry]:
    """Parse decoded ``--raw -z`` records: ``:mode mode oid oid status NUL path NUL [path NUL]``."""
    entries: list[RawEntry] = []
    parts = iter(text.split("\0"))
    for meta in parts:
        if not meta.startswith(":"):
            break
        status = meta[meta.rindex(" ") + 1]
        old = next(parts)
        entries.append(RawEntry(status, next(parts) if status in "RC" else old, old, meta))
    return entries


def quote(name: str) -> str:
    """``name`` as git writes it in diff headers with ``core.quotepath=off``."""
    if not _NEEDS_QUOTE.search(name):
        return name
    out = bytearray(b'"')
    for b in encode(name):
        if b in _ESCAPES:
            out += b"\\" + _ESCAPES[b].encode()
        elif b < 0x20 or b == 0x7F:
            out += b"\\%03o" % b
        else:
            out.append(b)
    out += b'"'
    return decode(bytes(out))


def unquote(text: str) -> str:
    """Undo :func:`quote`; a name that is not quoted comes back as it is."""
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    body = encode(text[1:-1])
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == 0x5C and i + 1 < len(body):
            nxt = chr(body[i + 1])
            if nxt in "0123" and i + 4 <= len(body):
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            out.append(_UNESCAPES.get(nxt, body[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return decode(bytes(out))
