"""Review input: the change's files, its diff, and the text the reviewer is given.

One ``git diff --patch-with-raw`` (one tree walk, one rename detection) writes the file list
and the patch to a temporary file while the commits and the untracked files are gathered; the
patch is then held as the bytes git wrote, once, and
everything else (binary files, line counts, the digest, hunks) is found in those bytes in
place; only an inlined diff is decoded, once, into the prompt. Hunks are parsed only when a
finding asks for them. Over the byte budget the reviewer gets the file list and read-only
git commands instead of the diff (``self-collect``); nothing is ever cut off silently.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import re
import shlex
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccplugin import files, git
from ccplugin.review.hunks import MARK, LazyHunks, section_index, section_path
from ccplugin.review.model import FileChange, Hunk
from ccplugin.review.target import Target
from ccplugin.review.values import InputMode, Scope

DEFAULT_BUDGET = 256 * 1024
MAX_UNTRACKED_BYTES = 1024 * 1024  # larger untracked files are listed, not read
MAX_HASHED_BYTES = 16 * 1024 * 1024  # larger unshown files enter the digest by size and mtime
BINARY_PROBE = 8000  # git's rule: a NUL in the first 8000 bytes means binary
MAX_COMMITS = 50
MIN_LIST_BYTES, MAX_LIST_BYTES = 4 * 1024, 64 * 1024  # the file list's share of the prompt
# the most diff ever inlined, whatever the budget: ``claude -p`` refuses more than 10,485,760
# characters of piped input, and claude 2.1.332 refuses about 3,000,000 for a 1M-token model by
# its own estimate (a byte is at most one character, so a byte cap is a character cap)
INLINE_CAP = 2 * 1024 * 1024
DIGEST_VERSION = "review-input/1"
_BINARY = b"\nBinary files "
_NL_MARK = b"\n" + MARK.encode()

Matcher = Callable[[str], bool]
LeaveOut = Callable[[Sequence[str]], Mapping[str, str]]  # changed paths → why each left out is not reviewed


@dataclass(frozen=True)
class ReviewInput:
    """Everything a review is given about one change."""

    target: Target
    input_mode: InputMode
    files: tuple[FileChange, ...]
    patch: bytes  # the diff as git writes it (untracked files as new-file sections)
    context: str
    additions: int
    deletions: int
    hunks: Mapping[str, tuple[Hunk, ...]]
    diff_bytes: int = 0
    budget_bytes: int = 0
    skipped: Mapping[str, str] = field(default_factory=dict)  # path → why its content is not shown
    change_digest: str = ""
    excluded: int = 0  # changed paths the include/exclude globs left out
    commits: tuple[str, ...] = ()  # the Commits section shown in the prompt (empty for a working tree)
    not_reviewed: Mapping[str, str] = field(default_factory=dict)  # path → kind (generated, vendored, lock, ...)
    fallback_context: str = ""  # an inline input's self-collect context, for when claude refuses it
    fallback_digest: str = ""
    refused_inline: bool = False  # claude refused this change's inlined diff as too long

    @functools.cached_property
    def diff(self) -> str:
        """The diff as text (bytes that are not UTF-8 kept as surrogates); built when asked for."""
        return git.decode(self.patch)

    def self_collected(self) -> ReviewInput:
        """This input with the diff left for the reviewer to read: what is sent when claude refuses it inline."""
        if not self.fallback_context:
            return self
        return dataclasses.replace(
            self,
            input_mode=InputMode.SELF_COLLECT,
            context=self.fallback_context,
            change_digest=self.fallback_digest,
            fallback_context="",
            fallback_digest="",
            refused_inline=True,
        )

    def digest(self) -> str:
        """sha256 over the diff, the file list, ids of unshown contents, and the input mode."""
        return self.change_digest

    def to_summary(self) -> dict[str, Any]:
        refused = {"inline_refused": True} if self.refused_inline else {}
        return {
            **refused,
            "input_mode": self.input_mode,
            "files": [_file_summary(f, self.skipped) for f in self.files],
            "additions": self.additions,
            "deletions": self.deletions,
            "diff_bytes": self.diff_bytes,
            "budget_bytes": self.budget_bytes,
            "target": self.target.to_dict(),
            "not_reviewed": [{"path": p, "kind": str(k)} for p, k in self.not_reviewed.items()],
        }


@dataclass
class _Change:
    """The change as it is gathered: diff text, files, and what the diff does not show."""

    diff: bytes = b""
    files: list[FileChange] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # content ids of what the diff does not show
    new_sections: list[bytes] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    pathspec: str = ""  # the globs as git pathspecs, for the commands the prompt suggests
    moved: dict[str, str] = field(default_factory=dict)  # deleted path → the untracked path holding its bytes
    not_reviewed: dict[str, str] = field(default_factory=dict)  # path → why it is left out (``leave_out``)


def collect(
    target: Target,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    budget_bytes: int = DEFAULT_BUDGET,
    env: Mapping[str, str] | None = None,
    leave_out: LeaveOut | None = None,
) -> ReviewInput:
    """Collect the change ``target`` names, keeping paths that pass the globs (``path_matches``).

    ``env`` is the environment for git (default ``os.environ``). ``leave_out`` picks, of the paths
    the globs keep, those not to review (generated, vendored, lock files: :mod:`.generated`): they
    are dropped like excluded ones, and listed in ``not_reviewed``.
    """
    revs = _revs(target, env)
    root = target.repo_root
    with _git_env(target, env) as scratch, git.patch_with_raw(root, revs, scratch) as diff_job:
        change = _Change(commits=_commits(target, scratch), pathspec=pathspec(include, exclude))
        untracked = git.untracked(root, scratch) if target.scope is Scope.WORKING_TREE else None
        entries, patch = diff_job.raw_and_patch()
        dropped = _gather(change, target, revs, PathFilter(include, exclude), scratch, entries, untracked, leave_out)
    excluded = len(dropped - set(change.not_reviewed) - set(change.moved))
    if not change.files:
        return ReviewInput(
            target,
            InputMode.NOTHING,
            (),
            b"",
            "",
            0,
            0,
            {},
            budget_bytes=budget_bytes,
            excluded=excluded,
            not_reviewed=change.not_reviewed,
        )
    if dropped:
        patch = _without(patch, entries, dropped)
        entries = [e for e in entries if e.path not in dropped]
    _mark_binary(change, target.repo_root, entries, patch)
    change.diff = b"".join([patch, *change.new_sections]) if change.new_sections else patch
    del patch
    change.new_sections.clear()
    return _finish(target, revs, change, budget_bytes)


def _git_env(target: Target, env: Mapping[str, str] | None) -> contextlib.AbstractContextManager[Mapping[str, str]]:
    """The environment for the change's git commands: a diff against the work tree would write its refreshed
    stat data back to the user's index, so it runs on a scratch copy; tree-to-tree diffs never read the index."""
    if target.scope is Scope.WORKING_TREE:
        return git.scratch_index(target.repo_root, env)
    return contextlib.nullcontext(dict(os.environ if env is None else env))


