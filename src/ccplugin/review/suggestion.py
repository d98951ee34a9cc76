"""A finding's proposed fix (:class:`ccplugin.review.model.Suggestion`): the text that replaces its own
lines (``line_start..line_end``).

The reviewer may give a ``replacement`` (schema v2). It is kept only when it is safe to show and
to apply: the file is a UTF-8 regular file inside the repository with LF line ends, the range lies
inside it, and the text passes :func:`ccplugin.review.model.check` (size and control characters).
Anything else drops the suggestion with a note in the finding's body, never the review. The lines
it replaces are recorded with it (``original``), so applying it later refuses a file whose lines
changed since (:func:`applies`).
"""

from __future__ import annotations

from pathlib import Path

from ccplugin import files
from ccplugin.errors import CCError, Exit
from ccplugin.review.model import Suggestion, check
from ccplugin.review.paths import OUTSIDE


def read(raw: object, root: Path | None, file: str, start: int, end: int) -> tuple[Suggestion | None, str]:
    """The suggestion for ``file``'s lines ``start..end`` from the reviewer's ``replacement``, or why it was dropped."""
    if raw is None:
        return None, ""
    try:
        text = _file_text(root, file)
        original = lines_of(text, start, end)
        if original is None:
            raise ValueError(f"lines {start}-{end} are not all inside {file}")
        check(raw)
        assert isinstance(raw, str)  # check() said so
        return Suggestion(fitted(raw, original), original), ""
    except ValueError as e:
        return None, f"suggested replacement dropped: {e}"


def _file_text(root: Path | None, file: str) -> str:
    if root is None or file == OUTSIDE:
        raise ValueError("the finding names no file of the repository")
    full = root / file
    try:
        if full.is_symlink() or not full.is_file() or not full.resolve().is_relative_to(root.resolve()):
            raise ValueError(f"{file} is not a regular file of the repository")
        text = full.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{file} cannot be read as UTF-8 text") from e
    if "\r" in text:
        raise ValueError(f"{file} has CR line ends")
    return text


def lines_of(text: str, start: int, end: int) -> str | None:
    """Lines ``start..end`` (1-based) of ``text`` with their line ends; None when the range leaves it."""
    lines = text.splitlines(keepends=True)
    if start < 1 or end < start or end > len(lines):
        return None
    return "".join(lines[start - 1 : end])


def fitted(replacement: str, original: str) -> str:
    """``replacement`` as whole lines ending the way ``original`` ends (a last line without a newline stays so)."""
    if not replacement:
        return ""
    body = replacement.removesuffix("\n")
    return body + "\n" if original.endswith("\n") else body


def applies(text: str, start: int, end: int, s: Suggestion) -> bool:
    """Whether ``text`` still has the lines the suggestion replaces, unchanged, at ``start..end``."""
    return lines_of(text, start, end) == s.original


def applied(text: str, start: int, end: int, s: Suggestion) -> str:
    """``text`` with lines ``start..end`` replaced (the caller checked :func:`applies`)."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[: start - 1]) + s.replacement + "".join(lines[end:])


def apply_to(root: Path, file: str, start: int, end: int, s: Suggestion) -> Path:
    """Replace lines ``start..end`` of ``root/file`` with the suggestion; refuse (:attr:`Exit.STALE`) when they
    are not the lines it was made for."""
    try:
        text = _file_text(root, file)
    except ValueError as e:
        raise CCError(f"cannot apply the suggestion: {e}", "apply the change by hand", Exit.STALE) from e
    if not applies(text, start, end, s):
        where = f"{file}:{start}" + (f"-{end}" if end > start else "")
        raise CCError(
            f"{where} changed since the review: the suggestion was not applied",
            "review the change again (`ccplugin review`) and apply the new suggestion",
            Exit.STALE,
        )
    return files.write_atomic(root / file, applied(text, start, end, s).encode("utf-8"))
