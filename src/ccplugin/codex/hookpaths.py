"""The files the Codex hooks read on every prompt, under ``<state root>/codex/``: ``os`` only.

:mod:`ccplugin.codex.fasthook` answers most prompts from these alone, and
:mod:`ccplugin.codex.state` writes the same files; both import them from here, so the hook's
entry point and its handlers share no import cycle.
"""

from __future__ import annotations

import os

GATE_FILE = "review-gate"  # one workspace per line: where the stop-time review gate is on


def codex_dir(root: str) -> str:
    return os.path.join(root, "codex")


def session_path(root: str, session: str, suffix: str) -> str:
    """``<state root>/codex/sessions/<session><suffix>`` (``session`` already validated)."""
    return os.path.join(root, "codex", "sessions", session + suffix)


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def gate_enabled(root: str, ws: str) -> bool:
    text = read_text(os.path.join(codex_dir(root), GATE_FILE))
    return text is not None and ws in text.splitlines()


def db_stamp(root: str) -> str | None:
    """Identity, size and mtime of the job database and its WAL: any commit changes it.

    None when there is no store yet (so no job can be waiting).
    """
    parts = []
    for name in ("jobs.db", "jobs.db-wal"):
        try:
            st = os.stat(os.path.join(root, name))
        except OSError:
            if name == "jobs.db":
                return None
            parts.append("-")
            continue
        parts.append(f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)
