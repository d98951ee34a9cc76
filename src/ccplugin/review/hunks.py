"""Hunks of a unified diff on the new side, and where a finding's line range falls.

Sections are split on ``diff --git`` headers (a body line always starts with `` ``, ``+``,
``-`` or ``\\``, so the split is exact); each section's path comes from its headers, unquoted
the way git quotes; the hunk lines of a section are parsed with ``unidiff``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from unidiff.patch import PatchSet

from ccplugin.git import quote, unquote
from ccplugin.review.model import Hunk, Location
from ccplugin.review.paths import repo_path

MARK = "diff --git "


def parse_hunks(diff: str) -> dict[str, tuple[Hunk, ...]]:
    """New-side hunks per path (the new path of a rename; the old path of a deletion)."""
    spans = section_spans(diff)
    if not spans:
        return _parse_plain(diff)
    result: dict[str, tuple[Hunk, ...]] = {}
    for start, end in spans:
        text = diff[start:end]
        path = section_path(text)
        result[path] = result.get(path, ()) + _section_hunks(text)
    return result


def classify(path: str, line_start: int, line_end: int, hunks: Mapping[str, tuple[Hunk, ...]]) -> Location:
    """ADDED if a line in the range was added; CONTEXT if it touches a hunk; else IN_FILE
    for a changed file, OUTSIDE for any other."""
    key = changed_path(path, hunks)
    if key is None:
        return Location.OUTSIDE
    lo, hi = min(line_start, line_end), max(line_start, line_end)
    file_hunks = hunks[key]
    if any(_adds_within(h, lo, hi) for h in file_hunks):
        return Location.ADDED
    if any(h.start <= hi and lo <= h.end for h in file_hunks):
        return Location.CONTEXT
    return Location.IN_FILE


def changed_path(path: str, paths: Collection[str]) -> str | None:
    """The changed path a reviewer's ``path`` names: exactly, after :func:`repo_path`'s
    normalisation (``./a``, ``a//b``, ``b/a``) — never a changed path it merely ends with
    (the untouched ``doc/Makefile`` is not the changed ``Makefile``)."""
    if path in paths:
        return path
    p = repo_path(path, None, paths)
    return p if p in paths else None


def section_spans(diff: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of each ``diff --git`` section, in order."""
    starts = [0] if diff.startswith(MARK) else []
    at = diff.find("\n" + MARK)
    while at != -1:
        starts.append(at + 1)
        at = diff.find("\n" + MARK, at + 1)
    return list(zip(starts, [*starts[1:], len(diff)], strict=False))


def section_path(text: str) -> str:
    """The path a ``diff --git`` section is about, from its header lines."""
    header = text[: _body_start(text)]
    lines = header.split("\n")
    for line in lines[1:]:
        if line.startswith(("rename to ", "copy to ")):
            return unquote(line.split(" ", 2)[2])
    for marker, prefix in (("+++ ", "b/"), ("--- ", "a/")):
        for line in lines[1:]:
            if line.startswith(marker) and line != marker + "/dev/null":
                return _label_path(line[len(marker) :], prefix)
    return _git_header_path(lines[0][len(MARK) :])


def _body_start(text: str) -> int:
    at = text.find("\n@@")
    return len(text) if at == -1 else at + 1


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


def _section_hunks(text: str) -> tuple[Hunk, ...]:
    """Hunks of one file's text; a type change is two sections and both count."""
    spans = section_spans(text) or [(0, len(text))]
    found: list[Hunk] = []
    for start, end in spans:
        body = text[start:end][_body_start(text[start:end]) :]
        if body:
            found.extend(_hunks_from(_patch_set("--- a/f\n+++ b/f\n" + body)))
    return tuple(found)


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


def _adds_within(h: Hunk, lo: int, hi: int) -> bool:
    if hi < h.start or lo > h.end or not h.added:
        return False
    lo, hi = max(lo, h.start), min(hi, h.end)
    if hi - lo < len(h.added):
        return any(n in h.added for n in range(lo, hi + 1))
    return any(lo <= n <= hi for n in h.added)


Spans = tuple[tuple[int, int], ...]


def section_index(diff: str, names: Iterable[tuple[str, str]]) -> dict[str, Spans]:
    """Path → the spans of its section(s) in ``diff``, in diff order.

    ``names`` are the ``(old_path, path)`` pairs of the change: a header line that matches
    one is that file's (exact, and cheap); any other header is parsed. A type change is two
    adjacent sections and gets one span; a path with sections apart (deleted from the index and
    untracked) gets one span each, never one that covers the files between them.
    """
    headers = {f"{MARK}{quote('a/' + old)} {quote('b/' + new)}": new for old, new in names}
    index: dict[str, Spans] = {}
    for start, end in section_spans(diff):
        eol = diff.find("\n", start, end)
        path = headers.get(diff[start : end if eol == -1 else eol])
        if path is None:
            path = section_path(diff[start:end])
        spans = index.get(path, ())
        if spans and spans[-1][1] == start:
            index[path] = (*spans[:-1], (spans[-1][0], end))
        else:
            index[path] = (*spans, (start, end))
    return index


class LazyHunks(Mapping[str, tuple[Hunk, ...]]):
    """Hunks per changed path, parsed from the one diff string only when a path is looked up.

    Collecting a 5,000-file change must not pay for finding and parsing hunks that no
    finding will ask about; the first lookup indexes the sections, each path is parsed once.
    """

    def __init__(
        self,
        diff: str,
        names: Sequence[tuple[str, str]],
        index: Mapping[str, Spans] | None = None,
    ) -> None:
        self._diff = diff
        self._names = names
        self._paths = dict.fromkeys(new for _, new in names)
        self._index = index
        self._parsed: dict[str, tuple[Hunk, ...]] = {}

    def __getitem__(self, path: str) -> tuple[Hunk, ...]:
        if path not in self._paths:
            raise KeyError(path)
        if path not in self._parsed:
            if self._index is None:
                self._index = section_index(self._diff, self._names)
            spans = self._index.get(path, ())
            self._parsed[path] = tuple(h for s, e in spans for h in _section_hunks(self._diff[s:e]))
        return self._parsed[path]

    def __contains__(self, path: object) -> bool:
        return path in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __repr__(self) -> str:
        return f"LazyHunks({len(self._paths)} paths)"
