"""What the hooks remember between events, under ``<state root>/codex/``.

- ``review-gate``: the workspaces where the stop-time review gate is on, one realpath a line
  (off everywhere by default; ``ccplugin setup --enable-review-gate`` adds the current one).
- ``sessions/<id>.json``: the marker SessionStart writes for a (non-nested) Codex session; SessionEnd
  removes it with the session's other files.
- ``sessions/<id>.seen``: the job database's stamp at the session's last full unread check (see
  :mod:`ccplugin.codex.fasthook`).
- ``sessions/<id>.gate.json``: the stop gate's memory for the session (baseline fingerprint taken
  at prompt submit, the fingerprint at the last block, blocks in a row).
- ``hooks.log``: one line per hook that did something, capped at 256 KiB.

Session ids are validated (:func:`ccplugin.paths.valid_session`) before they become
file names.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ccplugin import files
from ccplugin.codex.hookpaths import GATE_FILE, codex_dir, gate_enabled, session_path

LOG_CAP = 256 * 1024
SESSION_SUFFIXES = (".json", ".seen", ".gate.json")


def gate_on(root: Path, workspace: str) -> bool:
    return gate_enabled(str(root), workspace)


def set_gate(root: Path, workspace: str, enabled: bool) -> bool:
    """Turn the review gate on or off for ``workspace``; True when that changed anything."""
    path = Path(codex_dir(str(root)), GATE_FILE)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [w for w in lines if w and w != workspace]
    wanted = [*kept, workspace] if enabled else kept
    if wanted == [w for w in lines if w]:
        return False
    write_text(path, "".join(f"{w}\n" for w in wanted))
    return True


def session_file(root: Path, session: str, suffix: str) -> Path:
    return Path(session_path(str(root), session, suffix))


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a private file; the folders are created as needed)."""
    files.write_atomic(path, text, mode=0o600, dir_mode=0o700)


def forget_session(root: Path, session: str) -> None:
    for suffix in SESSION_SUFFIXES:
        session_file(root, session, suffix).unlink(missing_ok=True)


def log(root: Path, line: str) -> None:
    """Append one line to ``hooks.log`` (best effort: a hook never fails on its log)."""
    path = Path(codex_dir(str(root)), "hooks.log")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"{stamp} {line}\n")
        if path.stat().st_size > LOG_CAP:
            tail = path.read_bytes()[-LOG_CAP // 2 :]
            path.write_bytes(tail[tail.find(b"\n") + 1 :])
    except OSError:
        pass