def _gather(
    change: _Change,
    target: Target,
    revs: Sequence[str],
    keep: PathFilter,
    env: Mapping[str, str] | None,
    entries: Sequence[git.RawEntry],
    untracked: Sequence[str] | None,
    leave_out: LeaveOut | None = None,
) -> set[str]:
    """The paths the globs or ``leave_out`` drop (untracked ones too); files (tracked, then untracked,
    for a working tree) into ``change``."""
    dropped = {e.path for e in entries if not keep(e.path)} if keep else set()
    paths = [p for p in untracked or () if not keep or keep(p)]
    dropped |= set(untracked or ()) - set(paths)
    if leave_out is not None:
        kept = [e.path for e in entries if e.path not in dropped] + [p for p in paths if not p.endswith("/")]
        change.not_reviewed = dict(leave_out(kept))
        dropped |= set(change.not_reviewed)
        paths = [p for p in paths if p not in change.not_reviewed]
    change.files = [_file_change(e) for e in entries if e.path not in dropped]
    if untracked is not None:
        no_diff = git.diff_unset(target.repo_root, [p for p in paths if not p.endswith("/")], env)
        deleted = {e.path for e in entries if e.status == "D" and e.path not in dropped}
        moves = _moves(target.repo_root, revs[0], deleted, paths, env)
        for path in paths:
            if path in moves:
                _add_move(change, moves[path])
            else:
                _add_untracked(change, target.repo_root, path, path in no_diff)
        if change.moved:  # what `git add -A` records: a rename, not a deletion and a new file
            change.files = [f for f in change.files if not (f.status == "D" and f.path in change.moved)]
            dropped |= set(change.moved)
    return dropped


