"""A finding's path as the repository names it, or :data:`OUTSIDE` — never as the reviewer gave it.

The reviewer's ``file`` is untrusted text: ``./a.py``, ``b/a.py`` (a diff prefix), the absolute
path of the checkout, or ``../../../other-org/repo/blob/main/x`` and ``/etc/passwd``. Every
surface turns it into something (a SARIF URI under ``%SRCROOT%``, an annotation's ``file``, a link
to the repository on GitHub), so it is made repo-relative once, here, and stored that way; a path
that leaves the repository is :data:`OUTSIDE`, which no surface turns into a location.
"""

from __future__ import annotations

import os
import posixpath
import unicodedata
from collections.abc import Collection
from pathlib import Path

from ccplugin import controls
from ccplugin.git import unquote

OUTSIDE = "(outside the repository)"
_DIFF_PREFIXES = ("a/", "b/")


def repo_path(raw: str, root: Path | None = None, changed: Collection[str] = ()) -> str:
    """The repo-relative POSIX path ``raw`` names, or :data:`OUTSIDE`.

    ``root`` (the repository's top level) makes an absolute path inside it relative; without it
    every absolute path is outside. ``changed`` (the change's paths) lets a diff prefix go.
    git's C-quoted form (``"we \\"ird\\".txt"``, ``"donn\\303\\251es/x"``) is unquoted, and of a
    name's Unicode spellings (NFC, NFD) the one the change (or else the checkout) has is kept —
    both only with a ``root`` or ``changed`` to resolve against, so a stored path stays as it is.
    """
    if raw == OUTSIDE:
        return OUTSIDE
    text, resolve = raw.strip(), root is not None or bool(changed)
    if resolve and len(text) > 2 and text[0] == text[-1] == '"' and text not in changed:
        text = unquote(text)
    path = controls.clean(text).replace("\n", "").replace("\t", "").strip().replace("\\", "/")
    if path.startswith("/"):
        path = _under(path, root)
    path = posixpath.normpath(path) if path else "."
    if path in (".", "..") or path.startswith(("../", "/")):
        return OUTSIDE
    if path not in changed and path[:2] in _DIFF_PREFIXES and _spelling(path[2:], root, changed) in changed:
        path = path[2:]
    return _spelling(path, root, changed) if resolve else path


def _spelling(path: str, root: Path | None, changed: Collection[str]) -> str:
    """Of ``path``'s spellings (as given, NFC, NFD) the changed one, else the one in the checkout, else NFC."""
    if path.isascii():
        return path
    forms = dict.fromkeys((path, unicodedata.normalize("NFC", path), unicodedata.normalize("NFD", path)))
    for form in forms:
        if form in changed:
            return form
    for form in forms if root is not None else ():
        if os.path.lexists(os.path.join(root, form)):  # type: ignore[arg-type]
            return form
    return unicodedata.normalize("NFC", path)


def _under(path: str, root: Path | None) -> str:
    """``path`` relative to ``root`` (as given or resolved) when inside it, else unchanged."""
    path = posixpath.normpath(path)
    for base in {str(root), str(root.resolve())} if root is not None else ():
        if path.startswith(base.rstrip("/") + "/"):
            return path[len(base.rstrip("/")) + 1 :]
    return path
