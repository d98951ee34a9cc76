"""Hunks of a unified diff on the new side, and where a finding's line range falls.

Sections are split on ``diff --git`` headers (a body line always starts with `` ``, ``+``,
``-`` or ``\\``, so the split is exact); each section's path comes from its headers, unquoted
the way git quotes. The diff is read as bytes, the way git wrote it: a hunk is its ``@@``
header, and its added lines are counted from its body only when a finding needs them, so
placing a finding costs a binary search over its file's hunk starts (:class:`LazyHunks`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from unidiff.patch import PatchSet

from ccplugin.git import decode, encode, quote, unquote
from ccplugin.review.model import Hunk, Location
from ccplugin.review.paths import repo_path

MARK = "diff --git "
_MARK = MARK.encode()
_NL_MARK = b"\n" + _MARK
_HEADER = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
_PLUS, _MINUS, _BACKSLASH = ord("+"), ord("-"), ord("\\")

Spans = tuple[tuple[int, int], ...]


def parse_hunks(diff: str) -> dict[str, tuple[Hunk, ...]]:
    """New-side hunks per path (the new path of a rename; the old path of a deletion)."""
    data = encode(diff)
    spans = section_spans(data)
    if not spans:
        return _parse_plain(diff)
    result: dict[str, tuple[Hunk, ...]] = {}
    for start, end in spans:
        path = section_path(decode(data[start : _body_start(data, start, end)]))
        result[path] = result.get(path, ()) + _FileHunks(data, ((start, end),)).all()
    return result


def classify(path: str, line_start: int, line_end: int, hunks: Mapping[str, tuple[Hunk, ...]]) -> Location:
    """ADDED if a line in the range was added; CONTEXT if it touches a hunk; else IN_FILE
    for a changed file, OUTSIDE for any other."""
    key = changed_path(path, hunks)
    if key is None:
        return Location.OUTSIDE
    lo, hi = min(line_start, line_end), max(line_start, line_end)
    if isinstance(hunks, LazyHunks):
        return hunks.file(key).location(lo, hi)
    return _FileHunks.of(hunks[key]).location(lo, hi)


def changed_path(path: str, paths: Collection[str]) -> str | None:
    """The changed path a reviewer's ``path`` names: exactly, after :func:`repo_path`'s
    normalisation (``./a``, ``a//b``, ``b/a``) — never a changed path it merely ends with
    (the untouched ``doc/Makefile`` is not the changed ``Makefile``)."""
    if path in paths:
        return path
    p = repo_path(path, None, paths)
    return p if p in paths else None


def section_spans(diff: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` byte offsets of each ``diff --git`` section, in order."""
    starts = [0] if diff.startswith(_MARK) else []
    at = diff.find(_NL_MARK)
    while at != -1:
        starts.append(at + 1)
        at = diff.find(_NL_MARK, at + 1)
    return list(zip(starts, [*starts[1:], len(diff)], strict=False))


def section_path(text: str) -> str:
    """The path a ``diff --git`` section is about, from its header lines."""
    at = text.find("\n@@")
    lines = (text if at == -1 else text[: at + 1]).split("\n")
    for line in lines[1:]:
        if line.startswith(("rename to ", "copy to ")):
            return unquote(line.split(" ", 2)[2])
    for marker, prefix in (("+++ ", "b/"), ("--- ", "a/")):
        for line in lines[1:]:
            if line.startswith(marker) and line != marker + "/dev/null":
                return _label_path(line[len(marker) :], prefix)
    return _git_header_path(lines[0][len(MARK) :])


def _body_start(diff: bytes, start: int, end: int) -> int:
    at = diff.find(b"\n@@", start, end)
    return end if at == -1 else at + 1


def _label_path(label: str, prefix: str) -> str:
    # git appends a tab to ---/+++ names that contain a space; plain diffs add a timestamp
    name = unquote(label.split("\t", 1)[0])
    return name.removeprefix(prefix)


def _git_header_path(rest: str) -> str:
    """The new name in ``a/<name> b/<name>`` (equal names: a rename has its own lines)."""
    if rest.startswith('"'):
        end = _closing_quote(rest)
        return unquote(rest[end + 2 :]).removeprefix("b/")
    half = (len(rest) - 5) // 2
    return rest[2 : 2 + half] if half >= 0 else rest


def _closing_quote(text: str) -> int:
    i = 1
    while i < len(text) and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i


@dataclass(frozen=True)
class _Body:
    """Where one hunk's lines are, and how many it has on each side."""

    at: int
    end: int
    old: int
    new: int


class _FileHunks:
    """One file's new-side hunks: starts and ends from the ``@@`` headers (sorted, apart), added
    lines read from a hunk's body the first time they are needed."""

    def __init__(self, diff: bytes, spans: Spans) -> None:
        self._diff = diff
        self.starts: list[int] = []
        self.ends: list[int] = []
        self._bodies: list[_Body] = []
        self._added: dict[int, frozenset[int]] = {}
        for start, end in spans:
            self._index(start, end)

    @classmethod
    def of(cls, hunks: Sequence[Hunk]) -> _FileHunks:
        """The index of hunks already parsed."""
        made = cls(b"", ())
        made.starts, made.ends = [h.start for h in hunks], [h.end for h in hunks]
        made._added = {i: h.added for i, h in enumerate(hunks)}
        return made

    def _index(self, start: int, end: int) -> None:
        headers = list(_HEADER.finditer(self._diff, start, end))
        for n, m in enumerate(headers):
            new = int(m[3]) if m[3] is not None else 1
            if new > 0:
                first = int(m[2])
                body_end = headers[n + 1].start() if n + 1 < len(headers) else end
                self.starts.append(first)
                self.ends.append(first + new - 1)
                old = int(m[1]) if m[1] is not None else 1
                eol = self._diff.find(b"\n", m.end(), body_end)
                self._bodies.append(_Body(body_end if eol == -1 else eol + 1, body_end, old, new))

    def added(self, i: int) -> frozenset[int]:
        """The added line numbers of hunk ``i``."""
        found = self._added.get(i)
        if found is None:
            found = self._added[i] = _added_lines(self._diff, self._bodies[i], self.starts[i])
        return found

    def all(self) -> tuple[Hunk, ...]:
        return tuple(Hunk(s, e, self.added(i)) for i, (s, e) in enumerate(zip(self.starts, self.ends, strict=True)))

    def location(self, lo: int, hi: int) -> Location:
        """Where ``lo..hi`` falls: only the hunks it overlaps are looked at (binary search)."""
        first, last = bisect.bisect_left(self.ends, lo), bisect.bisect_right(self.starts, hi)
        if first >= last:
            return Location.IN_FILE
        if any(_adds_within(self.starts[i], self.ends[i], self.added(i), lo, hi) for i in range(first, last)):
            return Location.ADDED
        return Location.CONTEXT


def _added_lines(diff: bytes, body: _Body, line: int) -> frozenset[int]:
    """New-side numbers of the ``+`` lines of one hunk, walking its lines until both sides are counted."""
    added: list[int] = []
    at, old, new = body.at, body.old, body.new
    while (old > 0 or new > 0) and at < body.end:
        eol = diff.find(b"\n", at, body.end)
        first = diff[at]
        if first == _PLUS:
            added.append(line)
            line, new = line + 1, new - 1
        elif first == _MINUS:
            old -= 1
        elif first != _BACKSLASH:  # context (an empty line too)
            line, new, old = line + 1, new - 1, old - 1
        at = body.end if eol == -1 else eol + 1
    return frozenset(added)


def _patch_set(text: str) -> Any:
    return PatchSet(text)


def _hunks_from(patch: Any) -> Iterator[Hunk]:
    for patched_file in patch:
        for h in patched_file:
            if h.target_length > 0:
                added = frozenset(line.target_line_no for line in h if line.is_added)
                yield Hunk(h.target_start, h.target_start + h.target_length - 1, added)


def _parse_plain(diff: str) -> dict[str, tuple[Hunk, ...]]:
    """A diff without ``diff --git`` headers (``diff -u``, difflib)."""
    if "\n@@" not in "\n" + diff:
        return {}
    result: dict[str, tuple[Hunk, ...]] = {}
    for patched_file in _patch_set(diff):
        result[patched_file.path] = tuple(_hunks_from([patched_file]))
    return result


def _adds_within(start: int, end: int, added: frozenset[int], lo: int, hi: int) -> bool:
    if hi < start or lo > end or not added:
        return False
    lo, hi = max(lo, start), min(hi, end)
    if hi - lo < len(added):
        return any(n in added for n in range(lo, hi + 1))
    return any(lo <= n <= hi for n in added)


def section_index(diff: bytes, names: Iterable[tuple[str, str]]) -> dict[str, Spans]:
    """Path → the byte spans of its section(s) in ``diff``, in diff order.

    ``names`` are the ``(old_path, path)`` pairs of the change: a header line that matches
    one is that file's (exact, and cheap); any other header is parsed. A type change is two
    adjacent sections and gets one span; a path with sections apart (deleted from the index and
    untracked) gets one span each, never one that covers the files between them.
    """
    headers = {encode(f"{MARK}{quote('a/' + old)} {quote('b/' + new)}"): new for old, new in names}
    index: dict[str, Spans] = {}
    for start, end in section_spans(diff):
        eol = diff.find(b"\n", start, end)
        path = headers.get(diff[start : end if eol == -1 else eol])
        if path is None:
            path = section_path(decode(diff[start : _body_start(diff, start, end)]))
        spans = index.get(path, ())
        if spans and spans[-1][1] == start:
            index[path] = (*spans[:-1], (spans[-1][0], end))
        else:
            index[path] = (*spans, (start, end))
    return index


class LazyHunks(Mapping[str, tuple[Hunk, ...]]):
    """Hunks per changed path, read from the one diff only when a path is looked up.

    Collecting a 5,000-file change must not pay for finding and parsing hunks that no
    finding will ask about: the first lookup indexes the sections, a file's hunk headers are
    read once, and a hunk's added lines only when a finding overlaps it (:meth:`file`).
    """

    def __init__(
        self,
        diff: str | bytes,
        names: Sequence[tuple[str, str]],
        index: Mapping[str, Spans] | None = None,
    ) -> None:
        self._diff = encode(diff) if isinstance(diff, str) else diff
        self._names = names
        self._paths = dict.fromkeys(new for _, new in names)
        self._index = index
        self._files: dict[str, _FileHunks] = {}

    def file(self, path: str) -> _FileHunks:
        """``path``'s hunk index (KeyError for a path the change does not have)."""
        if path not in self._paths:
            raise KeyError(path)
        found = self._files.get(path)
        if found is None:
            if self._index is None:
                self._index = section_index(self._diff, self._names)
            found = self._files[path] = _FileHunks(self._diff, self._index.get(path, ()))
        return found

    def __getitem__(self, path: str) -> tuple[Hunk, ...]:
        return self.file(path).all()

    def __contains__(self, path: object) -> bool:
        return path in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __repr__(self) -> str:
        return f"LazyHunks({len(self._paths)} paths)"