def _revs(target: Target, env: Mapping[str, str] | None) -> tuple[str, ...]:
    if target.scope is Scope.BRANCH:
        if target.merge_base is None or target.head is None:
            raise ValueError("a branch target needs merge_base and head")
        return (target.merge_base, target.head)
    return (target.head or git.empty_tree(target.repo_root, env),)


# --- tracked files ---------------------------------------------------------------------


def _without(patch: bytes, entries: Sequence[git.RawEntry], dropped: set[str]) -> bytes:
    """The patch without the sections of ``dropped`` paths, as one new string."""
    index = section_index(patch, [(e.old_path, e.path) for e in entries])
    kept = sorted(span for path, spans in index.items() if path not in dropped for span in spans)
    view = memoryview(patch)
    return b"".join([view[s:e] for s, e in kept])


def _file_change(e: git.RawEntry) -> FileChange:
    return FileChange(e.path, e.status, e.old_path if e.status in "RC" else None)


def _mark_binary(change: _Change, root: Path, entries: Sequence[git.RawEntry], patch: bytes) -> None:
    """Flag the tracked files the patch calls binary (they lead ``change.files``), and note their ids."""
    binary = _binary_paths(patch)
    if not binary:
        return
    for i, e in enumerate(entries):
        if e.path in binary:
            change.files[i] = FileChange(e.path, e.status, change.files[i].old_path, True)
            change.ids[e.path] = _blob_id(root, e)


def _binary_paths(diff: bytes) -> set[str]:
    """Paths whose section says ``Binary files ... differ`` (a body line never starts so)."""
    found: set[str] = set()
    at = diff.find(_BINARY)
    while at != -1:
        start = diff.rfind(_NL_MARK, 0, at) + 1
        end = diff.find(_NL_MARK, at)
        end = len(diff) if end == -1 else end + 1
        found.add(section_path(git.decode(diff[start:end])))
        at = diff.find(_BINARY, end - 1)
    return found


def _blob_id(root: Path, entry: git.RawEntry) -> str:
    oid = entry.old_oid if entry.status == "D" else entry.new_oid
    return oid if oid not in git.NULL_OID else _content_id(os.path.join(root, entry.path))


# --- untracked files -------------------------------------------------------------------


@dataclass(frozen=True)
class _Move:
    """A tracked file deleted from the work tree whose content (maybe edited) is now an untracked path."""

    entry: git.RawEntry
    section: bytes  # git's rename section: its real hunks and counts


def _moves(
    root: Path, rev: str, deleted: set[str], untracked: Sequence[str], env: Mapping[str, str] | None
) -> dict[str, _Move]:
    """Untracked path → the rename ``git add -A`` would record for it (plain ``mv``, maybe then edited)."""
    candidates = [p for p in untracked if _readable_file(os.path.join(root, p))] if deleted else []
    if not candidates:
        return {}
    renames, patch = git.worktree_renames(root, rev, candidates, env)
    renames = [e for e in renames if e.old_path in deleted and e.path in set(candidates)]
    index = section_index(patch, [(e.old_path, e.path) for e in renames])
    return {e.path: _Move(e, b"".join(patch[s:t] for s, t in index.get(e.path, ()))) for e in renames}


def _readable_file(full: str) -> bool:
    """A regular file small enough to be read as an untracked file (what may be a moved one)."""
    try:
        return not _why_not_read(os.lstat(full))
    except OSError:
        return False


def _add_move(change: _Change, move: _Move) -> None:
    e = move.entry
    binary = _BINARY in move.section
    change.moved[e.old_path] = e.path
    change.files.append(FileChange(e.path, "R", e.old_path, binary))
    if binary:
        change.ids[e.path] = e.new_oid
    change.new_sections.append(move.section)


def _add_untracked(change: _Change, root: Path, path: str, no_diff: bool) -> None:
    """An untracked file as a new-file section (binary when its bytes or its attributes say so)."""
    if path.endswith("/"):
        _skip(change, path, "untracked directory (a nested repository)", "directory")
        return
    full = os.path.join(root, path)
    try:
        st = os.lstat(full)
        reason = _why_not_read(st)
        data = b"" if reason else _read(full)
    except OSError as e:
        _skip(change, path, f"could not be read ({e.strerror or e})", "unreadable")
        return
    if reason:
        _skip(change, path, reason, _stat_id(full, st))
        return
    binary = no_diff or b"\0" in data[:BINARY_PROBE]
    change.files.append(FileChange(path, "?", binary=binary))
    if binary:
        change.ids[path] = hashlib.sha256(data).hexdigest()
    change.new_sections.append(_new_file_section(path, data, st.st_mode, binary))


def _skip(change: _Change, path: str, reason: str, content_id: str) -> None:
    change.files.append(FileChange(path, "?"))
    change.skipped[path] = reason
    change.ids[path] = content_id


def _why_not_read(st: os.stat_result) -> str:
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_size > MAX_UNTRACKED_BYTES:
        return f"{st.st_size} bytes, over the {MAX_UNTRACKED_BYTES}-byte limit for untracked files"
    return ""


def _read(full: str) -> bytes:
    with open(full, "rb") as fh:
        return fh.read()


def _content_id(full: str) -> str:
    try:
        st = os.lstat(full)
        if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_HASHED_BYTES:
            return files.sha256_of(full)
        return _stat_id(full, st)
    except OSError:
        return "unreadable"


def _stat_id(full: str, st: os.stat_result) -> str:
    if stat.S_ISLNK(st.st_mode):
        return "symlink:" + os.readlink(full)
    return f"stat:{st.st_size}:{st.st_mtime_ns}"


def _new_file_section(path: str, data: bytes, st_mode: int, binary: bool) -> bytes:
    """A new-file section written the way ``git diff`` writes one."""
    a, b = git.quote("a/" + path), git.quote("b/" + path)
    mode = "100755" if st_mode & stat.S_IXUSR else "100644"
    head = f"{MARK}{a} {b}\nnew file mode {mode}\n"
    if binary:
        return git.encode(f"{head}Binary files /dev/null and {b} differ\n")
    if not data:
        return git.encode(head)
    lines = data.split(b"\n")
    no_eol = lines[-1] != b""
    if not no_eol:
        lines.pop()
    count = "1" if len(lines) == 1 else f"1,{len(lines)}"
    tab = "\t" if " " in path else ""  # git marks names with spaces this way
    body = b"+" + b"\n+".join(lines) + b"\n" + (b"\\ No newline at end of file\n" if no_eol else b"")
    return git.encode(f"{head}--- /dev/null\n+++ {b}{tab}\n@@ -0,0 +{count} @@\n") + body


# --- the result ------------------------------------------------------------------------


def _finish(
    target: Target,
    revs: Sequence[str],
    change: _Change,
    budget_bytes: int,
) -> ReviewInput:
    files = tuple(change.files)
    names = [(f.old_path or f.path, f.path) for f in files]
    diff_bytes, digest = _measure(change.diff, files, change.ids)
    inline_limit = min(budget_bytes, INLINE_CAP)
    mode = InputMode.INLINE if diff_bytes <= inline_limit else InputMode.SELF_COLLECT
    # per-file counts only when the diff is small enough to be shown; the totals are then their sums
    index = section_index(change.diff, names) if mode is InputMode.INLINE else None
    sections = _section_counts(change.diff, index) if index is not None else None
    additions, deletions = _sums(sections.values()) if sections is not None else line_counts(change.diff)
    counts = _file_counts(files, index or {}, sections or {}, change.skipped)
    head = [f"## Change\n\n{target.label}: {len(files)} file(s), +{additions} -{deletions}.\n", *change.commits]
    limit = max(MIN_LIST_BYTES, min(budget_bytes, MAX_LIST_BYTES))
    listing = _file_list(files, change.skipped, counts, _list_command(target, revs, change.pathspec), limit)
    how = functools.partial(_how_to_read, target, revs, diff_bytes, spec=change.pathspec)
    if mode is InputMode.INLINE:
        context = _with_diff("\n".join([*head, listing]), change.diff)
        fallback = "\n".join([*head, how(why="too long for `claude -p` to take in one prompt"), listing])
    else:
        context = "\n".join([*head, how(why=f"over the {inline_limit}-byte budget for including it here"), listing])
        fallback = ""
    return ReviewInput(
        target=target,
        input_mode=mode,
        files=files,
        patch=change.diff,
        context=context,
        additions=additions,
        deletions=deletions,
        hunks=LazyHunks(change.diff, names, index),
        diff_bytes=diff_bytes,
        budget_bytes=budget_bytes,
        skipped=dict(change.skipped),
        change_digest=_mode_digest(digest, mode),
        commits=tuple(change.commits),
        not_reviewed=change.not_reviewed,
        fallback_context=fallback,
        fallback_digest=_mode_digest(digest, InputMode.SELF_COLLECT) if fallback else "",
    )


def _mode_digest(digest: Any, mode: str) -> str:
    """The change's digest for the input sent in ``mode`` (a different prompt input)."""
    done = digest.copy()
    done.update(f"\0mode={mode}".encode())
    return str(done.hexdigest())


Span = tuple[int, int]


def _section_counts(diff: bytes, index: Mapping[str, Sequence[Span]]) -> dict[Span, tuple[int, int]]:
    """Each section's added and deleted lines, counted in place (the sections cover the whole diff)."""
    return {span: line_counts(diff, *span) for spans in index.values() for span in spans}


def _sums(counts: Iterable[tuple[int, int]]) -> tuple[int, int]:
    added = deleted = 0
    for a, d in counts:
        added, deleted = added + a, deleted + d
    return added, deleted


def _file_counts(
    files: Sequence[FileChange],
    index: Mapping[str, Sequence[Span]],
    sections: Mapping[Span, tuple[int, int]],
    skipped: Mapping[str, str],
) -> dict[tuple[str, str], tuple[int, int]]:
    """``(path, status)`` → its own section's counts: a path deleted from the index and untracked
    has two entries, each with its own section (tracked sections come first, in file order)."""
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    seen: dict[str, int] = {}
    for f in files:
        if f.status == "?" and f.path in skipped:
            continue  # no section
        k = seen[f.path] = seen.get(f.path, -1) + 1
        spans = index.get(f.path, ())
        if k < len(spans):
            counts[(f.path, f.status)] = sections[spans[k]]
    return counts


def line_counts(diff: str | bytes, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """Added and deleted lines of a ``git diff`` (of its bytes ``start:end``): ``+``/``-`` lines
    less the file headers, counted in place."""
    data = git.encode(diff) if isinstance(diff, str) else diff
    end = len(data) if end is None else end
    headers = _file_headers(data, start, end)
    return data.count(b"\n+", start, end) - headers, data.count(b"\n-", start, end) - headers


def _file_headers(diff: bytes, start: int, end: int) -> int:
    """How many ``--- old`` / ``+++ new`` pairs open a file's hunks.

    A ``+++ `` line is a header exactly when ``@@ -`` follows it: a changed body line (such
    as an added ``++ x``) is never followed straight by a hunk header, because changes with
    no context after them end their file.
    """
    count = 0
    at = diff.find(b"\n+++ ", start, end)
    while at != -1:
        eol = diff.find(b"\n", at + 1, end)
        if eol == -1:
            break
        count += diff.startswith(b"\n@@ -", eol, end)
        at = diff.find(b"\n+++ ", eol, end)
    return count


def _measure(diff: bytes, files: Sequence[FileChange], ids: Mapping[str, str]) -> tuple[int, Any]:
    """The diff's size in bytes, and a running sha256 over what defines the change."""
    h = hashlib.sha256(DIGEST_VERSION.encode() + b"\0")
    h.update(diff)
    size = len(diff)
    for f in files:
        h.update(git.encode(f"\0{f.status}\0{f.old_path or ''}\0{f.path}\0{int(f.binary)}"))
    for path in sorted(ids):
        h.update(git.encode(f"\0{path}\0{ids[path]}"))
    return size, h


def _commits(target: Target, env: Mapping[str, str] | None) -> list[str]:
    """The branch's commit subjects as a context section (none for the working tree)."""
    if target.scope is not Scope.BRANCH:
        return []
    rev_range = f"{target.merge_base}..{target.head}"
    lines = git.commit_subjects(target.repo_root, rev_range, MAX_COMMITS + 1, env)
    if len(lines) > MAX_COMMITS:
        lines[MAX_COMMITS:] = [f"(more commits: `git log --oneline {rev_range}`)"]
    return ["## Commits\n\n" + "\n".join(lines) + "\n"] if lines else []


def _range(target: Target, revs: Sequence[str]) -> str:
    return f"{revs[0]}..{revs[1]}" if target.scope is Scope.BRANCH else revs[0]


def _how_to_read(target: Target, revs: Sequence[str], diff_bytes: int, *, why: str, spec: str) -> str:
    rng = _range(target, revs)
    lines = [
        "## How to read the change",
        "",
        f"The diff is {diff_bytes} bytes, {why}, so it is not included. Read it with these "
        "read-only commands, run from the repository root:",
        f"- `git diff --no-ext-diff --stat {rng}{spec}`: every changed file and the size of its change;",
        f"- `git diff --no-ext-diff {rng} -- <path>`: one file's diff (quote the path for the shell).",
    ]
    if target.scope is Scope.WORKING_TREE:
        lines.append("Files marked `?` are untracked (new): read them whole.")
    return "\n".join(lines) + "\n"


def _list_command(target: Target, revs: Sequence[str], spec: str) -> str:
    listing = f"`git diff --no-ext-diff --name-status {_range(target, revs)}{spec}`"
    if target.scope is Scope.WORKING_TREE:
        listing += f" and `git ls-files --others --exclude-standard{spec}`"
    return listing


def pathspec(include: Sequence[str], exclude: Sequence[str]) -> str:
    """`` -- <pathspec>...`` (shell-quoted) selecting what :class:`PathFilter` keeps; ``""`` for no globs."""
    specs = [f":(glob){g}" for p in include if p.strip() for g in _globs(p)]
    specs += [f":(exclude,glob){g}" for p in exclude if p.strip() for g in _globs(p)]
    return " -- " + " ".join(shlex.quote(s) for s in specs) if specs else ""


def _globs(pattern: str) -> list[str]:
    """git ``:(glob)`` patterns matching what :func:`path_matches` matches for ``pattern``."""
    pattern = pattern.strip().removeprefix("./")
    dirs_only = pattern.endswith("/")
    anchored = "/" in pattern.rstrip("/")
    base = pattern.strip("/") if anchored else "**/" + pattern.strip("/")
    return [f"{base}/**"] if dirs_only else [base, f"{base}/**"]


def _file_list(
    files: Sequence[FileChange],
    skipped: Mapping[str, str],
    counts: Mapping[tuple[str, str], tuple[int, int]],
    list_command: str,
    limit: int,
) -> str:
    """One line per file; past ``limit`` bytes, how many are left out and how to list them."""
    lines, size = [], 0
    for n, f in enumerate(files):
        line = _file_line(f, skipped, counts)
        size += len(line) + 1
        if size > limit and n:
            lines.append(f"... and {len(files) - n} more files; list them all with {list_command}.")
            break
        lines.append(line)
    return f"## Files ({len(files)})\n\n" + "\n".join(lines) + "\n"


def _file_line(f: FileChange, skipped: Mapping[str, str], counts: Mapping[tuple[str, str], tuple[int, int]]) -> str:
    name = git.quote(f.path)
    if f.old_path is not None:
        name = f"{git.quote(f.old_path)} -> {name}"
    if f.binary:
        return f"{f.status} {name} (binary, not shown)"
    if f.path in skipped:
        return f"{f.status} {name} (not shown: {skipped[f.path]})"
    if (f.path, f.status) in counts:
        added, deleted = counts[(f.path, f.status)]
        return f"{f.status} {name} (+{added} -{deleted})"
    return f"{f.status} {name}"


def _with_diff(head: str, diff: bytes) -> str:
    """``head`` and the diff's section, decoded once as valid UTF-8 (bytes that are not become U+FFFD)."""
    return (git.encode(head + "\n## Diff\n\n") + diff).decode("utf-8", "replace")


def _file_summary(f: FileChange, skipped: Mapping[str, str]) -> dict[str, Any]:
    d: dict[str, Any] = {"path": f.path, "status": f.status, "binary": f.binary}
    if f.old_path is not None:
        d["old_path"] = f.old_path
    if f.path in skipped:
        d["skipped"] = skipped[f.path]
    return d


# --- path globs ------------------------------------------------------------------------


def path_matches(path: str, pattern: str) -> bool:
    """gitignore-like glob match of a repository-relative path.

    ``*`` and ``?`` stay within one path segment and ``**`` spans any number of them. A
    pattern without ``/`` matches any one segment (``*.lock``, ``node_modules``); a pattern
    with ``/`` is anchored at the root (``docs/*.md``, ``/*.lock``, ``**/gen/*.py``). A
    pattern that matches a directory matches everything under it; a trailing ``/`` matches
    directories only.
    """
    return _matcher(pattern)(path)


class PathFilter:
    """Keep a path that matches some include (or there are none) and no exclude."""

    def __init__(self, include: Sequence[str], exclude: Sequence[str]) -> None:
        self._include = [_matcher(p) for p in include if p.strip()]
        self._exclude = [_matcher(p) for p in exclude if p.strip()]

    def __bool__(self) -> bool:
        """False when there is nothing to filter by."""
        return bool(self._include or self._exclude)

    def __call__(self, path: str) -> bool:
        if self._include and not any(m(path) for m in self._include):
            return False
        return not any(m(path) for m in self._exclude)


def _matcher(pattern: str) -> Matcher:
    pattern = pattern.strip().removeprefix("./")
    dirs_only = pattern.endswith("/")
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/")
    if not anchored:
        one = re.compile(_segment_regex(pattern))
        return lambda path: _any_segment(one, path, dirs_only)
    whole = re.compile(_anchored_regex(pattern))
    return lambda path: _any_prefix(whole, path, dirs_only)


def _any_segment(regex: re.Pattern[str], path: str, dirs_only: bool) -> bool:
    segments = path.split("/")
    return any(regex.fullmatch(s) for s in (segments[:-1] if dirs_only else segments))


def _any_prefix(regex: re.Pattern[str], path: str, dirs_only: bool) -> bool:
    if not dirs_only and regex.fullmatch(path):
        return True
    at = path.find("/")
    while at != -1:
        if regex.fullmatch(path, 0, at):
            return True
        at = path.find("/", at + 1)
    return False


def _anchored_regex(pattern: str) -> str:
    segments = pattern.split("/")
    out = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            out.append(".*" if last else "(?:[^/]*/)*")
        else:
            out.append(_segment_regex(segment) + ("" if last else "/"))
    return "".join(out)


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and (close := segment.find("]", i + 2 if segment[i + 1 : i + 2] in ("!", "^") else i + 1)) != -1:
            body = segment[i + 1 : close]
            neg = body[:1] in ("!", "^")
            out.append("[" + ("^" if neg else "") + re.escape(body[1:] if neg else body).replace("\\-", "-") + "]")
            i = close
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)
